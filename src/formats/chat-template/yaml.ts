/**
 * The scalar values of a YAML config, with the key path they sit under and
 * where they start: enough to find Jinja templates in model configs (plain,
 * single- and double-quoted scalars over several lines, `|` and `>` block
 * scalars, sequence items, anchors and tags skipped). Not a YAML parser:
 * flow collections and aliases are not resolved, and whatever it cannot
 * read is left to the caller's whole-text check.
 */

export interface YamlScalar {
  path: string;
  value: string;
  /** Character index where the value's text starts. */
  at: number;
}

interface Line {
  start: number;
  text: string;
  indent: number;
}

const MAX_SCALARS = 100_000;

export function yamlScalars(text: string): YamlScalar[] {
  const lines: Line[] = [];
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end).replace(/\r$/, '');
    lines.push({ start, text: raw, indent: raw.length - raw.trimStart().length });
    start = end + 1;
    if (end === text.length) break;
  }
  const out: YamlScalar[] = [];
  const stack: { indent: number; key: string }[] = [];
  for (let i = 0; i < lines.length && out.length < MAX_SCALARS; i++) {
    const line = lines[i];
    const body = line.text.trimStart();
    if (body === '' || body.startsWith('#') || /^(---|\.\.\.)(\s|$)/.test(body)) continue;
    let indent = line.indent;
    let rest = body;
    let item = false;
    while (/^-( +|$)/.test(rest)) {
      const m = /^-( +|$)/.exec(rest)!;
      indent += m[0].length || 1;
      rest = rest.slice(m[0].length);
      item = true;
    }
    while (stack.length && stack[stack.length - 1].indent >= indent && !(item && stack[stack.length - 1].indent === indent)) stack.pop();
    const kv = splitKey(rest);
    let key: string;
    let valueText: string;
    let valueAt: number;
    if (kv) {
      key = kv.key;
      valueText = kv.value;
      valueAt = line.start + (line.text.length - rest.length) + kv.valueOffset;
    } else if (item) {
      key = '[]';
      valueText = rest;
      valueAt = line.start + (line.text.length - rest.length);
    } else continue;
    const path = [...stack.map((s) => s.key), key].join('.');
    // Anchors and tags before the value change nothing about its text.
    const props = /^(?:[&!][^\s]*\s+)*/.exec(valueText)![0];
    valueText = valueText.slice(props.length);
    valueAt += props.length;
    if (valueText === '' || valueText.startsWith('#')) {
      const next = nextContent(lines, i + 1);
      if (next && next.line.indent > indent && !splitKey(next.line.text.trimStart()) && !next.line.text.trimStart().startsWith('- ')) {
        const r = scalarAt(text, lines, next.index, next.line.start + next.line.indent, indent);
        out.push({ path, value: r.value, at: r.at });
        i = r.lastLine;
      } else stack.push({ indent, key });
      continue;
    }
    const r = scalarAt(text, lines, i, valueAt, indent);
    out.push({ path, value: r.value, at: r.at });
    i = r.lastLine;
  }
  return out;
}

function nextContent(lines: Line[], from: number): { line: Line; index: number } | undefined {
  for (let i = from; i < lines.length; i++) {
    const t = lines[i].text.trim();
    if (t !== '' && !t.startsWith('#')) return { line: lines[i], index: i };
  }
  return undefined;
}

