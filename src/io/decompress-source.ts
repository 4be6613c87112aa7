import zlib from 'node:zlib';
import type { ByteSource } from './byte-source.js';
import { type Codec, DECODERS } from './codecs/index.js';

export type { Codec };

/** Shared by every decompressing source of one scanned file: total output is capped. */
export interface DecompressBudget {
  remaining: number;
}

export class DecompressCapError extends Error {}

export interface MeasureCaps {
  maxBytes: number;
  /** Output/input ratio beyond which the stream is treated as a bomb… */
  maxRatio: number;
  /** …once it has produced more than this many bytes. */
  ratioFloor: number;
  checkpoint?: () => void;
}

/** How much a stream decodes to; `stopped` when a cap ended the count, `error` when the data is damaged there. */
export interface Measurement {
  size: number;
  stopped?: 'size' | 'ratio';
  error?: string;
}

async function* compressedChunks(parent: ByteSource, start: number, length: number): AsyncGenerator<Buffer> {
  const end = start + length;
  for (let pos = start; pos < end; pos += IN_CHUNK) yield Buffer.from(await parent.read(pos, Math.min(IN_CHUNK, end - pos)));
}

function describeCodecError(codec: Codec, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.toLowerCase().startsWith(codec) ? msg : `${codec} data is corrupt: ${msg}`;
}

const IN_CHUNK = 64 << 10;
/** Kept decompressed from the start so the format sniff and the parse that follows don't restart the codec. */
const HEAD_CACHE = 64 << 10;

/**
 * Forward-streaming decompression of [start, start+compressedSize) of a parent
 * source, readable like any other source: reads ahead decompress on demand,
 * reads behind restart the codec (parsers walk forward, so that is rare), and
 * nothing is ever written to disk. Output beyond `size` is not served; output
 * short of it reads as the end of the data.
 */
export class DecompressSource implements ByteSource {
  private iter: AsyncIterator<Buffer> | undefined;
  private chunks: Buffer[] = [];
  /** Uncompressed offset of chunks[0][0]. */
  private chunksStart = 0;
  private produced = 0;
  private ended = false;
  private head: Buffer | undefined;
  private crc = 0;
  readonly sequential = true;
  /** The codec produced more than `size` bytes. */
  overflowed = false;
  /** CRC-32 of all output, once the codec has run to its end (for zip members). */
  finalCrc: number | undefined;

  constructor(
    readonly name: string,
    private readonly parent: ByteSource,
    private readonly start: number,
    private readonly compressedSize: number,
    readonly size: number,
    private readonly codec: Codec,
    private readonly budget: DecompressBudget,
  ) {}

