/**
 * A JSON reader that keeps where each string starts, with Python's json
 * module's grammar (NaN and ±Infinity allowed, control characters in
 * strings refused). Duplicate keys are all kept: Python keeps the last,
 * other readers the first, and every copy is judged.
 */

export type JsonValue =
  | { kind: 'object'; at: number; entries: [string, JsonValue][] }
  | { kind: 'array'; at: number; items: JsonValue[] }
  | { kind: 'string'; at: number; value: string }
  | { kind: 'scalar'; at: number };

export class JsonError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(`${message} at character ${index}`);
  }
}

const MAX_DEPTH = 512;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

export function parseJson(text: string): JsonValue {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.i < text.length) throw new JsonError('extra data after the document', p.i);
  return v;
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {
    if (s.charCodeAt(0) === 0xfeff) this.i = 1;
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.i++;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw new JsonError(`nested deeper than ${MAX_DEPTH} levels`, this.i);
    const s = this.s;
    const at = this.i;
    const c = s[at];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return { kind: 'string', at, value: this.string() };
    for (const word of ['true', 'false', 'null', 'NaN', 'Infinity', '-Infinity']) {
      if (s.startsWith(word, at)) {
        this.i += word.length;
        return { kind: 'scalar', at };
      }
    }
    NUMBER.lastIndex = at;
    const m = NUMBER.exec(s);
    if (!m) throw new JsonError('expected a value', at);
    this.i += m[0].length;
    return { kind: 'scalar', at };
  }

  private object(depth: number): JsonValue {
    const at = this.i++;
    const entries: [string, JsonValue][] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return { kind: 'object', at, entries };
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw new JsonError('expected a property name', this.i);
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') throw new JsonError("expected ':'", this.i);
      this.i++;
      this.ws();
      entries.push([key, this.value(depth + 1)]);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return { kind: 'object', at, entries };
      if (c !== ',') throw new JsonError("expected ',' or '}'", this.i - 1);
    }
  }

  private array(depth: number): JsonValue {
    const at = this.i++;
    const items: JsonValue[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return { kind: 'array', at, items };
    }
    for (;;) {
      this.ws();
      items.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return { kind: 'array', at, items };
      if (c !== ',') throw new JsonError("expected ',' or ']'", this.i - 1);
    }
  }

  private string(): string {
    const s = this.s;
    const start = this.i++;
    const parts: string[] = [];
    let from = this.i;
    for (;;) {
      if (this.i >= s.length) throw new JsonError('unterminated string', start);
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        parts.push(s.slice(from, this.i));
        this.i++;
        return parts.join('');
      }
      if (c < 0x20) throw new JsonError('control character in a string', this.i);
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      parts.push(s.slice(from, this.i));
      const e = s[this.i + 1];
      const simple = ESCAPES.get(e);
      if (simple !== undefined) {
        parts.push(simple);
        this.i += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(this.i + 2, this.i + 6))) {
        parts.push(String.fromCharCode(Number.parseInt(s.slice(this.i + 2, this.i + 6), 16)));
        this.i += 6;
      } else throw new JsonError('invalid escape', this.i);
      from = this.i;
    }
  }
}

const ESCAPES = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);
