/**
 * Streaming Zstandard decoder: frame and block layout are parsed here, the
 * entropy decoding is fzstd's (pure JS, 101arrowz/fzstd, pinned).
 *
 * fzstd 0.1.1 trusts its input, so nothing reaches it unchecked:
 * - It allocates the window a frame header declares (up to 2 GiB) up front.
 *   Frames needing more than MAX_WINDOW are refused; when the content size is
 *   known and smaller, fzstd is handed a header asking only for that much.
 * - It has no bound on what a block expands to: a compressed block of a few
 *   bytes can make it loop for minutes (huge match lengths read past the
 *   start of the bit stream), and a Huffman table of a few bytes can make it
 *   loop forever (FSE states that consume no bits). So every compressed block
 *   is walked first by `checkBlock`, which decodes the table descriptions and
 *   the sequence lengths and offsets (not the literals) with every bound the
 *   format sets, and refuses the block unless fzstd's work on it is bounded.
 * - It moves its whole window after every block (copyWithin), so the cost of
 *   a block is its window size: decoding is slow with windows of 100+ MiB and
 *   a stream of tiny blocks under a big window would burn CPU for hours.
 *   That cost is counted and refused past COST_FLOOR bytes when it dwarfs the output.
 * - It reads at most 32 bits for an offset, so offsets of 64 MiB and more
 *   can come out wrong; the few that would are refused instead.
 * - It skips content checksums and never checks the content size; both are
 *   checked here (XXH64).
 *
 * fzstd is fed one block per push, so one push yields at most 128 KiB;
 * output is regrouped into chunks of 512 KiB–1 MiB. Skippable frames are
 * passed over, frames follow one another until the input ends, empty input
 * is an error (as in zstd and python-zstandard).
 *
 * Limitations: frames that name a dictionary are refused; legacy (v0.x)
 * frames are not recognised.
 */

import { Decompress } from 'fzstd';
import { ChunkInput } from './chunk-input.js';

const MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Largest window (bytes of history a frame may match against) accepted. */
export const MAX_WINDOW = 256 << 20;
const BLOCK_MAX = 128 << 10;
const FLUSH_AT = 512 << 10;
/** Window bytes fzstd may move or allocate before the cost is compared with the output. */
const COST_FLOOR = 1024 ** 3;
/** Window bytes moved per output byte beyond which (past the floor) a stream is refused. */
const COST_RATIO = 1 << 16;
/** Yield (if anything is pending) after this much window work so a caller's deadline can act. */
const COST_YIELD = 256 << 20;

function zstdError(message: string): Error {
  return new Error(`zstd: ${message}`);
}

function u32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** Index of the highest set bit (val ≥ 1). */
function msb(val: number): number {
  return 31 - Math.clz32(val);
}

// ---------------------------------------------------------------------------
// Input

// ---------------------------------------------------------------------------
// XXH64 (content checksum). Stripes use 32-bit halves: BigInt would be ~20× slower.

const P1H = 0x9e3779b1;
const P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d;
const P2L = 0x27d4eb4f;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;
const M64 = 0xffffffffffffffffn;

/** High 32 bits of the 64-bit product of two uint32. */
function mulHigh(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const carry = (((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff)) >>> 16;
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + carry) >>> 0;
}

/** v[i], v[i+1] (high, low halves) = rotl(v + lane·P2, 31)·P1. */
function stripeRound(v: Uint32Array, i: number, lo: number, hi: number): void {
  const ml = Math.imul(lo, P2L) >>> 0;
  const sl = ml + v[i + 1];
  const mh = (mulHigh(lo, P2L) + Math.imul(hi, P2L) + Math.imul(lo, P2H) + v[i] + (sl > 0xffffffff ? 1 : 0)) >>> 0;
  const rh = ((mh << 31) | (sl >>> 1)) >>> 0;
  const rl = ((sl << 31) | (mh >>> 1)) >>> 0;
  v[i] = (mulHigh(rl, P1L) + Math.imul(rh, P1L) + Math.imul(rl, P1H)) >>> 0;
  v[i + 1] = Math.imul(rl, P1L) >>> 0;
}

function toBig(v: Uint32Array, i: number): bigint {
  return (BigInt(v[i]) << 32n) | BigInt(v[i + 1]);
}

function rotl64(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & M64;
}

function round64(acc: bigint, lane: bigint): bigint {
  return (rotl64((acc + lane * P2) & M64, 31n) * P1) & M64;
}

