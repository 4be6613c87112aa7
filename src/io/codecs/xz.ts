/**
 * Streaming .xz decoder (xz file format 1.x, as xz-utils, Python's lzma
 * FORMAT_XZ and joblib compress='xz' write it).
 *
 * Accepted as xz-utils accepts it: one or more concatenated streams, each
 * optionally followed by stream padding (null bytes, a multiple of 4). Every
 * CRC32 of the container (stream flags, block headers, index) is verified, as
 * are block padding, declared block sizes, the index against the blocks seen,
 * and the footer against the header. Integrity checks are verified for CRC32,
 * CRC64 and SHA-256; the other check ids (reserved by the format) are skipped
 * by their length.
 *
 * Limitations: only the LZMA2 filter (0x21) is supported; filter chains with
 * delta or BCJ filters are refused (`xz: filter 0x.. not supported`). Sizes
 * beyond 2^53 are refused.
 */

import { createHash, type Hash } from 'node:crypto';
import zlib from 'node:zlib';
import { ByteInput, decodeLzma2, type LzmaOptions } from './lzma.js';

const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FOOTER_MAGIC_Y = 0x59;
const FOOTER_MAGIC_Z = 0x5a;
const FILTER_LZMA2 = 0x21;
const CHECK_NONE = 0;
const CHECK_CRC32 = 1;
const CHECK_CRC64 = 4;
const CHECK_SHA256 = 10;

function xzError(message: string): Error {
  return new Error(`xz: ${message}`);
}

function u32le(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** Check field length by check id: 0, then 4, 8, 16, 32, 64 bytes for each group of three ids. */
function checkSize(id: number): number {
  return id === 0 ? 0 : 4 << Math.floor((id - 1) / 3);
}

// CRC-64/XZ (ECMA-182 polynomial, reflected), kept as two 32-bit halves.
const CRC64_LO = new Uint32Array(256);
const CRC64_HI = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let lo = i;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi >>>= 1;
    if (carry) {
      lo = (lo ^ 0xd7870f42) >>> 0;
      hi = (hi ^ 0xc96c5795) >>> 0;
    }
  }
  CRC64_LO[i] = lo;
  CRC64_HI[i] = hi;
}

export class Crc64 {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(data: Uint8Array): void {
    let lo = this.lo;
    let hi = this.hi;
    for (let i = 0; i < data.length; i++) {
      const t = (lo ^ data[i]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ CRC64_LO[t];
      hi = (hi >>> 8) ^ CRC64_HI[t];
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** The 8 bytes as stored in an .xz check field (little-endian). */
  digest(): Uint8Array {
    const out = new Uint8Array(8);
    const lo = ~this.lo >>> 0;
    const hi = ~this.hi >>> 0;
    for (let i = 0; i < 4; i++) {
      out[i] = (lo >>> (8 * i)) & 0xff;
      out[4 + i] = (hi >>> (8 * i)) & 0xff;
    }
    return out;
  }
}

/** Computes a block's integrity check over its uncompressed data. */
class Check {
  private crc32 = 0;
  private readonly crc64: Crc64 | null;
  private readonly sha: Hash | null;

  constructor(private readonly id: number) {
    this.crc64 = id === CHECK_CRC64 ? new Crc64() : null;
    this.sha = id === CHECK_SHA256 ? createHash('sha256') : null;
  }

  update(data: Uint8Array): void {
    if (this.id === CHECK_CRC32) this.crc32 = zlib.crc32(data, this.crc32);
    else this.crc64?.update(data);
    this.sha?.update(data);
  }

  /** The expected check field, or null for check ids that are only skipped. */
  digest(): Uint8Array | null {
    if (this.id === CHECK_NONE) return new Uint8Array(0);
    if (this.id === CHECK_CRC32) {
      const c = this.crc32;
      return Uint8Array.of(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24);
    }
    if (this.crc64) return this.crc64.digest();
    if (this.sha) return new Uint8Array(this.sha.digest());
    return null;
  }
}

/** Reads a variable-length integer from b[p..end); returns [value, next position]. */
function readVli(b: Uint8Array, p: number, end: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    if (p >= end) throw xzError('corrupt block header (truncated number)');
    const byte = b[p++];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) throw xzError('corrupt data (non-minimal number encoding)');
      if (value > Number.MAX_SAFE_INTEGER) throw xzError('size too large');
      return [value, p];
    }
  }
  throw xzError('corrupt data (number longer than 9 bytes)');
}

