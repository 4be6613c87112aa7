import type { Binding, Bindings } from './bindings.js';
import { filterParts, is, type Node } from './jinja-ast.js';
import { printfFormat, strFormat } from './py-format.js';

/**
 * Stands for text the analysis cannot know: template input, or an
 * expression it does not fold. A folded value with no WILD in it is exactly
 * what Jinja would compute.
 */
export const WILD = '\uFFFF';
const MAX_VALUES = 32;
const MAX_LEN = 4096;
const MAX_ITEMS = 256;
const MAX_DEPTH = 200;

/** A run this long may be a shortened one (see sanitize.ts): positions inside such a string are not trusted. */
const LONG_WS = /\s{16}/;

/** Every possible value of an expression as text (never empty). */
export type Values = string[];

const UNKNOWN: Values = [WILD];

export function isConstant(v: Values): boolean {
  return v.every((s) => !s.includes(WILD));
}

/** Shows a folded value with its unknown parts as '…'. */
export function showValue(s: string): string {
  return s.split(WILD).join('…');
}

function cap(values: Iterable<string>): Values {
  const out = new Set<string>();
  for (let v of values) {
    if (v.length > MAX_LEN) v = v.slice(0, MAX_LEN) + WILD;
    out.add(v);
    if (out.size >= MAX_VALUES) {
      out.add(WILD);
      break;
    }
  }
  return out.size ? [...out] : UNKNOWN;
}

/** Every combination of one value per part, combined by `f` (capped). */
function product(parts: Values[], f: (xs: string[]) => string): Values {
  let acc: string[][] = [[]];
  for (const p of parts) {
    const next: string[][] = [];
    for (const a of acc) for (const v of p) if (next.length < MAX_VALUES) next.push([...a, v]);
    acc = next;
  }
  return cap(acc.map(f));
}

const concat = (xs: string[]) => xs.join('');

function mapValues(v: Values, f: (s: string) => string): Values {
  return cap(v.map((s) => (s === WILD ? WILD : f(s))));
}

const STRING_FILTERS = new Map<string, (s: string) => string>(
  Object.entries({
    lower: (s) => s.toLowerCase(),
    upper: (s) => s.toUpperCase(),
    capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
    title: (s) => s.replace(/\w\S*/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()),
    trim: (s) => s.trim(),
    string: (s) => s,
    e: (s) => s,
    escape: (s) => s,
    forceescape: (s) => s,
    safe: (s) => s,
    reverse: (s: string) => [...s].reverse().join(''),
  }),
);

const STRING_METHODS = new Map<string, (s: string) => string>(
  Object.entries({
    lower: (s) => s.toLowerCase(),
    casefold: (s) => s.toLowerCase(),
    upper: (s) => s.toUpperCase(),
    swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
    title: STRING_FILTERS.get('title')!,
    capitalize: STRING_FILTERS.get('capitalize')!,
  }),
);

/**
 * Constant folding of the string-building Jinja offers (literals, `~`, `+`,
 * `*`, `%`, slices, `|join`, `|format`, `|replace`, `|reverse`, case filters,
 * str methods, `chr`, `.format` with fill characters), through every name
 * the template assigns, so a dunder built from harmless pieces is seen as
 * the dunder it becomes.
 */
export class Folder {
  private readonly memo = new Map<Node, Values>();
  /** Names (and `ns.attr` paths) resolve to the same values wherever they are used: resolved once. */
  private readonly names = new Map<string, Values>();
  private readonly active = new Set<string>();

  constructor(private readonly bindings: Bindings) {}

  strings(n: Node, depth = 0): Values {
    if (depth > MAX_DEPTH) return UNKNOWN;
    const hit = this.memo.get(n);
    if (hit) return hit;
    const v = this.compute(n, depth + 1);
    this.memo.set(n, v);
    return v;
  }

