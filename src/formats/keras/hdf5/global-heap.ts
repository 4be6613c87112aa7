import { H5Error, type H5File } from './io.js';

/** Objects in one collection: HDF5 numbers them with 16 bits. */
const MAX_OBJECTS = 65_536;

/**
 * Finds object `index` in the global heap collection at `collection`
 * (where variable-length strings live) by walking the object headers and
 * skipping the data; returns where its bytes are and how many there are.
 */
export async function globalHeapObject(file: H5File, collection: number, index: number): Promise<{ addr: number; size: number }> {
  const L = file.sizeOfLengths;
  const head = file.cursor(await file.read(collection, 8 + L));
  head.signature('GCOL');
  const version = head.u8();
  if (version !== 1) throw new H5Error(`global heap at ${file.abs(collection)} has version ${version}`);
  head.skip(3);
  const size = head.length();
  const end = collection + size;
  const objHeader = 8 + L;
  let pos = collection + align8(8 + L);
  for (let n = 0; n < MAX_OBJECTS && pos + objHeader <= end; n++) {
    const c = file.cursor(await file.read(pos, objHeader));
    const id = c.u16();
    c.u16(); // reference count
    c.skip(4);
    const objSize = c.length();
    if (id === 0) break; // free space: the rest of the collection
    const data = pos + objHeader;
    if (data + objSize > end) throw new H5Error(`global heap object ${id} runs past its collection`);
    if (id === index) return { addr: data, size: objSize };
    pos = data + align8(objSize);
  }
  throw new H5Error(`global heap collection at ${file.abs(collection)} has no object ${index}`);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
