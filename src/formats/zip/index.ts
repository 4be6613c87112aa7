import zlib from 'node:zlib';
import { type ByteSource, SliceSource } from '../../io/byte-source.js';
import { type Codec, DecompressSource } from '../../io/decompress-source.js';
import { type Finding, type Severity, structuralFinding } from '../../scan/findings.js';
import { RATIO_FLOOR } from '../../scan/limits.js';
import type { FormatScanner, ScanContext } from '../types.js';
import {
  type CentralDirectory,
  findEndRecord,
  readCentralDirectory,
  readLocalHeader,
  type ZipEntry,
  ZipFormatError,
} from './central-directory.js';
import { memberNameProblem } from './names.js';
import { torchLayout } from './torch.js';

const finding = structuralFinding('modelscan.scanners.ZipArchiveScan');
const METHOD_NAMES: Record<number, string> = {
  1: 'shrink',
  6: 'implode',
  9: 'deflate64',
  12: 'bzip2',
  14: 'lzma',
  93: 'zstd',
  95: 'xz',
  98: 'ppmd',
  99: 'AES encryption',
};
/** Member compression methods the scanner decodes (Python's zipfile reads these too). */
const MEMBER_CODECS: Partial<Record<number, Codec>> = { 8: 'deflate-raw', 12: 'bzip2', 14: 'zip-lzma', 93: 'zstd', 95: 'xz' };
/** Flag bits every zip writer may set: deflate options (1, 2), data descriptor (3), UTF-8 names (11). */
const ORDINARY_FLAGS = 0x2 | 0x4 | 0x8 | 0x800;
/** Members small enough to read through once more for their CRC. */
const CRC_CHECK_MAX = 16 << 20;
const BOMB_RATIO = 100;
const BOMB_MIN_SIZE = 64 << 20;
const SEQUENTIAL_TAIL_MAX = 4 << 20;

/**
 * Zip archives (and everything built on them: torch checkpoints, .npz,
 * .keras, model bundles), read through the central directory as loaders do.
 * Every member goes back through routing by content, whatever its name;
 * every way the archive could mislead a reader is a finding, and one bad
 * member never stops the others.
 */
export const zipFormat: FormatScanner = {
  name: 'zip',
  detect(head) {
    return (
      head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))
    );
  },
  async scan(source, ctx) {
    let cd: CentralDirectory;
    try {
      cd = await readCentralDirectory(source, ctx.limits.maxEntries);
    } catch (err) {
      if (!(err instanceof ZipFormatError)) throw err;
      ctx.report(finding('MEDIUM', 'zip/malformed', `cannot read the zip: ${err.message}; nothing inside was scanned`, 0));
      return 'scanned';
    }
    await scanArchive(source, cd, ctx);
    return 'scanned';
  },
};

/** `prefixScanned`: the bytes before the first entry were already scanned as what they are (a polyglot seen from its pickle side). */
/**
 * Last resort for content no other format claimed: zipfile finds an archive
 * by its end record wherever the file starts (self-extractors, polyglots), so
 * the scanner looks there too before calling a file unknown.
 */
export const zipByEndRecordFormat: FormatScanner = {
  name: 'zip',
  detect: (_head, size) => size >= 22,
  async scan(source, ctx) {
    // Inside a compressed stream the tail costs decompressing everything (a bomb's zeros): only small ones are looked at.
    if (source.sequential && source.size > SEQUENTIAL_TAIL_MAX) return 'not-this-format';
    if ((await findEndRecord(source)) === undefined) return 'not-this-format';
    let cd: CentralDirectory;
    try {
      cd = await readCentralDirectory(source, ctx.limits.maxEntries);
    } catch (err) {
      if (err instanceof ZipFormatError) return 'not-this-format';
      throw err;
    }
    if (cd.entries.length === 0) return 'not-this-format';
    await scanArchive(source, cd, ctx);
    return 'scanned';
  },
};

