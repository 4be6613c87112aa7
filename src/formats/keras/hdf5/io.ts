import type { ByteSource } from '../../../io/byte-source.js';

/** The bytes break the HDF5 specification (or our bounds): the file is malformed. */
export class H5Error extends Error {}
/** A valid HDF5 feature this reader does not decode; what it holds was not read. */
export class H5Unsupported extends Error {}

/** HDF5's "undefined address" (all bits set). */
export const UNDEF = -1;

const WINDOW = 64 << 10;
/** Metadata bytes one file may make us read: generous for real files, a stop for loops of references. */
const READ_BUDGET = 512 << 20;

/**
 * Random access to an HDF5 file's metadata. Addresses are relative to the
 * superblock (HDF5 treats a user block before it as not part of the file).
 * Small reads go through one cached window, since headers, heaps and
 * B-tree nodes sit close together.
 */
export class H5File {
  private winStart = -1;
  private win: Buffer = Buffer.alloc(0);
  private spent = 0;

  constructor(
    readonly source: ByteSource,
    /** File offset of the superblock: address 0. */
    readonly base: number,
    /** Size of offsets (addresses) in bytes. */
    readonly sizeOfOffsets: number,
    /** Size of lengths in bytes. */
    readonly sizeOfLengths: number,
  ) {}

  abs(addr: number): number {
    return this.base + addr;
  }

  /** Exactly `len` bytes at address `addr`, or an H5Error. */
  async read(addr: number, len: number): Promise<Buffer> {
    if (addr === UNDEF || addr < 0 || !Number.isSafeInteger(addr)) throw new H5Error(`read at undefined address`);
    const at = this.base + addr;
    if (len < 0 || at + len > this.source.size) {
      throw new H5Error(`structure at file offset ${at} (${len} bytes) runs past the end of the file (${this.source.size} bytes)`);
    }
    this.spent += len;
    if (this.spent > READ_BUDGET)
      throw new H5Error(`metadata reads exceed ${READ_BUDGET} bytes: the file's structures loop or are too large`);
    if (len <= WINDOW / 2) {
      if (this.winStart < 0 || at < this.winStart || at + len > this.winStart + this.win.length) {
        this.winStart = at;
        this.win = Buffer.from(await this.source.read(at, Math.min(WINDOW, this.source.size - at)));
      }
      return this.win.subarray(at - this.winStart, at - this.winStart + len);
    }
    const b = await this.source.read(at, len);
    if (b.length !== len) throw new H5Error(`short read at file offset ${at}`);
    return Buffer.from(b);
  }

  cursor(buf: Buffer, pos = 0): Cursor {
    return new Cursor(buf, pos, this.sizeOfOffsets, this.sizeOfLengths);
  }
}

/** Little-endian fields of one metadata block; every read is bounds-checked. */
export class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly sizeOfOffsets: number,
    readonly sizeOfLengths: number,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new H5Error(`field runs past the end of its ${this.buf.length}-byte block`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** An unsigned n-byte integer (n ≤ 8) that must fit a JavaScript number. */
  uint(n: number): number {
    this.need(n);
    if (n > 8) throw new H5Unsupported(`${n}-byte integers`);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.buf[this.pos + i]);
    this.pos += n;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new H5Error(`value ${v} is out of range`);
    return Number(v);
  }

  /** A file address; all bits set means undefined. */
  addr(): number {
    const n = this.sizeOfOffsets;
    this.need(n);
    let allOnes = true;
    for (let i = 0; i < n; i++) if (this.buf[this.pos + i] !== 0xff) allOnes = false;
    if (allOnes) {
      this.pos += n;
      return UNDEF;
    }
    return this.uint(n);
  }

  length(): number {
    return this.uint(this.sizeOfLengths);
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  signature(expected: string): void {
    const got = this.bytes(4).toString('latin1');
    if (got !== expected) throw new H5Error(`expected signature ${expected}, found ${JSON.stringify(got)}`);
  }
}

/** Bytes needed to encode values up to `n` (HDF5's H5VM_limit_enc_size). */
export function limitEncSize(n: number): number {
  return Math.floor(log2floor(n) / 8) + 1;
}

export function log2floor(n: number): number {
  let bits = 0;
  for (let v = Math.floor(n); v > 1; v = Math.floor(v / 2)) bits++;
  return bits;
}
