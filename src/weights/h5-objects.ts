import { type H5Attribute, parseAttribute, readTexts } from '../formats/keras/hdf5/attribute.js';
import { btree2Records } from '../formats/keras/hdf5/btree2.js';
import { FractalHeap } from '../formats/keras/hdf5/fractal-heap.js';
import { H5Error, type H5File, H5Unsupported, UNDEF } from '../formats/keras/hdf5/io.js';
import {
  FLAG_SHARED,
  type H5Message,
  MSG_ATTRIBUTE,
  MSG_ATTRIBUTE_INFO,
  MSG_DATATYPE,
  readMessages,
} from '../formats/keras/hdf5/object-header.js';
import type { TensorData } from './types.js';

/**
 * What the Keras weight reader needs of HDF5 beyond root attributes: the
 * hard links of a group (compact link messages, dense links in a fractal
 * heap, or an old-style symbol table), a named text attribute of any
 * object, and where a dataset's raw data is. Soft and external links and
 * external data files are never followed; chunked (possibly compressed)
 * datasets are described but not read.
 */

const MSG_DATASPACE = 0x01;
const MSG_LINK_INFO = 0x02;
const MSG_LINK = 0x06;
const MSG_LAYOUT = 0x08;
const MSG_SYMBOL_TABLE = 0x11;
const OBJECT_MESSAGES = new Set([
  MSG_DATASPACE,
  MSG_LINK_INFO,
  MSG_DATATYPE,
  MSG_LINK,
  MSG_LAYOUT,
  MSG_ATTRIBUTE,
  MSG_SYMBOL_TABLE,
  MSG_ATTRIBUTE_INFO,
]);

/** Links of one group taken into account: Keras groups hold a handful, a whole model's weights group a few thousand. */
const MAX_LINKS = 1 << 20;
const MAX_TREE_NODES = 1 << 16;
/** A local heap holds the names of one old-style group. */
const MAX_LOCAL_HEAP = 16 << 20;
const MAX_TEXTS = 1 << 20;
const MAX_TEXT_BYTES = 1 << 12;

export async function objectMessages(file: H5File, addr: number, checkpoint: () => void): Promise<H5Message[]> {
  return readMessages(file, addr, OBJECT_MESSAGES, checkpoint);
}

/** Name → object header address of every hard link of a group. */
export async function groupLinks(file: H5File, msgs: readonly H5Message[], checkpoint: () => void): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of msgs) {
    checkpoint();
    if (m.type === MSG_LINK) addLink(file, m.body, out);
    else if (m.type === MSG_LINK_INFO) await denseLinks(file, m.body, out, checkpoint);
    else if (m.type === MSG_SYMBOL_TABLE) await symbolTableLinks(file, m.body, out, checkpoint);
  }
  return out;
}

function addLink(file: H5File, body: Buffer, out: Map<string, number>): void {
  const c = file.cursor(body);
  if (c.u8() !== 1) throw new H5Error('link message version is not 1');
  const flags = c.u8();
  const type = flags & 0x08 ? c.u8() : 0;
  if (flags & 0x04) c.skip(8);
  if (flags & 0x10) c.u8();
  const nameLen = c.uint(1 << (flags & 3));
  const name = c.bytes(nameLen).toString('utf8');
  if (type !== 0) return; // soft and external links lead outside what the file itself holds
  const addr = c.addr();
  if (addr !== UNDEF && out.size < MAX_LINKS && !out.has(name)) out.set(name, addr);
}

/** Dense link storage: link messages kept in a fractal heap, indexed by a version 2 B-tree of name hashes. */
async function denseLinks(file: H5File, body: Buffer, out: Map<string, number>, checkpoint: () => void): Promise<void> {
  const c = file.cursor(body);
  if (c.u8() !== 0) throw new H5Error('link info message version is not 0');
  const flags = c.u8();
  if (flags & 0x01) c.skip(8);
  const heapAddr = c.addr();
  const nameIndex = c.addr();
  if (heapAddr === UNDEF || nameIndex === UNDEF) return;
  const heap = await FractalHeap.open(file, heapAddr);
  for (const rec of await btree2Records(file, nameIndex, checkpoint)) {
    checkpoint();
    // Name-index records: a 4-byte name hash, then the heap ID.
    if (rec.length <= 4) throw new H5Error('link name-index record too short');
    const obj = await heap.get(rec.subarray(4), checkpoint);
    addLink(file, obj.bytes, out);
  }
}

