import type { Severity } from '../scan/findings.js';
import { WILD } from './fold.js';

/**
 * The token-level check for templates the AST parser cannot read (it knows a
 * subset of Jinja; jinja2 accepts more: `()`, `{% raw %}`, `is divisibleby(3)`,
 * octal and `\N{…}` escapes…). A lenient lexer modelled on jinja2's finds the
 * code regions (`{{ }}`, `{% %}`; comments and raw blocks skipped), decodes
 * string literals as Python does, and flags any dunder or private name, a
 * Jinja or framework global used as an object, `|attr` with a computed or
 * private name, and template loading. Linear in the text; never recursive.
 */

export interface FallbackHit {
  /** Character index of the region's opening `{{`/`{%` in the template. */
  start: number;
  end: number;
  severity: Severity;
  rule: string;
  reasons: string[];
}

interface Token {
  kind: 'name' | 'string' | 'number' | 'op';
  value: string;
  at: number;
}

const GADGETS = new Set([
  'cycler',
  'joiner',
  'namespace',
  'lipsum',
  'self',
  'request',
  'config',
  'url_for',
  'get_flashed_messages',
  'session',
]);
const LOADERS = new Set(['include', 'import', 'extends', 'from']);
const DUNDER = /__[A-Za-z0-9]\w*?__/;
const NAME_START = /[\p{L}\p{Nl}_]/u;
const NAME_PART = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/u;
const MAX_RANGE = 100_000;

export function fallbackScan(text: string, checkpoint?: () => void): FallbackHit[] {
  const hits: FallbackHit[] = [];
  let i = 0;
  let regions = 0;
  while (i < text.length) {
    const open = nextTag(text, i);
    if (open < 0) break;
    const kind = text[open + 1];
    if (kind === '#') {
      const e = text.indexOf('#}', open + 2);
      i = e < 0 ? text.length : e + 2;
      continue;
    }
    if (kind === '%' && /^\{%[-+]?\s*raw\s*[-+]?%\}/.test(text.slice(open, open + 64))) {
      i = endOfRaw(text, open + 2);
      continue;
    }
    const { tokens, end } = lexCode(text, open + 2, kind === '{' ? '}}' : '%}');
    hits.push(...judgeRegion(tokens, open, end, kind === '%'));
    i = Math.max(end, open + 2);
    if (++regions % 1024 === 0) checkpoint?.();
  }
  return hits;
}

function nextTag(text: string, from: number): number {
  for (let i = text.indexOf('{', from); i >= 0; i = text.indexOf('{', i + 1)) {
    const c = text[i + 1];
    if (c === '{' || c === '%' || c === '#') return i;
  }
  return -1;
}

function endOfRaw(text: string, from: number): number {
  for (let i = text.indexOf('endraw', from); i >= 0; i = text.indexOf('endraw', i + 6)) {
    const close = /^endraw\s*[-+]?%\}/.exec(text.slice(i, i + 64));
    if (close && /\{%[-+]?\s*$/.test(text.slice(Math.max(0, i - 64), i))) return i + close[0].length;
  }
  return text.length;
}

/** Tokens from `start` to the closing tag at bracket depth 0 (or the end of the text). */
function lexCode(text: string, start: number, closer: string): { tokens: Token[]; end: number } {
  const tokens: Token[] = [];
  let depth = 0;
  let i = start;
  if (text[i] === '-' || text[i] === '+') i++;
  while (i < text.length) {
    const c = text[i];
    if (depth === 0 && (text.startsWith(closer, i) || (c === '-' && text.startsWith(closer, i + 1)))) {
      return { tokens, end: i + closer.length + (c === '-' ? 1 : 0) };
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      tokens.push({ kind: 'string', value: decodePyString(text.slice(i + 1, Math.min(j, text.length))), at: i });
      i = j + 1;
    } else if (c >= '0' && c <= '9') {
      let j = i + 1;
      while (j < text.length && /[\w.]/.test(text[j])) j++;
      tokens.push({ kind: 'number', value: text.slice(i, j), at: i });
      i = j;
    } else if (NAME_START.test(c)) {
      let j = i + 1;
      while (j < text.length && NAME_PART.test(text[j])) j++;
      tokens.push({ kind: 'name', value: text.slice(i, j), at: i });
      i = j;
    } else {
      if (c === '(' || c === '[' || c === '{') depth++;
      else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
      tokens.push({ kind: 'op', value: c, at: i });
      i++;
    }
  }
  return { tokens, end: text.length };
}

