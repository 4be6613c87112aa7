import { ConfigSyntaxError, type ScalarSink, type Segment } from './scalars.js';

/**
 * A tokenizer-level XML reader: elements, attributes, text and CDATA go
 * to the sink (path `root.child.@attr`; an element with `name` and `value`
 * attributes also as `root.child.<name>`), and a DOCTYPE is read only to
 * list what it declares. Nothing is fetched or expanded: entity references
 * stay as written, which is what keeps billion-laughs and XXE payloads
 * inert here while they are reported.
 */

export interface XmlEntity {
  name: string;
  /** A parameter entity (`<!ENTITY % name …>`), used inside the DTD itself. */
  parameter: boolean;
  /** SYSTEM or PUBLIC identifier: a parser that resolves it reads a file or a URL. */
  external?: string;
  at: number;
}

export interface XmlOutcome {
  /** Name of the root element, once one was seen. */
  root?: string;
  entities: XmlEntity[];
  /** The DOCTYPE's own external subset (`<!DOCTYPE x SYSTEM "…">`). */
  externalDtd?: { uri: string; at: number };
  /** Where reading stopped on a syntax error; what came before it was still reported. */
  error?: ConfigSyntaxError;
}

const MAX_DEPTH = 256;
const MAX_ENTITIES = 10_000;
const NAME = /[A-Za-z_:\u00c0-\uffff][\w.:\-\u00b7\u00c0-\uffff]*/y;

export function walkXml(text: string, sink: ScalarSink, checkpoint: () => void = () => {}): XmlOutcome {
  const out: XmlOutcome = { entities: [] };
  try {
    read(text, sink, checkpoint, out);
  } catch (err) {
    if (!(err instanceof ConfigSyntaxError)) throw err;
    out.error = err;
  }
  return out;
}

