import type { ByteSource } from '../../../io/byte-source.js';
import { H5Error, H5File, H5Unsupported, UNDEF } from './io.js';

export const HDF5_MAGIC = Buffer.from('\x89HDF\r\n\x1a\n', 'latin1');

/**
 * Where the HDF5 library looks for the signature: offset 0, then 512 and
 * every power of two after it (a user block may precede the file proper).
 * `limit` bounds the search for sources where reading far ahead is costly.
 */
export async function findSignature(source: ByteSource, limit = Number.POSITIVE_INFINITY): Promise<number | undefined> {
  for (let at = 0; at + 8 <= source.size && at <= limit; at = at === 0 ? 512 : at * 2) {
    const b = await source.read(at, 8);
    if (b.length === 8 && HDF5_MAGIC.equals(b)) return at;
  }
  return undefined;
}

export interface Superblock {
  version: number;
  file: H5File;
  /** Address of the root group's object header. */
  rootHeader: number;
}

/** Reads the superblock at file offset `at` (versions 0–3). */
export async function readSuperblock(source: ByteSource, at: number): Promise<Superblock> {
  const head = Buffer.from(await source.read(at, Math.min(256, source.size - at)));
  if (head.length < 12) throw new H5Error('truncated superblock');
  const version = head[8];
  let sizeOfOffsets: number;
  let sizeOfLengths: number;
  let fixed: number;
  if (version === 0 || version === 1) {
    sizeOfOffsets = head[13];
    sizeOfLengths = head[14];
    fixed = version === 0 ? 24 : 28;
  } else if (version === 2 || version === 3) {
    sizeOfOffsets = head[9];
    sizeOfLengths = head[10];
    fixed = 12;
  } else {
    throw new H5Unsupported(`superblock version ${version}`);
  }
  for (const [what, n] of [
    ['offsets', sizeOfOffsets],
    ['lengths', sizeOfLengths],
  ] as const) {
    if (![2, 4, 8].includes(n)) throw new H5Error(`size of ${what} is ${n} (2, 4 or 8 expected)`);
  }
  // Addresses count from the superblock: HDF5 rebases a file found after a user block.
  const file = new H5File(source, at, sizeOfOffsets, sizeOfLengths);
  const c = file.cursor(head, fixed);
  let rootHeader: number;
  if (version <= 1) {
    c.addr(); // base address
    c.addr(); // free-space info
    c.addr(); // end of file
    c.addr(); // driver info
    c.addr(); // root link name offset in the (absent) parent's heap
    rootHeader = c.addr();
  } else {
    c.addr(); // base address
    c.addr(); // superblock extension
    c.addr(); // end of file
    rootHeader = c.addr();
  }
  if (rootHeader === UNDEF) throw new H5Error('the root group has no object header address');
  return { version, file, rootHeader };
}
