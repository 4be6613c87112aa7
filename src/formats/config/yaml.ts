import { ConfigSyntaxError, type ScalarSink, type Segment } from './scalars.js';

/**
 * A strict reader for the YAML that model configs use: block mappings and
 * sequences, plain, quoted and block (`|`, `>`) scalars, flow collections,
 * several documents, anchors, aliases and tags. It constructs nothing:
 * tags are only recorded (a `!!python/…` tag is what makes PyYAML's unsafe
 * loaders import and call), aliases are never expanded (no billion laughs),
 * and every leaf goes to the sink with its key path. Whatever falls outside
 * this subset (explicit `?` keys, tab indentation, stray text) is a syntax
 * error, so prose and code are not mistaken for configs.
 */

export interface YamlTag {
  /** Resolved through %TAG handles and %-escapes, as PyYAML does: `tag:yaml.org,2002:python/object/apply:os.system`. */
  tag: string;
  path: Segment[];
  at: number;
}

export interface YamlOutcome {
  /** Documents whose root is a mapping or a sequence. */
  collections: number;
  tags: YamlTag[];
}

type Kind = 'map' | 'seq' | 'scalar' | 'empty';

const MAX_DEPTH = 128;
const MAX_TAGS = 10_000;
const MAX_DOCS = 10_000;
const BLANK = -1;
const TABBED = -2;
const COMMENT = -3;

export function walkYaml(text: string, sink: ScalarSink, checkpoint: () => void = () => {}): YamlOutcome {
  return new Reader(text, sink, checkpoint).read();
}

class Reader {
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  /** Leading spaces of a content line; BLANK, COMMENT, or TABBED (a tab before content). */
  private readonly indents: Int32Array;
  private readonly n: number;
  private i = 0;
  private steps = 0;
  private readonly path: Segment[] = [];
  private readonly tags: YamlTag[] = [];
  private readonly handles = new Map<string, string>();

  constructor(
    private readonly s: string,
    private readonly sink: ScalarSink,
    private readonly checkpoint: () => void,
  ) {
    let count = 1;
    for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', k + 1)) count++;
    this.starts = new Uint32Array(count);
    this.ends = new Uint32Array(count);
    this.indents = new Int32Array(count);
    let start = s.charCodeAt(0) === 0xfeff ? 1 : 0;
    for (let line = 0; line < count; line++) {
      let end = s.indexOf('\n', start);
      if (end < 0) end = s.length;
      const stop = end > start && s.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
      this.starts[line] = start;
      this.ends[line] = stop;
      let k = start;
      while (k < stop && s.charCodeAt(k) === 0x20) k++;
      let indent = k - start;
      let t = k;
      while (t < stop && (s.charCodeAt(t) === 0x20 || s.charCodeAt(t) === 0x09)) t++;
      if (t === stop) indent = BLANK;
      else if (s[t] === '#') indent = COMMENT;
      else if (t !== k) indent = TABBED;
      this.indents[line] = indent;
      start = end + 1;
    }
    this.n = count;
  }

  read(): YamlOutcome {
    let collections = 0;
    for (let docs = 0; docs < MAX_DOCS; docs++) {
      this.directives();
      this.skipBlank();
      if (this.i >= this.n) break;
      let kind: Kind;
      const start = this.starts[this.i];
      if (this.marker(this.i) === '...') {
        this.i++;
        continue;
      }
      if (this.marker(this.i) === '---') {
        const p = this.skipSpaces(start + 3);
        if (this.restEmpty(p)) {
          this.i++;
          kind = this.below(-1, 0, false);
        } else kind = this.node(p, -1, 0, false);
      } else kind = this.below(-1, 0, false);
      if (kind === 'map' || kind === 'seq') collections++;
      this.skipBlank();
      if (this.i < this.n && this.marker(this.i) === undefined) this.fail('unexpected content after the document', this.starts[this.i]);
    }
    this.skipBlank();
    if (this.i < this.n) this.fail(`more than ${MAX_DOCS} documents`, this.starts[this.i]);
    return { collections, tags: this.tags };
  }

