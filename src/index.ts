export { FORMATS } from './formats/registry.js';
export type { FormatScanner, ScanContext } from './formats/types.js';
export { BufferSource, type ByteSource, FileSource, SliceSource } from './io/byte-source.js';
export { DEFAULT_POLICY, type Policy } from './pickle/policy.js';
export { type Finding, SEVERITIES, type Severity } from './scan/findings.js';
export { type Issue, type ScanError, type ScanOptions, type ScanProgress, type ScanResult, type Skipped, scan } from './scan/scan.js';
export { defaultSettings, loadSettingsFile, resolveSettings, type Settings } from './settings/load.js';
export { VERSION } from './version.js';
