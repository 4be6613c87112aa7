import zlib from 'node:zlib';
import { type ByteSource, SliceSource } from '../../io/byte-source.js';
import { structuralFinding } from '../../scan/findings.js';
import type { ScanContext } from '../types.js';
import { decodeChain } from './coders.js';
import { folderSize, resolveChain } from './folders.js';
import {
  type ArchiveHeader,
  isEncodedHeader,
  readEncodedHeaderInfo,
  readHeader,
  SIGNATURE_HEADER_SIZE,
  type SignatureHeader,
  type StreamsInfo,
} from './header.js';

/**
 * Finding a 7z archive's file list: the signature header, then the header it
 * points at, decoded first when it is packed (kEncodedHeader, 7-Zip's default).
 */

const finding = structuralFinding('modelscan.scanners.SevenZipScan');
/** Largest header read or decoded; real archives with a million files stay well under it. */
const MAX_HEADER = 64 << 20;
/** Newest format version 7-Zip writes (0.4). */
const KNOWN_MINOR = 4;

/** Why the archive could not be listed at all; its packed area is still routed by content. */
export class Unscannable extends Error {
  constructor(
    message: string,
    readonly rule = '7z/unscannable',
  ) {
    super(message);
  }
}

/** Reads and, if packed, decodes the archive's header; throws Unscannable when there is none to read. */
export async function readArchiveHeader(source: ByteSource, sig: SignatureHeader, ctx: ScanContext): Promise<ArchiveHeader> {
  if (sig.major !== 0) throw new Unscannable(`format version ${sig.major}.${sig.minor} is not one 7-Zip reads`);
  if (sig.minor > KNOWN_MINOR)
    ctx.report(finding('LOW', '7z/unknown-version', `format version 0.${sig.minor} is newer than any 7-Zip writes`, 6));
  // 7-Zip writes the start header last: all zeros with no valid CRC is an archive it never finished.
  if (sig.blank && !sig.startCrcOk) throw new Unscannable('its start header is blank (an archive never finished)');
  if (!sig.startCrcOk)
    ctx.report(finding('MEDIUM', '7z/header-crc-mismatch', 'the start header fails its CRC check: the archive was altered or damaged', 8));
  const start = SIGNATURE_HEADER_SIZE + sig.nextHeaderOffset;
  if (sig.nextHeaderSize === 0) {
    // An empty archive: nothing but the signature header.
    if (source.size > SIGNATURE_HEADER_SIZE) await scanTrailing(source, SIGNATURE_HEADER_SIZE, ctx);
    return { files: [] };
  }
  if (sig.nextHeaderSize > MAX_HEADER) throw new Unscannable(`its header declares ${sig.nextHeaderSize} bytes, past the scanner's cap`);
  if (start + sig.nextHeaderSize > source.size)
    throw new Unscannable(
      `its header (${sig.nextHeaderSize} bytes at ${start}) lies past the end of the ${source.size}-byte file: truncated`,
    );
  const next = Buffer.from(await source.read(start, sig.nextHeaderSize));
  if (zlib.crc32(next) !== sig.nextHeaderCrc)
    ctx.report(finding('MEDIUM', '7z/header-crc-mismatch', 'the header fails its CRC check: the archive was altered or damaged', start));
  const end = start + sig.nextHeaderSize;
  if (end < source.size) await scanTrailing(source, end, ctx);
  const limits = { keep: ctx.limits.maxEntries };
  if (!isEncodedHeader(next)) return readHeader(next, limits);
  const info = readEncodedHeaderInfo(next, limits);
  return readHeader(await decodeHeaderFolder(source, info, ctx), limits);
}

async function scanTrailing(source: ByteSource, end: number, ctx: ScanContext): Promise<void> {
  ctx.report(
    finding('LOW', '7z/trailing-data', `${source.size - end} bytes follow the end of the archive; they were scanned on their own`, end),
  );
  await ctx.scanMember(new SliceSource(`${source.name}:<trailing>`, source, end, source.size - end), '<bytes after the archive>');
}

/** Decodes a packed header (kEncodedHeader): one folder, held to MAX_HEADER bytes, into memory. */
async function decodeHeaderFolder(source: ByteSource, info: StreamsInfo, ctx: ScanContext): Promise<Buffer> {
  if (info.folders.length !== 1) throw new Unscannable(`its packed header spans ${info.folders.length} folders`);
  const folder = info.folders[0];
  const chain = resolveChain(folder);
  if (!chain.ok) {
    if (chain.encrypted) throw new Unscannable('its file list is encrypted (7zAES): no member can be listed', '7z/encrypted');
    throw new Unscannable(`its header is ${chain.reason}`);
  }
  const size = folderSize(folder);
  if (size > MAX_HEADER) throw new Unscannable(`its packed header decodes to ${size} bytes, past the scanner's cap`);
  const packStart = SIGNATURE_HEADER_SIZE + info.packPos;
  const packSize = info.packSizes[0] ?? 0;
  if (packStart + packSize > source.size) throw new Unscannable('its packed header lies past the end of the file: truncated');
  const parts: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of decodeChain(source, packStart, packSize, chain.steps)) {
      ctx.checkpoint();
      ctx.decompressBudget.remaining -= chunk.length;
      parts.push(chunk);
      got += chunk.length;
    }
  } catch (err) {
    if (err instanceof Error && err.constructor.name === 'ScanTimeout') throw err;
    throw new Unscannable(`its packed header cannot be decoded (${(err as Error).message})`);
  }
  const plain = Buffer.concat(parts, got);
  if (folder.crc !== undefined && zlib.crc32(plain) !== folder.crc)
    ctx.report(
      finding('MEDIUM', '7z/header-crc-mismatch', 'the packed header fails its CRC check: the archive was altered or damaged', packStart),
    );
  return plain;
}