/** Old-style groups (h5py's default): a version 1 B-tree of symbol-table nodes, names in a local heap. */
async function symbolTableLinks(file: H5File, body: Buffer, out: Map<string, number>, checkpoint: () => void): Promise<void> {
  const O = file.sizeOfOffsets;
  const L = file.sizeOfLengths;
  const st = file.cursor(body);
  const treeAddr = st.addr();
  const heapAddr = st.addr();
  const hc = file.cursor(await file.read(heapAddr, 8 + 2 * L + O));
  hc.signature('HEAP');
  hc.skip(4);
  const segSize = hc.length();
  hc.length();
  const segAddr = hc.addr();
  if (segSize > MAX_LOCAL_HEAP) throw new H5Error(`local heap of ${segSize} bytes`);
  const names = await file.read(segAddr, segSize);
  const nameAt = (off: number): string => {
    const end = names.indexOf(0, off);
    if (off >= names.length || end < 0) throw new H5Error(`link name at ${off} lies outside its local heap`);
    return names.toString('utf8', off, end);
  };
  const todo = [treeAddr];
  const seen = new Set<number>();
  while (todo.length) {
    checkpoint();
    const addr = todo.pop()!;
    if (seen.has(addr)) throw new H5Error(`group B-tree loops back to ${file.abs(addr)}`);
    seen.add(addr);
    if (seen.size > MAX_TREE_NODES) throw new H5Error(`group B-tree has more than ${MAX_TREE_NODES} nodes`);
    const h = file.cursor(await file.read(addr, 8 + 2 * O));
    h.signature('TREE');
    if (h.u8() !== 0) throw new H5Error('group B-tree node of a non-group type');
    const level = h.u8();
    const entries = h.u16();
    const c = file.cursor(await file.read(addr + 8 + 2 * O, entries * (L + O) + L));
    const children: number[] = [];
    for (let i = 0; i < entries; i++) {
      c.length();
      children.push(c.addr());
    }
    if (level > 0) {
      // Depth first, leftmost child first, so links come in name order.
      for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]);
      continue;
    }
    for (const child of children) {
      const sn = file.cursor(await file.read(child, 8));
      sn.signature('SNOD');
      sn.skip(2);
      const count = sn.u16();
      const ec = file.cursor(await file.read(child + 8, count * (2 * O + 24)));
      for (let i = 0; i < count; i++) {
        const name = nameAt(ec.addr());
        const header = ec.addr();
        ec.skip(24);
        if (header !== UNDEF && out.size < MAX_LINKS && !out.has(name)) out.set(name, header);
      }
    }
  }
}

/** The text values of attribute `name` of an object, or undefined when it has none by that name (or it is not text). */
export async function textAttribute(
  file: H5File,
  msgs: readonly H5Message[],
  name: string,
  checkpoint: () => void,
): Promise<string[] | undefined> {
  for (const m of msgs) {
    checkpoint();
    if (m.type === MSG_ATTRIBUTE && !(m.flags & FLAG_SHARED)) {
      const a = await attribute(() => parseAttribute(file, m.body, m.bodyAddr, checkpoint));
      if (a?.name === name) return texts(file, a);
    } else if (m.type === MSG_ATTRIBUTE_INFO) {
      const a = await denseAttribute(file, m.body, name, checkpoint);
      if (a) return texts(file, a);
    }
  }
  return undefined;
}

async function texts(file: H5File, a: H5Attribute): Promise<string[] | undefined> {
  const t = await readTexts(file, a, MAX_TEXTS, MAX_TEXT_BYTES);
  return t?.map((x) => x.bytes.toString('utf8'));
}

/** An attribute this reader cannot decode (kept in the shared-message heap…) is as good as absent. */
async function attribute(parse: () => Promise<H5Attribute>): Promise<H5Attribute | undefined> {
  try {
    return await parse();
  } catch (err) {
    if (err instanceof H5Unsupported) return undefined;
    throw err;
  }
}