  // ---- lines ----

  private fail(what: string, at: number): never {
    throw new ConfigSyntaxError(what, at);
  }

  private tick(): void {
    if ((++this.steps & 0x3fff) === 0) this.checkpoint();
  }

  private skipBlank(): void {
    while (this.i < this.n && this.indents[this.i] < 0) {
      if (this.indents[this.i] === TABBED) this.fail('tab used for indentation', this.starts[this.i]);
      this.i++;
    }
  }

  private marker(line: number): '---' | '...' | undefined {
    if (this.indents[line] !== 0) return undefined;
    const p = this.starts[line];
    const m = this.s.slice(p, p + 3);
    if (m !== '---' && m !== '...') return undefined;
    const after = this.s[p + 3];
    return p + 3 >= this.ends[line] || after === ' ' || after === '\t' ? m : undefined;
  }

  private directives(): void {
    while (this.i < this.n) {
      this.skipBlank();
      if (this.i >= this.n || this.indents[this.i] !== 0 || this.s[this.starts[this.i]] !== '%') return;
      const line = this.s.slice(this.starts[this.i], this.ends[this.i]);
      const tag = /^%TAG[ \t]+(![\w-]*!?)[ \t]+(\S+)/.exec(line);
      if (tag) this.handles.set(tag[1], tag[2]);
      this.i++;
    }
  }

