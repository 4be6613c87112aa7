import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { ByteSource } from './byte-source.js';

export type Codec = 'deflate-raw' | 'zlib' | 'gzip';

/** Shared by every decompressing source of one scanned file: total output is capped. */
export interface DecompressBudget {
  remaining: number;
}

export class DecompressCapError extends Error {}

const IN_CHUNK = 64 << 10;
/** Kept decompressed from the start so the format sniff and the parse that follows don't restart the codec. */
const HEAD_CACHE = 64 << 10;

function codecStream(codec: Codec): zlib.Inflate | zlib.InflateRaw | zlib.Gunzip {
  return codec === 'deflate-raw' ? zlib.createInflateRaw() : codec === 'zlib' ? zlib.createInflate() : zlib.createGunzip();
}

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

  /** Decompresses once to learn the output size (formats like gzip and zlib don't declare it reliably). */
  static async measure(
    parent: ByteSource,
    start: number,
    compressedSize: number,
    codec: Codec,
    budget: DecompressBudget,
    cap: number,
  ): Promise<number> {
    const probe = new DecompressSource('measure', parent, start, compressedSize, cap, codec, {
      remaining: Math.min(cap, budget.remaining),
    });
    while (!probe.ended) await probe.pump(true);
    return probe.produced;
  }

  private restart(): void {
    const parent = this.parent;
    const start = this.start;
    const end = start + this.compressedSize;
    async function* input(): AsyncGenerator<Buffer> {
      for (let pos = start; pos < end; pos += IN_CHUNK) yield Buffer.from(await parent.read(pos, Math.min(IN_CHUNK, end - pos)));
    }
    const stream = Readable.from(input()).pipe(codecStream(this.codec));
    this.iter = stream[Symbol.asyncIterator]();
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
      throw new Error(`${this.codec} data is corrupt: ${(err as Error).message}`);
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
      await this.drainForCrc();
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
      const r = await this.iter!.next();
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
    let filled = 0;
    let pos = this.chunksStart;
    for (const c of this.chunks) {
      if (filled >= want) break;
      const from = Math.max(0, offset + filled - pos);
      if (from < c.length) {
        const n = Math.min(c.length - from, want - filled);
        c.copy(out, filled, from, from + n);
        filled += n;
      }
      pos += c.length;
    }
    return out.subarray(0, filled);
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
