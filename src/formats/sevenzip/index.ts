import zlib from 'node:zlib';
import { type ByteSource, SliceSource } from '../../io/byte-source.js';
import { type Finding, type Severity, structuralFinding } from '../../scan/findings.js';
import { RATIO_FLOOR } from '../../scan/limits.js';
import type { FormatScanner, ScanContext } from '../types.js';
import { memberNameProblem } from '../zip/names.js';
import { decodeChain } from './coders.js';
import { FolderSource } from './folder-source.js';
import { type Folder, folderSize, resolveChain } from './folders.js';
import {
  type ArchiveHeader,
  readSignatureHeader,
  SIGNATURE,
  SIGNATURE_HEADER_SIZE,
  type SignatureHeader,
  type StreamsInfo,
  TooManyEntriesError,
} from './header.js';
import { readArchiveHeader, Unscannable } from './listing.js';
import { SevenZipFormatError } from './reader.js';
import { SteppingSource } from './stepping-source.js';

const finding = structuralFinding('modelscan.scanners.SevenZipScan');
/** Files small enough to read through once more for their CRC. */
const CRC_CHECK_MAX = 16 << 20;
/** Files read through for their CRC even when no scanner wanted more than their first bytes. */
const CHEAP_CRC_MAX = 1 << 20;
/** Files named in one finding about a folder before "and N more". */
const NAMES_SHOWN = 5;

/** A file with data, placed in its folder's decoded output. */
interface Entry {
  name: string;
  folder: number;
  offset: number;
  size: number;
  crc?: number;
}

/**
 * 7z archives, read as 7-Zip does: the signature header points at the
 * (usually LZMA-packed) header, which lists folders (coder chains over packed
 * streams) and the files whose data follow one another in each folder's
 * output. Every file goes back through routing by content, whatever its name,
 * decoded lazily: only what routing and the scanners read is decoded, plus
 * what a solid folder holds before it. Every way the archive could mislead a
 * reader is a finding; damage stops the reading where it is and what was
 * read before it is still scanned.
 */
export const sevenZipFormat: FormatScanner = {
  name: '7z',
  detect: (head) => head.length >= 6 && head.subarray(0, 6).equals(SIGNATURE),
  async scan(input, ctx) {
    const source = input.sequential ? new SteppingSource(input, ctx.checkpoint) : input;
    let sig: SignatureHeader | undefined;
    try {
      sig = readSignatureHeader(Buffer.from(await source.read(0, SIGNATURE_HEADER_SIZE)));
      const header = await readArchiveHeader(source, sig, ctx);
      await scanArchive(source, header, ctx);
    } catch (err) {
      if (err instanceof TooManyEntriesError) {
        ctx.report(finding('MEDIUM', '7z/too-many-entries', `${err.message}: the archive was not scanned`, 0));
        return 'scanned';
      }
      if (!(err instanceof Unscannable) && !(err instanceof SevenZipFormatError)) throw err;
      reportUnscannable(source, sig, ctx, err);
      await scanPackedArea(source, sig, ctx);
    }
    return 'scanned';
  },
};

function reportUnscannable(source: ByteSource, sig: SignatureHeader | undefined, ctx: ScanContext, err: Error): void {
  const rule = err instanceof Unscannable ? err.rule : '7z/unscannable';
  const packed = packedAreaSize(source, sig);
  ctx.report(
    finding(
      'MEDIUM',
      rule,
      `7z archive: ${err.message}, so its members were not checked (${packed} packed bytes were scanned as they are)`,
      0,
    ),
  );
}

function packedAreaSize(source: ByteSource, sig: SignatureHeader | undefined): number {
  const rest = Math.max(0, source.size - SIGNATURE_HEADER_SIZE);
  if (!sig || sig.blank || sig.nextHeaderOffset === 0) return rest;
  return Math.min(sig.nextHeaderOffset, rest);
}

