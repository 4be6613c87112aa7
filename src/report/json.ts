import { SEVERITIES } from '../scan/findings.js';
import type { ScanResult } from '../scan/scan.js';

export interface JsonReportOptions {
  showSkipped: boolean;
}

/** modelscan's JSON report, key for key and in its order; our extra keys sit beside its own. */
export function toJsonReport(r: ScanResult, opts: JsonReportOptions): Record<string, unknown> {
  const bySeverity: Record<string, number> = {};
  for (const s of SEVERITIES) bySeverity[s] = 0;
  for (const i of r.issues) bySeverity[i.severity]++;
  const summary: Record<string, unknown> = {
    total_issues_by_severity: bySeverity,
    total_issues: r.issues.length,
    input_path: r.inputPaths.length === 1 ? r.inputPaths[0] : r.inputPaths,
    absolute_path: r.absolutePath,
    modelscan_version: r.version,
    timestamp: r.timestamp,
  };
  if (r.scanned.length) summary.scanned = { total_scanned: r.scanned.length, scanned_files: r.scanned };
  if (opts.showSkipped) summary.skipped = { total_skipped: r.skipped.length, skipped_files: r.skipped };
  return { summary, issues: r.issues, errors: r.errors };
}
