import { ConfigSyntaxError, type ScalarSink, type Segment } from './scalars.js';

/**
 * Walks a JSON document as Python's `json.loads` reads it (NaN and
 * ±Infinity allowed, control characters in strings refused) and hands
 * every leaf value to `sink` with its key path, without building the tree:
 * memory stays proportional to the nesting, not to the number of values.
 */

/** CPython's json module gives up near here; deeper input never loads. */
const MAX_DEPTH = 512;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const LITERALS = ['true', 'false', 'null', 'NaN', 'Infinity', '-Infinity'];

export function walkJson(text: string, sink: ScalarSink, checkpoint: () => void = () => {}): void {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let steps = 0;
  const path: Segment[] = [];
  /** Open containers: 'o' object, 'a' array (with the next index on `path`). */
  const open: ('o' | 'a')[] = [];

  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  const fail = (what: string, at = i): never => {
    throw new ConfigSyntaxError(what, at);
  };
  const string = (): string => {
    const start = i++;
    // Most strings hold no escape: one slice, no pieces to join.
    let out = '';
    let from = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        const s = out + text.slice(from, i);
        i++;
        return s;
      }
      if (c < 0x20) fail('control character in a string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(from, i);
      const e = text[i + 1];
      const simple = ESCAPES.get(e);
      if (simple !== undefined) {
        out += simple;
        i += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
      } else fail('invalid escape');
      from = i;
    }
  };
  /** One value at `i`: a leaf goes to the sink, a container is opened. */
  const value = (): void => {
    if ((++steps & 0xffff) === 0) checkpoint();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (open.length >= MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
      open.push(c === '{' ? 'o' : 'a');
      i++;
      ws();
      if (text[i] === (c === '{' ? '}' : ']')) {
        i++;
        open.pop();
        return;
      }
      if (c === '{') key();
      else path.push(0);
      ws();
      value();
      return;
    }
    if (c === '"') {
      const at = i + 1;
      sink({ path, value: string(), text: true, at });
      return;
    }
    const at = i;
    for (const word of LITERALS) {
      if (text.startsWith(word, i)) {
        i += word.length;
        sink({ path, value: word, text: false, at });
        return;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail('expected a value');
    i += m![0].length;
    sink({ path, value: m![0], text: false, at });
  };
  const key = (): void => {
    ws();
    if (text[i] !== '"') fail('expected a property name');
    path.push(string());
    ws();
    if (text[i] !== ':') fail("expected ':'");
    i++;
  };

  ws();
  value();
  // After each value: close containers or move to the next member until the document ends.
  for (;;) {
    ws();
    const top = open[open.length - 1];
    if (top === undefined) break;
    const c = text[i++];
    if (c === ',') {
      if (top === 'o') {
        path.pop();
        key();
      } else path.push((path.pop() as number) + 1);
      ws();
      value();
    } else if ((top === 'o' && c === '}') || (top === 'a' && c === ']')) {
      open.pop();
      path.pop();
    } else fail(top === 'o' ? "expected ',' or '}'" : "expected ',' or ']'", i - 1);
  }
  if (i < text.length) fail('extra data after the document');
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
