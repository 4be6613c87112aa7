import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferSource } from '../../src/io/byte-source.js';
import { DEFAULT_POLICY } from '../../src/pickle/policy.js';
import { runPickleStreams, type StreamsOutcome } from '../../src/pickle/streams.js';
import { makeContext } from '../../src/scan/context.js';
import type { Finding, Severity } from '../../src/scan/findings.js';
import { DEFAULT_SCAN_LIMITS } from '../../src/scan/limits.js';
import { routeByContent } from '../../src/scan/route.js';
import { type Issue, type ScanOptions, type ScanResult, scan } from '../../src/scan/scan.js';

/** Writes `bytes` to a fresh temp dir as `name`, runs scan() on it, and removes the dir. */
export async function scanBytes(bytes: Buffer, name = 'payload.pkl', options: ScanOptions = {}): Promise<ScanResult> {
  const dir = await mkdtemp(join(tmpdir(), 'modelscan-test-'));
  try {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return await scan([path], options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes several files into one temp dir and scans the folder. */
export async function scanFiles(files: Record<string, Buffer | string>): Promise<ScanResult> {
  const dir = await mkdtemp(join(tmpdir(), 'modelscan-test-'));
  try {
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
    return await scan([dir]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** runPickleStreams over an in-memory buffer with the default limits. */
export async function runStreams(bytes: Buffer): Promise<{ findings: Finding[]; outcome: StreamsOutcome }> {
  const findings: Finding[] = [];
  const outcome = await runPickleStreams(new BufferSource('mem', bytes), (f) => findings.push(f), {
    limits: DEFAULT_SCAN_LIMITS.pickle,
    maxStreams: DEFAULT_SCAN_LIMITS.maxStreams,
  });
  return { findings, outcome };
}

export interface Pin {
  rule: string;
  severity: Severity;
  module: string;
  operator: string;
  position: number;
}

/** The comparable core of an issue. */
export function pin(i: Issue): Pin {
  return { rule: i.rule, severity: i.severity, module: i.module, operator: i.operator, position: i.position };
}

/** The comparable core of a finding (offset named position, as issues do). */
export function pinFinding(f: Finding): Pin {
  return { rule: f.rule, severity: f.severity, module: f.module, operator: f.operator, position: f.offset };
}

const RANK: Record<Severity, number> = { LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 3 };

export function atLeast(s: Severity, min: Severity): boolean {
  return RANK[s] >= RANK[min];
}

/** Routes bytes through content detection in memory; the format that claimed them and what was reported. */
export async function routeBytes(name: string, bytes: Buffer | string): Promise<{ format?: string; findings: Finding[] }> {
  const findings: Finding[] = [];
  const ctx = makeContext(
    { limits: DEFAULT_SCAN_LIMITS, policy: DEFAULT_POLICY, deadline: Number.POSITIVE_INFINITY, timeoutMs: 0 },
    { finding: (f) => findings.push(f), skipped: () => undefined },
  );
  const routed = await routeByContent(new BufferSource(name, Buffer.from(bytes)), ctx);
  return { format: routed.format && routed.outcome === 'scanned' ? routed.format.name : undefined, findings };
}
