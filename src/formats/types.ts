import type { ByteSource } from '../io/byte-source.js';
import type { Policy } from '../pickle/policy.js';
import type { Finding } from '../scan/findings.js';
import type { ScanLimits } from '../scan/limits.js';

/** What a format scanner may ask of the scan it runs in. */
export interface ScanContext {
  /** Nesting depth: 0 for a file on disk, +1 per embedded payload or archive member. */
  readonly depth: number;
  readonly limits: ScanLimits;
  readonly policy: Policy;
  /** Call now and then on long work: throws once the file's time is up. */
  checkpoint(): void;
  report(f: Finding): void;
  /**
   * Routes embedded bytes back through content detection one level deeper.
   * Their findings are reported (offsets made relative to the outer source
   * when `baseOffset` is known) and returned so the caller can weigh them.
   */
  scanEmbedded(src: ByteSource, label: string, baseOffset: number): Promise<Finding[]>;
  /**
   * Routes an archive member through content detection one level deeper;
   * its findings and skips are reported under `outer:member`. Returns the
   * format that scanned it, if any.
   */
  scanMember(src: ByteSource, member: string): Promise<string | undefined>;
  /** Records something inside the file that was not scanned, and why. */
  skip(member: string, reason: string): void;
  /** Shared by every decompression of this file. */
  readonly decompressBudget: { remaining: number };
  /** Bytes that archives nested inside this file declare, all levels together (42.zip-style bombs). */
  readonly nested: { declared: number };
}

/** 'unsupported': recognised, but not scannable yet; routing stops and the file is skipped. */
export type FormatOutcome = 'scanned' | 'not-this-format' | 'unsupported';

/**
 * One file format: a cheap look at the first bytes, then a scan of the whole
 * source. A scanner that finds on closer reading that the bytes are not its
 * format says so and routing moves on.
 */
export interface FormatScanner {
  readonly name: string;
  detect(head: Buffer, size: number): boolean;
  scan(source: ByteSource, ctx: ScanContext): Promise<FormatOutcome>;
}
