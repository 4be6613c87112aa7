const EMPTY = new Uint8Array(0);

/**
 * Compressed input pulled one chunk at a time, only as the decoder asks for
 * bytes, so a consumer that stops early never makes us read further.
 * `codec` prefixes the truncation errors.
 */
export class ChunkInput {
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(
    input: AsyncIterable<Uint8Array>,
    private readonly codec: string,
  ) {
    this.it = input[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    while (!this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      if (r.value.length > 0) {
        this.chunk = r.value;
        this.pos = 0;
        return true;
      }
    }
    return false;
  }

  private truncated(what: string): Error {
    return new Error(`${this.codec}: truncated input (in ${what})`);
  }

  /** Whether any input is left. */
  async more(): Promise<boolean> {
    return this.pos < this.chunk.length || (await this.pull());
  }

  /** Exactly `n` contiguous bytes: a view when they lie in one input chunk, else a copy. */
  async take(n: number, what: string): Promise<Uint8Array> {
    if (this.chunk.length - this.pos >= n) {
      this.pos += n;
      return this.chunk.subarray(this.pos - n, this.pos);
    }
    return this.takeInto(n, what, new Uint8Array(n), 0);
  }

  /** Exactly `n` bytes copied into `out` at `at`. */
  async takeInto(n: number, what: string, out: Uint8Array, at: number): Promise<Uint8Array> {
    let got = 0;
    for (;;) {
      const k = Math.min(n - got, this.chunk.length - this.pos);
      out.set(this.chunk.subarray(this.pos, this.pos + k), at + got);
      this.pos += k;
      got += k;
      if (got === n) return out;
      if (!(await this.pull())) throw this.truncated(what);
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for (;;) {
      const k = Math.min(n, this.chunk.length - this.pos);
      this.pos += k;
      n -= k;
      if (n === 0) return;
      if (!(await this.pull())) throw this.truncated(what);
    }
  }

  close(): void {
    void this.it.return?.();
  }
}
