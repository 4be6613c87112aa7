import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { ScanContext } from '../formats/types.js';
import { unsupportedName } from '../formats/unsupported/index.js';
import { type ByteSource, FileSource } from '../io/byte-source.js';
import type { Finding, Severity } from './findings.js';
import { DEFAULT_SCAN_LIMITS, type ScanLimits } from './limits.js';
import { routeByContent } from './route.js';

const PICKLE_FAMILY_EXT = /\.(pkl|pickle|pt|pth|bin|ckpt|joblib|dill|dat|npy)$/i;

import { VERSION } from '../version.js';

/** One finding in one file, in modelscan's issue shape plus our keys. */
export interface Issue {
  description: string;
  operator: string;
  module: string;
  source: string;
  scanner: string;
  severity: Severity;
  /** Byte offset in the source (archive member) where the construct starts. */
  position: number;
  rule: string;
  call?: string;
  details?: Record<string, unknown>;
}

export interface ScanError {
  category: string;
  description: string;
  source: string;
}

export interface Skipped {
  category: string;
  description: string;
  source: string;
}

export interface ScanResult {
  inputPaths: string[];
  /** The folder sources are relative to. */
  absolutePath: string;
  version: string;
  timestamp: string;
  scanned: string[];
  skipped: Skipped[];
  issues: Issue[];
  errors: ScanError[];
}

export interface ScanOptions {
  limits?: Partial<ScanLimits>;
}

interface Target {
  abs: string;
  source: string;
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

async function walk(dir: string, root: string, out: Target[], skipped: Skipped[], errors: ScanError[]): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    errors.push({ category: 'PATH', description: `cannot read folder: ${(err as Error).message}`, source: relative(root, dir) || '.' });
    return;
  }
  for (const name of names) {
    const abs = join(dir, name);
    const source = relative(root, abs);
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(abs);
    } catch (err) {
      errors.push({ category: 'PATH', description: `cannot stat: ${(err as Error).message}`, source });
      continue;
    }
    if (st.isSymbolicLink()) skipped.push({ category: 'SYMLINK', description: 'symbolic link not followed', source });
    else if (st.isDirectory()) await walk(abs, root, out, skipped, errors);
    else if (st.isFile()) out.push({ abs, source });
    else skipped.push({ category: 'SCAN_NOT_SUPPORTED', description: 'not a regular file', source });
  }
}

/**
 * Scans files and folders. Every regular file is considered and routed by
 * its content; one file's failure becomes an error entry and never stops
 * the others or drops findings made before it.
 */
export async function scan(paths: string[], options: ScanOptions = {}): Promise<ScanResult> {
  const limits: ScanLimits = { ...DEFAULT_SCAN_LIMITS, ...options.limits };
  const result: ScanResult = {
    inputPaths: paths,
    absolutePath: '',
    version: VERSION,
    timestamp: new Date().toISOString(),
    scanned: [],
    skipped: [],
    issues: [],
    errors: [],
  };
  const abs = paths.map((p) => resolve(p));
  const stats = await Promise.all(abs.map((p) => lstat(p).catch(() => undefined)));
  result.absolutePath = commonRoot(
    abs,
    stats.map((s) => !!s?.isDirectory()),
  );
  const root = result.absolutePath;
  const targets: Target[] = [];
  for (let i = 0; i < abs.length; i++) {
    const st = stats[i];
    const source = relative(root, abs[i]) || basename(abs[i]);
    if (!st) result.errors.push({ category: 'PATH', description: `no such file or folder: ${paths[i]}`, source: paths[i] });
    else if (st.isSymbolicLink()) result.skipped.push({ category: 'SYMLINK', description: 'symbolic link not followed', source });
    else if (st.isDirectory()) await walk(abs[i], root, targets, result.skipped, result.errors);
    else targets.push({ abs: abs[i], source });
  }
  for (const t of targets) await scanFile(t, limits, result);
  return result;
}

async function scanFile(t: Target, limits: ScanLimits, result: ScanResult): Promise<void> {
  const findings: Finding[] = [];
  let src: FileSource | undefined;
  try {
    src = await FileSource.open(t.abs, t.source);
    if (src.size === 0) {
      result.skipped.push({ category: 'SCAN_NOT_SUPPORTED', description: 'empty file', source: t.source });
      return;
    }
    const ctx = makeContext(0, limits, (f) => findings.push(f));
    const routed = await routeByContent(src, ctx);
    if (routed.format && routed.outcome === 'scanned') result.scanned.push(t.source);
    else if (routed.format) {
      result.skipped.push({
        category: 'SCAN_NOT_SUPPORTED',
        description: `${unsupportedName(routed.head)}: format not supported yet`,
        source: t.source,
      });
    } else if (PICKLE_FAMILY_EXT.test(t.source)) {
      // Named like a pickle-based model but matching no format: a loader would choke on it, we can't vouch for it.
      result.errors.push({
        category: 'MODEL_SCAN',
        description: 'named like a pickle-based model, but its content is neither a pickle nor a known format',
        source: t.source,
      });
    } else result.skipped.push({ category: 'SCAN_NOT_SUPPORTED', description: 'format not supported yet', source: t.source });
  } catch (err) {
    result.errors.push({ category: 'MODEL_SCAN', description: `scan failed: ${(err as Error).message}`, source: t.source });
  } finally {
    await src?.close().catch(() => undefined);
    for (const f of findings) result.issues.push(toIssue(f, t.source));
  }
}

function toIssue(f: Finding, source: string): Issue {
  return {
    description: f.description,
    operator: f.operator,
    module: f.module,
    source,
    scanner: f.scanner,
    severity: f.severity,
    position: f.offset,
    rule: f.rule,
    ...(f.call !== undefined ? { call: f.call } : {}),
    ...(f.details ? { details: f.details } : {}),
  };
}

export function makeContext(depth: number, limits: ScanLimits, report: (f: Finding) => void): ScanContext {
  return {
    depth,
    limits,
    report,
    async scanEmbedded(src: ByteSource, label: string, baseOffset: number): Promise<Finding[]> {
      const inner: Finding[] = [];
      const relay = (f: Finding) => {
        const g: Finding = {
          ...f,
          offset: baseOffset >= 0 ? baseOffset + f.offset : f.offset,
          description: `[${label}] ${f.description}`,
          details: { ...f.details, embedded: label, ...(baseOffset < 0 ? { offsetWithinPayload: f.offset } : {}) },
        };
        inner.push(g);
        report(g);
      };
      if (depth + 1 > limits.maxDepth) {
        relay({
          severity: 'MEDIUM',
          rule: 'scan/too-deep',
          description: `payloads nested more than ${limits.maxDepth} deep; not scanned`,
          module: '',
          operator: '',
          offset: 0,
          scanner: 'modelscan',
        });
        return inner;
      }
      const routed = await routeByContent(src, makeContext(depth + 1, limits, relay));
      if (routed.format?.name !== 'pickle') {
        relay({
          severity: 'LOW',
          rule: 'scan/unknown-embedded',
          description: 'embedded payload is not a format the scanner knows',
          module: '',
          operator: '',
          offset: 0,
          scanner: 'modelscan',
        });
      }
      return inner;
    },
  };
}
