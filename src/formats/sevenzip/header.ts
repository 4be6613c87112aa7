import zlib from 'node:zlib';
import { type Folder, folderSize, readFolder, totalOutputs } from './folders.js';
import { bitAt, HeaderReader, SevenZipFormatError } from './reader.js';

export const SIGNATURE = Buffer.from("7z\xbc\xaf'\x1c", 'latin1');
export const SIGNATURE_HEADER_SIZE = 32;

/** Property ids (7zFormat.txt). */
const ID = {
  end: 0x00,
  header: 0x01,
  archiveProperties: 0x02,
  additionalStreamsInfo: 0x03,
  mainStreamsInfo: 0x04,
  filesInfo: 0x05,
  packInfo: 0x06,
  unpackInfo: 0x07,
  subStreamsInfo: 0x08,
  size: 0x09,
  crc: 0x0a,
  folder: 0x0b,
  codersUnpackSize: 0x0c,
  numUnpackStream: 0x0d,
  emptyStream: 0x0e,
  name: 0x11,
  attributes: 0x15,
  encodedHeader: 0x17,
} as const;

/** Names longer than this are cut in reports; no file system takes more. */
const MAX_NAME_CHARS = 4096;

export class TooManyEntriesError extends SevenZipFormatError {}

export interface SignatureHeader {
  major: number;
  minor: number;
  /** The CRC stored for the start header matches its bytes. */
  startCrcOk: boolean;
  nextHeaderOffset: number;
  nextHeaderSize: number;
  nextHeaderCrc: number;
  /** Offsets, sizes and CRC all zero: an empty archive, or (with no valid CRC) one 7-Zip never finished writing. */
  blank: boolean;
}

export function readSignatureHeader(b: Buffer): SignatureHeader {
  if (b.length < SIGNATURE_HEADER_SIZE) throw new SevenZipFormatError(`signature header truncated (${b.length} of 32 bytes)`);
  const offset = b.readBigUInt64LE(12);
  const size = b.readBigUInt64LE(20);
  const tooBig = BigInt(Number.MAX_SAFE_INTEGER);
  return {
    major: b[6],
    minor: b[7],
    startCrcOk: zlib.crc32(b.subarray(12, 32)) === b.readUInt32LE(8),
    nextHeaderOffset: offset > tooBig ? Number.MAX_SAFE_INTEGER : Number(offset),
    nextHeaderSize: size > tooBig ? Number.MAX_SAFE_INTEGER : Number(size),
    nextHeaderCrc: b.readUInt32LE(28),
    blank: b.subarray(12, 32).every((x) => x === 0),
  };
}

/** One file's data inside a folder's decoded output (files of a solid folder follow one another). */
export interface Substream {
  folder: number;
  offset: number;
  size: number;
  crc?: number;
}

export interface StreamsInfo {
  /** Offset of the first packed stream after the signature header. */
  packPos: number;
  packSizes: number[];
  folders: Folder[];
  /** Substreams in archive order, only the first `keep` of them. */
  substreams: Substream[];
  /** All the substreams the header declares. */
  totalSubstreams: number;
}

export interface FileEntry {
  name: string;
  /** Directories, empty files and deletion markers ("anti" items) have none. */
  hasStream: boolean;
  attributes?: number;
}

export interface ArchiveHeader {
  streams?: StreamsInfo;
  /** The first `keep` files. */
  files: FileEntry[];
  /** Files the header declares (FilesInfo's count), or undefined without a FilesInfo. */
  numFiles?: number;
  /** Why reading stopped early: what was read before is kept. */
  damage?: string;
}

/** What reading the header may keep: `keep` entries at most, and no more folders than that. */
export interface HeaderLimits {
  keep: number;
}

/** Reads PackInfo / UnpackInfo / SubStreamsInfo up to their kEnd (the caller has read the id that opens them). */
export function readStreamsInfo(r: HeaderReader, limits: HeaderLimits): StreamsInfo {
  const s: StreamsInfo = { packPos: 0, packSizes: [], folders: [], substreams: [], totalSubstreams: 0 };
  let id = r.byte();
  if (id === ID.packInfo) {
    readPackInfo(r, s, limits);
    id = r.byte();
  }
  let haveFolders = false;
  if (id === ID.unpackInfo) {
    readUnpackInfo(r, s, limits);
    haveFolders = true;
    id = r.byte();
  }
  let haveSubstreams = false;
  if (id === ID.subStreamsInfo) {
    if (!haveFolders) r.fail('substreams without folders');
    readSubStreamsInfo(r, s, limits);
    haveSubstreams = true;
    id = r.byte();
  }
  if (id !== ID.end) r.fail(`unexpected property 0x${id.toString(16)} in streams info`);
  if (!haveSubstreams) {
    // Without SubStreamsInfo each folder is one stream.
    s.totalSubstreams = s.folders.length;
    s.substreams = s.folders.slice(0, limits.keep).map((f, i) => ({ folder: i, offset: 0, size: folderSize(f), crc: f.crc }));
  }
  let packed = 0;
  for (const f of s.folders) packed += f.packedStreams.length;
  if (packed > s.packSizes.length) r.fail(`folders use ${packed} packed streams but ${s.packSizes.length} are listed`);
  return s;
}

