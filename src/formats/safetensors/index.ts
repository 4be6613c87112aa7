import { isUtf8 } from 'node:buffer';
import { type ByteSource, SliceSource } from '../../io/byte-source.js';
import type { FormatOutcome, FormatScanner, ScanContext } from '../types.js';
import { checkLayout, type ParsedHeader, parseHeader } from './header.js';
import { finding, looksLikeIndexJson, scanIndexJson } from './index-json.js';
import { describeByte, JsonSyntaxError } from './json.js';
import { judgeMetadata } from './metadata.js';

/** The safetensors crate refuses longer headers (HeaderTooLarge). */
export const MAX_HEADER = 100_000_000;
/** Metadata notes reported one by one; the rest are counted. */
const MAX_METADATA_NOTES = 20;

/**
 * safetensors: an 8-byte little-endian header length, a JSON header, then
 * raw tensor bytes. Data only, so a sound file yields nothing; the header is
 * checked as the reference loader checks it (a lying header is how files
 * mislead other readers), and the tensor bytes are never read. Sharded
 * checkpoints' index JSON is recognised here too.
 */
export const safetensorsFormat: FormatScanner = {
  name: 'safetensors',
  detect: (head, size) => looksLikeSafetensors(head, size) || looksLikeIndexJson(head),
  async scan(source, ctx) {
    const head = await source.read(0, 512);
    if (looksLikeSafetensors(head, source.size)) return scanSafetensors(source, ctx);
    if (looksLikeIndexJson(head)) return scanIndexJson(source, ctx, Buffer.from(head));
    return 'not-this-format';
  },
};

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * A length that fits the file and the loader's cap, followed by a JSON
 * object (serde_json skips leading whitespace) or by text. A length that
 * does not fit still counts when a '{' follows and the length bytes are not
 * text themselves: a JSON or text file never starts that way.
 */
export function looksLikeSafetensors(head: Buffer, size: number): boolean {
  if (head.length < 10 || size < 10) return false;
  const n = head.readBigUInt64LE(0);
  let i = 8;
  while (i < head.length && isWs(head[i])) i++;
  const brace = head[i] === 0x7b;
  if (n >= 2n && n <= BigInt(size - 8) && n <= BigInt(MAX_HEADER)) return brace || textLike(head.subarray(8), Number(n));
  return brace && head.subarray(0, 8).some(notInText);
}

/** Bytes no UTF-8 text holds: C0 controls other than whitespace, DEL, and bytes UTF-8 never uses. */
function notInText(c: number): boolean {
  return (c < 0x20 && !isWs(c) && c !== 0x0c) || c === 0x7f || c === 0xc0 || c === 0xc1 || c >= 0xf5;
}

/** The visible part of a header that does not open with '{': still claimed when it is mostly printable UTF-8 text. */
function textLike(rest: Buffer, n: number): boolean {
  const bytes = rest.subarray(0, Math.min(rest.length, n));
  if (n < 8 || bytes.length < 8 || bytes.includes(0)) return false;
  let printable = 0;
  for (const c of bytes) if ((c >= 0x20 && c < 0x7f) || isWs(c)) printable++;
  if (printable * 2 < bytes.length) return false;
  // A header longer than the head may be cut inside a character.
  for (let cut = 0; cut <= (bytes.length < n ? 3 : 0); cut++) if (isUtf8(bytes.subarray(0, bytes.length - cut))) return true;
  return false;
}

/**
 * Until the header parses as JSON the bytes may be something else a loader
 * reads (torch.load goes by the first bytes whatever the name, and a pickle's
 * first opcodes can pass for a length followed by '{'): the problem is
 * reported and the file is left to the other formats too.
 */
async function scanSafetensors(source: ByteSource, ctx: ScanContext): Promise<FormatOutcome> {
  const n = Buffer.from(await source.read(0, 8)).readBigUInt64LE(0);
  const avail = source.size - 8;
  if (n > BigInt(avail) || n > BigInt(MAX_HEADER)) {
    const why = n > BigInt(avail) ? `but only ${avail} bytes follow it` : `over the ${MAX_HEADER}-byte cap of the safetensors loader`;
    ctx.report(
      finding('MEDIUM', 'safetensors/malformed', `header length field says ${n} bytes ${why}; loaders refuse the file`, 0, {
        headerLength: String(n),
      }),
    );
    return 'not-this-format';
  }
  const len = Number(n);
  const buf = Buffer.from(await source.read(8, len));
  let parsed: ParsedHeader;
  try {
    parsed = parseHeader(buf, 8, ctx.checkpoint);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    const near = showBytes(buf.subarray(Math.max(0, err.pos - 20), err.pos + 20));
    const at = err.pos < buf.length ? ` (${describeByte(buf[err.pos])})` : '';
    ctx.report(
      finding(
        'MEDIUM',
        'safetensors/malformed',
        `the ${len}-byte header is not the JSON object loaders expect: ${err.message} at byte ${8 + err.pos}${at}, near '${near}'; loaders refuse the file`,
        8 + err.pos,
      ),
    );
    return 'not-this-format';
  }
  const bufferStart = 8 + len;
  const bufferLen = avail - len;
  const { list } = parsed;
  const layout = checkLayout(parsed.tensors, bufferLen, list, ctx.checkpoint);
  const tail =
    layout && layout.covered < bufferLen ? { start: bufferStart + layout.covered, length: bufferLen - layout.covered } : undefined;
  if (tail) {
    list.add(`${tail.length} bytes after the last tensor's data belong to no tensor (they were scanned on their own)`, tail.start, {
      trailingBytes: tail.length,
    });
  }
  for (const p of list.items)
    ctx.report(finding('MEDIUM', 'safetensors/malformed', `${p.message}; loaders refuse the file`, p.offset, p.details));
  if (list.dropped > 0) {
    ctx.report(finding('MEDIUM', 'safetensors/malformed', `${list.dropped} more header problems not listed`, 8));
  }
  reportMetadata(parsed, ctx);
  if (tail) {
    await ctx.scanMember(new SliceSource(`${source.name}@${tail.start}`, source, tail.start, tail.length), '<bytes after the tensor data>');
  }
  return 'scanned';
}

/** Bytes as text for a message: printable ASCII kept, the rest as \xHH. */
function showBytes(b: Buffer): string {
  let s = '';
  for (const c of b) s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return s;
}

function reportMetadata(parsed: ParsedHeader, ctx: ScanContext): void {
  const notes = [...parsed.metadataOddities, ...judgeMetadata(parsed.metadata)];
  for (const note of notes.slice(0, MAX_METADATA_NOTES)) ctx.report(finding('LOW', 'safetensors/metadata', note.message, note.offset));
  if (notes.length > MAX_METADATA_NOTES) {
    ctx.report(finding('LOW', 'safetensors/metadata', `${notes.length - MAX_METADATA_NOTES} more odd __metadata__ entries not listed`, 8));
  }
}
