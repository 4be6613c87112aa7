/**
 * Protocol Buffers wire format, the parts every reader here shares: varints,
 * tags, and the error every malformed byte becomes. Decoding is over a Buffer
 * window whose first byte sits at an absolute offset `base` in the source, so
 * errors name the real file position.
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_SGROUP = 3;
export const WIRE_EGROUP = 4;
export const WIRE_I32 = 5;

/** The longest tag (5 bytes) plus the longest length varint (10 bytes). */
export const MAX_HEADER = 15;

/** protobuf's own parsers refuse messages of 2 GiB or more; a length beyond that is not protobuf. */
export const MAX_LENGTH = 2 ** 31 - 1;

export class ProtoError extends Error {
  constructor(
    message: string,
    /** Absolute byte offset of the bad bytes. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Nesting past the walker's bound: never read as "these bytes are not that message". */
export class DepthError extends ProtoError {}

/**
 * A varint decoder that reports where it stopped through `next`, so the hot
 * loop allocates nothing. Values past 2^53 lose precision (they are only
 * compared against lengths and limits, or read as "negative" int64).
 */
export class VarintReader {
  next = 0;
  /** The low 53 bits of the last value, exact even when `value` was rounded. */
  private low = 0;
  private last = 0;

  /** Decodes the varint at buf[i] that must end before buf[limit]; `base` turns indexes into file offsets. */
  read(buf: Buffer, i: number, limit: number, base: number): number {
    let b = 0;
    let value = 0;
    let low = 0;
    let scale = 1;
    const start = i;
    for (let n = 0; n < 10; n++) {
      if (i >= limit) throw new ProtoError('varint runs past the end of its message', base + start);
      b = buf[i++];
      // The tenth byte carries bit 63 only; anything more is not a 64-bit varint.
      if (n === 9 && b > 1) throw new ProtoError('varint longer than 64 bits', base + start);
      value += (b & 0x7f) * scale;
      if (n < 7) low += (b & 0x7f) * scale;
      else if (n === 7) low += (b & 0x0f) * scale;
      if (b < 0x80) {
        this.next = i;
        this.low = low;
        this.last = value;
        return value;
      }
      scale *= 128;
    }
    throw new ProtoError('varint longer than 10 bytes', base + start);
  }

  /**
   * The last value read as an int64: two's complement values at or above
   * 2^63 are negative, and exact down to -2^53.
   */
  int64(): number {
    return this.last >= 2 ** 63 ? this.low - 2 ** 53 : this.last;
  }
}
