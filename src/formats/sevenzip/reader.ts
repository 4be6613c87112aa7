/** A header that cannot be read as 7z describes it: truncated, inconsistent, or beyond the scanner's bounds. */
export class SevenZipFormatError extends Error {}

/**
 * A bounds-checked cursor over an in-memory 7z header. Every read checks the
 * bytes left first, so a count taken from the header can never make it read,
 * allocate or loop past the header's own size.
 */
export class HeaderReader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    /** What is being read, for error messages. */
    readonly what = 'header',
  ) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

  fail(message: string): never {
    throw new SevenZipFormatError(`${this.what}: ${message} (at byte ${this.pos})`);
  }

  need(n: number): void {
    if (n > this.left) this.fail(`truncated (${n} bytes needed, ${this.left} left)`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /**
   * 7z's variable-length UINT64: the count of leading 1 bits of the first byte
   * says how many little-endian bytes follow; the first byte's remaining bits
   * are the value's top. Values past 2^53 are refused, as no size or count in
   * a real archive comes near.
   */
  number(): number {
    const first = this.byte();
    let mask = 0x80;
    let extra = 0;
    while (extra < 8 && first & mask) {
      extra++;
      mask >>= 1;
    }
    this.need(extra);
    let value = 0;
    for (let i = 0; i < extra; i++) value += this.buf[this.pos + i] * 2 ** (8 * i);
    this.pos += extra;
    if (extra < 8) value += (first & (mask - 1)) * 2 ** (8 * extra);
    if (!Number.isSafeInteger(value)) this.fail('number too large');
    return value;
  }

  /** A count of things that each take at least `minBytes` of what is left: anything larger is damage. */
  count(what: string, minBytes = 1, max = Number.MAX_SAFE_INTEGER): number {
    const n = this.number();
    if (n > max || n * minBytes > this.left) this.fail(`${what} count ${n} does not fit`);
    return n;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A bit vector of n items, most significant bit first, as a byte view (read with bitAt). */
  bits(n: number): Buffer {
    return this.bytes(Math.ceil(n / 8));
  }

  /** A bit vector preceded by its "all defined" byte; undefined means every item is set. */
  optionalBits(n: number): Buffer | undefined {
    return this.byte() !== 0 ? undefined : this.bits(n);
  }

  /**
   * CRCs of n streams: "all defined" or a bit vector, then one UINT32 per
   * defined stream. Only the first `keep` are returned (counts past the
   * scanner's entry limit are read over, not stored).
   */
  digests(n: number, keep = n): (number | undefined)[] {
    const defined = this.optionalBits(n);
    const out: (number | undefined)[] = [];
    for (let i = 0; i < n; i++) {
      const crc = !defined || bitAt(defined, i) ? this.u32() : undefined;
      if (i < keep) out.push(crc);
    }
    return out;
  }
}

export function bitAt(bits: Buffer | undefined, i: number): boolean {
  if (!bits) return true;
  const byte = bits[i >> 3];
  return byte !== undefined && (byte & (0x80 >> (i & 7))) !== 0;
}