  /**
   * Decompresses once, keeping nothing, to learn the output size (gzip, zlib
   * and most wrappers don't declare it reliably). Stops at the caps; a corrupt
   * stream reports how far it decoded, since loaders act on that much before
   * they fail.
   */
  static async measure(parent: ByteSource, start: number, compressedSize: number, codec: Codec, caps: MeasureCaps): Promise<Measurement> {
    const it = DECODERS[codec](compressedChunks(parent, start, compressedSize))[Symbol.asyncIterator]();
    let produced = 0;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return { size: produced };
        produced += r.value.length;
        if (produced > caps.maxBytes) return { size: caps.maxBytes, stopped: 'size' };
        if (produced > caps.ratioFloor && produced / Math.max(1, compressedSize) > caps.maxRatio)
          return { size: produced, stopped: 'ratio' };
        caps.checkpoint?.();
      }
    } catch (err) {
      if (err instanceof Error && err.constructor.name === 'ScanTimeout') throw err;
      return { size: produced, error: describeCodecError(codec, err) };
    } finally {
      await it.return?.();
    }
  }

  private restart(): void {
    void this.iter?.return?.();
    this.iter = DECODERS[this.codec](compressedChunks(this.parent, this.start, this.compressedSize))[Symbol.asyncIterator]();
    this.chunks = [];
    this.chunksStart = 0;
    this.produced = 0;
    this.ended = false;
    this.crc = 0;
  }

  /** Decompresses the next chunk; `discard` keeps nothing (measuring). */
  private async pump(discard = false): Promise<void> {
    if (!this.iter) this.restart();
    let r: IteratorResult<Buffer>;
    try {
      r = await this.iter!.next();
    } catch (err) {
      throw new Error(describeCodecError(this.codec, err));
    }
    if (r.done) {
      this.ended = true;
      this.finalCrc = this.crc >>> 0;
      return;
    }
    let chunk = r.value;
    this.budget.remaining -= chunk.length;
    if (this.budget.remaining < 0) throw new DecompressCapError('decompressed output passed the per-file cap');
    this.crc = zlib.crc32(chunk, this.crc);
    if (this.produced + chunk.length > this.size) {
      this.overflowed = true;
      chunk = chunk.subarray(0, this.size - this.produced);
    }
    if (!this.head && this.produced < HEAD_CACHE && !discard) this.headAppend(chunk);
    this.produced += chunk.length;
    if (!discard) this.chunks.push(chunk);
    else this.chunksStart = this.produced;
    if (this.produced >= this.size) {
      this.ended = true;
      if (!discard) await this.drainForCrc();
    }
  }

  private headParts: Buffer[] = [];
  private headAppend(chunk: Buffer): void {
    this.headParts.push(chunk);
    if (this.produced + chunk.length >= HEAD_CACHE) {
      this.head = Buffer.concat(this.headParts).subarray(0, HEAD_CACHE);
      this.headParts = [];
    }
  }

  /** After the declared size, let the codec finish so its CRC covers everything it would produce. */
  private async drainForCrc(): Promise<void> {
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.iter!.next();
      } catch {
        // Damage after the declared end: what was served is all a loader gets too.
        this.finalCrc = undefined;
        return;
      }
      if (r.done) break;
      this.overflowed = true;
      this.budget.remaining -= r.value.length;
      if (this.budget.remaining < 0) throw new DecompressCapError('decompressed output passed the per-file cap');
      this.crc = zlib.crc32(r.value, this.crc);
    }
    this.finalCrc = this.crc >>> 0;
  }

  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const want = Math.max(0, Math.min(length, this.size - offset));
    const out = into && into.length >= want ? into.subarray(0, want) : Buffer.allocUnsafe(want);
    if (want === 0) return out.subarray(0, 0);
    if (this.head && offset + want <= this.head.length) {
      this.head.copy(out, 0, offset, offset + want);
      return out;
    }
    if (offset < this.chunksStart) this.restart();
    while (this.chunksStart + this.buffered() < offset + want && !this.ended) await this.pump();
    // Drop what lies wholly before the read; parsers don't come back for it.
    while (this.chunks.length && this.chunksStart + this.chunks[0].length <= offset) {
      this.chunksStart += this.chunks[0].length;
      this.chunks.shift();
    }
    return out.subarray(0, copyFromChunks(this.chunks, 0, this.chunksStart, offset, out));
  }

  private buffered(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  async close(): Promise<void> {
    this.chunks = [];
    await this.iter?.return?.();
  }
}

/**
 * Copies into `out` the bytes from stream offset `offset` on, out of decoded chunks held in order from
 * chunks[first] (which starts at stream offset `start`); returns how many bytes were there.
 */
export function copyFromChunks(chunks: readonly Buffer[], first: number, start: number, offset: number, out: Buffer): number {
  let filled = 0;
  let pos = start;
  for (let i = first; i < chunks.length && filled < out.length; i++) {
    const c = chunks[i];
    const from = Math.max(0, offset + filled - pos);
    if (from < c.length) {
      const n = Math.min(c.length - from, out.length - filled);
      c.copy(out, filled, from, from + n);
      filled += n;
    }
    pos += c.length;
  }
  return filled;
}