/** Minimal encoding of a variable-length integer (what an index record holds). */
function encodeVli(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

/**
 * Reads the index byte by byte, keeping a CRC32 of everything read (the index
 * CRC) and, while `records` is set, of the record bytes alone (to compare with
 * the blocks actually seen, as xz-utils does with a hash of the records).
 */
class IndexReader {
  crc = zlib.crc32(Uint8Array.of(0));
  recordsCrc = 0;
  count = 1;
  records = false;

  constructor(private readonly inp: ByteInput) {}

  async byte(): Promise<number> {
    const b = await this.inp.byte();
    const one = this.inp.buf.subarray(this.inp.pos - 1, this.inp.pos);
    this.crc = zlib.crc32(one, this.crc);
    if (this.records) this.recordsCrc = zlib.crc32(one, this.recordsCrc);
    this.count++;
    return b;
  }

  async vli(): Promise<number> {
    let value = 0;
    for (let i = 0; i < 9; i++) {
      const byte = await this.byte();
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) throw xzError('corrupt index (non-minimal number encoding)');
        if (value > Number.MAX_SAFE_INTEGER) throw xzError('size too large');
        return value;
      }
    }
    throw xzError('corrupt index (number longer than 9 bytes)');
  }
}

interface StreamFlags {
  raw0: number;
  raw1: number;
  check: number;
}

function hex2(id: number): string {
  return `0x${id.toString(16).padStart(2, '0')}`;
}

/** Parses stream flags (2 bytes), as stored in the stream header and footer. */
function parseFlags(b: Uint8Array, p: number, where: string): StreamFlags {
  if (b[p] !== 0 || (b[p + 1] & 0xf0) !== 0) throw xzError(`unsupported stream flags in the ${where}`);
  return { raw0: b[p], raw1: b[p + 1], check: b[p + 1] & 0x0f };
}

/**
 * Decodes an .xz file: one or more streams with optional stream padding
 * between and after them.
 */
export async function* decodeXz(input: AsyncIterable<Uint8Array>, options?: LzmaOptions): AsyncGenerator<Buffer> {
  const inp = new ByteInput(input, 'xz');
  try {
    for (let first = true; ; first = false) {
      if (!first) {
        // Stream padding: null bytes in multiples of 4, then either the end or another stream.
        let padding = 0;
        while (await inp.fill(1)) {
          const b = inp.buf;
          let p = inp.pos;
          while (p < b.length && b[p] === 0) p++;
          padding += p - inp.pos;
          inp.pos = p;
          if (p < b.length) break;
        }
        if (padding % 4 !== 0) throw xzError('stream padding is not a multiple of 4 bytes');
        if (inp.available === 0) return;
      }
      yield* decodeStream(inp, first, options);
    }
  } finally {
    await inp.close();
  }
}

async function* decodeStream(inp: ByteInput, first: boolean, options: LzmaOptions | undefined): AsyncGenerator<Buffer> {
  if (!(await inp.fill(12)) && inp.available === 0) throw xzError('truncated input (empty)');
  // Magic first (on what there is), so garbage is reported as such rather than as truncation.
  const avail = Math.min(inp.available, 6);
  for (let i = 0; i < avail; i++) {
    if (inp.buf[inp.pos + i] !== HEADER_MAGIC[i]) {
      throw xzError(first ? 'not an .xz stream (bad magic)' : 'garbage after the end of the stream');
    }
  }
  await inp.need(12);
  const h = inp.buf.subarray(inp.pos, inp.pos + 12);
  inp.pos += 12;
  if (zlib.crc32(h.subarray(6, 8)) !== u32le(h, 8)) throw xzError('stream header CRC mismatch');
  const flags = parseFlags(h, 6, 'stream header');

  let blocks = 0;
  // What the index must list, reduced as xz-utils does to a checksum of the records plus sums.
  let recordsCrc = 0;
  let unpaddedSum = 0;
  let uncompressedSum = 0;
  for (;;) {
    const sizeByte = await inp.byte();
    if (sizeByte === 0) break;
    const block = yield* decodeBlock(inp, sizeByte, flags.check, options);
    blocks++;
    recordsCrc = zlib.crc32(Uint8Array.from([...encodeVli(block.unpadded), ...encodeVli(block.uncompressed)]), recordsCrc);
    unpaddedSum += block.unpadded;
    uncompressedSum += block.uncompressed;
  }

  // Index (its indicator byte 0x00 has just been read).
  const r = new IndexReader(inp);
  const records = await r.vli();
  if (records !== blocks) throw xzError(`index lists ${records} blocks, the stream has ${blocks}`);
  let unpaddedIdx = 0;
  let uncompressedIdx = 0;
  r.records = true;
  for (let i = 0; i < records; i++) {
    unpaddedIdx += await r.vli();
    uncompressedIdx += await r.vli();
  }
  r.records = false;
  if (r.recordsCrc !== recordsCrc || unpaddedIdx !== unpaddedSum || uncompressedIdx !== uncompressedSum) {
    throw xzError('index does not match the blocks');
  }
  while (r.count % 4 !== 0) {
    if ((await r.byte()) !== 0) throw xzError('corrupt index padding');
  }
  const indexSize = r.count + 4;
  await inp.need(4);
  if (u32le(inp.buf, inp.pos) !== r.crc) throw xzError('index CRC mismatch');
  inp.pos += 4;

  await inp.need(12);
  const f = inp.buf.subarray(inp.pos, inp.pos + 12);
  inp.pos += 12;
  if (f[10] !== FOOTER_MAGIC_Y || f[11] !== FOOTER_MAGIC_Z) throw xzError('corrupt stream footer (bad magic)');
  if (zlib.crc32(f.subarray(4, 10)) !== u32le(f, 0)) throw xzError('stream footer CRC mismatch');
  const footerFlags = parseFlags(f, 8, 'stream footer');
  if (footerFlags.raw0 !== flags.raw0 || footerFlags.raw1 !== flags.raw1) throw xzError('stream footer flags differ from the header');
  if ((u32le(f, 4) + 1) * 4 !== indexSize) throw xzError('stream footer backward size does not match the index');
}

