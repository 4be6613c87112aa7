import type { ByteSource } from '../../../io/byte-source.js';
import { type H5Attribute, parseAttribute } from './attribute.js';
import { btree2Records } from './btree2.js';
import { FractalHeap } from './fractal-heap.js';
import { H5Error, type H5File, H5Unsupported, UNDEF } from './io.js';
import { FLAG_SHARED, MSG_ATTRIBUTE, MSG_ATTRIBUTE_INFO, readMessages } from './object-header.js';
import { readSuperblock } from './superblock.js';

export interface RootAttributes {
  file: H5File;
  superblockVersion: number;
  /** Compact attributes (in the root object header) and dense ones (in its fractal heap). */
  attributes: H5Attribute[];
  /** Attributes present but stored in a way this reader does not decode, and why. */
  unreadable: string[];
}

/**
 * The root group's attributes, which is where Keras keeps `model_config`
 * and `training_config`. Only metadata is read: no dataset, no link, no
 * other group, so external links and external storage are never followed.
 */
export async function readRootAttributes(source: ByteSource, at: number, checkpoint: () => void): Promise<RootAttributes> {
  const sb = await readSuperblock(source, at);
  const file = sb.file;
  const out: RootAttributes = { file, superblockVersion: sb.version, attributes: [], unreadable: [] };
  const msgs = await readMessages(file, sb.rootHeader, new Set([MSG_ATTRIBUTE, MSG_ATTRIBUTE_INFO]), checkpoint);
  for (const m of msgs) {
    checkpoint();
    if (m.type === MSG_ATTRIBUTE) {
      if (m.flags & FLAG_SHARED) {
        out.unreadable.push('an attribute kept in the shared-message heap');
        continue;
      }
      await addAttribute(out, () => parseAttribute(file, m.body, m.bodyAddr, checkpoint));
    } else {
      await readDense(out, m.body, checkpoint);
    }
  }
  return out;
}

async function addAttribute(out: RootAttributes, parse: () => Promise<H5Attribute>): Promise<void> {
  try {
    out.attributes.push(await parse());
  } catch (err) {
    if (!(err instanceof H5Unsupported)) throw err;
    out.unreadable.push(err.message);
  }
}

/** Dense attribute storage: the attribute-info message names a fractal heap and a B-tree indexing it by name. */
async function readDense(out: RootAttributes, body: Buffer, checkpoint: () => void): Promise<void> {
  const file = out.file;
  const c = file.cursor(body);
  const version = c.u8();
  if (version !== 0) throw new H5Error(`attribute info message version ${version}`);
  const flags = c.u8();
  if (flags & 0x01) c.u16();
  const heapAddr = c.addr();
  const nameIndex = c.addr();
  if (heapAddr === UNDEF) return;
  if (nameIndex === UNDEF) throw new H5Error('dense attribute storage without a name index');
  let heap: FractalHeap;
  try {
    heap = await FractalHeap.open(file, heapAddr);
  } catch (err) {
    if (!(err instanceof H5Unsupported)) throw err;
    out.unreadable.push(err.message);
    return;
  }
  for (const rec of await btree2Records(file, nameIndex, checkpoint)) {
    checkpoint();
    // Name-index records: heap ID, message flags, creation order, name hash.
    const idLen = rec.length - 9;
    if (idLen < 1) throw new H5Error('attribute name-index record too short');
    if (rec[idLen] & FLAG_SHARED) {
      out.unreadable.push('an attribute kept in the shared-message heap');
      continue;
    }
    await addAttribute(out, async () => {
      const obj = await heap.get(rec.subarray(0, idLen), checkpoint);
      return parseAttribute(file, obj.bytes, obj.addr === UNDEF ? heapAddr : obj.addr, checkpoint);
    });
  }
}