  private lineOf(index: number): number {
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private skipSpaces(p: number): number {
    while (this.s[p] === ' ' || this.s[p] === '\t') p++;
    return p;
  }

  /** Nothing but blanks or a comment from `p` to the end of its line. */
  private restEmpty(p: number, line = this.i): boolean {
    const end = this.ends[line];
    p = this.skipSpaces(p);
    return p >= end || (this.s[p] === '#' && (p === this.starts[line] || this.s[p - 1] === ' ' || this.s[p - 1] === '\t'));
  }

  private isItem(p: number, line = this.i): boolean {
    return this.s[p] === '-' && (p + 1 >= this.ends[line] || this.s[p + 1] === ' ' || this.s[p + 1] === '\t');
  }

  // ---- block structure ----

  /** The node on the lines after a key or item with nothing after it; this.i is on the next line. */
  private below(parentIndent: number, depth: number, seqAtParent: boolean): Kind {
    this.skipBlank();
    if (this.i >= this.n || this.marker(this.i) !== undefined) return 'empty';
    const ind = this.indents[this.i];
    const p = this.starts[this.i] + ind;
    if (ind > parentIndent) return this.node(p, parentIndent, depth, true);
    if (seqAtParent && ind === parentIndent && this.isItem(p)) return this.sequence(p, depth);
    return 'empty';
  }

  /** A node starting at `p` on line this.i; leaves this.i on the first line after it. */
  private node(p: number, parentIndent: number, depth: number, compact: boolean): Kind {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`, p);
    this.tick();
    p = this.properties(p, true);
    if (this.restEmpty(p)) {
      this.i++;
      return this.below(parentIndent, depth, !compact);
    }
    const c = this.s[p];
    if (compact && this.isItem(p)) return this.sequence(p, depth);
    if (c === '|' || c === '>') return this.blockScalar(p, parentIndent);
    if (c === '[' || c === '{') {
      const end = this.flowNode(p, depth);
      const line = this.lineOf(end - 1);
      if (!this.restEmpty(end, line)) this.fail('unexpected text after a flow collection', end);
      this.i = line + 1;
      return c === '[' ? 'seq' : 'map';
    }
    if (c === '*') {
      const end = this.token(p);
      if (!this.restEmpty(end)) this.fail('unexpected text after an alias', end);
      this.i++;
      return 'scalar';
    }
    if (compact && this.key(p, false)) return this.mapping(p, depth);
    if (c === '"' || c === "'") {
      const end = this.quoted(p);
      const line = this.lineOf(end - 1);
      if (!this.restEmpty(end, line)) this.fail('unexpected text after a quoted scalar', end);
      this.i = line + 1;
      return 'scalar';
    }
    this.plain(p, parentIndent);
    return 'scalar';
  }

  private mapping(p: number, depth: number): Kind {
    const col = p - this.starts[this.i];
    for (;;) {
      const k = this.key(p, true);
      if (!k) this.fail('expected a mapping entry', p);
      this.path.push(k.key);
      const v = this.skipSpaces(k.valueAt);
      if (this.restEmpty(v)) {
        this.i++;
        this.below(col, depth + 1, true);
      } else this.node(v, col, depth + 1, false);
      this.path.pop();
      const next = this.nextAt(col);
      if (next === undefined) break;
      p = next;
      if (this.isItem(p)) this.fail('a list item where a mapping entry was expected', p);
    }
    return 'map';
  }

  /** Where the collection's next entry starts, at column `col`; undefined when the collection has ended. */
  private nextAt(col: number): number | undefined {
    this.skipBlank();
    if (this.i >= this.n || this.marker(this.i) !== undefined) return undefined;
    const ind = this.indents[this.i];
    if (ind < col) return undefined;
    if (ind > col) this.fail('unexpected indentation', this.starts[this.i] + ind);
    return this.starts[this.i] + col;
  }

  private sequence(p: number, depth: number): Kind {
    const col = p - this.starts[this.i];
    for (let index = 0; ; index++) {
      this.path.push(index);
      const q = this.skipSpaces(p + 1);
      if (this.restEmpty(q)) {
        this.i++;
        this.below(col, depth + 1, false);
      } else this.node(q, col, depth + 1, true);
      this.path.pop();
      const next = this.nextAt(col);
      if (next === undefined) break;
      p = next;
      // A list at its parent key's indent ends where the parent's next key starts.
      if (!this.isItem(p)) break;
    }
    return 'seq';
  }

  /** `key: ` at `p` (plain or quoted key, with optional tag or anchor); undefined when the line is not a mapping entry. */
  private key(p: number, record: boolean): { key: string; valueAt: number } | undefined {
    const end = this.ends[this.i];
    const s = this.s;
    if (s[p] === '?' && (p + 1 >= end || s[p + 1] === ' ')) this.fail('explicit mapping keys are not supported', p);
    p = this.properties(p, record, true);
    let key: string;
    let r: number;
    if (s[p] === '"' || s[p] === "'") {
      const close = closingQuote(s, p, end);
      if (close < 0) return undefined;
      key = s[p] === '"' ? decodeDouble(s.slice(p + 1, close)) : decodeSingle(s.slice(p + 1, close));
      r = this.skipSpaces(close + 1);
      if (s[r] !== ':' || (r + 1 < end && s[r + 1] !== ' ' && s[r + 1] !== '\t')) return undefined;
    } else {
      if (PLAIN_BAD_START.includes(s[p]) || ((s[p] === '-' || s[p] === ':') && (p + 1 >= end || s[p + 1] === ' '))) return undefined;
      r = -1;
      for (let k = p; k < end; k++) {
        const c = s[k];
        if (c === '#' && k > p && (s[k - 1] === ' ' || s[k - 1] === '\t')) return undefined;
        if (c === ':' && (k + 1 >= end || s[k + 1] === ' ' || s[k + 1] === '\t')) {
          r = k;
          break;
        }
      }
      if (r < 0) return undefined;
      key = s.slice(p, r).trimEnd();
      if (key === '') return undefined;
    }
    return { key, valueAt: r + 1 };
  }

  /** Tags and anchors before a node or key: tags are recorded (unless only probing), anchors skipped. */
  private properties(p: number, record: boolean, forKey = false): number {
    for (let k = 0; k < 4; k++) {
      p = this.skipSpaces(p);
      const c = this.s[p];
      if (c !== '!' && c !== '&') break;
      const end = this.token(p);
      if (c === '!' && record) this.recordTag(this.s.slice(p, end), p);
      p = end;
      if (forKey && this.s[p] === ':') break;
    }
    return this.skipSpaces(p);
  }

  /** End of a tag, anchor or alias token. */
  private token(p: number): number {
    const s = this.s;
    if (s[p] === '!' && s[p + 1] === '<') {
      const close = s.indexOf('>', p);
      const lineEnd = this.ends[this.lineOf(p)];
      return close >= 0 && close < lineEnd ? close + 1 : lineEnd;
    }
    let k = p + 1;
    while (k < s.length && !' \t\r\n,[]{}'.includes(s[k])) k++;
    return k;
  }

  private recordTag(raw: string, at: number): void {
    if (this.tags.length >= MAX_TAGS) return;
    this.tags.push({ tag: this.resolveTag(raw), path: this.path.slice(), at });
  }

  private resolveTag(raw: string): string {
    if (raw.startsWith('!<')) return percentDecode(raw.slice(2, raw.endsWith('>') ? -1 : undefined));
    const m = /^(![\w-]*!)(.*)$/.exec(raw);
    if (m) {
      const prefix = this.handles.get(m[1]) ?? (m[1] === '!!' ? 'tag:yaml.org,2002:' : m[1]);
      return prefix + percentDecode(m[2]);
    }
    return (this.handles.get('!') ?? '!') + percentDecode(raw.slice(1));
  }

  // ---- scalars ----

  private emit(value: string, text: boolean, at: number): void {
    this.sink({ path: this.path, value, text, at });
  }

  /** A quoted scalar at `p` (it may span lines); returns the index after its closing quote. */
  private quoted(p: number): number {
    const close = closingQuote(this.s, p, this.s.length);
    if (close < 0) this.fail('unterminated quoted scalar', p);
    const raw = this.s.slice(p + 1, close);
    this.emit(this.s[p] === '"' ? decodeDouble(raw) : decodeSingle(raw), true, p + 1);
    return close + 1;
  }

  private plain(p: number, parentIndent: number): void {
    const s = this.s;
    if (PLAIN_BAD_START.includes(s[p]) || ((s[p] === '-' || s[p] === '?' || s[p] === ':') && s[p + 1] === ' '))
      this.fail(`a plain scalar cannot start with '${s[p]}'`, p);
    const first = this.plainLine(p, this.ends[this.i]);
    const parts = [first];
    let last = this.i;
    for (let j = this.i + 1; j < this.n; j++) {
      const ind = this.indents[j];
      if (ind === BLANK) {
        parts.push('');
        continue;
      }
      if (ind === COMMENT || ind === TABBED || ind <= parentIndent || this.marker(j) !== undefined) break;
      parts.push(this.plainLine(this.starts[j] + ind, this.ends[j]));
      last = j;
    }
    while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    this.i = last + 1;
    const value = foldLines(parts);
    this.emit(value, !NON_STRING.test(value), p);
  }

  /** One line of a plain scalar, comment removed; a `: ` in it would make it a mapping, which is not allowed here. */
  private plainLine(p: number, end: number): string {
    const s = this.s;
    let k = p;
    for (; k < end; k++) {
      const c = s[k];
      if (c === '#' && k > p && (s[k - 1] === ' ' || s[k - 1] === '\t')) break;
      if (c === ':' && (k + 1 >= end || s[k + 1] === ' ' || s[k + 1] === '\t')) this.fail('a mapping value is not allowed here', k);
    }
    return s.slice(p, k).trim();
  }

  private blockScalar(p: number, parentIndent: number): Kind {
    const s = this.s;
    const literal = s[p] === '|';
    let k = p + 1;
    let explicit = 0;
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    for (let n = 0; n < 2; n++, k++) {
      const c = s[k];
      if (c >= '1' && c <= '9') explicit = Number(c);
      else if (c === '-') chomp = 'strip';
      else if (c === '+') chomp = 'keep';
      else break;
    }
    if (!this.restEmpty(k)) this.fail('unexpected text after a block scalar header', k);
    const base = Math.max(parentIndent, 0);
    let indent = explicit ? base + explicit : -1;
    const body: string[] = [];
    let at = p;
    let started = false;
    let last = this.i;
    for (let j = this.i + 1; j < this.n; j++) {
      const start = this.starts[j];
      const end = this.ends[j];
      let sp = start;
      while (sp < end && s.charCodeAt(sp) === 0x20) sp++;
      if (sp === end) {
        body.push('');
        continue;
      }
      if (indent < 0) {
        indent = sp - start;
        if (indent <= parentIndent) break;
      }
      if (sp - start < indent) break;
      if (!started) {
        at = start + indent;
        started = true;
      }
      body.push(s.slice(start + indent, end));
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
      for (let b = 0; b < body.length; b++) {
        const l = body[b];
        if (b === 0) value = l;
        else if (l === '') value += '\n';
        else if (body[b - 1] === '' || l.startsWith(' ') || body[b - 1].startsWith(' ')) value += (body[b - 1] === '' ? '' : '\n') + l;
        else value += ` ${l}`;
      }
    }
    if (body.length && chomp !== 'strip') value += chomp === 'keep' ? '\n'.repeat(trailing + 1) : '\n';
    this.i = last + 1;
    this.emit(value, true, at);
    return 'scalar';
  }

  // ---- flow collections ----

  private skipFlow(p: number): number {
    const s = this.s;
    for (;;) {
      const c = s[p];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') p++;
      else if (c === '#' && (p === 0 || ' \t\n\r'.includes(s[p - 1]))) {
        const nl = s.indexOf('\n', p);
        p = nl < 0 ? s.length : nl;
      } else return p;
    }
  }

  /** A flow node at `p`; returns the index after it. */
  private flowNode(p: number, depth: number): number {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`, p);
    this.tick();
    const s = this.s;
    p = this.skipFlow(p);
    for (let k = 0; k < 4 && (s[p] === '!' || s[p] === '&'); k++) {
      const end = this.token(p);
      if (s[p] === '!') this.recordTag(s.slice(p, end), p);
      p = this.skipFlow(end);
    }
    const c = s[p];
    if (c === '[') {
      p++;
      for (let index = 0; ; index++) {
        p = this.skipFlow(p);
        if (s[p] === ']') return p + 1;
        this.path.push(index);
        p = this.flowNode(p, depth + 1);
        p = this.skipFlow(p);
        // A single `key: value` pair inside a list: its value sits at the same position.
        if (s[p] === ':') p = this.flowValue(p + 1, depth);
        this.path.pop();
        p = this.skipFlow(p);
        if (s[p] === ',') p++;
        else if (s[p] !== ']') this.fail("expected ',' or ']'", p);
      }
    }
    if (c === '{') {
      p++;
      for (;;) {
        p = this.skipFlow(p);
        if (s[p] === '}') return p + 1;
        const k = this.flowKey(p);
        p = this.skipFlow(k.end);
        this.path.push(k.key);
        if (s[p] === ':') p = this.flowValue(p + 1, depth);
        this.path.pop();
        p = this.skipFlow(p);
        if (s[p] === ',') p++;
        else if (s[p] !== '}') this.fail("expected ',' or '}'", p);
      }
    }
    if (c === '"' || c === "'") return this.quoted(p);
    if (c === '*') return this.token(p);
    const end = this.flowPlainEnd(p);
    if (end === p) this.fail('expected a value', p);
    const value = s.slice(p, end).replace(/\s+/g, ' ').trim();
    this.emit(value, !NON_STRING.test(value), p);
    return end;
  }

