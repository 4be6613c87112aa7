import { WindowReader } from '../../io/bounded-reader.js';
import type { ByteSource } from '../../io/byte-source.js';
import { ggmlType } from './ggml-types.js';

/** The file cannot be read past `offset`: everything after it is unknown. */
export class GgufError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** The whole header was read; only the tensor data is wrong. */
    readonly afterHeader = false,
  ) {
    super(message);
  }
}

export const TYPE_STRING = 8;
export const TYPE_ARRAY = 9;
/** Byte sizes of the fixed-size value types; STRING and ARRAY are variable. */
const SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const TYPE_NAMES = [
  'UINT8',
  'INT8',
  'UINT16',
  'INT16',
  'UINT32',
  'INT32',
  'FLOAT32',
  'BOOL',
  'STRING',
  'ARRAY',
  'UINT64',
  'INT64',
  'FLOAT64',
];

export interface GgufLimits {
  /** Largest template read into memory (longer ones are reported, not read). */
  maxTemplateBytes: number;
  /** Largest other string looked at for Jinja (keys naming a template). */
  maxStringBytes: number;
  maxKv: number;
  maxTensors: number;
  maxArrayDepth: number;
}

export const DEFAULT_GGUF_LIMITS: GgufLimits = {
  maxTemplateBytes: 64 << 20,
  maxStringBytes: 1 << 20,
  maxKv: 1_000_000,
  maxTensors: 1_000_000,
  maxArrayDepth: 4,
};

/** What the reader hands back as it goes, so findings made before a break are kept. */
export interface GgufVisitor {
  /** A string value stored under a template key; `text` is undefined when it exceeds the cap. */
  template(key: string, offset: number, length: number, text: string | undefined): void;
  /** Something a loader refuses or reads differently, that does not stop the reading. */
  problem(message: string, offset: number): void;
  checkpoint(): void;
}

export interface GgufLayout {
  version: number;
  bigEndian: boolean;
  tensorCount: number;
  kvCount: number;
  alignment: number;
  /** Where tensor data starts (after the tensor infos and padding). */
  dataOffset: number;
  /** End of the last tensor's data, relative to the file (dataOffset when there are no tensors). */
  dataEnd: number;
  /** Where the headers end (tensor infos included). */
  headerEnd: number;
  /** Every tensor's size is known (no unknown ggml type, no broken shape), so dataEnd is exact. */
  sizesKnown: boolean;
}

/** Whether a key holds a chat template llama.cpp and llama-cpp-python render. */
export function isChatTemplateKey(key: string): boolean {
  return key === 'tokenizer.chat_template' || key.startsWith('tokenizer.chat_template.');
}

/**
 * Reads a GGUF file's header, key/value pairs and tensor infos (v1–v3, either
 * byte order), bounds-checking every count and length against the bytes
 * left, skipping numeric arrays and long strings by offset and walking
 * string arrays through a window. Tensor data is never read; the tensors'
 * extents are checked against the file size.
 */
