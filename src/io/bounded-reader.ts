import type { ByteSource } from './byte-source.js';

/** Bytes read after a jump, before the reader knows it is walking forward again. */
const PROBE = 64 << 10;

/**
 * A sliding window over a source for parsers that walk forward: `ensure(n)`
 * makes n bytes available at `pos` (refilling in chunks), `skip(n)` jumps
 * without reading. Memory is one window, whatever the source size.
 */
export class WindowReader {
  buf: Buffer;
  /** Absolute offset of buf[0]. */
  base = 0;
  /** Current index in buf. */
  pos = 0;
  /** Valid bytes in buf. */
  end = 0;
  /**
   * True at the start and after a jump: the next refill reads a small chunk,
   * since a parser that just skipped a tensor often needs a few bytes and then
   * skips again. Reading on sequentially goes back to full windows.
   */
  private probing = true;

  constructor(
    readonly source: ByteSource,
    start = 0,
    readonly windowSize = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(windowSize);
    this.base = start;
  }

  get offset(): number {
    return this.base + this.pos;
  }

  get remainingInSource(): number {
    return this.source.size - this.offset;
  }

  get atEnd(): boolean {
    return this.offset >= this.source.size;
  }

  /** Makes `n` bytes available at pos; false when the source ends first. */
  async ensure(n: number): Promise<boolean> {
    if (this.end - this.pos >= n) return true;
    if (n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(grown, 0, this.pos, this.end);
      this.buf = grown;
    } else if (this.pos > 0) {
      this.buf.copy(this.buf, 0, this.pos, this.end);
    }
    this.end -= this.pos;
    this.base += this.pos;
    this.pos = 0;
    while (this.end < n) {
      const abs = this.base + this.end;
      if (abs >= this.source.size) return false;
      const room = this.probing ? Math.min(this.buf.length - this.end, Math.max(n - this.end, PROBE)) : this.buf.length - this.end;
      const ahead = await this.takePrefetch(abs);
      let got: Buffer;
      if (ahead && ahead.length > 0) {
        got = ahead.subarray(0, Math.min(ahead.length, room));
        got.copy(this.buf, this.end);
      } else {
        got = await this.source.read(abs, room, this.buf.subarray(this.end));
        if (got.length === 0) return false;
        if (got.buffer !== this.buf.buffer || got.byteOffset !== this.buf.byteOffset + this.end) got.copy(this.buf, this.end);
      }
      this.end += got.length;
    }
    if (this.probing) this.probing = false;
    else this.startPrefetch(this.base + this.end);
    return true;
  }

  private spare: Buffer | undefined;
  private pending: { abs: number; read: Promise<Buffer> } | undefined;

  /**
   * Reads the next chunk while the parser works on this one, so a forward
   * walk waits on the disk less. At most one read is in flight; its buffer
   * is reused only after it has been awaited.
   */
  private startPrefetch(abs: number): void {
    if (this.pending || abs >= this.source.size || this.windowSize < 64 << 10) return;
    this.spare ??= Buffer.allocUnsafe(this.windowSize);
    const read = this.source.read(abs, this.spare.length, this.spare);
    read.catch(() => undefined);
    this.pending = { abs, read };
  }

  private async takePrefetch(abs: number): Promise<Buffer | undefined> {
    const p = this.pending;
    if (!p) return undefined;
    this.pending = undefined;
    const got = await p.read.catch(() => undefined);
    return p.abs === abs ? got : undefined;
  }

  /** Moves forward n bytes; beyond the window this only moves the offset. */
  skip(n: number): void {
    if (this.pos + n <= this.end) {
      this.pos += n;
      return;
    }
    this.base = this.base + this.pos + n;
    this.pos = 0;
    this.end = 0;
    this.probing = true;
  }

  /** Moves to an absolute offset (forward or back), dropping the window. */
  seek(abs: number): void {
    if (abs >= this.base && abs <= this.base + this.end) {
      this.pos = abs - this.base;
      return;
    }
    this.base = abs;
    this.pos = 0;
    this.end = 0;
    this.probing = true;
  }
}
