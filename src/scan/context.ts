import type { ScanContext } from '../formats/types.js';
import type { ByteSource } from '../io/byte-source.js';
import type { Policy } from '../pickle/policy.js';
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

export function makeContext(depth: number, opts: ContextOptions, report: (f: Finding) => void): ScanContext {
  return {
    depth,
    limits: opts.limits,
    policy: opts.policy,
    report,
    checkpoint() {
      if (Date.now() > opts.deadline) throw new ScanTimeout(`timed out after ${opts.timeoutMs / 1000} s; findings so far are listed`);
    },
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
      if (depth + 1 > opts.limits.maxDepth) {
        relay({
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
      const routed = await routeByContent(src, makeContext(depth + 1, opts, relay));
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
