import { PickleError } from './errors.js';

/** Decoders for pickle's text arguments, matching what CPython's unpickler accepts. */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

export function utf8Strict(buf: Uint8Array, s: number, e: number): string | undefined {
  try {
    return strictUtf8.decode(buf.subarray(s, e));
  } catch {
    return undefined;
  }
}

/** utf-8 with replacement: CPython uses 'surrogatepass', which only differs on lone surrogates. */
export function utf8Lenient(buf: Buffer, s: number, e: number): string {
  return e - s < 64 ? buf.toString('utf8', s, e) : lenientUtf8.decode(buf.subarray(s, e));
}

/** Python int() with base 0 as `_pickle.c` uses for INT/LONG/GET/PUT lines. */
export function parsePyInt(text: string, what: string): number | bigint {
  const t = text.trim().replace(/_/g, '');
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|\d+)$/.exec(t);
  if (!m) throw new PickleError(`invalid literal for ${what}: '${text.slice(0, 40)}'`);
  let v = BigInt(m[2].length > 1 && m[2][0] === '0' && /[xXoObB]/.test(m[2][1]) ? m[2] : m[2].replace(/^0+(?=\d)/, ''));
  if (m[1] === '-') v = -v;
  return Number.isSafeInteger(Number(v)) ? Number(v) : v;
}

/** Python float(): decimal or hex-free literals plus inf/infinity/nan in any case, with a sign. */
export function parsePyFloat(text: string): number {
  const t = text.trim().replace(/_/g, '');
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (special) {
    if (special[2].toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  const v = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
  if (Number.isNaN(v)) throw new PickleError(`could not convert string to float: '${text.slice(0, 40)}'`);
  return v;
}

const SIMPLE_ESCAPES: Record<number, number> = {
  92: 0x5c,
  39: 0x27,
  34: 0x22,
  97: 7,
  98: 8,
  102: 12,
  110: 10,
  114: 13,
  116: 9,
  118: 11,
};

/**
 * STRING's argument: a quoted Python 2 str literal with backslash escapes.
 * Returns undefined when it isn't quoted the way CPython requires.
 */
export function decodeStringLiteral(buf: Buffer, s: number, e: number): string | undefined {
  if (e - s < 2) return undefined;
  const q = buf[s];
  if ((q !== 0x27 && q !== 0x22) || buf[e - 1] !== q) return undefined;
  let out = '';
  for (let i = s + 1; i < e - 1; i++) {
    const c = buf[i];
    if (c !== 0x5c || i + 1 >= e - 1) {
      out += String.fromCharCode(c);
      continue;
    }
    const n = buf[++i];
    if (n in SIMPLE_ESCAPES) out += String.fromCharCode(SIMPLE_ESCAPES[n]);
    else if (n === 0x0a) continue;
    else if (n === 0x78 && i + 2 < e - 1) {
      out += String.fromCharCode(parseInt(buf.toString('latin1', i + 1, i + 3), 16) || 0);
      i += 2;
    } else if (n >= 0x30 && n <= 0x37) {
      let j = i;
      let v = 0;
      while (j < e - 1 && j < i + 3 && buf[j] >= 0x30 && buf[j] <= 0x37) v = v * 8 + (buf[j++] - 0x30);
      out += String.fromCharCode(v & 0xff);
      i = j - 1;
    } else out += '\\' + String.fromCharCode(n);
  }
  return out;
}

/** UNICODE's argument: raw-unicode-escape (only \uXXXX and \UXXXXXXXX are escapes). */
export function decodeRawUnicodeEscape(buf: Buffer, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) {
    const c = buf[i];
    if (c === 0x5c && i + 1 < e && (buf[i + 1] === 0x75 || buf[i + 1] === 0x55)) {
      const len = buf[i + 1] === 0x75 ? 4 : 8;
      const hex = buf.toString('latin1', i + 2, i + 2 + len);
      if (hex.length === len && /^[0-9a-fA-F]+$/.test(hex)) {
        const cp = parseInt(hex, 16);
        out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
        i += 1 + len;
        continue;
      }
    }
    out += String.fromCharCode(c);
  }
  return out;
}