  /** The value of a `{% set x %}…{% endset %}` body. */
  body(stmts: readonly Node[], depth = 0): Values {
    if (depth > MAX_DEPTH) return UNKNOWN;
    return product(
      stmts.map((s) => (is(s, 'Comment') ? [''] : isExpression(s) ? this.strings(s, depth + 1) : UNKNOWN)),
      concat,
    );
  }

  private compute(n: Node, d: number): Values {
    if (is(n, 'StringLiteral')) return cap([n.value]);
    if (is(n, 'IntegerLiteral')) return [String(n.value)];
    if (is(n, 'FloatLiteral')) return [Number.isInteger(n.value) ? `${n.value}.0` : String(n.value)];
    if (is(n, 'Identifier')) return this.name(n.value, d);
    if (is(n, 'MemberExpression')) return this.member(n, d);
    if (is(n, 'FilterExpression')) return this.filter(n, d);
    if (is(n, 'CallExpression')) return this.call(n, d);
    if (is(n, 'Ternary')) return cap([...this.strings(n.trueExpr, d), ...this.strings(n.falseExpr, d)]);
    if (is(n, 'SelectExpression')) return cap([...this.strings(n.lhs, d), '']);
    if (is(n, 'UnaryExpression')) {
      const i = this.int(n, d);
      return i === undefined ? UNKNOWN : [String(i)];
    }
    if (is(n, 'BinaryExpression')) {
      const op = n.operator.value;
      if (op === '~') return product([this.strings(n.left, d), this.strings(n.right, d)], concat);
      if (op === 'or' || op === 'and') return cap([...this.strings(n.left, d), ...this.strings(n.right, d)]);
      const li = this.int(n.left, d);
      const ri = this.int(n.right, d);
      if (li !== undefined && ri !== undefined) {
        const i = this.int(n, d);
        return i === undefined ? UNKNOWN : [String(i)];
      }
      if (op === '+') return product([this.strings(n.left, d), this.strings(n.right, d)], concat);
      if (op === '*') {
        const times = ri ?? li;
        const text = ri !== undefined ? n.left : n.right;
        if (times === undefined) return UNKNOWN;
        return mapValues(this.strings(text, d), (s) => repeat(s, times));
      }
      if (op === '%') {
        const args = is(n.right, 'TupleLiteral') ? n.right.value : [n.right];
        return this.printf(this.strings(n.left, d), args, d);
      }
    }
    return UNKNOWN;
  }

  private name(name: string, d: number): Values {
    const bs = this.bindings.get(name);
    if (!bs || this.active.has(name)) return UNKNOWN;
    const known = this.names.get(name);
    if (known) return known;
    this.active.add(name);
    try {
      const v = cap(bs.flatMap((b) => this.binding(b, d)));
      this.names.set(name, v);
      return v;
    } finally {
      this.active.delete(name);
    }
  }

  private binding(b: Binding, d: number): Values {
    if (b.kind === 'expr') return this.strings(b.node, d);
    if (b.kind === 'body') return this.body(b.body, d);
    if (b.kind === 'item') {
      const items = this.list(b.iterable, d);
      if (items) return cap(items.flat());
      return cap(this.strings(b.iterable, d).flatMap((s) => (s.includes(WILD) ? [WILD] : [...s])));
    }
    return UNKNOWN;
  }

  private member(n: Node & { object: Node; property: Node; computed: boolean }, d: number): Values {
    const { object, property } = n;
    if (!n.computed) {
      if (is(property, 'IntegerLiteral')) return this.index(object, property.value, d);
      if (!is(property, 'Identifier') || !is(object, 'Identifier')) return UNKNOWN;
      return this.attribute(object.value, property.value, d);
    }
    if (is(property, 'SliceExpression')) {
      const at = (x: Node | undefined) => (x ? this.int(x, d) : null);
      const [start, stop, step] = [at(property.start), at(property.stop), at(property.step)];
      if (start === undefined || stop === undefined || step === undefined || step === 0) return UNKNOWN;
      return mapValues(this.strings(object, d), (s) => (s.includes(WILD) || LONG_WS.test(s) ? WILD : pySlice(s, start, stop, step)));
    }
    const i = this.int(property, d);
    if (i !== undefined) return this.index(object, i, d);
    const key = this.strings(property, d);
    if (!isConstant(key)) return UNKNOWN;
    const obj = this.objectLiteral(object);
    if (!obj) return UNKNOWN;
    return cap(key.flatMap((k) => this.lookup(obj, k, d) ?? UNKNOWN));
  }