export class Xxh64 {
  private readonly v = new Uint32Array(8);
  private readonly mem = new Uint8Array(32);
  private memLen = 0;
  private total = 0;

  constructor() {
    const init = [(P1 + P2) & M64, P2, 0n, (0n - P1) & M64];
    init.forEach((x, k) => {
      this.v[2 * k] = Number(x >> 32n);
      this.v[2 * k + 1] = Number(x & 0xffffffffn);
    });
  }

  update(d: Uint8Array): void {
    this.total += d.length;
    let p = 0;
    if (this.memLen > 0) {
      const n = Math.min(32 - this.memLen, d.length);
      this.mem.set(d.subarray(0, n), this.memLen);
      this.memLen += n;
      p = n;
      if (this.memLen < 32) return;
      this.stripes(this.mem, 0, 32);
      this.memLen = 0;
    }
    const full = p + ((d.length - p) & ~31);
    this.stripes(d, p, full);
    if (full < d.length) {
      this.mem.set(d.subarray(full), 0);
      this.memLen = d.length - full;
    }
  }

  private stripes(d: Uint8Array, p: number, end: number): void {
    const v = this.v;
    for (; p < end; p += 32) {
      stripeRound(v, 0, u32(d, p), u32(d, p + 4));
      stripeRound(v, 2, u32(d, p + 8), u32(d, p + 12));
      stripeRound(v, 4, u32(d, p + 16), u32(d, p + 20));
      stripeRound(v, 6, u32(d, p + 24), u32(d, p + 28));
    }
  }

  /** Low 32 bits of the digest: what a zstd frame stores. */
  digest32(): number {
    const v = [0, 2, 4, 6].map((i) => toBig(this.v, i));
    let h: bigint;
    if (this.total >= 32) {
      h = (rotl64(v[0], 1n) + rotl64(v[1], 7n) + rotl64(v[2], 12n) + rotl64(v[3], 18n)) & M64;
      for (const x of v) h = (((h ^ round64(0n, x)) * P1 + P4) & M64) as bigint;
    } else h = P5;
    h = (h + BigInt(this.total)) & M64;
    const m = this.mem;
    let p = 0;
    for (; p + 8 <= this.memLen; p += 8) {
      const lane = (BigInt(u32(m, p + 4)) << 32n) | BigInt(u32(m, p));
      h = ((rotl64(h ^ round64(0n, lane), 27n) * P1 + P4) & M64) as bigint;
    }
    if (p + 4 <= this.memLen) {
      h = ((rotl64(h ^ ((BigInt(u32(m, p)) * P1) & M64), 23n) * P2 + P3) & M64) as bigint;
      p += 4;
    }
    for (; p < this.memLen; p++) h = (rotl64(h ^ ((BigInt(m[p]) * P5) & M64), 11n) * P1) & M64;
    h = ((h ^ (h >> 33n)) * P2) & M64;
    h = ((h ^ (h >> 29n)) * P3) & M64;
    h ^= h >> 32n;
    return Number(h & 0xffffffffn);
  }
}

export function xxh64Low32(data: Uint8Array): number {
  const h = new Xxh64();
  h.update(data);
  return h.digest32();
}

// ---------------------------------------------------------------------------
// FSE tables, built the way fzstd builds them so that walking a block here
// predicts what fzstd will do with it.

interface Fse {
  log: number;
  sym: Uint8Array;
  nbits: Uint8Array;
  base: Uint16Array;
}

function buildFse(counts: Int16Array, last: number, log: number): Fse {
  const size = 1 << log;
  const sym = new Uint8Array(size);
  const nbits = new Uint8Array(size);
  const base = new Uint16Array(size);
  const next = new Uint16Array(last + 1);
  let high = size;
  // Symbols with probability "less than one" take the top cells, one each.
  for (let s = 0; s <= last; s++) {
    if (counts[s] === -1) {
      sym[--high] = s;
      next[s] = 1;
    } else next[s] = Math.max(0, counts[s]);
  }
  const step = (size >> 1) + (size >> 3) + 3;
  let p = 0;
  for (let s = 0; s <= last; s++)
    for (let i = 0; i < counts[s]; i++) {
      sym[p] = s;
      // Terminates: the step is odd, so it visits every cell, some below `high`.
      do p = (p + step) & (size - 1);
      while (p >= high);
    }
  if (p !== 0) throw zstdError('corrupt block (FSE table does not fill its cells)');
  for (let i = 0; i < size; i++) {
    const ns = next[sym[i]]++;
    const nb = log - msb(ns);
    nbits[i] = nb;
    base[i] = (ns << nb) - size;
  }
  return { log, sym, nbits, base };
}