  private flowValue(p: number, depth: number): number {
    p = this.skipFlow(p);
    const c = this.s[p];
    if (c === ',' || c === '}' || c === ']') return p;
    return this.flowNode(p, depth + 1);
  }

  private flowKey(p: number): { key: string; end: number } {
    const s = this.s;
    p = this.skipFlow(p);
    for (let k = 0; k < 4 && (s[p] === '!' || s[p] === '&'); k++) {
      const end = this.token(p);
      if (s[p] === '!') this.recordTag(s.slice(p, end), p);
      p = this.skipFlow(end);
    }
    if (s[p] === '"' || s[p] === "'") {
      const close = closingQuote(s, p, s.length);
      if (close < 0) this.fail('unterminated quoted key', p);
      const raw = s.slice(p + 1, close);
      return { key: s[p] === '"' ? decodeDouble(raw) : decodeSingle(raw), end: close + 1 };
    }
    if (s[p] === '[' || s[p] === '{') this.fail('collections as keys are not supported', p);
    const end = this.flowPlainEnd(p);
    return { key: s.slice(p, end).replace(/\s+/g, ' ').trim(), end };
  }

  /** Where a plain scalar in a flow collection ends: a flow indicator, `: `, or a comment. */
  private flowPlainEnd(p: number): number {
    const s = this.s;
    let k = p;
    for (; k < s.length; k++) {
      const c = s[k];
      if (c === ',' || c === '[' || c === ']' || c === '{' || c === '}') break;
      if (c === ':' && (k + 1 >= s.length || ' \t\r\n,[]{}'.includes(s[k + 1]))) break;
      if (c === '#' && k > p && ' \t\r\n'.includes(s[k - 1])) break;
    }
    return k;
  }
}

