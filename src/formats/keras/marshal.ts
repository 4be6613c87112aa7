/**
 * Reads CPython's marshal format far enough to say what a code object
 * touches: the global and attribute names it loads (co_names), its string
 * constants and the names of nested functions. Nothing is executed and no
 * Python object is built; the result is plain data.
 *
 * Keras stores Lambda layers as `marshal.dumps(func.__code__)`. The code
 * object's field layout changed between CPython versions; the reader tries
 * the known layouts (3.11+, 3.8–3.10, 3.0–3.7) and, when none fits, falls
 * back to picking string records out of the bytes.
 */

const FLAG_REF = 0x80;
/** CPython's reader allows 2000 levels; real code objects nest a handful. */
const MAX_DEPTH = 1000;
const MAX_OBJECTS = 200_000;
const MAX_ITEMS = 1 << 20;
const MAX_SUMMARY_STRINGS = 200;
const MAX_STRING_CHARS = 4096;

export type CodeLayout = '3.11+' | '3.8-3.10' | '3.0-3.7';

export interface MarshalSummary {
  /** Which code-object layout parsed, or undefined when only strings could be picked out. */
  layout?: CodeLayout;
  /** Code objects found (the function and every nested one). */
  codeObjects: number;
  /** co_name of every code object, outermost first. */
  functions: string[];
  /** co_names: globals, attributes and imports the code loads. */
  names: string[];
  /** String (and bytes) constants. */
  strings: string[];
  /** The bytes did not parse as a whole; names and strings are a best effort. */
  partial: boolean;
}

/** What the reader builds: a tree of plain values, never Python objects. */
type Node =
  | { k: 'atom' }
  | { k: 'str'; v: string }
  | { k: 'bytes'; v: Buffer }
  | { k: 'seq'; items: Node[] }
  | { k: 'dict'; items: Node[] }
  | { k: 'code'; fields: CodeFields };

interface CodeFields {
  code: Node;
  consts: Node;
  names: Node;
  name: Node;
  others: Node[];
}

const ATOM: Node = { k: 'atom' };

export class MarshalError extends Error {}

