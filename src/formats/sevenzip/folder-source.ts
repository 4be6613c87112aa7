import type { ByteSource } from '../../io/byte-source.js';
import { copyFromChunks, DecompressCapError } from '../../io/decompress-source.js';

export interface FolderCaps {
  /** Shared by every decompression of the scanned file. */
  budget: { remaining: number };
  /** Output/packed ratio past which the folder is treated as a bomb… */
  maxRatio: number;
  /** …once it has produced more than this many bytes. */
  ratioFloor: number;
  checkpoint: () => void;
}

/**
 * Decoded bytes kept behind the furthest point decoded: enough for a file of
 * up to 16 MiB (the CRC-checked ones) plus a decoder chunk on either side, so
 * re-reading the file just scanned never decodes the folder again.
 */
const KEEP_BEHIND = 18 << 20;

const EMPTY = Buffer.alloc(0);

/**
 * A folder's decoded output as a random-access source. Reads ahead decode on
 * demand, dropping what falls out of the kept window as they go (skipping a
 * large file keeps memory flat); reads behind the window restart the decode,
 * which in a solid folder is the only way back. Damage, or a cap, ends the
 * data where it happened: reads there come back short, as at the end of a
 * file, and `error` / `capped` say why.
 */
export class FolderSource implements ByteSource {
  readonly sequential = true;
  private iter: AsyncIterator<Buffer> | undefined;
  private chunks: Buffer[] = [];
  /** Index of the first live chunk (dropped ones are cleared lazily). */
  private head = 0;
  /** Folder offset of chunks[head][0]. */
  private windowStart = 0;
  private produced = 0;
  private ended = false;
  /** Why decoding stopped before `size`: the codec's complaint. */
  error: string | undefined;
  /** Decoded bytes before the error. */
  errorAt = 0;
  capped: 'budget' | 'ratio' | undefined;
  /** Decoded bytes when a cap stopped the folder. */
  cappedAt = 0;

  constructor(
    readonly name: string,
    private readonly open: () => AsyncIterable<Buffer>,
    readonly size: number,
    private readonly packSize: number,
    private readonly caps: FolderCaps,
  ) {}

  private restart(): void {
    void this.iter?.return?.()?.catch(() => undefined);
    this.iter = this.open()[Symbol.asyncIterator]();
    this.chunks = [];
    this.head = 0;
    this.windowStart = 0;
    this.produced = 0;
    this.ended = false;
  }

  private stopWithCap(kind: 'budget' | 'ratio'): void {
    this.capped ??= kind;
    this.cappedAt = this.produced;
    this.ended = true;
  }

  private async pump(): Promise<void> {
    this.caps.checkpoint();
    if (this.caps.budget.remaining <= 0) return this.stopWithCap('budget');
    let r: IteratorResult<Buffer>;
    try {
      r = await this.iter!.next();
    } catch (err) {
      if (err instanceof Error && err.constructor.name === 'ScanTimeout') throw err;
      if (err instanceof DecompressCapError) return this.stopWithCap('budget');
      this.error ??= err instanceof Error ? err.message : String(err);
      this.errorAt = this.produced;
      this.ended = true;
      return;
    }
    if (r.done) {
      this.ended = true;
      if (this.produced < this.size && this.error === undefined) {
        this.error = `data ends after ${this.produced} of ${this.size} bytes`;
        this.errorAt = this.produced;
      }
      return;
    }
    const chunk = r.value.length > this.size - this.produced ? r.value.subarray(0, this.size - this.produced) : r.value;
    this.caps.budget.remaining -= chunk.length;
    this.chunks.push(chunk);
    this.produced += chunk.length;
    if (this.produced >= this.size) this.ended = true;
    else if (this.produced > this.caps.ratioFloor && this.produced / Math.max(1, this.packSize) > this.caps.maxRatio)
      this.stopWithCap('ratio');
  }

  /** Drops chunks that end before the read and lie more than KEEP_BEHIND behind the decoded frontier. */
  private trim(readFrom: number): void {
    const keepFrom = Math.min(readFrom, this.produced - KEEP_BEHIND);
    while (this.head < this.chunks.length) {
      const c = this.chunks[this.head];
      if (this.windowStart + c.length > keepFrom) break;
      this.windowStart += c.length;
      this.chunks[this.head++] = EMPTY;
    }
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new RangeError(`invalid read range ${offset}+${length}`);
    }
    const want = Math.max(0, Math.min(length, this.size - offset));
    const out = into && into.length >= want ? into.subarray(0, want) : Buffer.allocUnsafe(want);
    if (want === 0) return out.subarray(0, 0);
    if (!this.iter || offset < this.windowStart) this.restart();
    const end = offset + want;
    while (this.produced < end && !this.ended) {
      await this.pump();
      this.trim(offset);
    }
    return out.subarray(0, copyFromChunks(this.chunks, this.head, this.windowStart, offset, out));
  }

  async close(): Promise<void> {
    this.chunks = [];
    this.head = 0;
    const it = this.iter;
    this.iter = undefined;
    try {
      await it?.return?.();
    } catch {
      // The decoder's own cleanup failing changes nothing for the scan.
    }
  }
}
