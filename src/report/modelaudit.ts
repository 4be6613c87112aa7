import type { Severity } from '../scan/findings.js';
import type { Issue, ScanResult } from '../scan/result.js';

/**
 * Reports in the shape of promptfoo's ModelAudit (`modelaudit scan
 * --format json|text`), so its users can switch without touching their
 * tooling.
 *
 * Severity mapping (ModelAudit has four levels):
 *   CRITICAL, HIGH → critical   (runs code; reaches files or the network)
 *   MEDIUM         → warning
 *   LOW            → info
 *   skipped files  → debug      (only with --verbose)
 */
export type ModelAuditSeverity = 'critical' | 'warning' | 'info' | 'debug';

export const MODELAUDIT_SEVERITY: Readonly<Record<Severity, ModelAuditSeverity>> = {
  CRITICAL: 'critical',
  HIGH: 'critical',
  MEDIUM: 'warning',
  LOW: 'info',
};

export interface ModelAuditIssue {
  message: string;
  severity: ModelAuditSeverity;
  location: string;
  details: Record<string, unknown>;
  timestamp: number;
}

export interface ModelAuditReport {
  scanner_names: string[];
  start_time: number;
  bytes_scanned: number;
  issues: ModelAuditIssue[];
  has_errors: boolean;
  files_scanned: number;
  duration: number;
  /** Ours: scan errors (they set has_errors; they are not issues, so they never hide or fake a finding). */
  errors: { message: string; location: string; category: string }[];
}

export interface ModelAuditTiming {
  /** Epoch seconds. */
  startTime: number;
  /** Seconds. */
  duration: number;
  verbose: boolean;
}

function location(i: Issue): string {
  return `${i.source} (pos ${i.position})`;
}

export function modelAuditReport(r: ScanResult, t: ModelAuditTiming): ModelAuditReport {
  const finished = t.startTime + t.duration;
  const issues: ModelAuditIssue[] = r.issues.map((i) => ({
    message: i.description,
    severity: MODELAUDIT_SEVERITY[i.severity],
    location: location(i),
    details: {
      rule: i.rule,
      modelscan_severity: i.severity,
      ...(i.module ? { module: i.module } : {}),
      ...(i.operator ? { operator: i.operator } : {}),
      ...(i.call ? { call: i.call } : {}),
      scanner: i.scanner,
      ...i.details,
    },
    timestamp: finished,
  }));
  if (t.verbose)
    for (const s of r.skipped)
      issues.push({
        message: `skipped: ${s.description}`,
        severity: 'debug',
        location: s.source,
        details: { category: s.category },
        timestamp: finished,
      });
  return {
    scanner_names: r.formats,
    start_time: t.startTime,
    bytes_scanned: r.bytesScanned,
    issues,
    has_errors: r.errors.length > 0,
    files_scanned: r.scanned.length,
    duration: t.duration,
    errors: r.errors.map((e) => ({ message: e.description, location: e.source, category: e.category })),
  };
}

export function modelAuditJson(r: ScanResult, t: ModelAuditTiming): string {
  return `${JSON.stringify(modelAuditReport(r, t), null, 2)}\n`;
}

const ORDER: readonly ModelAuditSeverity[] = ['critical', 'warning', 'info', 'debug'];

export function modelAuditText(r: ScanResult, t: ModelAuditTiming): string {
  const rep = modelAuditReport(r, t);
  const lines: string[] = [];
  lines.push(`Files scanned: ${rep.files_scanned} (${rep.bytes_scanned} bytes) in ${rep.duration.toFixed(2)} s`);
  if (rep.scanner_names.length) lines.push(`Scanners: ${rep.scanner_names.join(', ')}`);
  const counts = ORDER.map((s) => [s, rep.issues.filter((i) => i.severity === s).length] as const).filter(([, n]) => n > 0);
  lines.push(rep.issues.length ? `Issues: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}` : 'No issues found.');
  for (const sev of ORDER) {
    for (const i of rep.issues.filter((x) => x.severity === sev)) {
      lines.push(`[${sev.toUpperCase()}] ${i.location}: ${i.message}`);
      if (typeof i.details.call === 'string') lines.push(`    call: ${i.details.call}`);
    }
  }
  for (const e of rep.errors) lines.push(`[ERROR] ${e.location}: ${e.message}`);
  return `${lines.join('\n')}\n`;
}
