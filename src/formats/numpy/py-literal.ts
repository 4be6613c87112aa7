/** The Python literal subset .npy headers use (numpy reads them with ast.literal_eval). */
export type PyLiteral = string | number | boolean | null | PyLiteral[] | { tuple: PyLiteral[] } | Map<string, PyLiteral>;

export class LiteralError extends Error {}

const MAX_DEPTH = 32;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

/** Parses one literal occupying all of `text` (surrounding whitespace allowed); depth-bounded, linear time. */
export function parsePyLiteral(text: string): PyLiteral {
  let i = 0;
  const fail = (what: string): never => {
    throw new LiteralError(`${what} at character ${i}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r')) i++;
  };
  const value = (depth: number): PyLiteral => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') return dict(depth);
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      i++;
      const items: PyLiteral[] = [];
      let sawComma = false;
      for (;;) {
        ws();
        if (text[i] === close) break;
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          sawComma = true;
          i++;
        } else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
      i++;
      // (x) is just x; (x,) and () are tuples.
      if (c === '(') return items.length === 1 && !sawComma ? items[0] : { tuple: items };
      return items;
    }
    if (c === "'" || c === '"') return str();
    if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?\d+L?/.exec(text.slice(i, i + 32));
      if (!m) fail('bad number');
      i += m![0].length;
      return Number(m![0].replace('L', ''));
    }
    for (const [word, v] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail('unexpected character');
  };
  const dict = (depth: number): Map<string, PyLiteral> => {
    i++;
    const out = new Map<string, PyLiteral>();
    for (;;) {
      ws();
      if (text[i] === '}') break;
      const key = value(depth + 1);
      if (typeof key !== 'string') fail('dictionary key is not a string');
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      // literal_eval keeps the last of repeated keys.
      out.set(key as string, value(depth + 1));
      ws();
      if (text[i] === ',') i++;
      else if (text[i] !== '}') fail("expected ',' or '}'");
    }
    i++;
    return out;
  };
  const str = (): string => {
    const q = text[i++];
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i++];
      if (c === q) return out;
      if (c === '\n') fail('newline in string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[i++];
      if (e in ESCAPES) out += ESCAPES[e];
      else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i, i + 2))) {
        out += String.fromCharCode(Number.parseInt(text.slice(i, i + 2), 16));
        i += 2;
      } else out += `\\${e}`;
    }
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}