/** With the "copy" method members sit in the packed area verbatim: routed by content, they are still found. */
async function scanPackedArea(source: ByteSource, sig: SignatureHeader | undefined, ctx: ScanContext): Promise<void> {
  const packed = packedAreaSize(source, sig);
  if (packed > 0)
    await ctx.scanMember(new SliceSource(`${source.name}:<packed streams>`, source, SIGNATURE_HEADER_SIZE, packed), '<packed streams>');
}

/** Where each folder's packed data lies in the file (a folder's packed streams are consecutive). */
interface PackedRange {
  start: number;
  size: number;
}

function packedRanges(streams: StreamsInfo): PackedRange[] {
  const out: PackedRange[] = [];
  let stream = 0;
  let pos = SIGNATURE_HEADER_SIZE + streams.packPos;
  for (const f of streams.folders) {
    const start = pos;
    for (let k = 0; k < f.packedStreams.length; k++) pos += streams.packSizes[stream++] ?? 0;
    out.push({ start, size: pos - start });
  }
  return out;
}

function listNames(names: string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).map((n) => `'${n}'`);
  return names.length > NAMES_SHOWN ? `${shown.join(', ')} and ${names.length - NAMES_SHOWN} more` : shown.join(', ');
}

async function scanArchive(source: ByteSource, header: ArchiveHeader, ctx: ScanContext): Promise<void> {
  const streams: StreamsInfo = header.streams ?? { packPos: 0, packSizes: [], folders: [], substreams: [], totalSubstreams: 0 };
  if (header.damage) {
    if (!header.streams && header.files.length === 0) throw new Unscannable(`its header is damaged (${header.damage})`);
    ctx.report(
      finding('MEDIUM', '7z/malformed', `the header is damaged (${header.damage}); the files listed before the damage were scanned`, 0),
    );
  }
  const limit = ctx.limits.maxEntries;
  const declared = Math.max(header.numFiles ?? 0, streams.totalSubstreams);
  if (declared > limit)
    ctx.report(
      finding(
        'MEDIUM',
        '7z/too-many-entries',
        `the archive lists ${declared} entries, more than ${limit}; only the first ${limit} were scanned`,
        0,
      ),
    );
  const entries = placeFiles(header, streams, ctx);
  const ranges = packedRanges(streams);
  const byFolder = new Map<number, Entry[]>();
  for (const e of entries) {
    const list = byFolder.get(e.folder);
    if (list) list.push(e);
    else byFolder.set(e.folder, [e]);
  }
  reportDeclaredSizes(source, streams, ranges, byFolder, ctx);
  for (const [index, list] of byFolder) {
    ctx.checkpoint();
    await scanFolder(source, streams.folders[index], index, ranges[index], list, ctx);
  }
}

/**
 * Pairs the files that have data with the substreams, in order, and reports
 * what the names and attributes say before any data is read. Streams that no
 * file claims are scanned under a made-up name: 7-Zip would not show them.
 */
