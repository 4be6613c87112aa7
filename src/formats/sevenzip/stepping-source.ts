import type { ByteSource } from '../../io/byte-source.js';

/** Largest jump handed to a sequential source in one read. */
const STRIDE = 1 << 20;

/**
 * Guards a sequential source (a 7z inside a compressed stream) against long
 * jumps. Such sources keep everything they decode between where they are and
 * where a read lands, and a 7z is read at its end first (the header) and then
 * from its start. Long jumps are walked in 1 MiB strides instead, each of
 * which lets the source drop what lies behind, so memory stays flat; the
 * decoding cost is the same.
 */
export class SteppingSource implements ByteSource {
  readonly sequential = true;
  private last = 0;

  constructor(
    private readonly parent: ByteSource,
    private readonly checkpoint: () => void,
  ) {}

  get name(): string {
    return this.parent.name;
  }

  get size(): number {
    return this.parent.size;
  }

  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    // Behind the last read the source may have to start over, so the walk starts from the beginning.
    const from = offset >= this.last ? this.last : 0;
    for (let p = from + STRIDE; p < offset && p < this.parent.size; p += STRIDE) {
      this.checkpoint();
      await this.parent.read(p, 1);
    }
    const out = await this.parent.read(offset, length, into);
    this.last = offset;
    return out;
  }

  async close(): Promise<void> {}
}