  /** `ns.attr`: what `set ns.attr = …`, `namespace(attr=…)`, `dict(attr=…)` or `{'attr': …}` put there. */
  private attribute(object: string, attr: string, d: number): Values {
    const path = `${object}.${attr}`;
    const known = this.names.get(path);
    if (known) return known;
    if (this.active.has(path)) return UNKNOWN;
    this.active.add(path);
    try {
      const v = this.attributeValues(object, attr, d);
      this.names.set(path, v);
      return v;
    } finally {
      this.active.delete(path);
    }
  }

  private attributeValues(object: string, attr: string, d: number): Values {
    const found: string[] = [];
    for (const b of this.bindings.get(`${object}.${attr}`) ?? []) found.push(...this.binding(b, d));
    for (const b of this.bindings.get(object) ?? []) {
      if (b.kind !== 'expr') continue;
      const node = b.node;
      if (is(node, 'CallExpression') && is(node.callee, 'Identifier') && ['namespace', 'dict'].includes(node.callee.value)) {
        for (const a of node.args) if (is(a, 'KeywordArgumentExpression') && a.key.value === attr) found.push(...this.strings(a.value, d));
      } else if (is(node, 'ObjectLiteral')) {
        found.push(...(this.lookup(node, attr, d) ?? []));
      }
    }
    return found.length ? cap(found) : UNKNOWN;
  }

  private objectLiteral(n: Node): (Node & { value: Map<Node, Node> }) | undefined {
    if (is(n, 'ObjectLiteral')) return n;
    if (is(n, 'Identifier')) {
      const bs = this.bindings.get(n.value);
      if (bs?.length === 1 && bs[0].kind === 'expr' && is(bs[0].node, 'ObjectLiteral')) return bs[0].node;
    }
    return undefined;
  }

  private lookup(obj: Node & { value: Map<Node, Node> }, key: string, d: number): Values | undefined {
    const out: string[] = [];
    for (const [k, v] of obj.value) if (this.strings(k, d).includes(key)) out.push(...this.strings(v, d));
    return out.length ? out : undefined;
  }

  private index(object: Node, i: number, d: number): Values {
    const items = this.list(object, d);
    if (items) {
      const item = items[i < 0 ? items.length + i : i];
      return item ?? UNKNOWN;
    }
    return mapValues(this.strings(object, d), (s) => {
      if (s.includes(WILD) || LONG_WS.test(s)) return WILD;
      const chars = [...s];
      return chars[i < 0 ? chars.length + i : i] ?? WILD;
    });
  }

  private filter(n: Node & { operand: Node; filter: Node }, d: number): Values {
    const { name, args, laterArgs } = filterParts(n.filter);
    if (!name || laterArgs.length) return UNKNOWN;
    const operand = n.operand;
    const arg = (i: number, fallback: string): Values =>
      args[i] && !is(args[i], 'KeywordArgumentExpression') ? this.strings(args[i], d) : [fallback];
    switch (name) {
      case 'join': {
        const items = this.list(operand, d) ?? this.strings(operand, d).map((s) => (s.includes(WILD) ? [WILD] : [...s]));
        return cap(arg(0, '').flatMap((sep) => product(items.slice(0, MAX_ITEMS), (xs) => xs.join(sep))));
      }
      case 'format':
        return this.printf(this.strings(operand, d), args, d);
      case 'replace':
        return this.replace(this.strings(operand, d), args, d);
      case 'first':
      case 'last': {
        const items = this.list(operand, d);
        if (items) return (name === 'first' ? items[0] : items[items.length - 1]) ?? UNKNOWN;
        return mapValues(this.strings(operand, d), (s) =>
          s.includes(WILD) ? WILD : ((name === 'first' ? [...s][0] : [...s].pop()) ?? ''),
        );
      }
      case 'default':
      case 'd':
        return cap([...this.strings(operand, d), ...arg(0, '')]);
      case 'center': {
        const width = args[0] ? this.int(args[0], d) : 80;
        return width === undefined ? UNKNOWN : mapValues(this.strings(operand, d), (s) => pad(s, width, ' ', '^'));
      }
      default: {
        const f = STRING_FILTERS.get(name);
        return f ? mapValues(this.strings(operand, d), f) : UNKNOWN;
      }
    }
  }

