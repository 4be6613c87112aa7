import { SEVERITIES } from '../scan/findings.js';
import type { ScanResult } from '../scan/result.js';

export interface ReportOptions {
  showSkipped: boolean;
}

/**
 * modelscan's JSON report, key for key and in its order; our extra keys sit
 * beside its own (issue `position`, `rule`, `call`, `details`; summary
 * `bytes_scanned`, and `remote` for hf:// inputs). With several inputs,
 * `input_path` is their list and `absolute_path` the deepest folder holding
 * them all, which every local `source` is relative to.
 */
export function toJsonReport(r: ScanResult, opts: ReportOptions): Record<string, unknown> {
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
  summary.bytes_scanned = r.bytesScanned;
  if (r.remote) {
    summary.remote = {
      repositories: r.remote.repositories,
      total_files: r.remote.files,
      total_size: r.remote.totalSize,
      bytes_transferred: r.remote.bytesTransferred,
      metadata_bytes: r.remote.metadataBytes,
      files_from_cache: r.remote.filesFromCache,
    };
  }
  return { summary, issues: r.issues, errors: r.errors };
}

export function jsonReport(r: ScanResult, opts: ReportOptions): string {
  return `${JSON.stringify(toJsonReport(r, opts), null, 2)}\n`;
}
