import { globalHeapObject } from './global-heap.js';
import { type Cursor, H5Error, type H5File, H5Unsupported, UNDEF } from './io.js';
import { MSG_DATATYPE, readMessages } from './object-header.js';

export interface Datatype {
  /** HDF5 datatype class: 3 fixed-length string, 9 variable-length, others are not text. */
  cls: number;
  size: number;
  /** Variable-length string (class 9, type 1). */
  vlenString: boolean;
}

export interface H5Attribute {
  name: string;
  datatype: Datatype;
  /** Number of elements (1 for a scalar, 0 for a null dataspace). */
  count: number;
  /** The raw data and the address of its first byte. */
  data: Buffer;
  dataAddr: number;
}

/** One text value and where its bytes are in the file (absolute offset). */
export interface H5Text {
  bytes: Buffer;
  offset: number;
}

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;
const MAX_ELEMENTS = 1 << 24;

/**
 * Decodes an attribute message (versions 1–3). A datatype stored as a
 * committed (named) datatype is looked up in its own object header; a
 * datatype or dataspace kept in the shared-message heap is not decoded.
 */
export async function parseAttribute(file: H5File, body: Buffer, bodyAddr: number, checkpoint: () => void): Promise<H5Attribute> {
  const c = file.cursor(body);
  const version = c.u8();
  if (version < 1 || version > 3) throw new H5Error(`attribute message version ${version}`);
  const flags = c.u8(); // reserved in version 1
  const nameSize = c.u16();
  const dtSize = c.u16();
  const dsSize = c.u16();
  if (version === 3) c.u8(); // name character set
  const pad = version === 1 ? pad8 : (n: number) => n;
  const nameBytes = c.bytes(nameSize);
  c.skip(pad(nameSize) - nameSize);
  const nul = nameBytes.indexOf(0);
  // HDF5 compares attribute names as C strings.
  const name = nameBytes.subarray(0, nul >= 0 ? nul : nameBytes.length).toString('utf8');
  const dtBytes = c.bytes(dtSize);
  c.skip(pad(dtSize) - dtSize);
  const dsBytes = c.bytes(dsSize);
  c.skip(pad(dsSize) - dsSize);
  const shared = version >= 2 ? flags : 0;
  const datatype =
    shared & 0x01 ? await committedDatatype(file, file.cursor(dtBytes), name, checkpoint) : parseDatatype(file.cursor(dtBytes));
  if (shared & 0x02) throw new H5Unsupported(`attribute '${name}' keeps its dataspace in the shared-message heap`);
  const count = parseDataspace(file.cursor(dsBytes));
  const need = count * datatype.size;
  if (!Number.isSafeInteger(need) || need > c.remaining) {
    throw new H5Error(`attribute '${name}' declares ${count} × ${datatype.size} bytes of data but its message holds ${c.remaining}`);
  }
  const dataAt = c.pos;
  return { name, datatype, count, data: c.bytes(need), dataAddr: bodyAddr + dataAt };
}

export function parseDatatype(c: Cursor): Datatype {
  const b0 = c.u8();
  const cls = b0 & 0x0f;
  const bits0 = c.u8();
  c.u8();
  c.u8();
  const size = c.u32();
  return { cls, size, vlenString: cls === 9 && (bits0 & 0x0f) === 1 };
}

/** Element count of a dataspace message (versions 1 and 2). */
export function parseDataspace(c: Cursor): number {
  const version = c.u8();
  const rank = c.u8();
  c.u8(); // flags: maximum dimensions follow the dimensions, and are not needed
  let kind: number;
  if (version === 1) {
    c.skip(5);
    kind = rank > 0 ? 1 : 0;
  } else if (version === 2) {
    kind = c.u8();
  } else throw new H5Error(`dataspace message version ${version}`);
  if (kind === 2) return 0;
  if (kind === 0) return 1;
  if (kind !== 1) throw new H5Error(`dataspace type ${kind}`);
  if (rank > 32) throw new H5Error(`dataspace of rank ${rank}`);
  let count = 1;
  for (let i = 0; i < rank; i++) {
    count *= c.length();
    if (count > MAX_ELEMENTS) throw new H5Error(`attribute with more than ${MAX_ELEMENTS} elements`);
  }
  return count;
}

/** A shared-message reference to a committed datatype: its object header holds the datatype message. */
async function committedDatatype(file: H5File, c: Cursor, name: string, checkpoint: () => void): Promise<Datatype> {
  const version = c.u8();
  const type = c.u8();
  let addr: number;
  if (version === 1) {
    c.skip(6);
    c.length();
    addr = c.addr();
  } else if (version === 2 || (version === 3 && type === 2)) {
    addr = c.addr();
  } else if (version === 3 && type === 1) {
    throw new H5Unsupported(`attribute '${name}' keeps its datatype in the shared-message heap`);
  } else throw new H5Error(`shared message version ${version} type ${type}`);
  if (addr === UNDEF) throw new H5Error(`attribute '${name}' refers to a committed datatype without an address`);
  const msgs = await readMessages(file, addr, new Set([MSG_DATATYPE]), checkpoint);
  if (msgs.length === 0) throw new H5Error(`committed datatype of attribute '${name}' has no datatype message`);
  return parseDatatype(file.cursor(msgs[0].body));
}

/**
 * The attribute's values as text (fixed-length strings or variable-length
 * strings from the global heap), at most `maxElements` of them and none
 * longer than `maxBytes`. Undefined when the attribute is not text.
 */
export async function readTexts(file: H5File, a: H5Attribute, maxElements: number, maxBytes: number): Promise<H5Text[] | undefined> {
  const out: H5Text[] = [];
  const n = Math.min(a.count, maxElements);
  if (a.datatype.cls === 3) {
    const size = a.datatype.size;
    if (size > maxBytes) throw new TooLarge(a.name, size);
    for (let i = 0; i < n; i++) {
      let bytes = a.data.subarray(i * size, (i + 1) * size);
      // numpy drops trailing NULs of fixed-length byte strings, and only those.
      let end = bytes.length;
      while (end > 0 && bytes[end - 1] === 0) end--;
      bytes = bytes.subarray(0, end);
      out.push({ bytes, offset: file.abs(a.dataAddr + i * size) });
    }
    return out;
  }
  if (!a.datatype.vlenString) return undefined;
  const elem = 4 + file.sizeOfOffsets + 4;
  if (a.datatype.size < elem) throw new H5Error(`variable-length attribute '${a.name}' has ${a.datatype.size}-byte elements`);
  for (let i = 0; i < n; i++) {
    const c = file.cursor(a.data, i * a.datatype.size);
    const len = c.u32();
    const collection = c.addr();
    const index = c.u32();
    if (len === 0) {
      out.push({ bytes: Buffer.alloc(0), offset: file.abs(a.dataAddr + i * a.datatype.size) });
      continue;
    }
    if (len > maxBytes) throw new TooLarge(a.name, len);
    if (collection === UNDEF) throw new H5Error(`attribute '${a.name}' points to an undefined global heap`);
    const obj = await globalHeapObject(file, collection, index);
    if (len > obj.size) throw new H5Error(`attribute '${a.name}' is ${len} bytes but its heap object holds ${obj.size}`);
    out.push({ bytes: await file.read(obj.addr, len), offset: file.abs(obj.addr) });
  }
  return out;
}

export class TooLarge extends Error {
  constructor(
    readonly attribute: string,
    readonly bytes: number,
  ) {
    super(`attribute '${attribute}' is ${bytes} bytes`);
  }
}