  private call(n: Node & { callee: Node; args: Node[] }, d: number): Values {
    const { callee, args } = n;
    if (is(callee, 'Identifier')) {
      if (callee.value === 'chr' && args.length === 1) {
        const c = this.int(args[0], d);
        return c !== undefined && c >= 0 && c <= 0x10ffff ? [String.fromCodePoint(c)] : UNKNOWN;
      }
      if ((callee.value === 'str' || callee.value === 'string') && args.length === 1) return this.strings(args[0], d);
      return UNKNOWN;
    }
    if (!is(callee, 'MemberExpression') || callee.computed || !is(callee.property, 'Identifier')) return UNKNOWN;
    const method = callee.property.value;
    const recv = callee.object;
    switch (method) {
      case 'format':
        return this.strFormat(this.strings(recv, d), args, d);
      case 'join': {
        const items = args[0] ? this.list(args[0], d) : undefined;
        if (!items) return UNKNOWN;
        return cap(this.strings(recv, d).flatMap((sep) => product(items.slice(0, MAX_ITEMS), (xs) => xs.join(sep))));
      }
      case 'replace':
        return this.replace(this.strings(recv, d), args, d);
      case 'strip':
      case 'lstrip':
      case 'rstrip': {
        const chars = args[0] ? this.strings(args[0], d) : [' \t\n\r\x0b\x0c'];
        return cap(chars.flatMap((c) => mapValues(this.strings(recv, d), (s) => (c.includes(WILD) ? WILD : stripChars(s, c, method)))));
      }
      case 'center':
      case 'ljust':
      case 'rjust': {
        const width = args[0] ? this.int(args[0], d) : undefined;
        const fills = args[1] ? this.strings(args[1], d) : [' '];
        if (width === undefined) return UNKNOWN;
        const align = method === 'center' ? '^' : method === 'ljust' ? '<' : '>';
        return cap(fills.flatMap((f) => mapValues(this.strings(recv, d), (s) => (f.length === 1 ? pad(s, width, f, align) : WILD))));
      }
      case 'removeprefix':
      case 'removesuffix': {
        const affixes = args[0] ? this.strings(args[0], d) : [''];
        return cap(
          affixes.flatMap((a) =>
            mapValues(this.strings(recv, d), (s) => {
              if (method === 'removeprefix') return a && s.startsWith(a) ? s.slice(a.length) : s;
              return a && s.endsWith(a) ? s.slice(0, -a.length) : s;
            }),
          ),
        );
      }
      default: {
        const f = STRING_METHODS.get(method);
        return f && args.length === 0 ? mapValues(this.strings(recv, d), f) : UNKNOWN;
      }
    }
  }

  private replace(subject: Values, args: Node[], d: number): Values {
    if (args.length < 2) return UNKNOWN;
    const count = args[2] ? this.int(args[2], d) : -1;
    if (count === undefined) return UNKNOWN;
    const olds = this.strings(args[0], d);
    const news = this.strings(args[1], d);
    const out: string[] = [];
    for (const o of olds)
      for (const nw of news)
        for (const s of subject) out.push(o.includes(WILD) || (s.includes(WILD) && o === '') ? WILD : pyReplace(s, o, nw, count));
    return cap(out);
  }