export async function readGguf(source: ByteSource, visitor: GgufVisitor, limits: GgufLimits = DEFAULT_GGUF_LIMITS): Promise<GgufLayout> {
  const c = new Cursor(source);
  const magic = await c.bytes(4, 'the magic');
  if (magic.toString('latin1') !== 'GGUF') throw new GgufError('not a GGUF file', 0);
  const rawVersion = await c.peekU32LE();
  // A big-endian file's version reads as 0x0N000000 little-endian (the low half is zero).
  c.bigEndian = (rawVersion & 0xffff) === 0 && rawVersion !== 0;
  const version = await c.u32('the version');
  if (version < 1 || version > 3) throw new GgufError(`unknown GGUF version ${version}`, 4);
  c.lenSize = version === 1 ? 4 : 8;

  const tensorCount = await c.len('tensor_count');
  const kvCount = await c.len('kv_count');
  // A key/value pair takes at least a length, a type and one byte; a tensor info a name length, n_dims, type and offset.
  const minKv = c.lenSize + 4 + 1;
  const minTensor = c.lenSize + 4 + 4 + 8;
  if (kvCount > c.remaining / minKv || kvCount > limits.maxKv)
    throw new GgufError(`kv_count ${kvCount} cannot fit in the ${c.remaining} bytes left`, 16 - (version === 1 ? 4 : 0));
  if (tensorCount > (c.remaining - kvCount * minKv) / minTensor || tensorCount > limits.maxTensors)
    throw new GgufError(`tensor_count ${tensorCount} cannot fit in the ${c.remaining} bytes left`, 8);

  let alignment = 32;
  const keys = new Set<string>();
  for (let i = 0; i < kvCount; i++) {
    if (i % 256 === 0) visitor.checkpoint();
    const at = c.offset;
    const key = await c.key();
    if (keys.has(key)) visitor.problem(`key '${key}' appears twice; llama.cpp refuses the file and other readers keep either value`, at);
    else if (keys.size < 100_000) keys.add(key);
    const type = await c.valueType(key);
    if (isChatTemplateKey(key) && type !== TYPE_STRING)
      visitor.problem(`'${clip(key)}' is a ${TYPE_NAMES[type]}, not a string; llama.cpp refuses it`, at);
    if (key === 'general.alignment') {
      if (type !== 4) {
        visitor.problem(`general.alignment is a ${TYPE_NAMES[type]}, not a UINT32; llama.cpp refuses the file`, at);
        await skipValue(c, type, key, 0, visitor, limits);
        continue;
      }
      const a = await c.u32('general.alignment');
      if (a === 0 || (a & (a - 1)) !== 0) visitor.problem(`general.alignment ${a} is not a power of two; llama.cpp refuses the file`, at);
      else alignment = a;
      continue;
    }
    if (type === TYPE_STRING) await readString(c, key, visitor, limits);
    else await skipValue(c, type, key, 0, visitor, limits);
  }

  let dataEnd = 0;
  let sizesKnown = true;
  const beyond: { name: string; at: number; end: number }[] = [];
  const names = new Set<string>();
  const infos: { name: string; at: number; offset: number; bytes: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    if (i % 256 === 0) visitor.checkpoint();
    const at = c.offset;
    const nameLen = await c.len('a tensor name length');
    c.need(nameLen, 'a tensor name');
    let name = `<${nameLen}-byte name>`;
    if (nameLen <= 1024) name = (await c.bytes(nameLen, 'a tensor name')).toString('utf8');
    else c.skip(nameLen);
    if (nameLen >= 64) visitor.problem(`tensor name '${clip(name)}' is ${nameLen} bytes, over ggml's 63`, at);
    if (names.has(name)) visitor.problem(`tensor '${clip(name)}' is listed twice; llama.cpp refuses the file`, at);
    else if (names.size < 200_000) names.add(name);
    const nDims = await c.u32('n_dims');
    if (nDims > 4) throw new GgufError(`tensor '${clip(name)}' has ${nDims} dimensions, over ggml's 4`, at);
    let elements = 1;
    let first = 1;
    for (let d = 0; d < nDims; d++) {
      const dim = await c.dim();
      if (d === 0) first = dim;
      elements = dim < 0 ? Number.NaN : elements * dim;
    }
    const typeId = await c.u32('a tensor type');
    const offset = await c.u64orInf();
    const t = ggmlType(typeId);
    if (!Number.isFinite(elements) || Number.isNaN(elements)) {
      visitor.problem(`tensor '${clip(name)}' has a negative or overflowing shape`, at);
      sizesKnown = false;
      continue;
    }
    if (!t) {
      visitor.problem(`tensor '${clip(name)}' has unknown ggml type ${typeId}; its size cannot be checked`, at);
      sizesKnown = false;
      continue;
    }
    if (first % t.blockSize !== 0)
      visitor.problem(`tensor '${clip(name)}' row of ${first} is not a multiple of ${t.name}'s block of ${t.blockSize}`, at);
    const bytes = (elements / t.blockSize) * t.typeSize;
    infos.push({ name, at, offset, bytes });
  }
  const headerEnd = c.offset;
  const dataOffset = alignUp(headerEnd, alignment);
  for (const ti of infos) {
    if (ti.offset % alignment !== 0)
      visitor.problem(`tensor '${clip(ti.name)}' data offset ${ti.offset} is not a multiple of the ${alignment}-byte alignment`, ti.at);
    const end = dataOffset + ti.offset + ti.bytes;
    if (end > source.size || !Number.isFinite(end)) beyond.push({ name: ti.name, at: ti.at, end });
    else dataEnd = Math.max(dataEnd, end);
  }
  if (beyond.length) {
    const b = beyond[0];
    const more = beyond.length > 1 ? ` (${beyond.length} of ${tensorCount} tensors lie beyond it)` : '';
    throw new GgufError(
      `tensor '${clip(b.name)}' data ends at byte ${Number.isFinite(b.end) ? b.end : 'beyond 2^53'}, past the end of the ${source.size}-byte file${more}: the file is truncated or its tensor infos lie`,
      b.at,
      true,
    );
  }
  return {
    version,
    bigEndian: c.bigEndian,
    tensorCount,
    kvCount,
    alignment,
    dataOffset,
    dataEnd: Math.max(dataEnd, tensorCount ? dataOffset : headerEnd),
    headerEnd,
    sizesKnown,
  };
}

