import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ByteSource } from '../../io/byte-source.js';
import type { Finding, Severity } from '../../scan/findings.js';
import type { FormatOutcome, ScanContext } from '../types.js';
import { quote } from './header.js';
import { JsonReader, JsonSyntaxError } from './json.js';

export const SCANNER = 'modelscan.scanners.SafetensorsScan';
/** Index files of the largest public checkpoints are a few MB. */
const MAX_INDEX = 64 << 20;
/** Shard names reported one by one; the rest are counted. */
const MAX_REPORTED = 20;
/** Sibling files looked up on disk for one index. */
const MAX_STATS = 4096;
const WEIGHT_MAP = Buffer.from('"weight_map"');

/**
 * Sharded checkpoints (`model.safetensors.index.json`,
 * `pytorch_model.bin.index.json`): a JSON object whose `weight_map` maps each
 * tensor to the file holding it. Loaders join those names to the index's
 * folder and open them, so a name that climbs out, is absolute or is a URL
 * points the loader at a file the model folder does not contain.
 */
export function looksLikeIndexJson(head: Buffer): boolean {
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (head[i] !== 0x7b) return false;
  // The writers put `weight_map` after a short `metadata` object, so one of the two is in the first bytes.
  return head.includes(WEIGHT_MAP) || head.includes('"metadata"');
}

interface ShardRef {
  name: string;
  offset: number;
}

export async function scanIndexJson(source: ByteSource, ctx: ScanContext, head: Buffer): Promise<FormatOutcome> {
  const claimed = head.includes(WEIGHT_MAP);
  const report = (severity: Severity, rule: string, description: string, offset: number, details?: Record<string, unknown>) =>
    ctx.report(finding(severity, rule, description, offset, details));
  if (source.size > MAX_INDEX) {
    if (!claimed) return 'not-this-format';
    report(
      'LOW',
      'safetensors/index-malformed',
      `index of ${source.size} bytes is over the ${MAX_INDEX}-byte cap; its shard names were not checked`,
      0,
    );
    return 'scanned';
  }
  const buf = await source.read(0, source.size);
  const r = new JsonReader(buf);
  const shards = new Map<string, ShardRef>();
  let hasMap = false;
  let entries = 0;
  const odd: { message: string; offset: number }[] = [];
  try {
    r.object(1, (key, keyPos) => {
      if (key !== 'weight_map') return;
      if (hasMap) odd.push({ message: 'weight_map appears twice; parsers disagree on which copy counts', offset: keyPos });
      hasMap = true;
      const kind = r.kind();
      if (kind !== 'object') {
        odd.push({ message: `weight_map is a JSON ${kind}, not a map of tensor names to files`, offset: keyPos });
        return;
      }
      r.object(2, (tensor, tensorPos, duplicate) => {
        if (entries++ % 1024 === 0) ctx.checkpoint();
        if (duplicate && odd.length < MAX_REPORTED) {
          odd.push({ message: `tensor ${quote(tensor)} appears more than once in weight_map; loaders take the last`, offset: tensorPos });
        }
        const k = r.kind();
        if (k !== 'string') {
          if (odd.length < MAX_REPORTED)
            odd.push({ message: `weight_map entry ${quote(tensor)} is a JSON ${k}, not a file name`, offset: tensorPos });
          return;
        }
        const at = r.pos;
        const name = r.string();
        if (!shards.has(name)) shards.set(name, { name, offset: at });
      });
    });
    r.end();
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    if (!claimed) return 'not-this-format';
    report(
      'LOW',
      'safetensors/index-malformed',
      `sharded-checkpoint index is not valid JSON (${err.message} at byte ${err.pos}); loaders fail on it`,
      err.pos,
    );
    return 'scanned';
  }
  if (!hasMap) return 'not-this-format';
  for (const o of odd) report('LOW', 'safetensors/index-malformed', o.message, o.offset);

  const local: ShardRef[] = [];
  let escaping = 0;
  for (const ref of shards.values()) {
    const problem = shardNameProblem(ref.name);
    if (problem === undefined) {
      local.push(ref);
      continue;
    }
    if (problem === 'empty') {
      report('LOW', 'safetensors/index-malformed', 'weight_map names an empty file name', ref.offset);
      continue;
    }
    if (++escaping <= MAX_REPORTED) {
      report(
        'HIGH',
        'safetensors/index-path',
        `weight_map shard ${quote(ref.name)} ${problem}: loaders join it to the model folder and open whatever it points at`,
        ref.offset,
        { shard: ref.name },
      );
    }
  }
  if (escaping > MAX_REPORTED) {
    report('HIGH', 'safetensors/index-path', `${escaping - MAX_REPORTED} more weight_map shard names point outside the model folder`, 0);
  }
  await reportMissingShards(source, ctx, local);
  return 'scanned';
}

/** Why a shard name leads outside the index's folder, or undefined when it stays inside. */
export function shardNameProblem(name: string): string | undefined {
  if (name === '') return 'empty';
  if (name.includes('\0')) return 'contains a NUL byte';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return 'is a URL';
  if (name.startsWith('/') || name.startsWith('\\')) return 'is an absolute path';
  if (/^[a-z]:/i.test(name)) return 'starts with a drive letter';
  if (name.split(/[\\/]/).includes('..')) return "climbs out of the model folder with '..'";
  return undefined;
}

/**
 * A shard the index names but the folder lacks fails the load; it is only
 * looked up when the source's name is the index's own path on disk (a top-level
 * file whose size matches), never for archive members.
 */
async function reportMissingShards(source: ByteSource, ctx: ScanContext, shards: readonly ShardRef[]): Promise<void> {
  if (ctx.depth !== 0 || shards.length === 0) return;
  const self = await stat(source.name).catch(() => undefined);
  if (!self?.isFile() || self.size !== source.size) return;
  const dir = dirname(source.name);
  let missing = 0;
  for (const ref of shards.slice(0, MAX_STATS)) {
    ctx.checkpoint();
    const st = await stat(join(dir, ref.name)).catch(() => undefined);
    if (st?.isFile()) continue;
    if (++missing <= MAX_REPORTED) {
      ctx.report(
        finding(
          'LOW',
          'safetensors/index-missing-shard',
          `weight_map shard ${quote(ref.name)} is not a file next to the index; loading fails`,
          ref.offset,
          {
            shard: ref.name,
          },
        ),
      );
    }
  }
  if (missing > MAX_REPORTED) {
    ctx.report(finding('LOW', 'safetensors/index-missing-shard', `${missing - MAX_REPORTED} more weight_map shards are missing`, 0));
  }
}

export function finding(severity: Severity, rule: string, description: string, offset: number, details?: Record<string, unknown>): Finding {
  return { severity, rule, description, module: '', operator: '', offset, scanner: SCANNER, ...(details ? { details } : {}) };
}
