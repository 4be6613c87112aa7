import type { ByteSource } from './byte-source.js';

/** UTF-8 text of a file as Python's `open(…, encoding='utf-8-sig')` reads it, and where it starts (after a BOM). */
export interface DecodedText {
  text: string;
  /** Bytes of BOM skipped: add to character offsets turned into byte offsets. */
  bom: number;
}

/** Decodes UTF-8; with `fatal`, invalid bytes give undefined instead of replacement characters. */
export function decodeUtf8(bytes: Uint8Array, fatal = false): DecodedText | undefined {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return { text: new TextDecoder('utf-8', { fatal, ignoreBOM: true }).decode(bytes.subarray(bom)), bom };
  } catch {
    return undefined;
  }
}

/**
 * The whole of a text source, read and decoded once however many text formats (config, chat template,
 * Python) look at it: they run one after another on the same source, and a config hands itself to the
 * template analysis, so separate reads would hold several copies of a large file at once. Callers bound
 * the size before asking.
 */
const wholeTexts = new WeakMap<ByteSource, { bytes: Buffer; strict?: DecodedText | null; loose?: DecodedText }>();

export async function readWholeText(source: ByteSource, fatal = false): Promise<DecodedText | undefined> {
  let entry = wholeTexts.get(source);
  if (!entry) {
    entry = { bytes: Buffer.from(await source.read(0, source.size)) };
    wholeTexts.set(source, entry);
  }
  if (fatal) {
    if (entry.strict === undefined) entry.strict = decodeUtf8(entry.bytes, true) ?? null;
    return entry.strict ?? undefined;
  }
  // A strict decoding that succeeded is the same text.
  entry.loose ??= entry.strict ?? decodeUtf8(entry.bytes)!;
  return entry.loose;
}

const SCAN_CHUNK = 1 << 20;
/** Bytes each chunk repeats from the one before, so that a match across the boundary is still seen. */
const SCAN_OVERLAP = 4096;

/**
 * Whether the bytes of a source match `pattern` (written in ASCII) anywhere, read 1 MiB at a time (never
 * whole). A match must be shorter than SCAN_OVERLAP characters.
 */
export async function textMatches(source: ByteSource, pattern: RegExp, checkpoint: () => void = () => {}): Promise<boolean> {
  const chunk = Buffer.allocUnsafe(SCAN_CHUNK + SCAN_OVERLAP);
  for (let at = 0; at < source.size; at += SCAN_CHUNK) {
    checkpoint();
    const from = Math.max(0, at - SCAN_OVERLAP);
    const bytes = await source.read(from, Math.min(source.size, at + SCAN_CHUNK) - from, chunk);
    // Latin-1 maps every byte to one character: ASCII stays itself, and the bytes of a UTF-8 sequence can only
    // match where the pattern allows any character, as they would decoded. Several times faster than UTF-8.
    if (pattern.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'))) return true;
  }
  return false;
}
