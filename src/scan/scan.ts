import { unsupportedName } from '../formats/unsupported/index.js';
import { collectHubTargets, type HubOptions, isHubPath } from '../hub/targets.js';
import { type ByteSource, FileSource } from '../io/byte-source.js';
import { DEFAULT_POLICY, type Policy } from '../pickle/policy.js';
import { VERSION } from '../version.js';
import { scanWeights } from '../weights/index.js';
import { blacklistFinding } from './blacklist.js';
import { makeContext, ScanTimeout } from './context.js';
import type { Finding } from './findings.js';
import { DEFAULT_SCAN_LIMITS, type ScanLimits } from './limits.js';
import { type Issue, type ScanError, type ScanResult, type Skipped, toIssue } from './result.js';
import { routeByContent } from './route.js';
import { collectTargets, type Target } from './walk.js';

export type { Issue, ScanError, ScanResult, Skipped } from './result.js';

const PICKLE_FAMILY_EXT = /\.(pkl|pickle|pt|pth|bin|ckpt|joblib|dill|dat|npy)$/i;

export interface ScanProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface ScanOptions {
  limits?: Partial<ScanLimits>;
  policy?: Policy;
  /** Files larger than this many bytes are skipped with that reason (0 = no limit). */
  maxFileSize?: number;
  /** Per file, in milliseconds (0 = none): a file over time becomes an error; its findings stay. */
  timeoutMs?: number;
  /** Files scanned at once. Results are the same whatever the number. */
  concurrency?: number;
  onProgress?: (p: ScanProgress) => void;
  /** Debug lines (which format each file was routed to). */
  debug?: (message: string) => void;
  /** Also analyse classification heads for outlier classes (src/weights; --weights). */
  weights?: boolean;
  /** For hf:// inputs: endpoint, token, retries, result cache (src/hub). */
  hub?: HubOptions;
}

/** What one file contributed, kept apart so the result doesn't depend on completion order. */
interface FileOutcome {
  scanned: boolean;
  /** The format that scanned the file. */
  format?: string;
  issues: Issue[];
  errors: ScanError[];
  skipped: Skipped[];
}

/**
 * Scans files and folders. Every regular file is considered and routed by
 * its content; one file's failure becomes an error entry and never stops
 * the others or drops findings made before it.
 */
export async function scan(paths: string[], options: ScanOptions = {}): Promise<ScanResult> {
  const limits: ScanLimits = { ...DEFAULT_SCAN_LIMITS, ...options.limits };
  const walked = await collectTargets(paths.filter((p) => !isHubPath(p)));
  // hf://ORG/REPO[@REV][/PATH] inputs: every file of the revision, read with range requests (src/hub).
  const hubPaths = paths.filter(isHubPath);
  const hub = hubPaths.length
    ? await collectHubTargets(hubPaths, walked, {
        hub: options.hub,
        settings: { limits, policy: options.policy ?? DEFAULT_POLICY, maxFileSize: options.maxFileSize ?? 0 },
        localInputs: paths.length - hubPaths.length,
        debug: options.debug,
      })
    : undefined;
  const result: ScanResult = {
    inputPaths: paths,
    absolutePath: walked.root,
    version: VERSION,
    timestamp: new Date().toISOString(),
    scanned: [],
    formats: [],
    skipped: walked.skipped,
    issues: [],
    errors: walked.errors,
    bytesScanned: 0,
  };
  const targets = walked.targets;
  const outcomes: FileOutcome[] = new Array(targets.length);
  const progress: ScanProgress = {
    filesDone: 0,
    filesTotal: targets.length,
    bytesDone: 0,
    bytesTotal: targets.reduce((s, t) => s + t.size, 0),
  };
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const t = targets[i];
      outcomes[i] = await (t.remote ? t.remote.cached(() => scanFile(t, limits, options)) : scanFile(t, limits, options));
      progress.filesDone++;
      progress.bytesDone += targets[i].size;
      options.onProgress?.({ ...progress });
    }
  };
  const pool = Math.max(1, Math.min(options.concurrency ?? 4, 64, targets.length));
  await Promise.all(Array.from({ length: pool }, worker));
  for (let i = 0; i < targets.length; i++) {
    const o = outcomes[i];
    if (o.format && !result.formats.includes(o.format)) result.formats.push(o.format);
    if (o.scanned) {
      result.scanned.push(targets[i].source);
      result.bytesScanned += targets[i].size;
    }
    result.issues.push(...o.issues);
    result.errors.push(...o.errors);
    result.skipped.push(...o.skipped);
  }
  if (hub) result.remote = hub.summary();
  return result;
}