export async function scanArchive(source: ByteSource, cd: CentralDirectory, ctx: ScanContext, prefixScanned = false): Promise<void> {
  const entries = cd.entries;
  const torch = torchLayout(entries);
  if (cd.trailing > 0) {
    ctx.report(
      finding('LOW', 'zip/trailing-data', `${cd.trailing} bytes follow the zip's end record`, cd.eocdOffset + 22 + cd.commentLength),
    );
  }
  const firstLocal = entries.reduce((m, e) => Math.min(m, e.localOffset), cd.cdOffset);
  if (firstLocal > 0 && !prefixScanned) {
    // Something sits before the first entry: a self-extractor stub, or a pickle in a polyglot file.
    ctx.report(
      finding('MEDIUM', 'zip/prefix-data', `${firstLocal} bytes precede the first zip entry; they were scanned as a file of their own`, 0),
    );
    await ctx.scanMember(new SliceSource(`${source.name}:<prefix>`, source, 0, firstLocal), '<bytes before the first entry>');
  }
  const seen = new Map<string, number>();
  let declared = 0;
  for (const e of entries) {
    const count = (seen.get(e.name) ?? 0) + 1;
    seen.set(e.name, count);
    if (count === 2) {
      ctx.report({
        ...finding(
          'MEDIUM',
          'zip/duplicate-name',
          `'${e.name}' appears more than once; loaders disagree on which copy they read (zipfile the last, torch the first): all copies are scanned`,
          e.localOffset,
        ),
        member: e.name,
      });
    }
    declared += e.size;
  }
  if (declared > ctx.limits.maxDecompressedBytes) {
    ctx.report(
      finding(
        'MEDIUM',
        'zip/too-large',
        `members declare ${declared} bytes in all, more than the ${ctx.limits.maxDecompressedBytes}-byte cap`,
        cd.cdOffset,
      ),
    );
  }
  if (ctx.depth > 0) ctx.nested.declared += declared;
  for (const e of entries) {
    ctx.checkpoint();
    try {
      await scanEntry(source, e, ctx, torch);
    } catch (err) {
      if ((err as Error).name === 'ScanTimeout' || (err as Error).constructor.name === 'ScanTimeout') throw err;
      ctx.report({
        ...finding('MEDIUM', 'zip/member-error', `'${e.name}' could not be scanned: ${(err as Error).message}`, e.localOffset),
        member: e.name,
      });
    }
  }
  const total = ctx.nested.declared;
  if (ctx.depth === 0 && total > RATIO_FLOOR && total / Math.max(1, source.size) > ctx.limits.maxCompressionRatio) {
    ctx.report(
      finding(
        'MEDIUM',
        'zip/nested-bomb',
        `archives nested in this ${source.size}-byte file declare ${total} bytes in all (${Math.round(total / Math.max(1, source.size))}:1): a recursive decompression bomb`,
        0,
      ),
    );
  }
}

