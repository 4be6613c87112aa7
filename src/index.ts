export { scan, type ScanResult, type ScanOptions, type Issue, type ScanError, type Skipped } from './scan/scan.js';
export { SEVERITIES, type Severity, type Finding } from './scan/findings.js';
export { FileSource, BufferSource, SliceSource, type ByteSource } from './io/byte-source.js';
export { FORMATS } from './formats/registry.js';
export type { FormatScanner, ScanContext } from './formats/types.js';
export { VERSION } from './version.js';