class Reader {
  pos = 0;
  refs: (Node | undefined)[] = [];
  objects = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly layout: CodeLayout,
  ) {}

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new MarshalError(`truncated at byte ${this.pos}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  take(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  private count(): number {
    const n = this.i32();
    if (n < 0 || n > MAX_ITEMS) throw new MarshalError(`bad size ${n} at byte ${this.pos - 4}`);
    return n;
  }

  /** Mirrors r_object in CPython's marshal.c, including the order in which back-reference slots are taken. */
  object(depth: number): Node {
    if (depth > MAX_DEPTH) throw new MarshalError('nesting too deep');
    if (++this.objects > MAX_OBJECTS) throw new MarshalError('too many objects');
    const at = this.pos;
    const code = this.u8();
    const flag = (code & FLAG_REF) !== 0;
    const type = String.fromCharCode(code & ~FLAG_REF);
    const keep = (n: Node): Node => {
      if (flag) this.refs.push(n);
      return n;
    };
    const reserve = (): number => {
      if (!flag) return -1;
      this.refs.push(undefined);
      return this.refs.length - 1;
    };
    switch (type) {
      case '0':
      case 'N':
      case 'F':
      case 'T':
      case 'S':
      case '.':
        return ATOM;
      case 'i':
        this.take(4);
        return keep(ATOM);
      case 'I':
        this.take(8);
        return keep(ATOM);
      case 'g':
        this.take(8);
        return keep(ATOM);
      case 'y':
        this.take(16);
        return keep(ATOM);
      case 'f':
        this.take(this.u8());
        return keep(ATOM);
      case 'x':
        this.take(this.u8());
        this.take(this.u8());
        return keep(ATOM);
      case 'l': {
        const n = this.i32();
        if (n < -MAX_ITEMS || n > MAX_ITEMS) throw new MarshalError(`bad long size at byte ${at}`);
        this.take(Math.abs(n) * 2);
        return keep(ATOM);
      }
      case 's':
        return keep({ k: 'bytes', v: Buffer.from(this.take(this.count())) });
      case 'u':
      case 't':
        return keep({ k: 'str', v: this.take(this.count()).toString('utf8') });
      case 'a':
      case 'A':
        return keep({ k: 'str', v: this.take(this.count()).toString('latin1') });
      case 'z':
      case 'Z':
        return keep({ k: 'str', v: this.take(this.u8()).toString('latin1') });
      case ')':
      case '(':
      case '[':
      case '<':
      case '>': {
        const n = type === ')' ? this.u8() : this.count();
        const node: Node = { k: 'seq', items: [] };
        // Tuples, lists and sets are registered before their items (an item may refer back to them);
        // a non-empty frozenset only reserves its slot, so a reference to it from inside is invalid.
        const slot = type === '>' && n > 0 ? reserve() : -1;
        if (slot < 0) keep(node);
        for (let i = 0; i < n; i++) node.items.push(this.object(depth + 1));
        if (slot >= 0) this.refs[slot] = node;
        return node;
      }
      case '{': {
        const node: Node = { k: 'dict', items: [] };
        keep(node);
        for (let i = 0; ; i++) {
          if (i > MAX_ITEMS) throw new MarshalError('dict too large');
          if (this.pos < this.buf.length && this.buf[this.pos] === 0x30) {
            this.pos++;
            break;
          }
          node.items.push(this.object(depth + 1), this.object(depth + 1));
        }
        return node;
      }
      case ':': {
        const slot = reserve();
        const node: Node = { k: 'seq', items: [this.object(depth + 1), this.object(depth + 1), this.object(depth + 1)] };
        if (slot >= 0) this.refs[slot] = node;
        return node;
      }
      case 'r': {
        const idx = this.i32();
        const n = idx >= 0 && idx < this.refs.length ? this.refs[idx] : undefined;
        if (!n) throw new MarshalError(`invalid reference ${idx} at byte ${at}`);
        return n;
      }
      case 'c': {
        const slot = reserve();
        const node: Node = { k: 'code', fields: this.codeFields(depth) };
        if (slot >= 0) this.refs[slot] = node;
        return node;
      }
      default:
        throw new MarshalError(`unknown type code 0x${code.toString(16)} at byte ${at}`);
    }
  }

  private codeFields(depth: number): CodeFields {
    const ints = this.layout === '3.8-3.10' ? 6 : 5;
    for (let i = 0; i < ints; i++) this.i32();
    const expect = (n: Node, kind: Node['k'], field: string): Node => {
      if (n.k !== kind) throw new MarshalError(`code object field ${field} is not a ${kind} (layout ${this.layout})`);
      return n;
    };
    const o = (): Node => this.object(depth + 1);
    const code = expect(o(), 'bytes', 'co_code');
    const consts = expect(o(), 'seq', 'co_consts');
    const names = expect(o(), 'seq', 'co_names');
    const others: Node[] = [];
    let name: Node;
    if (this.layout === '3.11+') {
      others.push(expect(o(), 'seq', 'co_localsplusnames'));
      expect(o(), 'bytes', 'co_localspluskinds');
      expect(o(), 'str', 'co_filename');
      name = expect(o(), 'str', 'co_name');
      expect(o(), 'str', 'co_qualname');
      this.i32();
      expect(o(), 'bytes', 'co_linetable');
      expect(o(), 'bytes', 'co_exceptiontable');
    } else {
      for (const f of ['co_varnames', 'co_freevars', 'co_cellvars']) others.push(expect(o(), 'seq', f));
      expect(o(), 'str', 'co_filename');
      name = expect(o(), 'str', 'co_name');
      this.i32();
      expect(o(), 'bytes', 'co_lnotab');
    }
    return { code, consts, names, name, others };
  }
}

const LAYOUTS: readonly CodeLayout[] = ['3.11+', '3.8-3.10', '3.0-3.7'];

/** Summarises a marshalled object (normally a code object) without building or running it. */
export function summarizeMarshal(buf: Buffer): MarshalSummary {
  for (const layout of LAYOUTS) {
    const r = new Reader(buf, layout);
    let root: Node;
    try {
      root = r.object(0);
    } catch (err) {
      if (err instanceof MarshalError) continue;
      throw err;
    }
    const s = collect(root);
    // Bytes after the object: marshal.loads ignores them, but they may hide more.
    if (r.pos < buf.length) mergeStrings(s, pickStrings(buf.subarray(r.pos)), true);
    return s.codeObjects > 0 ? { ...s, layout } : s;
  }
  const s: MarshalSummary = { codeObjects: 0, functions: [], names: [], strings: [], partial: true };
  mergeStrings(s, pickStrings(buf), false);
  return s;
}

function collect(root: Node): MarshalSummary {
  const s: MarshalSummary = { codeObjects: 0, functions: [], names: [], strings: [], partial: false };
  const names = new Set<string>();
  const strings = new Set<string>();
  const seen = new Set<Node>();
  const visitConst = (n: Node): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.k === 'str') addCapped(strings, n.v);
    else if (n.k === 'bytes') addCapped(strings, n.v.toString('latin1'));
    else if (n.k === 'seq' || n.k === 'dict') n.items.forEach(visitConst);
    else if (n.k === 'code') {
      s.codeObjects++;
      const f = n.fields;
      if (f.name.k === 'str' && s.functions.length < MAX_SUMMARY_STRINGS) s.functions.push(f.name.v);
      if (f.names.k === 'seq') for (const x of f.names.items) if (x.k === 'str') addCapped(names, x.v);
      visitConst(f.consts);
    }
  };
  visitConst(root);
  s.names = [...names];
  s.strings = [...strings];
  return s;
}

function addCapped(set: Set<string>, v: string): void {
  if (set.size < MAX_SUMMARY_STRINGS) set.add(v.length > MAX_STRING_CHARS ? v.slice(0, MAX_STRING_CHARS) : v);
}

function mergeStrings(s: MarshalSummary, picked: string[], partial: boolean): void {
  const names = new Set(s.names);
  const strings = new Set(s.strings);
  for (const p of picked) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) addCapped(names, p);
    else addCapped(strings, p);
  }
  s.names = [...names];
  s.strings = [...strings];
  if (partial && picked.length > 0) s.partial = true;
}

/** Best effort for bytes that don't parse: string records whose length prefix and content look right. */
export function pickStrings(buf: Buffer): string[] {
  const out = new Set<string>();
  for (let i = 0; i < buf.length && out.size < MAX_SUMMARY_STRINGS; i++) {
    const t = buf[i] & ~FLAG_REF;
    let len = -1;
    let start = 0;
    if (t === 0x7a || t === 0x5a) {
      if (i + 1 >= buf.length) break;
      len = buf[i + 1];
      start = i + 2;
    } else if (t === 0x61 || t === 0x41 || t === 0x75 || t === 0x74) {
      if (i + 5 > buf.length) break;
      len = buf.readInt32LE(i + 1);
      start = i + 5;
    }
    if (len < 1 || start + len > buf.length) continue;
    const raw = buf.subarray(start, start + len);
    if (!raw.every((b) => b >= 0x20 && b < 0x7f)) continue;
    out.add(raw.toString('latin1').slice(0, MAX_STRING_CHARS));
    i = start + len - 1;
  }
  return [...out];
}
