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
  /** The formats that scanned the top-level files, in order of first use. */
  formats: string[];
  skipped: Skipped[];
  issues: Issue[];
  errors: ScanError[];
  /** Bytes of the scanned files (their sizes, not what was read). */
  bytesScanned: number;
  /** Set when hf:// inputs were given (src/hub): what was fetched against what the files hold. */
  remote?: RemoteSummary;
}

/** Files read from the Hugging Face Hub. */
export interface RemoteSummary {
  /** Each hf:// input and the commit its revision resolved to. */
  repositories: { input: string; repo: string; revision: string; commit: string }[];
  files: number;
  /** Sizes of the remote files, added up. */
  totalSize: number;
  /** File content received (range reads); 0 when every result came from the cache. */
  bytesTransferred: number;
  /** API listings received (revision, file lists). */
  metadataBytes: number;
  filesFromCache: number;
}

/** Sources of files on the Hub are URLs (`hf://org/repo@sha/path`), absolute in every report. */
export function isRemoteSource(source: string): boolean {
  return source.startsWith('hf://');
}

/** A source's file and archive member (`outer.zip:inner/a.pkl`); the colon of `hf://` is not a separator. */
export function splitSource(source: string): { file: string; member?: string } {
  const colon = source.indexOf(':', isRemoteSource(source) ? 5 : 0);
  return colon > 0 ? { file: source.slice(0, colon), member: source.slice(colon + 1) } : { file: source };
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
