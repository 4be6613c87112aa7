/**
 * The 7z filters the scanner undoes: BCJ x86 (branch targets made absolute
 * for better compression) and Delta. Both are streaming and byte-for-byte
 * size-preserving; BCJ holds back at most 4 bytes between chunks.
 */

/** A call/jump operand's high byte is 0x00 or 0xFF when the target is near: only those were converted. */
const nearByte = (b: number): boolean => b === 0 || b === 0xff;
/** Which recent E8/E9 patterns still allow a conversion here (indexed by the mask's bits 1..3). */
const ALLOWED = [true, true, true, false, true, false, false, false];
/** Which operand byte to test again after an unconvert, by the same index. */
const BIT_NUMBER = [0, 1, 2, 2, 3, 3, 3, 3];

interface BcjState {
  /** Which of the last positions held E8/E9 bytes that were not converted (bit 0 most recent). */
  mask: number;
  /** Absolute position (mod 2^32) of the last E8/E9 seen. */
  prev: number;
}

/**
 * Undoes the x86 BCJ filter over buf, whose first byte is at absolute
 * position `pos` (mod 2^32). Returns how many leading bytes are final; the
 * rest (under 5 bytes, or whatever a branch near the end still needs) must be
 * fed again in front of the next data.
 */
function bcjX86Decode(buf: Uint8Array, pos: number, st: BcjState): number {
  if (buf.length < 5) return 0;
  let mask = st.mask;
  let prev = st.prev;
  if ((pos - prev) >>> 0 > 5) prev = (pos - 5) >>> 0;
  const limit = buf.length - 5;
  let i = 0;
  while (i <= limit) {
    const op = buf[i];
    if (op !== 0xe8 && op !== 0xe9) {
      i++;
      continue;
    }
    const gap = (pos + i - prev) >>> 0;
    prev = (pos + i) >>> 0;
    if (gap > 5) mask = 0;
    else for (let k = 0; k < gap; k++) mask = (mask & 0x77) << 1;
    let b = buf[i + 4];
    if (nearByte(b) && ALLOWED[(mask >> 1) & 7] && mask >> 1 < 0x10) {
      let src = ((b << 24) | (buf[i + 3] << 16) | (buf[i + 2] << 8) | buf[i + 1]) >>> 0;
      let dest: number;
      for (;;) {
        dest = (src - (pos + i + 5)) >>> 0;
        if (mask === 0) break;
        const shift = BIT_NUMBER[mask >> 1] * 8;
        b = (dest >>> (24 - shift)) & 0xff;
        if (!nearByte(b)) break;
        src = (dest ^ (2 ** (32 - shift) - 1)) >>> 0;
      }
      buf[i + 4] = dest & 0x1000000 ? 0xff : 0;
      buf[i + 3] = (dest >>> 16) & 0xff;
      buf[i + 2] = (dest >>> 8) & 0xff;
      buf[i + 1] = dest & 0xff;
      i += 5;
      mask = 0;
    } else {
      i++;
      mask |= 1;
      if (nearByte(b)) mask |= 0x10;
    }
  }
  st.mask = mask;
  st.prev = prev;
  return i;
}

/** Streams data through the x86 BCJ decoder; `start` is the filter's start offset (7z's optional property). */
export async function* bcjX86(input: AsyncIterable<Uint8Array>, start = 0): AsyncGenerator<Buffer> {
  const st: BcjState = { mask: 0, prev: (start - 5) >>> 0 };
  let pos = start >>> 0;
  let held: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    if (chunk.length === 0) continue;
    // A fresh buffer: the filter rewrites in place and the decoder's chunks are not ours to change.
    const buf = Buffer.concat([held, chunk]);
    const done = bcjX86Decode(buf, pos, st);
    pos = (pos + done) >>> 0;
    held = buf.subarray(done);
    if (done > 0) yield buf.subarray(0, done);
  }
  if (held.length) yield held;
}

/** Undoes the Delta filter: each byte was stored as its difference from the byte `distance` before it. */
export async function* delta(input: AsyncIterable<Uint8Array>, distance: number): AsyncGenerator<Buffer> {
  const history = new Uint8Array(256);
  let n = 0;
  for await (const chunk of input) {
    const out = Buffer.allocUnsafe(chunk.length);
    for (let i = 0; i < chunk.length; i++, n++) {
      const v = (chunk[i] + history[(n - distance) & 0xff]) & 0xff;
      history[n & 0xff] = v;
      out[i] = v;
    }
    if (out.length) yield out;
  }
}
