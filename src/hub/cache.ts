import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Issue, ScanError, Skipped } from '../scan/result.js';
import { VERSION } from '../version.js';

/** What scanning one file produced; only these results are ever stored, never the file's bytes. */
export interface CachedOutcome {
  scanned: boolean;
  issues: Issue[];
  errors: ScanError[];
  skipped: Skipped[];
}

/** Bump when the stored shape or the meaning of a result changes. */
const FORMAT = 1;
/** A result file larger than this is neither written nor read. */
const MAX_ENTRY = 32 << 20;

/** `$XDG_CACHE_HOME/modelscan-ts`, else `~/.cache/modelscan-ts`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'modelscan-ts');
}

/** JSON with sorted keys and sets as sorted lists, so equal settings always hash the same. */
function stable(value: unknown): unknown {
  if (value instanceof Set) return [...value].map(stable).sort();
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [String(k), stable(v)]).sort();
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = stable((value as Record<string, unknown>)[k]);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/** A digest of everything besides the bytes that decides a file's result: scanner version, policy, limits. */
export function settingsFingerprint(settings: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(stable({ format: FORMAT, version: VERSION, settings })))
    .digest('hex');
}

/**
 * Per-file scan results on disk, keyed by repo, path, the content's hash
 * (git oid / LFS sha256) and the settings fingerprint, so an unchanged file
 * is not fetched again. Entries are written atomically (temp file, rename);
 * an unreadable or odd entry is a miss. Results with errors are not stored:
 * a network failure must not become a remembered verdict.
 */
export class ResultCache {
  constructor(
    readonly dir: string,
    private readonly fingerprint: string,
  ) {}

  key(repo: string, path: string, contentId: string): string {
    return createHash('sha256').update(`${this.fingerprint}\0${repo}\0${path}\0${contentId}`).digest('hex');
  }

  private file(key: string): string {
    return join(this.dir, 'results', key.slice(0, 2), `${key}.json`);
  }

  /** The stored outcome with its sources renamed to `source` (the same file seen at another commit). */
  async get(key: string, source: string): Promise<CachedOutcome | undefined> {
    let text: string;
    try {
      const fh = await open(this.file(key), 'r');
      try {
        const { size } = await fh.stat();
        if (size > MAX_ENTRY) return undefined;
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch {
      return undefined;
    }
    try {
      const stored = JSON.parse(text) as { format?: unknown; key?: unknown; outcome?: unknown };
      if (stored.format !== FORMAT || stored.key !== key) return undefined;
      return rehydrate(stored.outcome, source);
    } catch {
      return undefined;
    }
  }

  /** Stores an outcome free of errors; false when it was not stored. */
  async put(key: string, source: string, outcome: CachedOutcome): Promise<boolean> {
    if (outcome.errors.length) return false;
    const rel = relativize(outcome, source);
    if (!rel) return false;
    const text = JSON.stringify({ format: FORMAT, key, outcome: rel });
    if (text.length > MAX_ENTRY) return false;
    const target = this.file(key);
    const tmp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(join(this.dir, 'results', key.slice(0, 2)), { recursive: true, mode: 0o700 });
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(text);
      } finally {
        await fh.close();
      }
      await rename(tmp, target);
      return true;
    } catch {
      await rm(tmp, { force: true }).catch(() => undefined);
      return false;
    }
  }
}

/** Sources stored relative to the file (`''`, `:member`), so a later commit's name can be put back. */
function relativize(o: CachedOutcome, source: string): CachedOutcome | undefined {
  const rel = (s: string): string | undefined => (s === source ? '' : s.startsWith(`${source}:`) ? s.slice(source.length) : undefined);
  const issues: Issue[] = [];
  for (const i of o.issues) {
    const r = rel(i.source);
    if (r === undefined) return undefined;
    issues.push({ ...i, source: r });
  }
  const skipped: Skipped[] = [];
  for (const k of o.skipped) {
    const r = rel(k.source);
    if (r === undefined) return undefined;
    skipped.push({ ...k, source: r });
  }
  return { scanned: o.scanned, issues, errors: [], skipped };
}

const str = (v: unknown): v is string => typeof v === 'string';

function rehydrate(value: unknown, source: string): CachedOutcome | undefined {
  const o = value as Partial<CachedOutcome> | null;
  if (!o || typeof o.scanned !== 'boolean' || !Array.isArray(o.issues) || !Array.isArray(o.skipped)) return undefined;
  const back = (s: unknown): string | undefined => (str(s) && (s === '' || s.startsWith(':')) ? source + s : undefined);
  const issues: Issue[] = [];
  for (const i of o.issues as Partial<Issue>[]) {
    const src = back(i?.source);
    const fields = [i?.description, i?.operator, i?.module, i?.scanner, i?.severity, i?.rule];
    if (src === undefined || !fields.every(str) || !Number.isSafeInteger(i.position)) return undefined;
    if (!['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].includes(i.severity as string)) return undefined;
    if (i.call !== undefined && !str(i.call)) return undefined;
    if (i.details !== undefined && (typeof i.details !== 'object' || i.details === null || Array.isArray(i.details))) return undefined;
    // Rebuilt key by key, in the report's order: nothing else stored in the file reaches a report.
    issues.push({
      description: i.description as string,
      operator: i.operator as string,
      module: i.module as string,
      source: src,
      scanner: i.scanner as string,
      severity: i.severity as Issue['severity'],
      position: i.position as number,
      rule: i.rule as string,
      ...(i.call !== undefined ? { call: i.call } : {}),
      ...(i.details !== undefined ? { details: i.details } : {}),
    });
  }
  const skipped: Skipped[] = [];
  for (const k of o.skipped as Partial<Skipped>[]) {
    const src = back(k?.source);
    if (src === undefined || !str(k.category) || !str(k.description)) return undefined;
    skipped.push({ category: k.category, description: k.description, source: src });
  }
  return { scanned: o.scanned, issues, errors: [], skipped };
}
