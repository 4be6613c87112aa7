/**
 * Entropy tables of Zstandard (RFC 8878 §4.1–4.2): FSE tables (read from a
 * normalized-count description or predefined) and Huffman literal tables
 * (weights sent directly or FSE-compressed). Everything read is bounds-checked;
 * corrupt descriptions throw `zstd: …` errors.
 *
 * Bit streams are addressed by absolute bit index into a byte array whose
 * interesting region is surrounded by at least 16 bytes of padding, so the
 * multi-byte loads below never leave the array.
 */

export function zstdError(message: string): Error {
  return new Error(`zstd: ${message}`);
}

/** Index of the highest set bit (val ≥ 1). */
export function msb(val: number): number {
  return 31 - Math.clz32(val);
}

/** The `n` ≤ 25 bits of d starting at bit `pos` (bit 0 = lowest bit of d[0]). */
export function bitsAt(d: Uint8Array, pos: number, n: number): number {
  const at = pos >> 3;
  return ((d[at] | (d[at + 1] << 8) | (d[at + 2] << 16) | (d[at + 3] << 24)) >>> (pos & 7)) & ((1 << n) - 1);
}

// ---------------------------------------------------------------------------
// FSE

/** A decoding table: per state, the symbol, the bits to read for the next state and the base they are added to. */
export interface Fse {
  log: number;
  sym: Uint8Array;
  nbits: Uint8Array;
  base: Uint16Array;
}

/** Builds the decoding table of a normalized distribution (counts of -1 are "less than one"); the counts must sum to 2^log. */
export function buildFse(norm: Int16Array, symbols: number, log: number): Fse {
  const size = 1 << log;
  const sym = new Uint8Array(size);
  const nbits = new Uint8Array(size);
  const base = new Uint16Array(size);
  const next = new Uint16Array(symbols);
  let high = size - 1;
  for (let s = 0; s < symbols; s++) {
    if (norm[s] === -1) {
      sym[high--] = s;
      next[s] = 1;
    } else next[s] = norm[s];
  }
  const mask = size - 1;
  const step = (size >> 1) + (size >> 3) + 3;
  let p = 0;
  for (let s = 0; s < symbols; s++) {
    const c = norm[s];
    for (let i = 0; i < c; i++) {
      sym[p] = s;
      // The step is odd, so every cell is visited; the counts fill exactly the cells up to `high`.
      do p = (p + step) & mask;
      while (p > high);
    }
  }
  if (p !== 0) throw zstdError('corrupt block (FSE table does not fill its cells)');
  for (let u = 0; u < size; u++) {
    const x = next[sym[u]]++;
    const nb = log - msb(x);
    nbits[u] = nb;
    base[u] = (x << nb) - size;
  }
  return { log, sym, nbits, base };
}

/**
 * Reads an FSE table description (normalized counts) starting at byte `start`,
 * which must end by byte `end`. Returns the table and the byte after the description.
 */
export function readFse(d: Uint8Array, start: number, end: number, maxLog: number, maxSym: number): [Fse, number] {
  if (start >= end) throw zstdError('corrupt block (FSE table description past the end)');
  const log = (d[start] & 15) + 5;
  if (log > maxLog) throw zstdError(`corrupt block (FSE accuracy ${log} above ${maxLog})`);
  const limit = end * 8;
  const norm = new Int16Array(maxSym + 1);
  let bit = start * 8 + 4;
  // `remaining` counts one more than the probability still to hand out.
  let remaining = (1 << log) + 1;
  let threshold = 1 << log;
  let width = log + 1;
  let s = 0;
  let afterZero = false;
  while (remaining > 1) {
    if (afterZero) {
      // 2-bit repeat fields of further zero counts; 3 means "3 more, and another field".
      for (;;) {
        if (bit + 2 > limit) throw zstdError('corrupt block (FSE table description past the end)');
        const r = bitsAt(d, bit, 2);
        bit += 2;
        s += r;
        if (s > maxSym) throw zstdError(`corrupt block (FSE symbol ${s} above ${maxSym})`);
        if (r !== 3) break;
      }
    }
    if (s > maxSym) throw zstdError(`corrupt block (FSE symbol ${s} above ${maxSym})`);
    if (bit + width - 1 > limit) throw zstdError('corrupt block (FSE table description past the end)');
    const v = bitsAt(d, bit, width);
    const low = v & (threshold - 1);
    const max = 2 * threshold - 1 - remaining;
    let count: number;
    if (low < max) {
      count = low;
      bit += width - 1;
    } else {
      count = v >= threshold ? v - max : v;
      bit += width;
    }
    count--;
    remaining -= count < 0 ? -count : count;
    if (remaining < 1) throw zstdError('corrupt block (FSE probabilities do not add up)');
    norm[s++] = count;
    afterZero = count === 0;
    while (remaining < threshold) {
      width--;
      threshold >>= 1;
    }
  }
  const next = (bit + 7) >> 3;
  if (next > end) throw zstdError('corrupt block (FSE table description past the end)');
  return [buildFse(norm, s, log), next];
}