interface BlockInfo {
  unpadded: number;
  uncompressed: number;
}

async function* decodeBlock(
  inp: ByteInput,
  sizeByte: number,
  checkId: number,
  options: LzmaOptions | undefined,
): AsyncGenerator<Buffer, BlockInfo> {
  const headerSize = (sizeByte + 1) * 4;
  inp.pos--;
  await inp.need(headerSize);
  const h = inp.buf.slice(inp.pos, inp.pos + headerSize);
  inp.pos += headerSize;
  const end = headerSize - 4;
  if (zlib.crc32(h.subarray(0, end)) !== u32le(h, end)) throw xzError('block header CRC mismatch');
  const blockFlags = h[1];
  if (blockFlags & 0x3c) throw xzError('unsupported block header flags');
  let p = 2;
  let compressedSize: number | null = null;
  let uncompressedSize: number | null = null;
  if (blockFlags & 0x40) {
    [compressedSize, p] = readVli(h, p, end);
    if (compressedSize === 0) throw xzError('corrupt block header (zero compressed size)');
  }
  if (blockFlags & 0x80) [uncompressedSize, p] = readVli(h, p, end);
  const numFilters = (blockFlags & 3) + 1;
  let dictSize = -1;
  for (let i = 0; i < numFilters; i++) {
    let id: number;
    let propsSize: number;
    [id, p] = readVli(h, p, end);
    [propsSize, p] = readVli(h, p, end);
    if (propsSize > end - p) throw xzError('corrupt block header (filter properties overrun)');
    if (id !== FILTER_LZMA2 || i !== numFilters - 1) throw xzError(`filter ${hex2(id)} not supported`);
    if (propsSize !== 1) throw xzError('corrupt block header (LZMA2 properties must be 1 byte)');
    const d = h[p];
    if (d > 40) throw xzError(`invalid LZMA2 dictionary size byte ${d}`);
    dictSize = d === 40 ? 0xffffffff : (2 | (d & 1)) * 2 ** (Math.floor(d / 2) + 11);
    p += propsSize;
  }
  for (; p < end; p++) if (h[p] !== 0) throw xzError('corrupt block header (non-zero padding)');

  const start = inp.offset;
  const check = new Check(checkId);
  let produced = 0;
  for await (const out of decodeLzma2(inp, dictSize, 'xz', options)) {
    produced += out.length;
    if (uncompressedSize !== null && produced > uncompressedSize) throw xzError('block holds more data than its header declares');
    check.update(out);
    yield out;
  }
  const compressed = inp.offset - start;
  if (compressedSize !== null && compressed !== compressedSize) throw xzError('block compressed size differs from its header');
  if (uncompressedSize !== null && produced !== uncompressedSize) throw xzError('block uncompressed size differs from its header');

  const padding = (4 - (compressed % 4)) % 4;
  const size = checkSize(checkId);
  await inp.need(padding + size);
  for (let i = 0; i < padding; i++) if (inp.buf[inp.pos + i] !== 0) throw xzError('corrupt block padding');
  inp.pos += padding;
  const stored = inp.buf.subarray(inp.pos, inp.pos + size);
  const expected = check.digest();
  if (expected && !Buffer.from(stored).equals(expected)) {
    throw xzError(`${checkId === CHECK_CRC32 ? 'CRC32' : checkId === CHECK_CRC64 ? 'CRC64' : 'SHA-256'} check mismatch`);
  }
  inp.pos += size;
  return { unpadded: headerSize + compressed + size, uncompressed: produced };
}