  private printf(formats: Values, args: Node[], d: number): Values {
    const values = args.map((a) => (is(a, 'KeywordArgumentExpression') ? UNKNOWN : this.strings(a, d)));
    const ints = args.map((a) => this.int(a, d));
    return cap(formats.flatMap((f) => printfFormat(f, values, ints, WILD)));
  }

  private strFormat(formats: Values, args: Node[], d: number): Values {
    const positional: Values[] = [];
    const named = new Map<string, Values>();
    for (const a of args) {
      if (is(a, 'KeywordArgumentExpression')) named.set(a.key.value, this.strings(a.value, d));
      else if (is(a, 'SpreadExpression') || is(a, 'KeywordSpreadExpression')) return UNKNOWN;
      else positional.push(this.strings(a, d));
    }
    return cap(formats.flatMap((f) => strFormat(f, positional, named, WILD)));
  }

  /** The items of a list-valued expression, when the template spells them out. */
  list(n: Node, depth = 0): Values[] | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const d = depth + 1;
    if (is(n, 'ArrayLiteral') || is(n, 'TupleLiteral')) {
      return n.value.length <= MAX_ITEMS ? n.value.map((x) => this.strings(x, d)) : undefined;
    }
    if (is(n, 'Identifier')) {
      const bs = this.bindings.get(n.value);
      if (bs?.length !== 1 || bs[0].kind !== 'expr' || this.active.has(n.value)) return undefined;
      this.active.add(n.value);
      try {
        return this.list(bs[0].node, d);
      } finally {
        this.active.delete(n.value);
      }
    }
    if (is(n, 'FilterExpression')) {
      const { name, args, laterArgs } = filterParts(n.filter);
      if (laterArgs.length || args.length) return undefined;
      if (name === 'reverse') return this.list(n.operand, d)?.slice().reverse();
      if (name === 'list') {
        const items = this.list(n.operand, d);
        if (items) return items;
        const s = this.strings(n.operand, d);
        return s.length === 1 && isConstant(s) ? [...s[0]].slice(0, MAX_ITEMS).map((c) => [c]) : undefined;
      }
      return undefined;
    }
    if (is(n, 'CallExpression') && is(n.callee, 'MemberExpression') && is(n.callee.property, 'Identifier')) {
      const method = n.callee.property.value;
      if (method === 'split' && n.args.length <= 1) {
        const s = this.strings(n.callee.object, d);
        const sep = n.args[0] ? this.strings(n.args[0], d) : [' '];
        if (s.length !== 1 || sep.length !== 1 || !isConstant(s) || !isConstant(sep) || sep[0] === '') return undefined;
        return s[0]
          .split(sep[0])
          .slice(0, MAX_ITEMS)
          .map((x) => [x]);
      }
      if ((method === 'keys' || method === 'items' || method === 'values') && n.args.length === 0) {
        const obj = this.objectLiteral(n.callee.object);
        if (!obj || method === 'items') return undefined;
        return [...obj.value].slice(0, MAX_ITEMS).map(([k, v]) => this.strings(method === 'keys' ? k : v, d));
      }
    }
    return undefined;
  }

  /** An integer the template computes from constants; Infinity when it is too large to compute. */
  int(n: Node, depth = 0): number | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const d = depth + 1;
    if (is(n, 'IntegerLiteral')) return n.value;
    if (is(n, 'UnaryExpression')) {
      const v = this.int(n.argument, d);
      if (v === undefined) return undefined;
      return n.operator.value === '-' ? -v : n.operator.value === '+' ? v : undefined;
    }
    if (is(n, 'Identifier')) {
      const bs = this.bindings.get(n.value);
      if (bs?.length !== 1 || bs[0].kind !== 'expr' || this.active.has(n.value)) return undefined;
      this.active.add(n.value);
      try {
        return this.int(bs[0].node, d);
      } finally {
        this.active.delete(n.value);
      }
    }
    if (is(n, 'FilterExpression')) {
      const { name } = filterParts(n.filter);
      if (name === 'length' || name === 'count') return this.list(n.operand, d)?.length;
      if (name === 'int') {
        const s = this.strings(n.operand, d);
        return s.length === 1 && /^\s*[-+]?\d+\s*$/.test(s[0]) ? Number.parseInt(s[0], 10) : undefined;
      }
      return undefined;
    }
    if (!is(n, 'BinaryExpression')) return undefined;
    const a = this.int(n.left, d);
    const b = this.int(n.right, d);
    if (a === undefined || b === undefined) return undefined;
    let r: number;
    switch (n.operator.value) {
      case '+':
        r = a + b;
        break;
      case '-':
        r = a - b;
        break;
      case '*':
        r = a * b;
        break;
      case '//':
        if (b === 0) return undefined;
        r = Math.floor(a / b);
        break;
      case '%':
        if (b === 0) return undefined;
        r = a - b * Math.floor(a / b);
        break;
      case '**':
        if (b < 0) return undefined;
        r = Math.abs(a) <= 1 ? a ** Math.min(b, 2) : b > 4096 ? Number.POSITIVE_INFINITY : a ** b;
        break;
      default:
        return undefined;
    }
    return Number.isSafeInteger(r) ? r : Number.isNaN(r) ? undefined : r > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }
}