function skipAttribute(r: HeaderReader): void {
  r.skip(r.count('attribute byte'));
}

function readPackInfo(r: HeaderReader, s: StreamsInfo, limits: HeaderLimits): void {
  s.packPos = r.number();
  // A folder reads at most a few packed streams (BCJ2: four); more than that per allowed entry is not an archive to scan.
  const n = r.count('packed stream', 1, 4 * limits.keep + 64);
  let haveSizes = false;
  for (;;) {
    const id = r.byte();
    if (id === ID.end) break;
    if (id === ID.size) {
      for (let i = 0; i < n; i++) s.packSizes.push(r.number());
      haveSizes = true;
    } else if (id === ID.crc) {
      r.digests(n);
    } else skipAttribute(r);
  }
  if (!haveSizes) r.fail('packed stream sizes missing');
}

function readUnpackInfo(r: HeaderReader, s: StreamsInfo, limits: HeaderLimits): void {
  if (r.byte() !== ID.folder) r.fail('folder list missing');
  const n = r.count('folder', 2);
  if (n > limits.keep) throw new TooManyEntriesError(`${n} folders, more than the ${limits.keep}-entry limit`);
  if (r.byte() !== 0) r.fail('folders stored outside the header are not supported');
  for (let i = 0; i < n; i++) s.folders.push(readFolder(r));
  if (r.byte() !== ID.codersUnpackSize) r.fail('unpack sizes missing');
  for (const f of s.folders) {
    const outs = totalOutputs(f);
    for (let i = 0; i < outs; i++) f.unpackSizes.push(r.number());
  }
  for (;;) {
    const id = r.byte();
    if (id === ID.end) break;
    if (id === ID.crc) {
      const crcs = r.digests(n);
      s.folders.forEach((f, i) => {
        f.crc = crcs[i];
      });
    } else skipAttribute(r);
  }
}

function readSubStreamsInfo(r: HeaderReader, s: StreamsInfo, limits: HeaderLimits): void {
  const counts = s.folders.map(() => 1);
  let id = r.byte();
  if (id === ID.numUnpackStream) {
    for (let i = 0; i < counts.length; i++) counts[i] = r.number();
    id = r.byte();
  }
  // Sizes: all but the last of each folder are listed, the last is what the folder has left.
  if (id === ID.size) {
    for (let i = 0; i < counts.length; i++) {
      const own: number[] = [];
      let sum = 0;
      for (let j = 1; j < counts[i]; j++) {
        const size = r.number();
        sum += size;
        // Only what the scanner keeps is stored; the rest is read over.
        if (s.substreams.length + own.length < limits.keep) own.push(size);
      }
      const total = folderSize(s.folders[i]);
      if (counts[i] > 0) {
        if (sum > total) r.fail(`folder ${i}'s files add up to more than its ${total} bytes`);
        own.push(total - sum);
      }
      s.totalSubstreams += counts[i];
      let offset = 0;
      for (const size of own) {
        if (s.substreams.length >= limits.keep) break;
        s.substreams.push({ folder: i, offset, size });
        offset += size;
      }
    }
    id = r.byte();
  } else {
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] > 1) r.fail(`folder ${i} holds ${counts[i]} files but their sizes are missing`);
      s.totalSubstreams += counts[i];
      if (counts[i] === 1 && s.substreams.length < limits.keep) s.substreams.push({ folder: i, offset: 0, size: folderSize(s.folders[i]) });
    }
  }
  // A folder holding one file with a known CRC gives it that CRC; every other file's CRC is listed here.
  const inherits = (i: number): boolean => counts[i] === 1 && s.folders[i].crc !== undefined;
  for (let i = 0, sub = 0; i < counts.length && sub < s.substreams.length; sub += counts[i], i++) {
    if (inherits(i)) s.substreams[sub].crc = s.folders[i].crc;
  }
  for (;;) {
    if (id === ID.end) break;
    if (id === ID.crc) {
      let unknown = 0;
      for (let i = 0; i < counts.length; i++) if (!inherits(i)) unknown += counts[i];
      const crcs = r.digests(unknown, limits.keep);
      let k = 0;
      let sub = 0;
      for (let i = 0; i < counts.length && sub < s.substreams.length; i++) {
        if (inherits(i)) {
          sub += counts[i];
          continue;
        }
        for (let j = 0; j < counts[i] && sub < s.substreams.length; j++, k++, sub++) s.substreams[sub].crc = crcs[k];
      }
    } else skipAttribute(r);
    id = r.byte();
  }
}