/** Characters that cannot start a plain scalar or key. */
const PLAIN_BAD_START = '[]{},#&*!|>\'"%@`';

/** Plain scalars that YAML 1.1 (PyYAML) reads as null, booleans or numbers (no two parts of it can match the same digits). */
const NON_STRING_RE =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const NON_STRING = { test: (v: string): boolean => v.length <= 64 && NON_STRING_RE.test(v) };

/** Index of the quote closing the one at `p`, or -1 before `limit`. */
function closingQuote(s: string, p: number, limit: number): number {
  const q = s[p];
  for (let k = p + 1; k < limit; k++) {
    const c = s[k];
    if (q === '"' && c === '\\') k++;
    else if (c === q) {
      if (q === "'" && s[k + 1] === "'") k++;
      else return k;
    }
  }
  return -1;
}

/** Flow-scalar line folding: a single line break is a space, each empty line a newline. */
function foldLines(parts: string[]): string {
  let out = parts[0] ?? '';
  let empties = 0;
  for (let k = 1; k < parts.length; k++) {
    if (parts[k] === '') {
      empties++;
      continue;
    }
    out += empties ? '\n'.repeat(empties) : ' ';
    out += parts[k];
    empties = 0;
  }
  return out;
}

function splitFold(raw: string): string {
  const lines = raw.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.length === 1) return raw;
  const parts = lines.map((l, k) =>
    k === 0 ? trimBlanks(l, false, true) : k === lines.length - 1 ? trimBlanks(l, true, false) : l.trim(),
  );
  return foldLines(parts);
}

