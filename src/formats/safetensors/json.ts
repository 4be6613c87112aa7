/**
 * A strict JSON reader over raw bytes, for headers that loaders parse with
 * serde_json: UTF-8 validated byte by byte, no control characters or lone
 * surrogates in strings, exact number grammar, nothing but whitespace after
 * the value, bounded nesting. Unlike JSON.parse it reports duplicate keys
 * (which parsers resolve differently) and the byte offset of every key, and
 * it never builds values the caller does not ask for. Every loop advances
 * the position, so time is linear in the input.
 */

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/** serde_json's own recursion limit. */
export const MAX_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'true' | 'false' | 'null';

export class JsonReader {
  pos = 0;
  /** The bytes as Latin-1 text: ASCII runs are cut from it without a copy. */
  private readonly latin: string;

  constructor(readonly buf: Buffer) {
    this.latin = buf.toString('latin1');
  }

  fail(message: string, at = this.pos): never {
    throw new JsonSyntaxError(message, at);
  }

  ws(): void {
    const b = this.buf;
    let p = this.pos;
    while (p < b.length) {
      const c = b[p];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
  }

  /** The kind of the next value (after whitespace), without consuming it. */
  kind(): JsonKind {
    this.ws();
    if (this.pos >= this.buf.length) this.fail('unexpected end of input');
    const c = this.buf[this.pos];
    if (c === 0x7b) return 'object';
    if (c === 0x5b) return 'array';
    if (c === QUOTE) return 'string';
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return 'number';
    if (c === 0x74) return 'true';
    if (c === 0x66) return 'false';
    if (c === 0x6e) return 'null';
    return this.fail(`unexpected ${describeByte(c)}`);
  }

  /** After the top-level value: only whitespace may follow. */
  end(): void {
    this.ws();
    if (this.pos < this.buf.length) this.fail(`unexpected ${describeByte(this.buf[this.pos])} after the JSON value`);
  }

  /**
   * Reads an object; `onEntry` is called with the reader at each value and
   * may consume it (a value it leaves is still validated, then skipped).
   * `duplicate` is true from a key's second occurrence on.
   */
  object(depth: number, onEntry: (key: string, keyPos: number, duplicate: boolean) => void): void {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    this.ws();
    if (this.buf[this.pos] !== 0x7b) this.fail('expected an object');
    this.pos++;
    // Most objects are a tensor's three fields: a short list beats a Set until keys pile up.
    let few: string[] | undefined = [];
    let many: Set<string> | undefined;
    this.ws();
    if (this.buf[this.pos] === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      const keyPos = this.pos;
      if (this.buf[this.pos] !== QUOTE) this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (this.buf[this.pos] !== 0x3a) this.fail("expected ':' after an object key");
      this.pos++;
      let duplicate: boolean;
      if (few) {
        duplicate = few.includes(key);
        if (!duplicate) few.push(key);
        if (few.length > 8) {
          many = new Set(few);
          few = undefined;
        }
      } else {
        duplicate = many!.has(key);
        if (!duplicate) many!.add(key);
      }
      if (this.element(depth, () => onEntry(key, keyPos, duplicate), 0x7d, "expected ',' or '}' in an object")) return;
    }
  }

  /** Reads an array; `onItem` is called with the reader at each element and may consume it, as for objects. */
  array(depth: number, onItem: (index: number) => void): void {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    this.ws();
    if (this.buf[this.pos] !== 0x5b) this.fail('expected an array');
    this.pos++;
    this.ws();
    if (this.buf[this.pos] === 0x5d) {
      this.pos++;
      return;
    }
    for (let i = 0; ; i++) {
      if (this.element(depth, () => onItem(i), 0x5d, "expected ',' or ']' in an array")) return;
    }
  }

  /**
   * One member of an object or array: the callback may consume the value, else it is validated and
   * skipped; then a comma (false: more follow) or the closing bracket (true).
   */
  private element(depth: number, visit: () => void, close: number, expected: string): boolean {
    this.ws();
    const before = this.pos;
    visit();
    if (this.pos === before) this.skip(depth + 1);
    this.ws();
    const c = this.buf[this.pos];
    this.pos++;
    if (c === 0x2c) return false;
    if (c === close) return true;
    this.pos--;
    return this.fail(expected);
  }

  /** Validates and consumes any value. */
  skip(depth: number): void {
    switch (this.kind()) {
      case 'object':
        this.object(depth, () => this.skip(depth + 1));
        return;
      case 'array':
        this.array(depth, () => this.skip(depth + 1));
        return;
      case 'string':
        this.string();
        return;
      case 'number':
        this.number();
        return;
      default:
        this.literal();
    }
  }

  literal(): boolean | null {
    const k = this.kind();
    const word = k === 'true' ? 'true' : k === 'false' ? 'false' : k === 'null' ? 'null' : '';
    if (!word || this.latin.slice(this.pos, this.pos + word.length) !== word) this.fail('invalid literal');
    this.pos += word.length;
    return k === 'null' ? null : k === 'true';
  }

  /** The raw text of a number, checked against the JSON grammar. */
  number(): string {
    this.ws();
    const b = this.buf;
    const start = this.pos;
    let p = start;
    if (b[p] === 0x2d) p++;
    if (b[p] === 0x30) p++;
    else if (b[p] >= 0x31 && b[p] <= 0x39) while (b[p] >= 0x30 && b[p] <= 0x39) p++;
    else this.fail('invalid number', start);
    if (b[p] === 0x2e) {
      p++;
      if (!(b[p] >= 0x30 && b[p] <= 0x39)) this.fail('invalid number', start);
      while (b[p] >= 0x30 && b[p] <= 0x39) p++;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      p++;
      if (b[p] === 0x2b || b[p] === 0x2d) p++;
      if (!(b[p] >= 0x30 && b[p] <= 0x39)) this.fail('invalid number', start);
      while (b[p] >= 0x30 && b[p] <= 0x39) p++;
    }
    this.pos = p;
    return this.latin.slice(start, p);
  }

  /** A string value, UTF-8 validated as Rust's str does, escapes decoded as serde_json does. */
  string(): string {
    this.ws();
    const b = this.buf;
    if (b[this.pos] !== QUOTE) this.fail('expected a string');
    let p = this.pos + 1;
    let runStart = p;
    let parts: string[] | undefined;
    let ascii = true;
    for (;;) {
      if (p >= b.length) this.fail('unterminated string', this.pos);
      const c = b[p];
      if (c === QUOTE) break;
      if (c < 0x20) this.fail('control character in a string', p);
      if (c < 0x80 && c !== BACKSLASH) {
        p++;
        continue;
      }
      if (c >= 0x80) {
        ascii = false;
        p = utf8Sequence(b, p, this);
        continue;
      }
      parts ??= [];
      parts.push(this.text(runStart, p, ascii));
      const [text, next] = this.escape(p);
      parts.push(text);
      p = runStart = next;
      ascii = true;
    }
    const tail = this.text(runStart, p, ascii);
    this.pos = p + 1;
    if (!parts) return tail;
    parts.push(tail);
    return parts.join('');
  }

  private text(start: number, end: number, ascii: boolean): string {
    return ascii ? this.latin.slice(start, end) : this.buf.toString('utf8', start, end);
  }

  private escape(at: number): [string, number] {
    const b = this.buf;
    const e = b[at + 1];
    switch (e) {
      case 0x22:
        return ['"', at + 2];
      case 0x5c:
        return ['\\', at + 2];
      case 0x2f:
        return ['/', at + 2];
      case 0x62:
        return ['\b', at + 2];
      case 0x66:
        return ['\f', at + 2];
      case 0x6e:
        return ['\n', at + 2];
      case 0x72:
        return ['\r', at + 2];
      case 0x74:
        return ['\t', at + 2];
      case 0x75: {
        const hi = this.hex4(at + 2);
        if (hi >= 0xdc00 && hi <= 0xdfff) this.fail('lone trailing surrogate in a \\u escape', at);
        if (hi < 0xd800 || hi > 0xdbff) return [String.fromCharCode(hi), at + 6];
        if (b[at + 6] !== BACKSLASH || b[at + 7] !== 0x75) this.fail('lone leading surrogate in a \\u escape', at);
        const lo = this.hex4(at + 8);
        if (lo < 0xdc00 || lo > 0xdfff) this.fail('lone leading surrogate in a \\u escape', at);
        return [String.fromCharCode(hi, lo), at + 12];
      }
      default:
        return this.fail('invalid escape in a string', at);
    }
  }

  private hex4(at: number): number {
    if (at + 4 > this.buf.length) this.fail('truncated \\u escape', at);
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.buf[at + i];
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) this.fail('invalid \\u escape', at);
      v = v * 16 + d;
    }
    return v;
  }
}

/** Validates one UTF-8 sequence at p (RFC 3629: no overlongs, surrogates or code points past U+10FFFF); returns the next position. */
function utf8Sequence(b: Buffer, p: number, r: JsonReader): number {
  const c = b[p];
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c === 0xe0) lo = 0xa0;
    if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f;
  } else return r.fail('invalid UTF-8', p);
  if (p + len > b.length) r.fail('invalid UTF-8', p);
  const second = b[p + 1];
  if (second < lo || second > hi) r.fail('invalid UTF-8', p);
  for (let i = 2; i < len; i++) if ((b[p + i] & 0xc0) !== 0x80) r.fail('invalid UTF-8', p);
  return p + len;
}

export function describeByte(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/**
 * A number token (as `number()` returns it) read as serde_json reads it into
 * a u64: a plain non-negative integer up to 2^64 - 1; fractions, exponents
 * and negatives are refused (`-0` is zero to serde too).
 */
export function parseU64(token: string): number | bigint | undefined {
  if (/[-.eE]/.test(token)) return token === '-0' ? 0 : undefined;
  if (token.length <= 15) return Number(token);
  const v = BigInt(token);
  if (v > 0xffff_ffff_ffff_ffffn) return undefined;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