function isExpression(n: Node): boolean {
  return !['Set', 'For', 'If', 'Macro', 'CallStatement', 'FilterStatement', 'Break', 'Continue', 'Program'].includes(n.type);
}

function repeat(s: string, times: number): string {
  if (times <= 0 || s === '') return '';
  if (s.includes(WILD)) return WILD;
  if (!Number.isFinite(times) || s.length * times > MAX_LEN) return s.repeat(Math.ceil(MAX_LEN / s.length)).slice(0, MAX_LEN) + WILD;
  return s.repeat(times);
}

function pySlice(s: string, start: number | null, stop: number | null, step: number | null): string {
  const chars = [...s];
  const len = chars.length;
  const st = step ?? 1;
  const norm = (v: number | null, dflt: number, lo: number, hi: number) => {
    if (v === null) return dflt;
    const x = v < 0 ? v + len : v;
    return Math.min(Math.max(x, lo), hi);
  };
  const out: string[] = [];
  if (st > 0) {
    const b = norm(start, 0, 0, len);
    const e = norm(stop, len, 0, len);
    for (let i = b; i < e && out.length < MAX_LEN; i += st) out.push(chars[i]);
  } else {
    const b = norm(start, len - 1, -1, len - 1);
    const e = norm(stop, -1, -1, len - 1);
    for (let i = b; i > e && out.length < MAX_LEN; i += st) out.push(chars[i]);
  }
  return out.join('');
}

function pyReplace(s: string, old: string, nw: string, count: number): string {
  if (count < 0) return s.split(old).join(nw);
  let out = s;
  let from = 0;
  for (let k = 0; k < count; k++) {
    const at = out.indexOf(old, from);
    if (at < 0) break;
    out = out.slice(0, at) + nw + out.slice(at + old.length);
    from = at + nw.length + (old === '' ? 1 : 0);
  }
  return out;
}

function stripChars(s: string, chars: string, method: string): string {
  let b = 0;
  let e = s.length;
  if (method !== 'rstrip') while (b < e && chars.includes(s[b])) b++;
  if (method !== 'lstrip') while (e > b && chars.includes(s[e - 1])) e--;
  return s.slice(b, e);
}

/** Python's str padding: `fill` on the side(s) `align` leaves open, up to `width` characters. */
export function pad(s: string, width: number, fill: string, align: string): string {
  const len = [...s].length;
  if (!Number.isFinite(width) || width > MAX_LEN) return s.includes(WILD) ? WILD : `${WILD}${s}${WILD}`;
  const total = width - len;
  if (total <= 0) return s;
  if (align === '<') return s + fill.repeat(total);
  if (align === '>' || align === '=') return fill.repeat(total) + s;
  const left = Math.floor(total / 2) + (total % 2 && width % 2 ? 1 : 0);
  return fill.repeat(left) + s + fill.repeat(total - left);
}
