export const BLOCK = 512;

export interface TarHeader {
  name: string;
  size: number;
  type: string;
  linkName: string;
  mode: number;
}

export class TarFormatError extends Error {}

/** A header block's stored checksum matches, counted signed or unsigned as tarfile accepts both. */
export function checksumOk(b: Buffer): boolean {
  const stored = parseOctal(b, 148, 8);
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === unsigned || stored === signed;
}

/** Looks like the first block of a tar: a valid checksum and a plausible type and size. */
export function looksLikeTar(b: Buffer): boolean {
  if (b.length < BLOCK || isZeroBlock(b)) return false;
  return checksumOk(b) && parseNumber(b, 124, 12) !== undefined;
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

export function parseHeader(b: Buffer): TarHeader {
  if (!checksumOk(b)) throw new TarFormatError('header checksum mismatch');
  const size = parseNumber(b, 124, 12);
  if (size === undefined) throw new TarFormatError('size field is not a number');
  let name = cString(b, 0, 100);
  // ustar splits long names into prefix + name.
  if (b.toString('latin1', 257, 262) === 'ustar' && b[345] !== 0) name = `${cString(b, 345, 155)}/${name}`;
  return {
    name,
    size,
    type: b[156] === 0 ? '0' : String.fromCharCode(b[156]),
    linkName: cString(b, 157, 100),
    mode: parseOctal(b, 100, 8) ?? 0,
  };
}

export function cString(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end < 0 || end > start + len ? start + len : end);
}

function parseOctal(b: Buffer, start: number, len: number): number | undefined {
  const s = b
    .toString('latin1', start, start + len)
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return undefined;
  return Number.parseInt(s, 8);
}

/** Octal, or GNU base-256 for sizes past 8 GiB (high bit of the first byte set). */
function parseNumber(b: Buffer, start: number, len: number): number | undefined {
  if (b[start] & 0x80) {
    if (b[start] === 0xff) return undefined; // negative
    let n = b[start] & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + b[start + i];
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return parseOctal(b, start, len);
}

/** PAX extended header records: `LEN key=value\n`, each length counting itself. */
export function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0 || sp - pos > 20) throw new TarFormatError('malformed pax record');
    const len = Number(data.toString('latin1', pos, sp));
    if (!Number.isSafeInteger(len) || len <= sp - pos + 1 || pos + len > data.length)
      throw new TarFormatError('malformed pax record length');
    const rec = data.toString('utf8', sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq < 0) throw new TarFormatError('pax record without =');
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}