/** An FSE table description at d[start…]; it must end by `end`. Returns the table and the byte after it. */
function readFse(d: Uint8Array, start: number, end: number, maxLog: number, maxSym: number): [Fse, number] {
  if (start >= end) throw zstdError('corrupt block (FSE table description past the end)');
  const log = (d[start] & 15) + 5;
  if (log > maxLog) throw zstdError(`corrupt block (FSE accuracy ${log} above ${maxLog})`);
  let bit = start * 8 + 4;
  const counts = new Int16Array(256);
  let remaining = 1 << log;
  let s = -1;
  while (s < 255 && remaining > 0) {
    const bits = msb(remaining + 1);
    const at = bit >> 3;
    const mask = (1 << (bits + 1)) - 1;
    let val = ((d[at] | (d[at + 1] << 8) | (d[at + 2] << 16)) >> (bit & 7)) & mask;
    const low = (1 << bits) - 1;
    const max = mask - remaining - 1;
    if ((val & low) < max) {
      bit += bits;
      val &= low;
    } else {
      bit += bits + 1;
      if (val > low) val -= max;
    }
    val--;
    counts[++s] = val;
    remaining -= val < 0 ? -val : val;
    if (val === 0) {
      // Zero counts are followed by 2-bit repeat flags; 3 means "and more". Bounded by the input.
      let re: number;
      do {
        if (bit >= end * 8) throw zstdError('corrupt block (FSE table description past the end)');
        re = ((d[bit >> 3] | (d[(bit >> 3) + 1] << 8)) >> (bit & 7)) & 3;
        bit += 2;
        s += re;
      } while (re === 3);
    }
  }
  if (s > 255 || remaining !== 0) throw zstdError('corrupt block (FSE probabilities do not add up)');
  if (s > maxSym) throw zstdError(`corrupt block (FSE symbol ${s} above ${maxSym})`);
  const next = (bit + 7) >> 3;
  if (next > end) throw zstdError('corrupt block (FSE table description past the end)');
  return [buildFse(counts, s, log), next];
}

function rleFse(s: number): Fse {
  return { log: 0, sym: Uint8Array.of(s), nbits: Uint8Array.of(0), base: Uint16Array.of(0) };
}

function defaultFse(counts: number[], log: number): Fse {
  return buildFse(Int16Array.from(counts), counts.length - 1, log);
}

const LL_DEFAULT = defaultFse(
  [4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1],
  6,
);
const ML_DEFAULT = defaultFse(
  [
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, -1, -1, -1, -1, -1, -1, -1,
  ],
  6,
);
const OF_DEFAULT = defaultFse([1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1], 5);

const LL_BITS = Uint8Array.of(
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  16,
);
const ML_BITS = Uint8Array.of(
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  4,
  5,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  16,
);

function baselines(bits: Uint8Array, first: number): Int32Array {
  const out = new Int32Array(bits.length);
  bits.forEach((b, i) => {
    out[i] = first;
    first += 2 ** b;
  });
  return out;
}

const LL_BASE = baselines(LL_BITS, 0);
const ML_BASE = baselines(ML_BITS, 3);
const OF_BASE = Float64Array.from({ length: 32 }, (_, k) => 2 ** k);

// ---------------------------------------------------------------------------
// Block walk

/** What a frame carries from block to block, as fzstd keeps it. */
interface FrameState {
  window: number;
  /** Most a block may decode to (fzstd's buffer size). */
  outMax: number;
  produced: number;
  /** Literal length, offset and match length tables of the last block with sequences. */
  tables: [Fse, Fse, Fse] | null;
  huffman: boolean;
  rep: [number, number, number];
}

/** Reads `n` ≤ 25 bits ending at bit `pos` of d (zstd's backward bit stream). */
function bitsAt(d: Uint8Array, pos: number, n: number): number {
  const at = pos >> 3;
  return ((d[at] | (d[at + 1] << 8) | (d[at + 2] << 16) | (d[at + 3] << 24)) >>> (pos & 7)) & ((1 << n) - 1);
}

