import { DEFAULT_LIMITS, type Limits } from '../pickle/vm.js';

export interface ScanLimits {
  pickle: Limits;
  /** Embedded payloads (pickle.loads(b'…'), torch storages) scanned inside each other. */
  maxDepth: number;
  /** Pickles stacked back to back in one source. */
  maxStreams: number;
  /** Decompressed bytes per scanned file, all members and wrappers together. */
  maxDecompressedBytes: number;
  /** Entries in one archive. */
  maxEntries: number;
  /** Output/input ratio of one compressed stream past which it is a bomb (checked beyond 256 MiB of output). */
  maxCompressionRatio: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  pickle: DEFAULT_LIMITS,
  maxDepth: 8,
  maxStreams: 10_000,
  maxDecompressedBytes: 64 * 2 ** 30,
  maxEntries: 100_000,
  maxCompressionRatio: 1000,
};

/** A stream must produce this much before its ratio counts: small highly compressible files are ordinary. */
export const RATIO_FLOOR = 256 << 20;