async function denseAttribute(file: H5File, body: Buffer, name: string, checkpoint: () => void): Promise<H5Attribute | undefined> {
  const c = file.cursor(body);
  if (c.u8() !== 0) throw new H5Error('attribute info message version is not 0');
  if (c.u8() & 0x01) c.u16();
  const heapAddr = c.addr();
  const nameIndex = c.addr();
  if (heapAddr === UNDEF || nameIndex === UNDEF) return undefined;
  const heap = await FractalHeap.open(file, heapAddr);
  for (const rec of await btree2Records(file, nameIndex, checkpoint)) {
    checkpoint();
    // Name-index records: heap ID, message flags, creation order, name hash.
    const idLen = rec.length - 9;
    if (idLen < 1 || rec[idLen] & FLAG_SHARED) continue;
    const obj = await heap.get(rec.subarray(0, idLen), checkpoint);
    const a = await attribute(() => parseAttribute(file, obj.bytes, obj.addr === UNDEF ? heapAddr : obj.addr, checkpoint));
    if (a?.name === name) return a;
  }
  return undefined;
}

export interface DatasetInfo {
  shape: number[];
  /** safetensors-style dtype name (F32, F16, BF16, F64), or a description of a type that is not a float. */
  dtype: string;
  data?: TensorData;
  unreadable?: string;
}

/** Shape, element type and raw-data location of a dataset; undefined when the object is not a dataset. */
export function datasetInfo(file: H5File, msgs: readonly H5Message[]): DatasetInfo | undefined {
  const space = msgs.find((m) => m.type === MSG_DATASPACE);
  const type = msgs.find((m) => m.type === MSG_DATATYPE);
  const layout = msgs.find((m) => m.type === MSG_LAYOUT);
  if (!space || !type || !layout) return undefined;
  const info: DatasetInfo = { shape: dims(file, space.body), dtype: floatType(file, type) };
  const c = file.cursor(layout.body);
  const version = c.u8();
  let addr: number;
  let size: number | undefined;
  let cls: number;
  if (version === 3 || version === 4) {
    cls = c.u8();
    if (cls === 0) {
      size = c.u16();
      addr = layout.bodyAddr + c.pos;
    } else if (cls === 1) {
      addr = c.addr();
      size = c.length();
    } else addr = UNDEF;
  } else if (version === 1 || version === 2) {
    const rank = c.u8();
    cls = c.u8();
    c.skip(5);
    addr = cls === 0 ? UNDEF : c.addr();
    c.skip(4 * rank);
    if (cls === 0) {
      size = c.u32();
      addr = layout.bodyAddr + c.pos;
    }
  } else throw new H5Error(`data layout message version ${version}`);
  if (cls === 2) info.unreadable = 'it is stored in chunks (possibly compressed), which this reader does not assemble';
  else if (cls !== 0 && cls !== 1) info.unreadable = `its data layout class ${cls} is not read`;
  else if (addr === UNDEF) info.unreadable = 'its data was never written or lives in an external file';
  else {
    const start = file.abs(addr);
    const avail = Math.max(0, file.source.size - start);
    info.data = { source: file.source, offset: start, available: size === undefined ? avail : Math.min(size, avail) };
  }
  return info;
}

function dims(file: H5File, body: Buffer): number[] {
  const c = file.cursor(body);
  const version = c.u8();
  const rank = c.u8();
  c.u8();
  if (version === 1) c.skip(5);
  else if (version === 2) {
    if (c.u8() === 2) return [0];
  } else throw new H5Error(`dataspace message version ${version}`);
  if (rank > 32) throw new H5Error(`dataspace of rank ${rank}`);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) out.push(c.length());
  return out;
}

/** IEEE floats by their bit layout (HDF5 datatype class 1); anything else is named, not decoded. */
function floatType(file: H5File, m: H5Message): string {
  if (m.flags & FLAG_SHARED) return 'committed datatype';
  const c = file.cursor(m.body);
  const b0 = c.u8();
  const cls = b0 & 0x0f;
  const bits0 = c.u8();
  c.skip(2);
  const size = c.u32();
  if (cls !== 1) return `HDF5 class ${cls}, ${size} bytes`;
  if (bits0 & 0x01 || bits0 & 0x40) return `big-endian or VAX float${size * 8}`;
  c.skip(4);
  c.u8();
  const expSize = c.u8();
  c.u8();
  const mantSize = c.u8();
  const layout = `${size}:${expSize}:${mantSize}`;
  const known: Record<string, string> = { '8:11:52': 'F64', '4:8:23': 'F32', '2:5:10': 'F16', '2:8:7': 'BF16' };
  return known[layout] ?? `float with ${expSize}-bit exponent and ${mantSize}-bit mantissa`;
}
