import type { ByteSource } from '../../io/byte-source.js';

/** One entry as the central directory describes it (what torch, numpy and zipfile go by). */
export interface ZipEntry {
  name: string;
  /** Raw name bytes were not valid UTF-8 (flag 11) or CP437 — shown as latin-1. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  madeBy: number;
  externalAttrs: number;
  /** Index in the central directory. */
  index: number;
}

export interface CentralDirectory {
  entries: ZipEntry[];
  /** Offset of the end-of-central-directory record. */
  eocdOffset: number;
  cdOffset: number;
  cdSize: number;
  /** Bytes after the end record (beyond its declared comment). */
  trailing: number;
  commentLength: number;
  zip64: boolean;
}

export class ZipFormatError extends Error {}

const EOCD_SIG = 0x06054b50;
const Z64_LOCATOR_SIG = 0x07064b50;
const Z64_EOCD_SIG = 0x06064b50;
const CEN_SIG = 0x02014b50;

/** Where a zip's end record is: searched backwards over the last 64 KiB + 22 bytes, as readers do. */
export async function findEndRecord(src: ByteSource): Promise<number | undefined> {
  const span = Math.min(src.size, 0xffff + 22);
  if (span < 22) return undefined;
  const tail = await src.read(src.size - span, span);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) return src.size - span + i;
  }
  return undefined;
}

/**
 * Reads the central directory with every count and offset checked against
 * the file: a lying header gives a ZipFormatError, never a huge allocation.
 */
export async function readCentralDirectory(src: ByteSource, maxEntries: number): Promise<CentralDirectory> {
  const eocd = await findEndRecord(src);
  if (eocd === undefined) throw new ZipFormatError('no end-of-central-directory record');
  const rec = await src.read(eocd, 22);
  let total = rec.readUInt16LE(10);
  let cdSize = rec.readUInt32LE(12);
  let cdOffset = rec.readUInt32LE(16);
  const commentLength = rec.readUInt16LE(20);
  let zip64 = false;
  if (eocd >= 20 && (total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)) {
    const loc = await src.read(eocd - 20, 20);
    if (loc.readUInt32LE(0) === Z64_LOCATOR_SIG) {
      const z64Offset = Number(loc.readBigUInt64LE(8));
      if (!Number.isSafeInteger(z64Offset) || z64Offset + 56 > src.size)
        throw new ZipFormatError('zip64 end record points outside the file');
      const z = await src.read(z64Offset, 56);
      if (z.readUInt32LE(0) !== Z64_EOCD_SIG) throw new ZipFormatError('zip64 end record signature missing');
      total = Number(z.readBigUInt64LE(32));
      cdSize = Number(z.readBigUInt64LE(40));
      cdOffset = Number(z.readBigUInt64LE(48));
      zip64 = true;
    }
  }
  if (!Number.isSafeInteger(cdOffset) || !Number.isSafeInteger(cdSize) || cdOffset + cdSize > src.size) {
    throw new ZipFormatError(`central directory (${cdSize} bytes at ${cdOffset}) lies outside the file`);
  }
  // Each entry takes at least 46 bytes, so the directory's size bounds the count whatever the header says.
  if (total > cdSize / 46 + 1) throw new ZipFormatError(`end record claims ${total} entries in a ${cdSize}-byte directory`);
  if (total > maxEntries) throw new ZipFormatError(`more than ${maxEntries} entries`);
  const cd = await src.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let index = 0; index < total; index++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CEN_SIG) throw new ZipFormatError(`central directory entry ${index} is damaged`);
    const flags = cd.readUInt16LE(p + 8);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length)
      throw new ZipFormatError(`central directory entry ${index} runs past the directory`);
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLen);
    let size = cd.readUInt32LE(p + 24);
    let compressedSize = cd.readUInt32LE(p + 20);
    let localOffset = cd.readUInt32LE(p + 42);
    // Zip64 extended information: 8-byte values for the fields that hold 0xFFFFFFFF, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const len = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const take = () => {
          if (q + 8 > e + 4 + len) throw new ZipFormatError(`entry ${index}: zip64 field too short`);
          const v = Number(cd.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      e += 4 + len;
    }
    entries.push({
      name: flags & 0x800 ? nameBytes.toString('utf8') : nameBytes.toString('latin1'),
      method: cd.readUInt16LE(p + 10),
      flags,
      crc32: cd.readUInt32LE(p + 16),
      compressedSize,
      size,
      localOffset,
      madeBy: cd.readUInt16LE(p + 4),
      externalAttrs: cd.readUInt32LE(p + 38),
      index,
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return { entries, eocdOffset: eocd, cdOffset, cdSize, trailing: src.size - (eocd + 22 + commentLength), commentLength, zip64 };
}

export interface LocalHeader {
  name: string;
  dataOffset: number;
  flags: number;
  method: number;
}

/** The local header an entry points at: where its data really starts, and the name it claims there. */
export async function readLocalHeader(src: ByteSource, entry: ZipEntry): Promise<LocalHeader> {
  if (!Number.isSafeInteger(entry.localOffset) || entry.localOffset + 30 > src.size) {
    throw new ZipFormatError(`'${entry.name}': local header outside the file`);
  }
  const h = await src.read(entry.localOffset, 30);
  if (h.readUInt32LE(0) !== 0x04034b50) throw new ZipFormatError(`'${entry.name}': no local header at ${entry.localOffset}`);
  const nameLen = h.readUInt16LE(26);
  const extraLen = h.readUInt16LE(28);
  const nameBytes = await src.read(entry.localOffset + 30, nameLen);
  const flags = h.readUInt16LE(6);
  return {
    name: flags & 0x800 ? nameBytes.toString('utf8') : nameBytes.toString('latin1'),
    dataOffset: entry.localOffset + 30 + nameLen + extraLen,
    flags,
    method: h.readUInt16LE(8),
  };
}