async function readString(c: Cursor, key: string, visitor: GgufVisitor, limits: GgufLimits): Promise<void> {
  const len = await c.len(`the length of '${clip(key)}'`);
  c.need(len, `the value of '${clip(key)}'`);
  const at = c.offset;
  const chat = isChatTemplateKey(key);
  const named = chat || /template/i.test(key);
  const cap = chat ? limits.maxTemplateBytes : limits.maxStringBytes;
  if (!named) {
    c.skip(len);
    return;
  }
  if (len > cap) {
    if (chat) visitor.template(key, at, len, undefined);
    c.skip(len);
    return;
  }
  const text = new TextDecoder('utf-8').decode(await c.bytesDirect(len));
  if (chat || text.includes('{{') || text.includes('{%')) visitor.template(key, at, len, text);
}

async function skipValue(c: Cursor, type: number, key: string, depth: number, visitor: GgufVisitor, limits: GgufLimits): Promise<void> {
  if (type === TYPE_STRING) {
    const len = await c.len(`a string in '${clip(key)}'`);
    c.need(len, `a string in '${clip(key)}'`);
    c.skip(len);
    return;
  }
  if (type !== TYPE_ARRAY) {
    c.need(SCALAR_SIZE[type], `the value of '${clip(key)}'`);
    c.skip(SCALAR_SIZE[type]);
    return;
  }
  if (depth >= limits.maxArrayDepth)
    throw new GgufError(`arrays in '${clip(key)}' nest deeper than ${limits.maxArrayDepth} levels`, c.offset);
  const at = c.offset;
  const elem = await c.valueType(key);
  const count = await c.len(`the array length of '${clip(key)}'`);
  const minSize = elem === TYPE_STRING ? c.lenSize : elem === TYPE_ARRAY ? 4 + c.lenSize : SCALAR_SIZE[elem];
  if (count > c.remaining / minSize)
    throw new GgufError(
      `array '${clip(key)}' claims ${count} ${TYPE_NAMES[elem]} elements, more than the ${c.remaining} bytes left can hold`,
      at,
    );
  if (elem === TYPE_STRING) await c.skipStrings(count, key, visitor);
  else if (elem === TYPE_ARRAY) {
    for (let i = 0; i < count; i++) {
      if (i % 4096 === 0) visitor.checkpoint();
      await skipValue(c, TYPE_ARRAY, key, depth + 1, visitor, limits);
    }
  } else c.skip(count * minSize);
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** A forward cursor over the source with GGUF's integer encodings; every read is checked against the file's end. */
class Cursor {
  private readonly r: WindowReader;
  bigEndian = false;
  lenSize = 8;

  constructor(private readonly source: ByteSource) {
    this.r = new WindowReader(source, 0, 1 << 20);
  }

  get offset(): number {
    return this.r.offset;
  }

  get remaining(): number {
    return Math.max(0, this.source.size - this.r.offset);
  }

  need(n: number, what: string): void {
    if (n > this.remaining) throw new GgufError(`${what} is ${n} bytes but only ${this.remaining} are left`, this.offset);
  }

  private async fill(n: number, what: string): Promise<void> {
    if (this.r.end - this.r.pos >= n) return;
    if (!(await this.r.ensure(n))) throw new GgufError(`the file ends inside ${what}`, this.offset);
  }

  async bytes(n: number, what: string): Promise<Buffer> {
    await this.fill(n, what);
    const b = Buffer.from(this.r.buf.subarray(this.r.pos, this.r.pos + n));
    this.r.pos += n;
    return b;
  }

  /** Reads a long value straight from the source, leaving the window as it is. */
  async bytesDirect(n: number): Promise<Buffer> {
    const at = this.offset;
    const b = await this.source.read(at, n);
    if (b.length < n) throw new GgufError('the file ends inside a string', at);
    this.r.skip(n);
    return Buffer.from(b);
  }

  skip(n: number): void {
    this.r.skip(n);
  }

  async peekU32LE(): Promise<number> {
    await this.fill(4, 'the version');
    return this.r.buf.readUInt32LE(this.r.pos);
  }

  async u32(what: string): Promise<number> {
    await this.fill(4, what);
    const v = this.bigEndian ? this.r.buf.readUInt32BE(this.r.pos) : this.r.buf.readUInt32LE(this.r.pos);
    this.r.pos += 4;
    return v;
  }

  /** A u64 as a number; values past 2^53 are larger than any file and fail every bounds check as Infinity. */
  async u64orInf(): Promise<number> {
    await this.fill(8, 'a 64-bit value');
    const v = this.read64(this.r.pos);
    this.r.pos += 8;
    return v;
  }

  private read64(pos: number): number {
    const buf = this.r.buf;
    const hi = this.bigEndian ? buf.readUInt32BE(pos) : buf.readUInt32LE(pos + 4);
    const lo = this.bigEndian ? buf.readUInt32BE(pos + 4) : buf.readUInt32LE(pos);
    return hi >= 0x200000 ? Number.POSITIVE_INFINITY : hi * 0x1_0000_0000 + lo;
  }

  /** A count or length: u32 in GGUF v1, u64 after. */
  async len(what: string): Promise<number> {
    const at = this.offset;
    const v = this.lenSize === 4 ? await this.u32(what) : await this.u64orInf();
    if (!Number.isFinite(v)) throw new GgufError(`${what} is 2^53 or more, larger than any file`, at);
    return v;
  }

  /** A tensor dimension: int64 (u32 in v1); negative is -1. */
  async dim(): Promise<number> {
    if (this.lenSize === 4) return this.u32('a tensor dimension');
    await this.fill(8, 'a tensor dimension');
    const buf = this.r.buf;
    const hi = this.bigEndian ? buf.readUInt32BE(this.r.pos) : buf.readUInt32LE(this.r.pos + 4);
    const v = this.read64(this.r.pos);
    this.r.pos += 8;
    return hi >= 0x8000_0000 ? -1 : v;
  }

  async key(): Promise<string> {
    const len = await this.len('a key length');
    // The spec caps keys at 65535 bytes; anything longer is not a key but a length field gone wrong.
    if (len > 65535) throw new GgufError(`a key of ${len} bytes, over the 65535-byte limit of the spec`, this.offset - this.lenSize);
    this.need(len, 'a key');
    return (await this.bytes(len, 'a key')).toString('utf8');
  }

  async valueType(key: string): Promise<number> {
    const at = this.offset;
    const t = await this.u32(`the type of '${clip(key)}'`);
    if (t > 12) throw new GgufError(`value type ${t} of '${clip(key)}' is not a GGUF type`, at);
    return t;
  }

  /** Walks `count` strings (a tokenizer's vocabulary: 100k+) without reading them; the hot loop works on the window directly. */
  async skipStrings(count: number, key: string, visitor: GgufVisitor): Promise<void> {
    const r = this.r;
    const size = this.source.size;
    const ls = this.lenSize;
    const be = this.bigEndian;
    let { buf, pos, end, base } = r;
    for (let i = 0; i < count; i++) {
      if (end - pos < ls) {
        r.pos = pos;
        if ((i & 0x3fff) === 0) visitor.checkpoint();
        if (!(await r.ensure(ls))) throw new GgufError(`the file ends inside string ${i} of '${clip(key)}'`, r.offset);
        ({ buf, pos, end, base } = r);
      }
      let n: number;
      if (ls === 4) n = be ? buf.readUInt32BE(pos) : buf.readUInt32LE(pos);
      else {
        const hi = be ? buf.readUInt32BE(pos) : buf.readUInt32LE(pos + 4);
        const lo = be ? buf.readUInt32BE(pos + 4) : buf.readUInt32LE(pos);
        n = hi >= 0x200000 ? Number.POSITIVE_INFINITY : hi * 0x1_0000_0000 + lo;
      }
      pos += ls;
      if (n > size - (base + pos))
        throw new GgufError(`string ${i} of '${clip(key)}' is ${n} bytes, past the end of the file`, base + pos - ls);
      if (end - pos >= n) pos += n;
      else {
        r.pos = pos;
        r.skip(n);
        ({ buf, pos, end, base } = r);
      }
    }
    r.pos = pos;
  }
}
