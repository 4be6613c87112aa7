/** Decoding of pickle opcode arguments straight from the reader's window. */

const TWO_63 = 2n ** 63n;

export function findNewline(buf: Buffer, from: number, end: number): number {
  const i = buf.indexOf(0x0a, from);
  return i >= 0 && i < end ? i : -1;
}

export function readU64(buf: Buffer, p: number): number {
  const lo = buf.readUInt32LE(p);
  const hi = buf.readUInt32LE(p + 4);
  // Beyond 2^53 a length can't be honest anyway; make it fail the range check.
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER + 1 : hi * 0x100000000 + lo;
}

export function decodeLong(buf: Buffer, p: number, n: number): number | bigint {
  if (n === 0) return 0;
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[p + i]);
  if (buf[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
  return v >= -TWO_63 && v < TWO_63 && Number.isSafeInteger(Number(v)) ? Number(v) : v;
}

/** SHORT_BINUNICODE's text (utf-8; lone surrogates become U+FFFD where CPython uses surrogatepass). */
export function shortText(buf: Buffer, p: number, n: number): string {
  // Short ASCII names and keys dominate opcode-dense pickles; building them in JS
  // avoids a native call per string. Anything else goes to the utf-8 decoder.
  if (n <= 16) {
    let bits = 0;
    for (let i = 0; i < n; i++) bits |= buf[p + i];
    if (bits < 0x80) return asciiText(buf, p, n);
  }
  return (buf as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(p, p + n);
}

// biome-ignore format: one line per length reads better than 200 lines of arguments
export function asciiText(buf: Buffer, p: number, n: number): string {
  // Fixed arities let V8 build the string in one step (apply() or a loop measured slower).
  switch (n) {
    case 0: return '';
    case 1: return String.fromCharCode(buf[p]);
    case 2: return String.fromCharCode(buf[p], buf[p + 1]);
    case 3: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2]);
    case 4: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3]);
    case 5: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4]);
    case 6: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5]);
    case 7: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5], buf[p + 6]);
    case 8: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7]);
    case 9: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7], buf[p + 8]);
    case 10: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7], buf[p + 8], buf[p + 9]);
    case 11: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7], buf[p + 8], buf[p + 9], buf[p + 10]);
    case 12: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7], buf[p + 8], buf[p + 9], buf[p + 10], buf[p + 11]);
    case 13: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7], buf[p + 8], buf[p + 9], buf[p + 10], buf[p + 11], buf[p + 12]);
    case 14: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7], buf[p + 8], buf[p + 9], buf[p + 10], buf[p + 11], buf[p + 12], buf[p + 13]);
    case 15: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7], buf[p + 8], buf[p + 9], buf[p + 10], buf[p + 11], buf[p + 12], buf[p + 13], buf[p + 14]);
    case 16: return String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7], buf[p + 8], buf[p + 9], buf[p + 10], buf[p + 11], buf[p + 12], buf[p + 13], buf[p + 14], buf[p + 15]);
    default: return buf.toString('latin1', p, p + n);
  }
}