/**
 * Walks the Huffman weight stream the way fzstd does (two interleaved FSE
 * states, until the bits run out) and refuses it unless that ends within
 * 255 weights; fzstd itself would loop forever on zero-bit states.
 */
function checkHuffmanWeights(d: Uint8Array, start: number, size: number): void {
  const end = start + size;
  const [t, next] = readFse(d, start, end, 6, 255);
  if (next >= end) throw zstdError('corrupt block (Huffman weights have no bit stream)');
  const last = d[end - 1];
  if (last === 0) throw zstdError('corrupt block (Huffman weight stream lacks its end mark)');
  const stop = next * 8;
  let pos = (end - 1) * 8 + msb(last);
  let s1 = 0;
  let s2 = 0;
  let b1 = t.log;
  let b2 = t.log;
  for (let count = 0; ; count += 2) {
    if (count >= 255) throw zstdError('corrupt block (more than 255 Huffman weights)');
    pos -= b1;
    if (pos < stop) break;
    s1 += ((d[pos >> 3] | (d[(pos >> 3) + 1] << 8)) >> (pos & 7)) & ((1 << b1) - 1);
    pos -= b2;
    if (pos < stop) break;
    s2 += ((d[pos >> 3] | (d[(pos >> 3) + 1] << 8)) >> (pos & 7)) & ((1 << b2) - 1);
    b1 = t.nbits[s1];
    s1 = t.base[s1];
    b2 = t.nbits[s2];
    s2 = t.base[s2];
  }
}

/**
 * Checks a compressed block (its content, without the 3-byte header) and
 * returns how many bytes it decodes to. Throws unless the literals fit,
 * every table is well formed, the sequence bit stream is consumed exactly,
 * literal lengths stay within the literals, the block stays within
 * `outMax`, and every match offset lies within the window and the data
 * decoded so far.
 */
function checkBlock(d: Uint8Array, f: FrameState): number {
  const end = d.length;
  if (end < 1) throw zstdError('corrupt block (empty compressed block)');
  // Literals section header.
  const b0 = d[0];
  const type = b0 & 3;
  const sf = (b0 >> 2) & 3;
  let lits: number;
  let hdr: number;
  let payload: number;
  if (type < 2) {
    if (sf === 1) {
      hdr = 2;
      lits = (b0 >> 4) | (d[1] << 4);
    } else if (sf === 3) {
      hdr = 3;
      lits = (b0 >> 4) | (d[1] << 4) | (d[2] << 12);
    } else {
      hdr = 1;
      lits = b0 >> 3;
    }
    payload = type === 0 ? lits : 1;
  } else {
    if (sf < 2) {
      hdr = 3;
      lits = (b0 >> 4) | ((d[1] & 63) << 4);
      payload = (d[1] >> 6) | (d[2] << 2);
    } else if (sf === 2) {
      hdr = 4;
      lits = (b0 >> 4) | (d[1] << 4) | ((d[2] & 3) << 12);
      payload = (d[2] >> 2) | (d[3] << 6);
    } else {
      hdr = 5;
      lits = (b0 >> 4) | (d[1] << 4) | ((d[2] & 63) << 12);
      payload = (d[2] >> 6) | (d[3] << 2) | (d[4] << 10);
    }
  }
  if (hdr + payload > end) throw zstdError('corrupt block (literals run past its end)');
  if (lits > f.outMax) throw zstdError(`corrupt block (${lits} literals exceed the block maximum of ${f.outMax})`);
  if (type === 2) {
    const hb = d[hdr];
    const descLen = hb < 128 ? 1 + hb : 1 + ((hb - 127 + 1) >> 1);
    if (descLen > payload) throw zstdError('corrupt block (Huffman table larger than the literals)');
    if (hb < 128) checkHuffmanWeights(d, hdr + 1, hb);
    f.huffman = true;
  } else if (type === 3 && !f.huffman) throw zstdError('corrupt block (literals reuse a Huffman table never defined)');

  // Sequences section header.
  let p = hdr + payload;
  if (p >= end) throw zstdError('corrupt block (no sequences section)');
  let ns = d[p++];
  if (ns === 0) {
    if (p !== end) throw zstdError('corrupt block (bytes after an empty sequences section)');
    return lits;
  }
  if (ns === 255) {
    ns = d[p] + (d[p + 1] << 8) + 0x7f00;
    p += 2;
  } else if (ns > 127) ns = ((ns - 128) << 8) | d[p++];
  if (p >= end) throw zstdError('corrupt block (sequences section cut short)');
  const modes = d[p++];
  if (modes & 3) throw zstdError('corrupt block (reserved sequence mode bits set)');
  const tables: Fse[] = [];
  const limits: [number, number, number][] = [
    [modes >> 6, 9, 35],
    [(modes >> 4) & 3, 8, 31],
    [(modes >> 2) & 3, 9, 52],
  ];
  const defaults = [LL_DEFAULT, OF_DEFAULT, ML_DEFAULT];
  for (let k = 0; k < 3; k++) {
    const [mode, maxLog, maxSym] = limits[k];
    if (mode === 0) tables.push(defaults[k]);
    else if (mode === 1) {
      if (p >= end) throw zstdError('corrupt block (sequences section cut short)');
      const s = d[p++];
      if (s > maxSym) throw zstdError(`corrupt block (code ${s} above ${maxSym})`);
      tables.push(rleFse(s));
    } else if (mode === 2) {
      const [t, next] = readFse(d, p, end, maxLog, maxSym);
      tables.push(t);
      p = next;
    } else {
      if (!f.tables) throw zstdError('corrupt block (sequence tables reused before any were defined)');
      tables.push(f.tables[k]);
    }
  }
  const [ll, of, ml] = tables;
  f.tables = [ll, of, ml];
  if (p >= end) throw zstdError('corrupt block (no sequence bit stream)');
  const lastByte = d[end - 1];
  if (lastByte === 0) throw zstdError('corrupt block (sequence bit stream lacks its end mark)');

  return walkSequences(d, p * 8, (end - 1) * 8 + msb(lastByte), ns, ll, of, ml, lits, f);
}