function placeFiles(header: ArchiveHeader, streams: StreamsInfo, ctx: ScanContext): Entry[] {
  const entries: Entry[] = [];
  const seen = new Set<string>();
  let sub = 0;
  let missing = 0;
  for (const f of header.files) {
    const at = (sev: Severity, rule: string, text: string): Finding => ({ ...finding(sev, rule, text, 0), member: f.name });
    // 7-Zip on Windows takes a backslash for a separator; one alone keeps extraction inside the folder.
    const problem = memberNameProblem(f.name.replace(/\\/g, '/'));
    if (problem)
      ctx.report(at('HIGH', '7z/path-traversal', `member name '${f.name}' ${problem}: extracting the archive writes outside its folder`));
    if (seen.has(f.name))
      ctx.report(
        at('MEDIUM', '7z/duplicate-name', `'${f.name}' appears more than once; extraction keeps one copy: all copies are scanned`),
      );
    seen.add(f.name);
    if (!f.hasStream) continue;
    const s = streams.substreams[sub++];
    if (!s) {
      missing++;
      continue;
    }
    const attrs = f.attributes ?? 0;
    // A Unix mode rides in the high 16 bits when bit 15 says so; Windows marks links as reparse points (0x400).
    const unixLink = (attrs & 0x8000) !== 0 && ((attrs >>> 16) & 0o170000) === 0o120000;
    if (unixLink || (attrs & 0x400) !== 0) {
      ctx.report(at('MEDIUM', '7z/symlink', `member '${f.name}' is a symbolic link; extracting it can point outside the folder`));
      continue;
    }
    entries.push({ name: f.name, folder: s.folder, offset: s.offset, size: s.size, crc: s.crc });
  }
  if (missing > 0 && !header.damage)
    ctx.report(finding('MEDIUM', '7z/malformed', `${missing} files are listed with data the archive does not hold`, 0));
  // Past the entry limit files are not listed, so the streams left over are theirs.
  const filesCut = (header.numFiles ?? 0) > header.files.length;
  if (sub < streams.substreams.length && !filesCut) {
    const orphans = streams.substreams.slice(sub);
    if (!header.damage)
      ctx.report(
        finding(
          'MEDIUM',
          '7z/malformed',
          `${orphans.length} data streams belong to no listed file (7-Zip would not show them); they were scanned as <stream N>`,
          0,
        ),
      );
    orphans.forEach((s, i) => {
      entries.push({ name: `<stream ${sub + i}>`, folder: s.folder, offset: s.offset, size: s.size, crc: s.crc });
    });
  }
  return entries;
}

/** Findings the declared sizes alone justify: a bomb's ratio, more than the budget, packed data past the end of the file. */
function reportDeclaredSizes(
  source: ByteSource,
  streams: StreamsInfo,
  ranges: PackedRange[],
  byFolder: Map<number, Entry[]>,
  ctx: ScanContext,
): void {
  let declared = 0;
  streams.folders.forEach((f, i) => {
    const size = folderSize(f);
    const { start, size: packSize } = ranges[i];
    declared += size;
    const ratio = size / Math.max(1, packSize);
    if (size > RATIO_FLOOR && ratio > ctx.limits.maxCompressionRatio) {
      const names = (byFolder.get(i) ?? []).map((e) => e.name);
      ctx.report(
        finding(
          'MEDIUM',
          '7z/bomb',
          `a folder expands ${packSize} bytes to ${size} (${Math.round(ratio)}:1, a decompression bomb)${names.length ? ` holding ${listNames(names)}` : ''}; it is read no further than the cap`,
          start,
          names.length ? { member: names[0] } : undefined,
        ),
      );
    }
    if (start + packSize > source.size)
      ctx.report(finding('MEDIUM', '7z/malformed', `folder ${i}'s packed data runs past the end of the file`, start));
  });
  if (declared > ctx.decompressBudget.remaining)
    ctx.report(
      finding(
        'MEDIUM',
        '7z/too-large',
        `the archive's folders declare ${declared} bytes in all, more than the ${Math.max(0, ctx.decompressBudget.remaining)} bytes left of the per-file decompression cap; files past it were not scanned`,
        0,
      ),
    );
  if (ctx.depth > 0) ctx.nested.declared += declared;
  const total = ctx.nested.declared;
  if (ctx.depth === 0 && total > RATIO_FLOOR && total / Math.max(1, source.size) > ctx.limits.maxCompressionRatio)
    ctx.report(
      finding(
        'MEDIUM',
        '7z/nested-bomb',
        `archives nested in this ${source.size}-byte file declare ${total} bytes in all (${Math.round(total / Math.max(1, source.size))}:1): a recursive decompression bomb`,
        0,
      ),
    );
}

type At = (e: Entry, severity: Severity, rule: string, description: string) => Finding;

