import type { ScanContext } from '../formats/types.js';
import type { ByteSource } from '../io/byte-source.js';
import type { Policy } from '../pickle/policy.js';
import { blacklistFinding } from './blacklist.js';
import type { Finding } from './findings.js';
import type { ScanLimits } from './limits.js';
import { routeByContent } from './route.js';

/** Thrown by a checkpoint once a file's time is up; the file becomes an error, its findings stay. */
export class ScanTimeout extends Error {}

export interface ContextOptions {
  limits: ScanLimits;
  policy: Policy;
  /** Epoch milliseconds after which the file's scan is abandoned (Infinity: never). */
  deadline: number;
  timeoutMs: number;
}

/** Where a file's findings and skipped members go. */
export interface ContextSink {
  finding(f: Finding): void;
  skipped(member: string, reason: string): void;
}

/** The context for one file (depth 0) or for content nested in it. */
export function makeContext(opts: ContextOptions, sink: ContextSink): ScanContext {
  return childContext(0, '', opts, sink, { remaining: opts.limits.maxDecompressedBytes }, { declared: 0 });
}

function childContext(
  depth: number,
  member: string,
  opts: ContextOptions,
  sink: ContextSink,
  budget: { remaining: number },
  nested: { declared: number },
): ScanContext {
  const here = (f: Finding): Finding => (member ? { ...f, member: f.member ? `${member}:${f.member}` : member } : f);
  const ctx: ScanContext = {
    depth,
    limits: opts.limits,
    policy: opts.policy,
    decompressBudget: budget,
    nested,
    report: (f) => sink.finding(here(f)),
    skip: (m, reason) => sink.skipped(member ? `${member}:${m}` : m, reason),
    checkpoint() {
      if (Date.now() > opts.deadline) throw new ScanTimeout(`timed out after ${opts.timeoutMs / 1000} s; findings so far are listed`);
    },
    async scanMember(src: ByteSource, name: string): Promise<string | undefined> {
      const listed = opts.policy.blacklist?.match(name);
      if (listed) ctx.report({ ...blacklistFinding(listed, 'archive member', name, 0), member: name });
      if (depth + 1 > opts.limits.maxDepth) {
        ctx.report({
          severity: 'MEDIUM',
          rule: 'archive/too-deep',
          description: `archives nested more than ${opts.limits.maxDepth} deep; '${name}' was not scanned`,
          module: '',
          operator: '',
          offset: 0,
          scanner: 'modelscan',
        });
        return undefined;
      }
      const routed = await routeByContent(src, childContext(depth + 1, member ? `${member}:${name}` : name, opts, sink, budget, nested));
      if (routed.format && routed.outcome === 'scanned') return routed.format.name;
      ctx.skip(name, routed.format ? `${routed.format.name}: not a model format` : 'no model format recognised in its content');
      return undefined;
    },
    async scanEmbedded(src: ByteSource, label: string, baseOffset: number): Promise<Finding[]> {
      const inner: Finding[] = [];
      const relay: ContextSink = {
        finding(f) {
          const g: Finding = {
            ...f,
            offset: baseOffset >= 0 ? baseOffset + f.offset : f.offset,
            description: `[${label}] ${f.description}`,
            details: { ...f.details, embedded: label, ...(baseOffset < 0 ? { offsetWithinPayload: f.offset } : {}) },
          };
          inner.push(g);
          ctx.report(g);
        },
        skipped: (m, reason) => ctx.skip(m, reason),
      };
      if (depth + 1 > opts.limits.maxDepth) {
        relay.finding({
          severity: 'MEDIUM',
          rule: 'scan/too-deep',
          description: `payloads nested more than ${opts.limits.maxDepth} deep; not scanned`,
          module: '',
          operator: '',
          offset: 0,
          scanner: 'modelscan',
        });
        return inner;
      }
      const routed = await routeByContent(src, childContext(depth + 1, '', opts, relay, budget, nested));
      if (routed.format?.name !== 'pickle' && routed.format?.name !== 'pytorch-zip' && routed.format?.name !== 'zip') {
        relay.finding({
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
  return ctx;
}
