import { H5Error, type H5File, UNDEF } from './io.js';

export const MSG_DATATYPE = 0x03;
export const MSG_ATTRIBUTE = 0x0c;
export const MSG_CONTINUATION = 0x10;
export const MSG_ATTRIBUTE_INFO = 0x15;
/** Message flag: the body is a reference to a shared message stored elsewhere. */
export const FLAG_SHARED = 0x02;

export interface H5Message {
  type: number;
  flags: number;
  body: Buffer;
  /** Address of the body's first byte. */
  bodyAddr: number;
}

const MAX_CHUNKS = 4096;
const MAX_HEADER_BYTES = 64 << 20;

/**
 * The messages of one object header (version 1 or 2) of the wanted types,
 * following continuation blocks. Each chunk is read once; loops and
 * oversized headers are errors.
 */
export async function readMessages(file: H5File, addr: number, wanted: ReadonlySet<number>, checkpoint: () => void): Promise<H5Message[]> {
  const out: H5Message[] = [];
  const first = await file.read(addr, Math.min(64, file.source.size - file.abs(addr)));
  let v2: boolean;
  let trackOrder = false;
  const queue: { addr: number; len: number; first: boolean }[] = [];
  if (first.toString('latin1', 0, 4) === 'OHDR') {
    v2 = true;
    const c = file.cursor(first, 4);
    if (c.u8() !== 2) throw new H5Error(`object header at ${file.abs(addr)} has an unknown version`);
    const flags = c.u8();
    trackOrder = (flags & 0x04) !== 0;
    if (flags & 0x20) c.skip(16);
    if (flags & 0x10) c.skip(4);
    const size = c.uint(1 << (flags & 3));
    queue.push({ addr: addr + c.pos, len: size, first: true });
  } else {
    v2 = false;
    const c = file.cursor(first);
    const version = c.u8();
    if (version !== 1) throw new H5Error(`object header at ${file.abs(addr)} has version ${version} (1 or OHDR expected)`);
    c.skip(1);
    c.u16(); // message count: continuation blocks are followed instead
    c.u32(); // reference count
    const size = c.u32();
    queue.push({ addr: addr + 16, len: size, first: true });
  }
  const seen = new Set<number>();
  let total = 0;
  while (queue.length > 0) {
    checkpoint();
    const chunk = queue.shift()!;
    if (seen.has(chunk.addr)) throw new H5Error(`object header continuation loops back to ${file.abs(chunk.addr)}`);
    seen.add(chunk.addr);
    if (seen.size > MAX_CHUNKS) throw new H5Error(`object header has more than ${MAX_CHUNKS} continuation blocks`);
    total += chunk.len;
    if (total > MAX_HEADER_BYTES) throw new H5Error(`object header is larger than ${MAX_HEADER_BYTES} bytes`);
    let start = chunk.addr;
    let end = chunk.addr + chunk.len;
    if (v2 && !chunk.first) {
      // Continuation blocks of version 2 headers carry a signature and a checksum.
      const sig = await file.read(chunk.addr, 4);
      if (sig.toString('latin1') !== 'OCHK') throw new H5Error(`continuation block at ${file.abs(chunk.addr)} lacks its OCHK signature`);
      start += 4;
      end -= 4;
    }
    if (end < start) throw new H5Error(`object header chunk at ${file.abs(chunk.addr)} is too small`);
    const buf = await file.read(start, end - start);
    const c = file.cursor(buf);
    const headerSize = v2 ? (trackOrder ? 6 : 4) : 8;
    while (c.remaining >= headerSize) {
      const msgAt = c.pos;
      const type = v2 ? c.u8() : c.u16();
      const size = c.u16();
      const flags = c.u8();
      if (v2) {
        if (trackOrder) c.u16();
      } else c.skip(3);
      if (size > c.remaining) throw new H5Error(`message of type 0x${type.toString(16)} at ${file.abs(start + msgAt)} runs past its chunk`);
      const body = c.bytes(size);
      if (type === MSG_CONTINUATION) {
        const cc = file.cursor(body);
        const next = cc.addr();
        const len = cc.length();
        if (next === UNDEF) throw new H5Error('continuation message without an address');
        queue.push({ addr: next, len, first: false });
      } else if (wanted.has(type)) {
        out.push({ type, flags, body, bodyAddr: start + msgAt + headerSize });
      }
    }
  }
  return out;
}