/** The table of RLE mode: one symbol, no bits. */
export function rleFse(s: number): Fse {
  return { log: 0, sym: Uint8Array.of(s), nbits: Uint8Array.of(0), base: Uint16Array.of(0) };
}

function predefined(counts: number[], log: number): Fse {
  return buildFse(Int16Array.from(counts), counts.length, log);
}

/** Predefined distributions (RFC 8878 §3.1.1.3.2.2). */
export const LL_DEFAULT = predefined(
  [4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1],
  6,
);
export const ML_DEFAULT = predefined(
  [
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, -1, -1, -1, -1, -1, -1, -1,
  ],
  6,
);
export const OF_DEFAULT = predefined([1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1], 5);

/** Extra bits per literal length code (codes 0–15 stand for themselves). */
export const LL_BITS = Uint8Array.from([...new Array(16).fill(0), 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
/** Extra bits per match length code (codes 0–31 stand for lengths 3–34). */
export const ML_BITS = Uint8Array.from([...new Array(32).fill(0), 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);

function baselines(bits: Uint8Array, first: number): Int32Array {
  const out = new Int32Array(bits.length);
  let b = first;
  for (let i = 0; i < bits.length; i++) {
    out[i] = b;
    b += 1 << bits[i];
  }
  return out;
}

export const LL_BASE = baselines(LL_BITS, 0);
export const ML_BASE = baselines(ML_BITS, 3);

// ---------------------------------------------------------------------------
// Huffman

/** Decoding table indexed by the next `maxBits` bits: the symbol and its code length. */
export interface Huffman {
  maxBits: number;
  sym: Uint8Array;
  nbits: Uint8Array;
}

const MAX_HUFFMAN_BITS = 11;

/** Decodes the FSE-compressed weights in d[start, end) into `w`; returns how many. */
function fseWeights(d: Uint8Array, start: number, end: number, w: Uint8Array): number {
  const [t, p] = readFse(d, start, end, 6, 255);
  if (p >= end) throw zstdError('corrupt block (Huffman weights have no bit stream)');
  const last = d[end - 1];
  if (last === 0) throw zstdError('corrupt block (Huffman weight stream lacks its end mark)');
  const { log, sym, nbits, base } = t;
  const stop = p * 8;
  let pos = (end - 1) * 8 + msb(last) - log;
  if (pos < stop) throw zstdError('corrupt block (Huffman weight stream too short)');
  let s1 = bitsAt(d, pos, log);
  pos -= log;
  if (pos < stop) throw zstdError('corrupt block (Huffman weight stream too short)');
  let s2 = bitsAt(d, pos, log);
  const tooMany = (): Error => zstdError('corrupt block (more than 255 Huffman weights)');
  // Two states take turns; once an update runs past the start of the stream, the other state's symbol is the last.
  let n = 0;
  for (;;) {
    if (n >= 255) throw tooMany();
    w[n++] = sym[s1];
    let nb = nbits[s1];
    pos -= nb;
    s1 = base[s1] + bitsAt(d, pos, nb);
    if (pos < stop) {
      if (n >= 255) throw tooMany();
      w[n++] = sym[s2];
      break;
    }
    if (n >= 255) throw tooMany();
    w[n++] = sym[s2];
    nb = nbits[s2];
    pos -= nb;
    s2 = base[s2] + bitsAt(d, pos, nb);
    if (pos < stop) {
      if (n >= 255) throw tooMany();
      w[n++] = sym[s1];
      break;
    }
  }
  return n;
}

/** Reads a Huffman tree description at d[start…] (ending by `end`). Returns the table and the byte after it. */
export function readHuffman(d: Uint8Array, start: number, end: number): [Huffman, number] {
  if (start >= end) throw zstdError('corrupt block (Huffman table description past the end)');
  const hb = d[start];
  const w = new Uint8Array(256);
  let n: number;
  let next: number;
  if (hb < 128) {
    next = start + 1 + hb;
    if (next > end) throw zstdError('corrupt block (Huffman table description past the end)');
    n = fseWeights(d, start + 1, next, w);
  } else {
    n = hb - 127;
    next = start + 1 + ((n + 1) >> 1);
    if (next > end) throw zstdError('corrupt block (Huffman table description past the end)');
    for (let i = 0; i < n; i++) {
      const b = d[start + 1 + (i >> 1)];
      w[i] = i & 1 ? b & 15 : b >> 4;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (w[i] > MAX_HUFFMAN_BITS) throw zstdError(`corrupt block (Huffman weight ${w[i]} above ${MAX_HUFFMAN_BITS})`);
    if (w[i] > 0) total += 1 << (w[i] - 1);
  }
  if (total === 0) throw zstdError('corrupt block (Huffman weights all zero)');
  const maxBits = msb(total) + 1;
  if (maxBits > MAX_HUFFMAN_BITS) throw zstdError(`corrupt block (Huffman codes longer than ${MAX_HUFFMAN_BITS} bits)`);
  // The last symbol's weight is implied: it must complete the tree.
  const rest = (1 << maxBits) - total;
  if ((rest & (rest - 1)) !== 0) throw zstdError('corrupt block (Huffman weights do not form a complete tree)');
  w[n] = msb(rest) + 1;
  const symbols = n + 1;
  const size = 1 << maxBits;
  const sym = new Uint8Array(size);
  const nbits = new Uint8Array(size);
  // Canonical codes: by weight (lowest, i.e. longest codes, first), then by symbol; each takes 2^(weight-1) cells.
  const perWeight = new Uint16Array(MAX_HUFFMAN_BITS + 2);
  for (let s = 0; s < symbols; s++) perWeight[w[s]]++;
  const at = new Uint32Array(MAX_HUFFMAN_BITS + 2);
  let p = 0;
  for (let k = 1; k <= maxBits; k++) {
    at[k] = p;
    p += perWeight[k] << (k - 1);
  }
  if (p !== size) throw zstdError('corrupt block (Huffman weights do not form a complete tree)');
  for (let s = 0; s < symbols; s++) {
    const k = w[s];
    if (k === 0) continue;
    const len = 1 << (k - 1);
    const from = at[k];
    sym.fill(s, from, from + len);
    nbits.fill(maxBits + 1 - k, from, from + len);
    at[k] = from + len;
  }
  return [{ maxBits, sym, nbits }, next];
}

/** Decodes one Huffman stream d[start, end) into out[o, o + len). */
export function huffmanStream(d: Uint8Array, start: number, end: number, h: Huffman, out: Uint8Array, o: number, len: number): void {
  if (end <= start) throw zstdError('corrupt block (empty Huffman stream)');
  const last = d[end - 1];
  if (last === 0) throw zstdError('corrupt block (Huffman stream lacks its end mark)');
  const stop = start * 8;
  let pos = (end - 1) * 8 + msb(last);
  const { maxBits, sym, nbits } = h;
  const mask = (1 << maxBits) - 1;
  const oe = o + len;
  // Bits below the stream may be read into the low end of a peek; a code that needs them is caught below.
  for (let k = o; k < oe; k++) {
    const p = pos - maxBits;
    const at = p >> 3;
    const v = ((d[at] | (d[at + 1] << 8) | (d[at + 2] << 16)) >>> (p & 7)) & mask;
    out[k] = sym[v];
    pos -= nbits[v];
    if (pos < stop) throw zstdError('corrupt block (Huffman stream overrun)');
  }
  if (pos !== stop) throw zstdError('corrupt block (Huffman stream not consumed exactly)');
}