/**
 * Decodes the sequences of a block (bit stream from bit `stop` up to `pos`)
 * for their lengths and offsets only, as fzstd will: same reads in the same
 * order. Returns the block's decoded size.
 */
function walkSequences(
  d: Uint8Array,
  stop: number,
  pos: number,
  ns: number,
  ll: Fse,
  of: Fse,
  ml: Fse,
  lits: number,
  f: FrameState,
): number {
  const { sym: llSym, nbits: llBits, base: llBase } = ll;
  const { sym: ofSym, nbits: ofBits, base: ofBase } = of;
  const { sym: mlSym, nbits: mlBits, base: mlBase } = ml;
  pos -= ll.log + of.log + ml.log;
  if (pos < stop) throw zstdError('corrupt block (sequence bit stream overrun)');
  let sl = bitsAt(d, pos + of.log + ml.log, ll.log);
  let so = bitsAt(d, pos + ml.log, of.log);
  let sm = bitsAt(d, pos, ml.log);
  let [r0, r1, r2] = f.rep;
  const { window, produced, outMax } = f;
  let litUsed = 0;
  let matched = 0;
  for (let i = 0; i < ns; i++) {
    const lc = llSym[sl];
    const mc = mlSym[sm];
    const oc = ofSym[so];
    const mb = ML_BITS[mc];
    const lb = LL_BITS[lc];
    pos -= oc;
    let at = pos >> 3;
    let sh = pos & 7;
    // fzstd reads offset bits with one 32-bit load, so bits past it read as 0.
    let off = oc === 0 ? 1 : OF_BASE[oc] + (((d[at] | (d[at + 1] << 8) | (d[at + 2] << 16) | (d[at + 3] << 24)) >>> sh) & ((1 << oc) - 1));
    if (oc + sh > 32 && (d[at + 4] & ((1 << (oc + sh - 32)) - 1)) !== 0 && pos >= stop)
      throw zstdError(`match offset code ${oc} at this bit position is beyond what fzstd decodes correctly`);
    pos -= mb;
    at = pos >> 3;
    sh = pos & 7;
    const mlen = ML_BASE[mc] + (((d[at] | (d[at + 1] << 8) | (d[at + 2] << 16)) >> sh) & ((1 << mb) - 1));
    pos -= lb;
    at = pos >> 3;
    sh = pos & 7;
    const llen = LL_BASE[lc] + (((d[at] | (d[at + 1] << 8) | (d[at + 2] << 16)) >> sh) & ((1 << lb) - 1));
    if (i < ns - 1) {
      // State updates; the last sequence has none.
      let nb = llBits[sl];
      pos -= nb;
      sl = llBase[sl] + (((d[pos >> 3] | (d[(pos >> 3) + 1] << 8)) >> (pos & 7)) & ((1 << nb) - 1));
      nb = mlBits[sm];
      pos -= nb;
      sm = mlBase[sm] + (((d[pos >> 3] | (d[(pos >> 3) + 1] << 8)) >> (pos & 7)) & ((1 << nb) - 1));
      nb = ofBits[so];
      pos -= nb;
      so = ofBase[so] + (((d[pos >> 3] | (d[(pos >> 3) + 1] << 8)) >> (pos & 7)) & ((1 << nb) - 1));
    }
    // Bits below `stop` read as garbage, but nothing is used before this check.
    if (pos < stop) throw zstdError('corrupt block (sequence bit stream overrun)');
    if (off > 3) {
      r2 = r1;
      r1 = r0;
      r0 = off -= 3;
    } else {
      const idx = llen !== 0 ? off - 1 : off;
      if (idx !== 0) {
        off = idx === 1 ? r1 : idx === 2 ? r2 : r0 - 1;
        if (idx > 1) r2 = r1;
        r1 = r0;
        r0 = off;
      } else off = r0;
    }
    litUsed += llen;
    if (litUsed > lits) throw zstdError('corrupt block (literal lengths exceed the literals)');
    const reach = produced + litUsed + matched;
    if (off < 1 || off > reach || off > window)
      throw zstdError(`corrupt block (match offset ${off} reaches before the window or the data)`);
    matched += mlen;
    if (lits + matched > outMax) throw zstdError(`corrupt block (decodes past the block maximum of ${outMax})`);
  }
  if (pos !== stop) throw zstdError('corrupt block (sequence bit stream not consumed exactly)');
  f.rep[0] = r0;
  f.rep[1] = r1;
  f.rep[2] = r2;
  return lits + matched;
}

