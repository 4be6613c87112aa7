import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { RemoteFile } from '../hub/targets.js';
import type { ScanError, Skipped } from './result.js';

export interface Target {
  abs: string;
  /** Relative to the scan root. */
  source: string;
  size: number;
  /** A file on the Hub (src/hub): opened over HTTP instead of from `abs`, its result possibly cached. */
  remote?: RemoteFile;
}

export interface Walked {
  root: string;
  targets: Target[];
  skipped: Skipped[];
  errors: ScanError[];
}

/** The deepest folder holding every input; sources are named relative to it. */
function commonRoot(absPaths: string[], isDir: boolean[]): string {
  const dirs = absPaths.map((p, i) => (isDir[i] ? p : dirname(p)));
  let root = dirs[0];
  for (const d of dirs.slice(1)) {
    while (root !== d && !d.startsWith(root.endsWith(sep) ? root : root + sep)) root = dirname(root);
  }
  return root;
}

/**
 * Every regular file under the inputs, in sorted order. Symbolic links are
 * reported and never followed (a link could lead out of the tree being
 * vetted); anything else that isn't a regular file is reported as skipped.
 */
export async function collectTargets(paths: string[]): Promise<Walked> {
  const abs = paths.map((p) => resolve(p));
  const stats = await Promise.all(abs.map((p) => lstat(p).catch(() => undefined)));
  const root = commonRoot(
    abs,
    stats.map((s) => !!s?.isDirectory()),
  );
  const out: Walked = { root, targets: [], skipped: [], errors: [] };
  const seen = new Set<string>();
  for (let i = 0; i < abs.length; i++) {
    const st = stats[i];
    const source = relative(root, abs[i]) || basename(abs[i]);
    if (!st) out.errors.push({ category: 'PATH', description: `no such file or folder: ${paths[i]}`, source: paths[i] });
    else if (st.isSymbolicLink()) out.skipped.push({ category: 'SYMLINK', description: 'symbolic link not followed', source });
    else if (st.isDirectory()) await walk(abs[i], root, out);
    else if (st.isFile()) out.targets.push({ abs: abs[i], source, size: st.size });
    else out.skipped.push({ category: 'SCAN_NOT_SUPPORTED', description: 'not a regular file', source });
  }
  // The same file named twice (or inside a folder also given) is scanned once.
  out.targets = out.targets.filter((t) => !seen.has(t.abs) && seen.add(t.abs));
  return out;
}

async function walk(dir: string, root: string, out: Walked): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    out.errors.push({ category: 'PATH', description: `cannot read folder: ${(err as Error).message}`, source: relative(root, dir) || '.' });
    return;
  }
  for (const name of names) {
    const abs = join(dir, name);
    const source = relative(root, abs);
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(abs);
    } catch (err) {
      out.errors.push({ category: 'PATH', description: `cannot stat: ${(err as Error).message}`, source });
      continue;
    }
    if (st.isSymbolicLink()) out.skipped.push({ category: 'SYMLINK', description: 'symbolic link not followed', source });
    else if (st.isDirectory()) await walk(abs, root, out);
    else if (st.isFile()) out.targets.push({ abs, source, size: st.size });
    else out.skipped.push({ category: 'SCAN_NOT_SUPPORTED', description: 'not a regular file', source });
  }
}
