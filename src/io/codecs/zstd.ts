/**
 * Streaming Zstandard decoder (RFC 8878), written for untrusted input: frames
 * and blocks are parsed here, the entropy decoding (FSE, Huffman) lives in
 * zstd-entropy.ts and the block decoding (literals, sequences, history) in
 * zstd-block.ts.
 *
 * Every size, count, table and offset read from the input is checked:
 * corruption throws `zstd: …`, and no input makes the decoder loop without
 * consuming input or producing output. Memory is bounded: frames needing a
 * window above MAX_WINDOW are refused, and the history buffer grows with the
 * output up to the window (plus slack for sliding). A known content size
 * bounds the window too. Content sizes and content checksums (XXH64) are
 * checked.
 *
 * Output is regrouped into chunks of 512 KiB–1 MiB. Skippable frames are
 * passed over, frames follow one another until the input ends, empty input
 * is an error (as in zstd and python-zstandard).
 *
 * Limitations: frames that name a dictionary are refused; legacy (v0.x)
 * frames are not recognised.
 */

import { ChunkInput } from './chunk-input.js';
import { BLOCK_MAX, BLOCK_PAD, blockBuffer, FrameDecoder } from './zstd-block.js';
import { zstdError } from './zstd-entropy.js';

const MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Largest window (bytes of history a frame may match against) accepted. */
export const MAX_WINDOW = 256 << 20;
const FLUSH_AT = 512 << 10;

function u32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

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
// Frames

interface FrameHeader {
  window: number;
  /** Declared content size, or -1. */
  size: number;
  checksum: boolean;
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
  return { window, size, checksum, blockMax: Math.min(BLOCK_MAX, declared) };
}

/** Output regrouped across blocks and frames. */
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
  const blockBuf = blockBuffer();
  const litBuf = new Uint8Array(BLOCK_MAX);
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
      const f = new FrameDecoder(h.window, litBuf);
      const hash = h.checksum ? new Xxh64() : null;
      for (;;) {
        const bh = await inp.take(3, 'a block header');
        const word = bh[0] | (bh[1] << 8) | (bh[2] << 16);
        const last = (word & 1) === 1;
        const type = (word >> 1) & 3;
        const size = word >>> 3;
        if (type === 3) throw zstdError('corrupt block (reserved block type)');
        if (type !== 1 && size > h.blockMax) throw zstdError(`block of ${size} bytes exceeds the maximum of ${h.blockMax}`);
        if (type === 1 && size > f.outMax) throw zstdError(`block decodes to ${size} bytes, past the maximum of ${f.outMax}`);
        f.reserve(f.outMax);
        const at = f.pos;
        let out: number;
        if (type === 0) {
          if (h.size >= 0 && f.produced + size > h.size)
            throw zstdError(`frame content size mismatch (header says ${h.size}, frame holds more)`);
          await inp.takeInto(size, 'a block', f.hist, at);
          f.pos += size;
          f.produced += size;
          out = size;
        } else if (type === 1) {
          const b = (await inp.take(1, 'a block'))[0];
          f.hist.fill(b, at, at + size);
          f.pos += size;
          f.produced += size;
          out = size;
        } else {
          await inp.takeInto(size, 'a block', blockBuf, BLOCK_PAD);
          out = f.decodeCompressed(blockBuf, BLOCK_PAD + size);
        }
        if (h.size >= 0 && f.produced > h.size) throw zstdError(`frame content size mismatch (header says ${h.size}, frame holds more)`);
        hash?.update(f.hist.subarray(at, at + out));
        if (pending.bytes + f.pos - f.flushed >= FLUSH_AT) {
          pending.add(f.takeOutput());
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
      pending.add(f.takeOutput());
      if (pending.bytes >= FLUSH_AT) yield pending.take();
    }
    if (pending.bytes > 0) yield pending.take();
  } finally {
    inp.close();
  }
}