/** FilesInfo properties as read so far; files are built from them even when a later property is damaged. */
interface FilesRaw {
  numFiles: number;
  emptyStream?: Buffer;
  names?: string[];
  attributes?: (number | undefined)[];
}

function readFilesInfo(r: HeaderReader, raw: FilesRaw, limits: HeaderLimits): void {
  for (;;) {
    const type = r.byte();
    if (type === ID.end) break;
    const size = r.count('property byte');
    const p = new HeaderReader(r.bytes(size), `file property 0x${type.toString(16)}`);
    const n = raw.numFiles;
    switch (type) {
      case ID.emptyStream:
        raw.emptyStream = p.bits(n);
        break;
      case ID.name:
        raw.names = readNames(p, n, limits.keep);
        break;
      case ID.attributes: {
        const defined = p.optionalBits(n);
        if (p.byte() !== 0) p.fail('attributes stored outside the header are not supported');
        const attrs: (number | undefined)[] = [];
        // The property is read whole already: attributes past the entry limit need not be looked at.
        for (let i = 0; i < Math.min(n, limits.keep); i++) attrs.push(bitAt(defined, i) ? p.u32() : undefined);
        raw.attributes = attrs;
        break;
      }
      default:
        // Which empty items are files or deletion markers, times, start positions, kDummy padding: nothing a scan needs.
        break;
    }
  }
}

function readNames(p: HeaderReader, n: number, keep: number): string[] {
  if (p.byte() !== 0) p.fail('names stored outside the header are not supported');
  const names: string[] = [];
  const b = p.buf;
  let start = p.pos;
  let count = 0;
  for (let i = start; i + 1 < b.length; i += 2) {
    if (b[i] !== 0 || b[i + 1] !== 0) continue;
    if (count < keep) {
      const end = Math.min(i, start + 2 * MAX_NAME_CHARS);
      names.push(b.toString('utf16le', start, end) + (end < i ? '…' : ''));
    }
    count++;
    start = i + 2;
  }
  if (count !== n || start !== b.length) p.fail(`${count} names for ${n} files`);
  return names;
}

function buildFiles(raw: FilesRaw, keep: number): FileEntry[] {
  const files: FileEntry[] = [];
  for (let i = 0; i < Math.min(raw.numFiles, keep); i++) {
    const hasStream = !raw.emptyStream || !bitAt(raw.emptyStream, i);
    files.push({ name: raw.names?.[i] ?? `<file ${i}>`, hasStream, attributes: raw.attributes?.[i] });
  }
  return files;
}

/**
 * Reads a plain header (its kHeader byte included). Damage stops the reading
 * but keeps what came before it: streams info once complete, and the file
 * properties read so far.
 */
export function readHeader(buf: Buffer, limits: HeaderLimits): ArchiveHeader {
  const r = new HeaderReader(buf);
  const out: ArchiveHeader = { files: [] };
  let raw: FilesRaw | undefined;
  try {
    if (r.byte() !== ID.header) r.fail('not a header');
    let id = r.byte();
    if (id === ID.archiveProperties) {
      for (;;) {
        const type = r.byte();
        if (type === 0) break;
        skipAttribute(r);
      }
      id = r.byte();
    }
    if (id === ID.additionalStreamsInfo) {
      // They only hold what properties mark as stored outside the header, which is refused: read over them.
      readStreamsInfo(r, limits);
      id = r.byte();
    }
    if (id === ID.mainStreamsInfo) {
      out.streams = readStreamsInfo(r, limits);
      id = r.byte();
    }
    if (id === ID.filesInfo) {
      const numFiles = r.number();
      out.numFiles = numFiles;
      raw = { numFiles };
      readFilesInfo(r, raw, limits);
      id = r.byte();
    }
    if (id !== ID.end) r.fail(`unexpected property 0x${id.toString(16)}`);
  } catch (err) {
    if (!(err instanceof SevenZipFormatError) || err instanceof TooManyEntriesError) throw err;
    out.damage = err.message;
  }
  if (raw) out.files = buildFiles(raw, limits.keep);
  return out;
}

/** Whether a next header is the packed kind: streams info for the real header, which is stored coded. */
export function isEncodedHeader(buf: Buffer): boolean {
  return buf[0] === ID.encodedHeader;
}

export function readEncodedHeaderInfo(buf: Buffer, limits: HeaderLimits): StreamsInfo {
  const r = new HeaderReader(buf, 'encoded header');
  if (r.byte() !== ID.encodedHeader) r.fail('not an encoded header');
  return readStreamsInfo(r, limits);
}