// ---------------------------------------------------------------------------
// Frames

interface FrameHeader {
  window: number;
  /** Declared content size, or -1. */
  size: number;
  checksum: boolean;
  /** Header handed to fzstd: no dictionary, no checksum, the smallest window that will do. */
  forFzstd: Uint8Array;
  /** Most a compressed block may weigh (Block_Maximum_Size). */
  blockMax: number;
}

async function readFrameHeader(inp: ChunkInput): Promise<FrameHeader> {
  const fhd = (await inp.take(1, 'a frame header'))[0];
  const fcsFlag = fhd >> 6;
  const single = (fhd & 0x20) !== 0;
  if (fhd & 0x08) throw zstdError('reserved bit set in the frame header');
  const checksum = (fhd & 0x04) !== 0;
  const didBytes = [0, 1, 2, 4][fhd & 3];
  const fcsBytes = fcsFlag === 0 ? (single ? 1 : 0) : 1 << fcsFlag;
  const rest = await inp.take((single ? 0 : 1) + didBytes + fcsBytes, 'a frame header');
  let p = 0;
  let declared = 0;
  let wd = 0;
  if (!single) {
    wd = rest[p++];
    const log = 10 + (wd >> 3);
    declared = 2 ** log + (2 ** log / 8) * (wd & 7);
  }
  let dict = 0;
  for (let i = 0; i < didBytes; i++) dict += rest[p + i] * 2 ** (8 * i);
  p += didBytes;
  if (dict !== 0) throw zstdError(`frames that need a dictionary are not supported (dictionary id ${dict})`);
  let size = -1;
  if (fcsBytes > 0) {
    size = 0;
    // Exact below 2^53; anything larger is far past the cap anyway.
    for (let i = 0; i < fcsBytes; i++) size += rest[p + i] * 2 ** (8 * i);
    if (fcsBytes === 2) size += 256;
  }
  if (single) declared = size;
  // No match reaches before the start of the content, so a known size bounds the window too.
  const window = size >= 0 ? Math.min(declared, size) : declared;
  if (window > MAX_WINDOW) throw zstdError(`window of ${window} bytes exceeds the cap (${MAX_WINDOW})`);
  let forFzstd: Uint8Array;
  if (window < declared || single) {
    // Single segment with a 4-byte content size: fzstd sizes its window to it.
    forFzstd = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0xa0, window & 0xff, (window >>> 8) & 0xff, (window >>> 16) & 0xff, window >>> 24);
  } else forFzstd = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x00, wd);
  return { window, size, checksum, forFzstd, blockMax: Math.min(BLOCK_MAX, declared) };
}

/** Output regrouped from fzstd's per-block pieces. */
class Pending {
  parts: Uint8Array[] = [];
  bytes = 0;

