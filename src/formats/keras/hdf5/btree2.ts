import { H5Error, type H5File, limitEncSize, UNDEF } from './io.js';

const MAX_RECORDS = 1 << 20;
const MAX_DEPTH = 16;
/** Signature, version, type and checksum around every node. */
const NODE_PREFIX = 10;

/**
 * Every record of a version 2 B-tree, in key order, as raw bytes. Node
 * field widths are derived from the header the way the HDF5 library does
 * (H5B2__hdr_init): they depend on how many records a node can hold.
 */
export async function btree2Records(file: H5File, headerAddr: number, checkpoint: () => void): Promise<Buffer[]> {
  const O = file.sizeOfOffsets;
  const h = file.cursor(await file.read(headerAddr, 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + O + 2 + file.sizeOfLengths));
  h.signature('BTHD');
  if (h.u8() !== 0) throw new H5Error('unknown B-tree header version');
  h.u8(); // record type
  const nodeSize = h.u32();
  const recordSize = h.u16();
  const depth = h.u16();
  h.u8();
  h.u8();
  const root = h.addr();
  const rootRecords = h.u16();
  const total = h.length();
  if (root === UNDEF || total === 0) return [];
  if (nodeSize < NODE_PREFIX + 1 || recordSize === 0 || nodeSize > 1 << 24)
    throw new H5Error(`B-tree node size ${nodeSize} or record size ${recordSize}`);
  if (depth > MAX_DEPTH) throw new H5Error(`B-tree depth ${depth}`);
  if (total > MAX_RECORDS) throw new H5Error(`B-tree with ${total} records`);

  // Widths of the "records below this pointer" fields, per level.
  const leafMax = Math.floor((nodeSize - NODE_PREFIX) / recordSize);
  if (leafMax < 1) throw new H5Error('B-tree node too small for one record');
  const maxNrecSize = limitEncSize(leafMax);
  const cumMax: number[] = [leafMax];
  const cumMaxSize: number[] = [0];
  for (let d = 1; d <= depth; d++) {
    const ptrSize = O + maxNrecSize + (d > 1 ? cumMaxSize[d - 1] : 0);
    const max = Math.floor((nodeSize - (NODE_PREFIX + ptrSize)) / (recordSize + ptrSize));
    if (max < 1) throw new H5Error('B-tree internal node too small');
    cumMax[d] = Math.min(Number.MAX_SAFE_INTEGER, (max + 1) * cumMax[d - 1] + max);
    cumMaxSize[d] = limitEncSize(cumMax[d]);
  }

  const out: Buffer[] = [];
  const seen = new Set<number>();
  const visit = async (addr: number, nrec: number, level: number): Promise<void> => {
    checkpoint();
    if (seen.has(addr)) throw new H5Error(`B-tree node at ${file.abs(addr)} is reached twice`);
    seen.add(addr);
    if (out.length + nrec > MAX_RECORDS) throw new H5Error('B-tree has too many records');
    const node = file.cursor(await file.read(addr, nodeSize));
    node.signature(level === 0 ? 'BTLF' : 'BTIN');
    node.skip(2);
    const records: Buffer[] = [];
    for (let i = 0; i < nrec; i++) records.push(Buffer.from(node.bytes(recordSize)));
    if (level === 0) {
      out.push(...records);
      return;
    }
    const children: { addr: number; nrec: number }[] = [];
    for (let i = 0; i <= nrec; i++) {
      const child = node.addr();
      const n = node.uint(maxNrecSize);
      if (level > 1) node.uint(cumMaxSize[level - 1]);
      children.push({ addr: child, nrec: n });
    }
    // In-order: child, record, child, record, …, child.
    for (let i = 0; i <= nrec; i++) {
      await visit(children[i].addr, children[i].nrec, level - 1);
      if (i < nrec) out.push(records[i]);
    }
  };
  await visit(root, rootRecords, depth);
  return out;
}