/** `key: value` (plain or quoted key); undefined when the line is not a mapping entry. */
function splitKey(rest: string): { key: string; value: string; valueOffset: number } | undefined {
  let key: string;
  let after: number;
  if (rest.startsWith('"') || rest.startsWith("'")) {
    const q = rest[0];
    let j = 1;
    while (j < rest.length && rest[j] !== q) j += rest[j] === '\\' && q === '"' ? 2 : rest[j] === q && rest[j + 1] === q ? 2 : 1;
    if (j >= rest.length) return undefined;
    key = rest.slice(1, j);
    after = j + 1;
    while (rest[after] === ' ') after++;
    if (rest[after] !== ':' || (after + 1 < rest.length && rest[after + 1] !== ' ')) return undefined;
  } else {
    if (/^[[{|>"'%@`]/.test(rest)) return undefined;
    const m = /:( |$)/.exec(rest);
    if (!m) return undefined;
    key = rest.slice(0, m.index).trim();
    if (key === '' || / #/.test(key)) return undefined;
    after = m.index;
  }
  let v = after + 1;
  while (rest[v] === ' ') v++;
  return { key, value: rest.slice(v), valueOffset: v };
}

interface Scalar {
  value: string;
  /** Where its text starts: after an opening quote, on the first line of a block. */
  at: number;
  lastLine: number;
}

/** The scalar starting at `at` (inside line `index`), and the last line it uses. */
function scalarAt(text: string, lines: Line[], index: number, at: number, parentIndent: number): Scalar {
  const c = text[at];
  if (c === '"' || c === "'") {
    const end = closingQuote(text, at, c);
    const raw = text.slice(at + 1, end);
    const value = c === '"' ? foldDouble(raw) : foldLines(raw.replace(/''/g, "'"));
    return { value, at: at + 1, lastLine: lineOf(lines, index, end) };
  }
  if (c === '|' || c === '>') return blockScalar(text, lines, index, at, parentIndent);
  // A plain scalar: the rest of the line, then more-indented lines that are not entries of their own.
  const first = stripComment(text.slice(at, lines[index].start + lines[index].text.length));
  const parts = [first.trim()];
  let last = index;
  for (let j = index + 1; j < lines.length; j++) {
    const t = lines[j].text.trim();
    if (t === '') {
      parts.push('');
      continue;
    }
    if (lines[j].indent <= parentIndent || t.startsWith('#')) break;
    parts.push(stripComment(t));
    last = j;
  }
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  return { value: foldLines(parts.join('\n')), at, lastLine: last };
}

function closingQuote(text: string, from: number, q: string): number {
  for (let j = from + 1; j < text.length; j++) {
    if (q === '"' && text[j] === '\\') j++;
    else if (text[j] === q) {
      if (q === "'" && text[j + 1] === "'") j++;
      else return j;
    }
  }
  return text.length;
}

function lineOf(lines: Line[], from: number, index: number): number {
  let j = from;
  while (j + 1 < lines.length && lines[j + 1].start <= index) j++;
  return j;
}

/** Line folding of flow scalars: one line break is a space, each empty line a newline. */
function foldLines(raw: string): string {
  const ls = raw.split('\n');
  if (ls.length === 1) return raw;
  let out = trimBlanksEnd(ls[0]);
  let empties = 0;
  for (let k = 1; k < ls.length; k++) {
    const t = k === ls.length - 1 ? ls[k].replace(/^[ \t]+/, '') : ls[k].trim();
    if (t === '' && k < ls.length - 1) {
      empties++;
      continue;
    }
    out += empties ? '\n'.repeat(empties) : ' ';
    out += t;
    empties = 0;
  }
  return out;
}

const DOUBLE_ESCAPES = new Map([
  ['0', '\0'],
  ['a', '\x07'],
  ['b', '\b'],
  ['t', '\t'],
  ['\t', '\t'],
  ['n', '\n'],
  ['v', '\v'],
  ['f', '\f'],
  ['r', '\r'],
  ['e', '\x1b'],
  [' ', ' '],
  ['"', '"'],
  ['/', '/'],
  ['\\', '\\'],
  ['N', '\x85'],
  ['_', '\xa0'],
  ['L', '\u2028'],
  ['P', '\u2029'],
]);

/** A double-quoted scalar's body: escapes decoded, `\` at a line end joins lines without a space, other breaks folded. */
function foldDouble(raw: string): string {
  // Escaped line breaks first, so folding never sees them.
  const joined = raw.replace(/\\\r?\n[ \t]*/g, '\u0000JOIN\u0000');
  const folded = foldLines(joined).split('\u0000JOIN\u0000').join('');
  let out = '';
  for (let i = 0; i < folded.length; i++) {
    const c = folded[i];
    if (c !== '\\' || i + 1 >= folded.length) {
      out += c;
      continue;
    }
    const e = folded[++i];
    const simple = DOUBLE_ESCAPES.get(e);
    if (simple !== undefined) out += simple;
    else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = folded.slice(i + 1, i + 1 + len);
      const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === len ? Number.parseInt(hex, 16) : -1;
      if (code >= 0 && code <= 0x10ffff) {
        out += String.fromCodePoint(code);
        i += len;
      } else out += `\\${e}`;
    } else out += `\\${e}`;
  }
  return out;
}

/** `|` and `>` scalars: the more-indented lines after the header, kept (`|`) or folded (`>`), with the chomping indicator applied. */
function blockScalar(text: string, lines: Line[], index: number, at: number, parentIndent: number): Scalar {
  const header = stripComment(text.slice(at, lines[index].start + lines[index].text.length)).trim();
  const literal = header.startsWith('|');
  const chomp = header.includes('-') ? 'strip' : header.includes('+') ? 'keep' : 'clip';
  const explicit = /\d/.exec(header);
  const body: string[] = [];
  let blockIndent = explicit ? parentIndent + Number(explicit[0]) : -1;
  let last = index;
  let start = at;
  for (let j = index + 1; j < lines.length; j++) {
    const l = lines[j];
    if (l.text.trim() === '') {
      body.push('');
      continue;
    }
    if (blockIndent < 0) blockIndent = l.indent;
    if (l.indent < blockIndent || l.indent <= parentIndent) break;
    if (last === index) start = l.start + blockIndent;
    body.push(l.text.slice(blockIndent));
    last = j;
  }
  let trailing = 0;
  while (body.length && body[body.length - 1] === '') {
    body.pop();
    trailing++;
  }
  let value: string;
  if (literal) value = body.join('\n');
  else {
    value = '';
    for (let k = 0; k < body.length; k++) {
      const l = body[k];
      if (k === 0) value = l;
      else if (l === '') value += '\n';
      else if (body[k - 1] === '' || l.startsWith(' ') || body[k - 1].startsWith(' ')) value += (body[k - 1] === '' ? '' : '\n') + l;
      else value += ` ${l}`;
    }
  }
  if (body.length && chomp !== 'strip') value += chomp === 'keep' ? '\n'.repeat(trailing + 1) : '\n';
  return { value, at: start, lastLine: last };
}

/** The text before a ` #` comment. */
function stripComment(s: string): string {
  const at = s.search(/[ \t]#/);
  return (at < 0 ? s : s.slice(0, at)).trimEnd();
}

/** Trailing spaces and tabs removed (a `/[ \t]+$/` regex is quadratic on long runs). */
function trimBlanksEnd(s: string): string {
  let e = s.length;
  while (e > 0 && (s[e - 1] === ' ' || s[e - 1] === '\t')) e--;
  return s.slice(0, e);
}
