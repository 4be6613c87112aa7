import type { Finding, Severity } from './findings.js';

/** One finding in one file, in modelscan's issue shape plus our keys. */
export interface Issue {
  description: string;
  operator: string;
  module: string;
  /** Relative to the scan root; an archive member is `outer:member`. */
  source: string;
  scanner: string;
  severity: Severity;
  /** Byte offset in the source (archive member) where the construct starts. */
  position: number;
  rule: string;
  call?: string;
  details?: Record<string, unknown>;
}

export interface ScanError {
  category: string;
  description: string;
  source: string;
}

export interface Skipped {
  category: string;
  description: string;
  source: string;
}

export interface ScanResult {
  inputPaths: string[];
  /** The folder sources are relative to: the deepest folder holding every input. */
  absolutePath: string;
  version: string;
  timestamp: string;
  scanned: string[];
  skipped: Skipped[];
  issues: Issue[];
  errors: ScanError[];
  /** Bytes of the scanned files (their sizes, not what was read). */
  bytesScanned: number;
}

export function toIssue(f: Finding, source: string): Issue {
  return {
    description: f.description,
    operator: f.operator,
    module: f.module,
    source: f.member ? `${source}:${f.member}` : source,
    scanner: f.scanner,
    severity: f.severity,
    position: f.offset,
    rule: f.rule,
    ...(f.call !== undefined ? { call: f.call } : {}),
    ...(f.details ? { details: f.details } : {}),
  };
}