async function scanFolder(
  source: ByteSource,
  folder: Folder,
  index: number,
  packed: PackedRange,
  entries: Entry[],
  ctx: ScanContext,
): Promise<void> {
  const at: At = (e, severity, rule, description) => ({ ...finding(severity, rule, description, packed.start), member: e.name });
  const chain = resolveChain(folder);
  if (!chain.ok) {
    const rule = chain.encrypted ? '7z/encrypted' : '7z/unsupported-method';
    for (const e of entries) ctx.report(at(e, 'MEDIUM', rule, `member '${e.name}' is ${chain.reason}: its content was not scanned`));
    return;
  }
  const data = new FolderSource(
    `${source.name}:<folder ${index}>`,
    () => decodeChain(source, packed.start, packed.size, chain.steps),
    folderSize(folder),
    packed.size,
    { budget: ctx.decompressBudget, maxRatio: ctx.limits.maxCompressionRatio, ratioFloor: RATIO_FLOOR, checkpoint: ctx.checkpoint },
  );
  let damageReported = false;
  let capReported = false;
  try {
    for (const [i, e] of entries.entries()) {
      ctx.checkpoint();
      if (e.size === 0) continue;
      try {
        await scanEntry(source, data, e, i === entries.length - 1, ctx, at);
      } catch (err) {
        if (err instanceof Error && err.constructor.name === 'ScanTimeout') throw err;
        ctx.report(at(e, 'MEDIUM', '7z/member-error', `'${e.name}' could not be scanned: ${(err as Error).message}`));
      }
      const end = e.offset + e.size;
      if (data.error !== undefined && !damageReported && data.errorAt < end) {
        damageReported = true;
        ctx.report(
          at(
            e,
            'MEDIUM',
            '7z/corrupt-data',
            `the folder's data is corrupt after ${data.errorAt} bytes (${data.error}); cut short: ${listNames(entries.slice(i).map((x) => x.name))}; what came before was scanned`,
          ),
        );
      }
      if (data.capped !== undefined && !capReported && data.cappedAt < end) {
        capReported = true;
        const bomb = data.capped === 'ratio';
        const why = bomb
          ? `expands more than ${ctx.limits.maxCompressionRatio}:1 (a decompression bomb)`
          : 'passed the per-file decompression cap';
        ctx.report(
          at(
            e,
            'MEDIUM',
            bomb ? '7z/bomb' : '7z/too-large',
            `the folder's data ${why} after ${data.cappedAt} bytes; scanned only up to there: ${listNames(entries.slice(i).map((x) => x.name))}`,
          ),
        );
      }
    }
  } finally {
    await data.close();
  }
}

async function scanEntry(source: ByteSource, data: FolderSource, e: Entry, last: boolean, ctx: ScanContext, at: At): Promise<void> {
  const member = new SliceSource(`${source.name}:${e.name}`, data, e.offset, e.size);
  const format = await ctx.scanMember(member, e.name);
  // Small files are read through once more for their CRC; the folder's window still holds what was read, so
  // nothing decodes twice. A file that routing only glanced at is read through only when that is cheap, or
  // when the next file in the folder needs it decoded anyway.
  if (e.crc === undefined || e.size > CRC_CHECK_MAX) return;
  if (format === undefined && last && e.size > CHEAP_CRC_MAX) return;
  let crc = 0;
  let pos = 0;
  const buf = Buffer.allocUnsafe(Math.min(e.size, 1 << 20));
  while (pos < e.size) {
    const got = await member.read(pos, Math.min(buf.length, e.size - pos), buf);
    // Cut short: the folder's damage is reported instead.
    if (got.length === 0) return;
    crc = zlib.crc32(got, crc);
    pos += got.length;
  }
  if (crc >>> 0 !== e.crc)
    ctx.report(
      at(
        e,
        'MEDIUM',
        '7z/crc-mismatch',
        `member '${e.name}' fails its CRC check (0x${(crc >>> 0).toString(16)} vs 0x${e.crc.toString(16)}): it was altered after archiving`,
      ),
    );
}
