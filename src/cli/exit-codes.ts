import { type Severity, severityRank } from '../scan/findings.js';
import type { ScanResult } from '../scan/result.js';

export const EXIT = { CLEAN: 0, ISSUES: 1, ERRORS: 2, NOTHING_SCANNED: 3, USAGE: 4 } as const;

/** Findings outrank errors (an error must never hide a finding), then errors, then "nothing scanned". */
export function exitCodeFor(r: ScanResult, failOn?: Severity): number {
  const threshold = failOn ? severityRank(failOn) : 0;
  if (r.issues.some((i) => severityRank(i.severity) >= threshold)) return EXIT.ISSUES;
  if (r.errors.length) return EXIT.ERRORS;
  if (!r.scanned.length) return EXIT.NOTHING_SCANNED;
  return EXIT.CLEAN;
}