function judgeRegion(tokens: Token[], start: number, end: number, statement: boolean): FallbackHit[] {
  const byRule = new Map<string, FallbackHit>();
  const add = (severity: Severity, rule: string, reason: string) => {
    const h = byRule.get(rule);
    if (h) {
      if (h.reasons.length < 8 && !h.reasons.includes(reason)) h.reasons.push(reason);
    } else byRule.set(rule, { start, end, severity, rule, reasons: [reason] });
  };
  const isOp = (t: Token | undefined, v: string) => t?.kind === 'op' && t.value === v;
  tokens.forEach((t, k) => {
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    if (t.kind === 'name') {
      if (t.value.startsWith('__')) add('CRITICAL', 'template/ssti', `names '${t.value}'`);
      else if (t.value.startsWith('_') && isOp(prev, '.')) add('CRITICAL', 'template/ssti', `reads the attribute '${t.value}'`);
      else if (GADGETS.has(t.value) && !isOp(prev, '.') && (isOp(next, '.') || isOp(next, '[')))
        add('CRITICAL', 'template/ssti', `reaches into the global '${t.value}'`);
      else if (t.value === 'attr' && isOp(prev, '|') && isOp(next, '(')) {
        const arg = tokens[k + 2];
        if (arg?.kind !== 'string' || !isOp(tokens[k + 3], ')'))
          add('CRITICAL', 'template/ssti', 'reads an attribute through |attr with a computed name');
        else if (arg.value.startsWith('_')) add('CRITICAL', 'template/ssti', `reads the attribute '${shown(arg.value)}' through |attr`);
      } else if (statement && k === 0 && LOADERS.has(t.value))
        add('MEDIUM', 'template/include', `loads another template ({% ${t.value} %})`);
      else if (t.value === 'range' && isOp(next, '(') && tokens[k + 2]?.kind === 'number') {
        const n = Number(tokens[k + 2].value.replace(/_/g, ''));
        if (n > MAX_RANGE) add('CRITICAL', 'template/dos', `builds range(${tokens[k + 2].value})`);
      }
    } else if (t.kind === 'string') {
      const v = t.value;
      if (DUNDER.test(v) || v.startsWith('__') || v.endsWith('__')) add('CRITICAL', 'template/ssti', `spells the name '${shown(v)}'`);
      else if (v.startsWith('_') && isOp(prev, '[')) add('CRITICAL', 'template/ssti', `reads the attribute '${shown(v)}' by subscript`);
    }
  });
  return [...byRule.values()];
}

function shown(v: string): string {
  const s = v.split(WILD).join('…');
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\n': '',
};

/** A string literal's body decoded as jinja2 does (Python's unicode-escape); names `\N{…}` other than LOW LINE stay unknown. */
export function decodePyString(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const e = body[++i];
    if (Object.hasOwn(SIMPLE_ESCAPES, e)) out += SIMPLE_ESCAPES[e];
    else if (e >= '0' && e <= '7') {
      const m = /^[0-7]{1,3}/.exec(body.slice(i, i + 3))![0];
      out += String.fromCharCode(Number.parseInt(m, 8));
      i += m.length - 1;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === len ? Number.parseInt(hex, 16) : -1;
      if (code < 0 || code > 0x10ffff) out += `\\${e}`;
      else {
        out += String.fromCodePoint(code);
        i += len;
      }
    } else if (e === 'N' && body[i + 1] === '{') {
      const close = body.indexOf('}', i);
      const name =
        close < 0
          ? ''
          : body
              .slice(i + 2, close)
              .trim()
              .toUpperCase();
      out += name === 'LOW LINE' ? '_' : WILD;
      i = close < 0 ? body.length : close;
    } else out += `\\${e}`;
  }
  return out;
}