async function scanEntry(source: ByteSource, e: ZipEntry, ctx: ScanContext, torch: ReturnType<typeof torchLayout>): Promise<void> {
  const at = (sev: Severity, rule: string, text: string): Finding => ({ ...finding(sev, rule, text, e.localOffset), member: e.name });
  const problem = memberNameProblem(e.name);
  if (problem)
    ctx.report(at('HIGH', 'zip/path-traversal', `member name '${e.name}' ${problem}: extracting the archive writes outside its folder`));
  const unixMode = e.madeBy >> 8 === 3 ? (e.externalAttrs >>> 16) & 0o170000 : 0;
  if (unixMode === 0o120000) {
    ctx.report(at('MEDIUM', 'zip/symlink', `member '${e.name}' is a symbolic link; extracting it can point outside the folder`));
    return;
  }
  if (e.name.endsWith('/')) return;
  const odd = e.flags & ~ORDINARY_FLAGS;
  if (e.flags & 0x1) {
    // Text-named members are reported, not alarmed on; anything a loader might unpickle is.
    const sev = /\.(txt|md|json|ya?ml|csv|cfg|ini)$/i.test(e.name) ? 'LOW' : 'MEDIUM';
    ctx.report(at(sev, 'zip/encrypted', `member '${e.name}' is encrypted (flag 0x${e.flags.toString(16)}): its content cannot be scanned`));
    return;
  }
  if (odd)
    ctx.report(
      at('MEDIUM', 'zip/unusual-flags', `member '${e.name}' sets unusual flag bits 0x${odd.toString(16)}; readers treat them differently`),
    );
  // LZMA members without the end marker need their size threaded into the decoder; no real writer makes them.
  const codec = e.method === 14 && !(e.flags & 0x2) ? undefined : MEMBER_CODECS[e.method];
  if (e.method !== 0 && !codec) {
    const m = e.method === 14 ? 'lzma without an end marker' : (METHOD_NAMES[e.method] ?? `method ${e.method}`);
    ctx.report(
      at(
        'MEDIUM',
        'zip/unsupported-method',
        `member '${e.name}' is compressed with ${m}, which the scanner cannot decode: its content was not scanned`,
      ),
    );
    return;
  }
  if (codec && e.size > BOMB_MIN_SIZE && e.size / Math.max(1, e.compressedSize) > BOMB_RATIO) {
    ctx.report(
      at(
        'MEDIUM',
        'zip/bomb',
        `member '${e.name}' inflates ${e.compressedSize} bytes to ${e.size} (ratio ${Math.round(e.size / Math.max(1, e.compressedSize))}:1)`,
      ),
    );
  }
  const local = await readLocalHeader(source, e);
  if (local.name !== e.name) {
    ctx.report(
      at('MEDIUM', 'zip/name-mismatch', `member '${e.name}' is called '${local.name}' in its local header; readers disagree on its name`),
    );
  }
  if (torch.storages.has(e.name)) return; // raw tensor bytes: torch never unpickles them
  if (torch.metadata.has(e.name) && e.size <= 64) return; // a version number or an id
  if (local.dataOffset + e.compressedSize > source.size) {
    ctx.report(at('MEDIUM', 'zip/truncated', `member '${e.name}' runs past the end of the file`));
    return;
  }
  const member: ByteSource =
    e.method === 0
      ? new SliceSource(`${source.name}:${e.name}`, source, local.dataOffset, Math.min(e.size, e.compressedSize))
      : new DecompressSource(`${source.name}:${e.name}`, source, local.dataOffset, e.compressedSize, e.size, codec!, ctx.decompressBudget);
  if (e.method === 0 && e.size !== e.compressedSize) {
    ctx.report(at('MEDIUM', 'zip/size-mismatch', `stored member '${e.name}' declares ${e.size} bytes but holds ${e.compressedSize}`));
  }
  try {
    const format = await ctx.scanMember(member, e.name);
    // Only content that was scanned is worth a second read for its CRC (never a bomb's zeros).
    if (format && e.size <= CRC_CHECK_MAX) {
      const crc = await memberCrc(member, e.size);
      if (crc !== e.crc32)
        ctx.report(
          at(
            'MEDIUM',
            'zip/crc-mismatch',
            `member '${e.name}' fails its CRC check (0x${(crc >>> 0).toString(16)} vs 0x${e.crc32.toString(16)}): it was altered after zipping`,
          ),
        );
    }
    if (member instanceof DecompressSource && member.overflowed) {
      ctx.report(at('MEDIUM', 'zip/size-mismatch', `member '${e.name}' inflates to more than its declared ${e.size} bytes`));
    }
  } finally {
    await member.close();
  }
  if (torch.isTorch && torch.codeFiles.has(e.name)) await judgeTorchScriptCode(member, e, ctx);
}

async function memberCrc(member: ByteSource, size: number): Promise<number> {
  let crc = 0;
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let pos = 0; pos < size; ) {
    const got = await member.read(pos, Math.min(buf.length, size - pos), buf);
    if (got.length === 0) break;
    crc = zlib.crc32(got, crc);
    pos += got.length;
  }
  return crc >>> 0;
}

const RISKY_CODE = /\b(os\.system|os\.popen|subprocess|socket|__import__|builtins|eval\(|exec\(|open\(|urllib|requests|shutil)\b/;

/** TorchScript ships Python-like source: code-bearing, and risky if it names process, file or network APIs. */
async function judgeTorchScriptCode(member: ByteSource, e: ZipEntry, ctx: ScanContext): Promise<void> {
  const text = (await member.read(0, Math.min(e.size, 4 << 20))).toString('utf8');
  const m = RISKY_CODE.exec(text);
  if (m) {
    ctx.report({
      ...finding('HIGH', 'pytorch/torchscript-risky-code', `TorchScript code '${e.name}' calls ${m[1]}`, e.localOffset),
      member: e.name,
    });
  }
}