function read(s: string, sink: ScalarSink, checkpoint: () => void, out: XmlOutcome): void {
  let i = s.charCodeAt(0) === 0xfeff ? 1 : 0;
  const path: Segment[] = [];
  const stack: string[] = [];
  let steps = 0;
  let doctype = false;
  const fail = (what: string, at = i): never => {
    throw new ConfigSyntaxError(what, at);
  };
  const ws = (p: number): number => {
    while (p < s.length && (s[p] === ' ' || s[p] === '\t' || s[p] === '\n' || s[p] === '\r')) p++;
    return p;
  };
  const name = (p: number): string => {
    NAME.lastIndex = p;
    const m = NAME.exec(s);
    if (!m) fail('expected a name', p);
    return m![0];
  };
  const until = (p: number, close: string, what: string): number => {
    const end = s.indexOf(close, p);
    if (end < 0) fail(`unterminated ${what}`, p);
    return end;
  };
  const quoted = (p: number): { value: string; end: number } => {
    const q = s[p];
    if (q !== '"' && q !== "'") fail('expected a quoted value', p);
    const end = until(p + 1, q, 'quoted value');
    return { value: s.slice(p + 1, end), end: end + 1 };
  };
  const emit = (value: string, at: number): void => sink({ path, value, text: true, at });

  while (i < s.length) {
    if ((++steps & 0x3fff) === 0) checkpoint();
    if (s[i] !== '<') {
      const next = s.indexOf('<', i);
      const end = next < 0 ? s.length : next;
      const start = ws(i);
      if (start < end) {
        if (stack.length === 0) fail('text outside the root element', start);
        emit(decodeEntities(s.slice(start, end).trimEnd()), start);
      }
      i = end;
      continue;
    }
    if (s.startsWith('<?', i)) {
      i = until(i + 2, '?>', 'processing instruction') + 2;
    } else if (s.startsWith('<!--', i)) {
      i = until(i + 4, '-->', 'comment') + 3;
    } else if (s.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) fail('CDATA outside the root element');
      const end = until(i + 9, ']]>', 'CDATA section');
      if (end > i + 9) emit(s.slice(i + 9, end), i + 9);
      i = end + 3;
    } else if (s.startsWith('<!DOCTYPE', i)) {
      if (doctype || out.root !== undefined) fail('a DOCTYPE after the root element');
      doctype = true;
      i = readDoctype(i + 9);
    } else if (s.startsWith('</', i)) {
      const n = name(i + 2);
      const p = ws(i + 2 + n.length);
      if (s[p] !== '>') fail("expected '>'", p);
      if (stack.pop() !== n) fail(`closing tag </${n}> does not match`, i);
      path.pop();
      i = p + 1;
    } else {
      const n = name(i + 1);
      if (stack.length === 0 && out.root !== undefined) fail('a second root element', i);
      out.root ??= n;
      if (stack.length >= MAX_DEPTH) fail(`elements nested deeper than ${MAX_DEPTH}`, i);
      path.push(n);
      let p = i + 1 + n.length;
      let pairName: string | undefined;
      let pairValue: { value: string; at: number } | undefined;
      for (;;) {
        const q = ws(p);
        if (s.startsWith('/>', q) || s[q] === '>') {
          p = q;
          break;
        }
        if (q === p) fail('expected whitespace between attributes', q);
        const a = name(q);
        let v = ws(q + a.length);
        if (s[v] !== '=') fail("expected '='", v);
        v = ws(v + 1);
        const { value, end } = quoted(v);
        if (value.includes('<')) fail("'<' in an attribute value", v);
        const decoded = decodeEntities(value);
        path.push(`@${a}`);
        emit(decoded, v + 1);
        path.pop();
        if (a === 'name' || a === 'key') pairName = decoded;
        if (a === 'value') pairValue = { value: decoded, at: v + 1 };
        p = end;
      }
      if (pairName && pairValue) {
        path.push(pairName);
        emit(pairValue.value, pairValue.at);
        path.pop();
      }
      if (s[p] === '/') {
        path.pop();
        i = p + 2;
      } else {
        stack.push(n);
        i = p + 1;
      }
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1]}> is never closed`, s.length);
  if (out.root === undefined) fail('no root element', s.length);

  function readDoctype(p: number): number {
    p = ws(p);
    p = ws(p + name(p).length);
    const ext = externalId(p);
    if (ext) {
      out.externalDtd = { uri: ext.uri, at: ext.at };
      p = ws(ext.end);
    }
    if (s[p] === '[') {
      p++;
      for (;;) {
        if ((++steps & 0x3fff) === 0) checkpoint();
        p = ws(p);
        if (p >= s.length) fail('unterminated DOCTYPE', p);
        if (s[p] === ']') {
          p++;
          break;
        }
        if (s.startsWith('<!--', p)) p = until(p + 4, '-->', 'comment') + 3;
        else if (s.startsWith('<?', p)) p = until(p + 2, '?>', 'processing instruction') + 2;
        else if (s[p] === '%') p = until(p + 1, ';', 'parameter entity reference') + 1;
        else if (s.startsWith('<!ENTITY', p)) p = entity(p);
        else if (s.startsWith('<!', p)) p = declarationEnd(p + 2);
        else fail('unexpected text in the DOCTYPE', p);
      }
    }
    p = ws(p);
    if (s[p] !== '>') fail("expected '>' to close the DOCTYPE", p);
    return p + 1;
  }

  function externalId(p: number): { uri: string; at: number; end: number } | undefined {
    if (s.startsWith('SYSTEM', p)) {
      const at = ws(p + 6);
      const q = quoted(at);
      return { uri: q.value, at: at + 1, end: q.end };
    }
    if (s.startsWith('PUBLIC', p)) {
      const pub = quoted(ws(p + 6));
      const at = ws(pub.end);
      const q = quoted(at);
      return { uri: q.value, at: at + 1, end: q.end };
    }
    return undefined;
  }

  function entity(start: number): number {
    let p = ws(start + 8);
    let parameter = false;
    if (s[p] === '%') {
      parameter = true;
      p = ws(p + 1);
    }
    const n = name(p);
    p = ws(p + n.length);
    const ext = externalId(p);
    if (ext) p = ext.end;
    else p = quoted(p).end;
    if (out.entities.length < MAX_ENTITIES) out.entities.push({ name: n, parameter, ...(ext ? { external: ext.uri } : {}), at: start });
    return declarationEnd(p);
  }

  /** Index after the `>` that closes a markup declaration, skipping quoted strings. */
  function declarationEnd(p: number): number {
    for (; p < s.length; p++) {
      const c = s[p];
      if (c === '>') return p + 1;
      if (c === '"' || c === "'") p = until(p + 1, c, 'quoted value');
    }
    return fail('unterminated declaration', p);
  }
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Predefined and character references decoded; other entity references left as written (never expanded). */
function decodeEntities(v: string): string {
  if (!v.includes('&')) return v;
  return v.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[A-Za-z]{2,4});/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return Object.hasOwn(PREDEFINED, ref) ? PREDEFINED[ref] : whole;
  });
}