/** Spaces and tabs trimmed by hand: `/[ \t]+$/` is quadratic on long runs of blanks. */
function trimBlanks(l: string, start: boolean, end: boolean): string {
  let a = 0;
  let b = l.length;
  if (start) while (a < b && (l[a] === ' ' || l[a] === '\t')) a++;
  if (end) while (b > a && (l[b - 1] === ' ' || l[b - 1] === '\t')) b--;
  return l.slice(a, b);
}

function decodeSingle(raw: string): string {
  return splitFold(raw).replace(/''/g, "'");
}

const DOUBLE_ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};

function decodeDouble(raw: string): string {
  // An escaped line break joins the lines with nothing between them; mark it before folding.
  const JOIN = '\u0000\u0001';
  const folded = splitFold(raw.replace(/\\\r?\n[ \t]*/g, JOIN))
    .split(JOIN)
    .join('');
  let out = '';
  for (let k = 0; k < folded.length; k++) {
    const c = folded[k];
    if (c !== '\\' || k + 1 >= folded.length) {
      out += c;
      continue;
    }
    const e = folded[++k];
    if (Object.hasOwn(DOUBLE_ESCAPES, e)) out += DOUBLE_ESCAPES[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = folded.slice(k + 1, k + 1 + len);
      const code = hex.length === len && /^[0-9a-fA-F]+$/.test(hex) ? Number.parseInt(hex, 16) : -1;
      if (code >= 0 && code <= 0x10ffff) {
        out += String.fromCodePoint(code);
        k += len;
      } else out += `\\${e}`;
    } else out += `\\${e}`;
  }
  return out;
}

function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  }
}