  add(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.parts.push(piece);
    this.bytes += piece.length;
  }

  take(): Buffer {
    const out =
      this.parts.length === 1
        ? Buffer.from(this.parts[0].buffer, this.parts[0].byteOffset, this.parts[0].length)
        : Buffer.concat(this.parts);
    this.parts = [];
    this.bytes = 0;
    return out;
  }
}

/** Decodes a sequence of zstd frames. Pulls input lazily; yields output in chunks of at most 1 MiB. */
export async function* decodeZstd(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const inp = new ChunkInput(input, 'zstd');
  const pending = new Pending();
  let cost = 0;
  let costAtYield = 0;
  let output = 0;
  const charge = (bytes: number): void => {
    cost += bytes;
    if (cost > COST_FLOOR && cost > COST_RATIO * output)
      throw zstdError(`blocks too small for their window (${cost} bytes of window work for ${output} bytes of output)`);
  };
  try {
    if (!(await inp.more())) throw zstdError('empty input (no frame)');
    while (await inp.more()) {
      const magic = u32(await inp.take(4, 'a frame magic number'), 0);
      if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
        await inp.skip(u32(await inp.take(4, 'a skippable frame header'), 0), 'a skippable frame');
        continue;
      }
      if (magic !== MAGIC) throw zstdError(`not a zstd frame (magic 0x${magic.toString(16).padStart(8, '0')})`);
      const h = await readFrameHeader(inp);
      const f: FrameState = {
        window: h.window,
        outMax: Math.min(BLOCK_MAX, h.window),
        produced: 0,
        tables: null,
        huffman: false,
        rep: [1, 4, 8],
      };
      const hash = h.checksum ? new Xxh64() : null;
      let prefix: Uint8Array | null = h.forFzstd;
      let fromFzstd = 0;
      const z = new Decompress((piece) => {
        fromFzstd += piece.length;
        pending.add(piece);
        hash?.update(piece);
      });
      charge(h.window);
      for (;;) {
        const bh = await inp.take(3, 'a block header');
        const word = bh[0] | (bh[1] << 8) | (bh[2] << 16);
        const last = (word & 1) === 1;
        const type = (word >> 1) & 3;
        const size = word >>> 3;
        if (type === 3) throw zstdError('corrupt block (reserved block type)');
        if (type !== 1 && size > h.blockMax) throw zstdError(`block of ${size} bytes exceeds the maximum of ${h.blockMax}`);
        const stored = type === 1 ? 1 : size;
        const head = prefix ? prefix.length : 0;
        const push = new Uint8Array(head + 3 + stored);
        if (prefix) push.set(prefix, 0);
        push.set(bh, head);
        await inp.takeInto(stored, 'a block', push, head + 3);
        const out = type === 2 ? checkBlock(push.subarray(head + 3), f) : size;
        if (out > f.outMax) throw zstdError(`block decodes to ${out} bytes, past the maximum of ${f.outMax}`);
        if (h.size >= 0 && f.produced + out > h.size)
          throw zstdError(`frame content size mismatch (header says ${h.size}, frame holds more)`);
        try {
          z.push(push, last);
        } catch (err) {
          throw zstdError(`corrupt block (fzstd: ${err instanceof Error ? err.message : String(err)})`);
        }
        prefix = null;
        f.produced += out;
        // fzstd holds back a frame's first pushes until it has 18 bytes, so only the totals must agree.
        if (fromFzstd > f.produced || (last && fromFzstd !== f.produced))
          throw zstdError(`fzstd decoded ${fromFzstd} bytes where ${f.produced} were expected`);
        output += out;
        // fzstd shifts its whole window after every non-empty block.
        if (out > 0) charge(h.window);
        if (pending.bytes >= FLUSH_AT || (pending.bytes > 0 && cost - costAtYield >= COST_YIELD)) {
          costAtYield = cost;
          yield pending.take();
        }
        if (last) break;
      }
      if (h.size >= 0 && f.produced !== h.size)
        throw zstdError(`frame content size mismatch (header says ${h.size}, frame holds ${f.produced})`);
      if (h.checksum) {
        const sum = u32(await inp.take(4, 'the content checksum'), 0);
        if (hash!.digest32() !== sum) throw zstdError('content checksum mismatch');
      }
    }
    if (pending.bytes > 0) yield pending.take();
  } finally {
    inp.close();
  }
}