async function scanFile(t: Target, limits: ScanLimits, options: ScanOptions): Promise<FileOutcome> {
  const out: FileOutcome = { scanned: false, issues: [], errors: [], skipped: [] };
  const maxSize = options.maxFileSize ?? 0;
  if (maxSize > 0 && t.size > maxSize) {
    out.skipped.push({
      category: 'SIZE_LIMIT',
      description: `larger than --max-file-size (${t.size} > ${maxSize} bytes); not scanned`,
      source: t.source,
    });
    return out;
  }
  const findings: Finding[] = [];
  const timeoutMs = options.timeoutMs ?? 0;
  let src: ByteSource | undefined;
  try {
    src = t.remote ? await t.remote.open() : await FileSource.open(t.abs, t.source);
    if (src.size === 0) {
      out.skipped.push({ category: 'SCAN_NOT_SUPPORTED', description: 'empty file', source: t.source });
      return out;
    }
    const ctx = makeContext(
      {
        limits,
        policy: options.policy ?? DEFAULT_POLICY,
        deadline: timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY,
        timeoutMs,
      },
      {
        finding: (f) => findings.push(f),
        skipped: (member, reason) =>
          out.skipped.push({ category: 'SCAN_NOT_SUPPORTED', description: reason, source: `${t.source}:${member}` }),
      },
    );
    const listed = options.policy?.blacklist?.match(t.source);
    if (listed) ctx.report(blacklistFinding(listed, 'file name', t.source, 0));
    const routed = await routeByContent(src, ctx);
    options.debug?.(`${t.source}: ${routed.format ? `${routed.format.name} (${routed.outcome})` : 'no format matched'}`);
    if (routed.format && routed.outcome === 'scanned') {
      out.scanned = true;
      out.format = routed.format.name;
      if (options.weights)
        for (const n of await scanWeights(src, ctx)) out.skipped.push({ category: 'WEIGHTS', description: n.message, source: t.source });
    } else if (routed.format && PICKLE_FAMILY_EXT.test(t.source)) {
      // A model name over content we recognise but cannot read (an image, an unsupported container): never clean.
      out.errors.push({
        category: 'MODEL_SCAN',
        description: `named like a pickle-based model, but its content is ${unsupportedName(routed.head)} data, which the scanner cannot read`,
        source: t.source,
      });
    } else if (routed.format) {
      out.skipped.push({
        category: 'SCAN_NOT_SUPPORTED',
        description: `${unsupportedName(routed.head)}: not a model format`,
        source: t.source,
      });
    } else if (PICKLE_FAMILY_EXT.test(t.source)) {
      // Named like a pickle-based model but matching no format: a loader would choke on it, we can't vouch for it.
      out.errors.push({
        category: 'MODEL_SCAN',
        description: 'named like a pickle-based model, but its content is neither a pickle nor a known format',
        source: t.source,
      });
    } else out.skipped.push({ category: 'SCAN_NOT_SUPPORTED', description: 'no model format recognised in its content', source: t.source });
  } catch (err) {
    const timedOut = err instanceof ScanTimeout;
    out.errors.push({
      category: timedOut ? 'TIMEOUT' : 'MODEL_SCAN',
      description: timedOut ? err.message : `scan failed: ${(err as Error).message}`,
      source: t.source,
    });
  } finally {
    await src?.close().catch(() => undefined);
    for (const f of findings) out.issues.push(toIssue(f, t.source));
  }
  return out;
}
