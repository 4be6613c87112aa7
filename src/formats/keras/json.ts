/**
 * JSON as Python's `json.loads` reads it (NaN, Infinity and -Infinity are
 * numbers; control characters inside strings are errors; a later duplicate
 * key replaces an earlier one), over UTF-8 bytes, remembering the byte
 * offset where every object and array starts so findings can point there.
 * A `__proto__` key is stored as an own property, like any other key.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export class JsonError extends Error {}

/** CPython's json recursion stops near here; deeper input never loads. */
const MAX_DEPTH = 1000;

export interface ParsedJson {
  value: JsonValue;
  /** Byte offset (in the parsed buffer) where each object or array starts. */
  offsets: Map<object, number>;
}

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseJson(buf: Buffer): ParsedJson {
  const offsets = new Map<object, number>();
  let pos = 0;
  const fail = (what: string): never => {
    throw new JsonError(`${what} at byte ${pos}`);
  };
  const ws = (): void => {
    while (pos < buf.length) {
      const c = buf[pos];
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };
  const literal = (text: string, v: JsonValue): JsonValue => {
    if (buf.toString('latin1', pos, pos + text.length) !== text) fail('invalid literal');
    pos += text.length;
    return v;
  };
  const string = (): string => {
    pos++; // opening quote
    let out = '';
    let run = pos;
    for (;;) {
      if (pos >= buf.length) fail('unterminated string');
      const c = buf[pos];
      if (c === 0x22) {
        out += buf.toString('utf8', run, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += buf.toString('utf8', run, pos);
      const e = buf[pos + 1];
      pos += 2;
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const hex = buf.toString('latin1', pos, pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
          out += String.fromCharCode(Number.parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          fail('invalid escape');
      }
      run = pos;
    }
  };
  const number = (): number => {
    const start = pos;
    if (buf[pos] === 0x2d) {
      pos++;
      if (buf.toString('latin1', pos, pos + 8) === 'Infinity') {
        pos += 8;
        return Number.NEGATIVE_INFINITY;
      }
    }
    const digits = (): number => {
      const s = pos;
      while (pos < buf.length && buf[pos] >= 0x30 && buf[pos] <= 0x39) pos++;
      return pos - s;
    };
    if (buf[pos] === 0x30) pos++;
    else if (digits() === 0) fail('invalid number');
    if (buf[pos] === 0x2e) {
      const save = pos;
      pos++;
      // Python's scanner leaves "1." as the number 1 followed by an error; so do we.
      if (digits() === 0) pos = save;
    }
    if (buf[pos] === 0x65 || buf[pos] === 0x45) {
      const save = pos;
      pos++;
      if (buf[pos] === 0x2b || buf[pos] === 0x2d) pos++;
      if (digits() === 0) pos = save;
    }
    return Number(buf.toString('latin1', start, pos));
  };
  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    ws();
    if (pos >= buf.length) fail('unexpected end of input');
    const c = buf[pos];
    switch (c) {
      case 0x7b: {
        const obj: JsonObject = {};
        offsets.set(obj, pos);
        pos++;
        ws();
        if (buf[pos] === 0x7d) {
          pos++;
          return obj;
        }
        for (;;) {
          ws();
          if (buf[pos] !== 0x22) fail('expected a property name');
          const key = string();
          ws();
          if (buf[pos] !== 0x3a) fail("expected ':'");
          pos++;
          const v = value(depth + 1);
          // A plain assignment to __proto__ would replace the prototype instead of adding the key.
          if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
          else obj[key] = v;
          ws();
          if (buf[pos] === 0x2c) {
            pos++;
            continue;
          }
          if (buf[pos] === 0x7d) {
            pos++;
            return obj;
          }
          fail("expected ',' or '}'");
        }
      }
      case 0x5b: {
        const arr: JsonValue[] = [];
        offsets.set(arr, pos);
        pos++;
        ws();
        if (buf[pos] === 0x5d) {
          pos++;
          return arr;
        }
        for (;;) {
          arr.push(value(depth + 1));
          ws();
          if (buf[pos] === 0x2c) {
            pos++;
            continue;
          }
          if (buf[pos] === 0x5d) {
            pos++;
            return arr;
          }
          fail("expected ',' or ']'");
        }
      }
      case 0x22:
        return string();
      case 0x74:
        return literal('true', true);
      case 0x66:
        return literal('false', false);
      case 0x6e:
        return literal('null', null);
      case 0x4e:
        return literal('NaN', Number.NaN);
      case 0x49:
        return literal('Infinity', Number.POSITIVE_INFINITY);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return number();
        return fail('unexpected character');
    }
  };
  const v = value(0);
  ws();
  if (pos < buf.length) fail('extra data after the JSON value');
  return { value: v, offsets };
}

/**
 * Bytes as `json.loads(bytes)` decodes them (its detect_encoding): UTF-32
 * and UTF-16 by BOM or by the NUL pattern of the first bytes, UTF-8 with or
 * without BOM. Returns UTF-8 bytes and how many bytes a decoded byte is
 * worth in the original (for offsets; approximate outside UTF-8).
 */
export function toUtf8(raw: Buffer): { utf8: Buffer; encoding: string; bomLength: number } {
  const b = raw;
  const starts = (...sig: number[]) => sig.every((x, i) => b[i] === x);
  if (starts(0x00, 0x00, 0xfe, 0xff)) return { utf8: utf32(b.subarray(4), false), encoding: 'utf-32-be', bomLength: 4 };
  if (starts(0xff, 0xfe, 0x00, 0x00)) return { utf8: utf32(b.subarray(4), true), encoding: 'utf-32-le', bomLength: 4 };
  if (starts(0xfe, 0xff)) return { utf8: utf16(b.subarray(2), false), encoding: 'utf-16-be', bomLength: 2 };
  if (starts(0xff, 0xfe)) return { utf8: utf16(b.subarray(2), true), encoding: 'utf-16-le', bomLength: 2 };
  if (starts(0xef, 0xbb, 0xbf)) return { utf8: b.subarray(3), encoding: 'utf-8-sig', bomLength: 3 };
  if (b.length >= 4) {
    if (b[0] === 0)
      return b[1]
        ? { utf8: utf16(b, false), encoding: 'utf-16-be', bomLength: 0 }
        : { utf8: utf32(b, false), encoding: 'utf-32-be', bomLength: 0 };
    if (b[1] === 0)
      return b[2] || b[3]
        ? { utf8: utf16(b, true), encoding: 'utf-16-le', bomLength: 0 }
        : { utf8: utf32(b, true), encoding: 'utf-32-le', bomLength: 0 };
  } else if (b.length === 2) {
    if (b[0] === 0) return { utf8: utf16(b, false), encoding: 'utf-16-be', bomLength: 0 };
    if (b[1] === 0) return { utf8: utf16(b, true), encoding: 'utf-16-le', bomLength: 0 };
  }
  return { utf8: b, encoding: 'utf-8', bomLength: 0 };
}

function utf16(b: Buffer, le: boolean): Buffer {
  if (b.length % 2) throw new JsonError('truncated UTF-16 data');
  const copy = Buffer.from(b);
  if (!le) copy.swap16();
  return Buffer.from(copy.toString('utf16le'), 'utf8');
}

function utf32(b: Buffer, le: boolean): Buffer {
  if (b.length % 4) throw new JsonError('truncated UTF-32 data');
  let s = '';
  for (let i = 0; i < b.length; i += 4) {
    const cp = le ? b.readUInt32LE(i) : b.readUInt32BE(i);
    if (cp > 0x10ffff) throw new JsonError('invalid UTF-32 code point');
    s += String.fromCodePoint(cp);
  }
  return Buffer.from(s, 'utf8');
}
