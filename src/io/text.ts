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
