import { WeightsError } from './types.js';

/**
 * A purpose-built evaluator for the object pickle of a torch checkpoint
 * (archive/data.pkl): it builds dicts, lists and tuples as values and turns
 * the calls torch writes for tensors (`torch._utils._rebuild_tensor_v2` on
 * a ('storage', StorageType, key, location, numel) persistent id) into
 * tensor records. Nothing is imported or called: every other call becomes
 * an inert object that remembers its BUILD state, which is where a pickled
 * nn.Module keeps its parameters. The security scan of the same pickle is
 * the pickle scanner's job; this only reads structure, and gives up on
 * anything it does not model.
 */

export interface StorageRef {
  readonly k: 'storage';
  readonly key: string;
  /** safetensors-style dtype name from the storage class, or undefined for untyped storages. */
  readonly dtype: string | undefined;
  readonly typeName: string;
}

export interface TensorRef {
  readonly k: 'tensor';
  readonly storage: StorageRef;
  readonly dtype: string | undefined;
  readonly offset: number;
  readonly size: number[];
  readonly stride: number[];
}

export interface GlobalRef {
  readonly k: 'global';
  readonly module: string;
  readonly name: string;
}

export interface Seq {
  readonly k: 'list' | 'tuple' | 'set';
  readonly items: Value[];
}

export interface Dict {
  readonly k: 'dict';
  readonly keys: Value[];
  readonly values: Value[];
}

/** Whatever an unmodelled call produced; BUILD gives it a state. */
export interface Obj {
  readonly k: 'obj';
  readonly callee: Value;
  state?: Value;
}

export interface Opaque {
  readonly k: 'opaque';
}

export type Value = null | boolean | number | bigint | string | StorageRef | TensorRef | GlobalRef | Seq | Dict | Obj | Opaque;

const OPAQUE: Opaque = { k: 'opaque' };

export interface PickleLimits {
  maxStack: number;
  maxMemo: number;
  /** Longest str decoded; longer ones become opaque. */
  maxString: number;
}

export const PICKLE_LIMITS: PickleLimits = { maxStack: 1 << 20, maxMemo: 1 << 20, maxString: 1 << 16 };

const STORAGE_DTYPES: Readonly<Record<string, string>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  ComplexFloatStorage: 'C64',
};

const TORCH_DTYPES: Readonly<Record<string, string>> = {
  float64: 'F64',
  double: 'F64',
  float32: 'F32',
  float: 'F32',
  float16: 'F16',
  half: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  long: 'I64',
  int32: 'I32',
  int: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

const MARK = 0x28;

/** Evaluates the pickle in `buf`; returns what STOP returned. Throws WeightsError on anything it cannot follow. */
export function evaluateTorchPickle(buf: Buffer, checkpoint: () => void, limits: PickleLimits = PICKLE_LIMITS): Value {
  const stack: Value[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Value>();
  let p = 0;
  let ops = 0;

  const fail = (msg: string): never => {
    throw new WeightsError(`data.pkl: ${msg} at byte ${p}`);
  };
  const need = (n: number): void => {
    if (n < 0 || p + n > buf.length) fail('truncated pickle');
  };
  const u8 = (): number => {
    need(1);
    return buf[p++];
  };
  const u16 = (): number => {
    need(2);
    const v = buf.readUInt16LE(p);
    p += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = buf.readUInt32LE(p);
    p += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = buf.readBigUInt64LE(p);
    p += 8;
    if (v > BigInt(buf.length)) fail('length beyond the pickle');
    return Number(v);
  };
  const fence = (): number => (marks.length ? marks[marks.length - 1] : 0);
  const push = (v: Value): void => {
    if (stack.length >= limits.maxStack) fail(`stack deeper than ${limits.maxStack}`);
    stack.push(v);
  };
  const pop = (): Value => {
    if (stack.length <= fence()) fail('stack underflow');
    return stack.pop()!;
  };
  const top = (): Value => {
    if (stack.length <= fence()) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): Value[] => {
    if (!marks.length) fail('no MARK to pop to');
    const at = marks.pop()!;
    return stack.splice(at);
  };
  const put = (i: number): void => {
    if (!memo.has(i) && memo.size >= limits.maxMemo) fail(`more than ${limits.maxMemo} memo entries`);
    memo.set(i, top());
  };
  const get = (i: number): void => {
    if (!memo.has(i)) fail(`memo key ${i} was never stored`);
    push(memo.get(i)!);
  };
  const text = (n: number): Value => {
    need(n);
    const v = n > limits.maxString ? OPAQUE : buf.toString('utf8', p, p + n);
    p += n;
    return v;
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, p);
    if (end < 0 || end - p > 1024) fail('unterminated text line');
    const s = buf.toString('latin1', p, end);
    p = end + 1;
    return s;
  };
  const long = (n: number): Value => {
    need(n);
    if (n > 64) {
      p += n;
      return OPAQUE;
    }
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[p + i]);
    if (n > 0 && buf[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    p += n;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (target: Value, items: Value[]): void => {
    if (items.length % 2) fail('odd number of items for a dict');
    if (!isDict(target)) return;
    for (let i = 0; i < items.length; i += 2) {
      target.keys.push(items[i]);
      target.values.push(items[i + 1]);
    }
  };
  const appendItems = (target: Value, items: Value[]): void => {
    if (isObj(target) && (target.k === 'list' || target.k === 'set')) for (const it of items) target.items.push(it);
  };

  for (;;) {
    if ((++ops & 0xffff) === 0) checkpoint();
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME: a hint for buffered readers; the whole pickle is in memory
        need(8);
        p += 8;
        break;
      case 0x2e: // STOP
        return pop();
      case MARK:
        if (marks.length >= limits.maxStack) fail('too many marks');
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        need(4);
        push(buf.readInt32LE(p));
        p += 4;
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(long(u8()));
        break;
      case 0x8b: // LONG4
        push(long(u32()));
        break;
      case 0x47: // BINFLOAT
        need(8);
        push(buf.readDoubleBE(p));
        p += 8;
        break;
      case 0x58: // BINUNICODE
        push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        push(text(u64()));
        break;
      case 0x55: // SHORT_BINSTRING
      case 0x43: {
        // SHORT_BINBYTES
        const n = u8();
        need(n);
        p += n;
        push(OPAQUE);
        break;
      }
      case 0x54: // BINSTRING
      case 0x42: {
        // BINBYTES
        const n = u32();
        need(n);
        p += n;
        push(OPAQUE);
        break;
      }
      case 0x8e: // BINBYTES8
      case 0x96: {
        // BYTEARRAY8
        const n = u64();
        need(n);
        p += n;
        push(OPAQUE);
        break;
      }
      case 0x5d: // EMPTY_LIST
        push({ k: 'list', items: [] });
        break;
      case 0x29: // EMPTY_TUPLE
        push({ k: 'tuple', items: [] });
        break;
      case 0x7d: // EMPTY_DICT
        push({ k: 'dict', keys: [], values: [] });
        break;
      case 0x8f: // EMPTY_SET
        push({ k: 'set', items: [] });
        break;
      case 0x6c: // LIST
        push({ k: 'list', items: popMark() });
        break;
      case 0x74: // TUPLE
        push({ k: 'tuple', items: popMark() });
        break;
      case 0x91: // FROZENSET
        push({ k: 'set', items: popMark() });
        break;
      case 0x85: // TUPLE1
        push({ k: 'tuple', items: [pop()] });
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        push({ k: 'tuple', items: [pop(), b] });
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        push({ k: 'tuple', items: [pop(), b, c] });
        break;
      }
      case 0x64: {
        // DICT
        const d: Dict = { k: 'dict', keys: [], values: [] };
        setItems(d, popMark());
        push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(u32());
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x68: // BINGET
        get(u8());
        break;
      case 0x6a: // LONG_BINGET
        get(u32());
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        push({ k: 'global', module, name: line() });
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        push(typeof module === 'string' && typeof name === 'string' ? { k: 'global', module, name } : OPAQUE);
        break;
      }
      case 0x51: // BINPERSID
        push(persistent(pop()));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        pop();
        push({ k: 'obj', callee: pop() });
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop();
        pop();
        push({ k: 'obj', callee: pop() });
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        if (isObj(target) && target.k === 'obj') target.state = state;
        break;
      }
      default:
        p = at;
        fail(`opcode 0x${op.toString(16).padStart(2, '0')} is not one torch.save writes`);
    }
  }
}

function isObj(v: Value): v is Exclude<Value, null | boolean | number | bigint | string> {
  return typeof v === 'object' && v !== null;
}

function isDict(v: Value): v is Dict {
  return isObj(v) && v.k === 'dict';
}

function isGlobal(v: Value, module: string, ...names: string[]): v is GlobalRef {
  return isObj(v) && v.k === 'global' && v.module === module && names.includes(v.name);
}

function tupleItems(v: Value): Value[] | undefined {
  return isObj(v) && (v.k === 'tuple' || v.k === 'list') ? v.items : undefined;
}

/** torch's persistent ids: ('storage', StorageType, key, location, numel); anything else is opaque. */
function persistent(pid: Value): Value {
  const t = tupleItems(pid);
  if (t?.[0] !== 'storage' || t.length < 3) return OPAQUE;
  const type = t[1];
  const key = t[2];
  if (typeof key !== 'string' || !isObj(type) || type.k !== 'global') return OPAQUE;
  return { k: 'storage', key, typeName: type.name, dtype: STORAGE_DTYPES[type.name] };
}

function call(callee: Value, args: Value): Value {
  const a = tupleItems(args) ?? [];
  if (isGlobal(callee, 'torch._utils', '_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_tensor_v3')) {
    const dtypeArg = isGlobal(callee, 'torch._utils', '_rebuild_tensor_v3') ? a[6] : undefined;
    return tensor(a[0], a[1], a[2], a[3], dtypeArg) ?? OPAQUE;
  }
  if (isGlobal(callee, 'torch._utils', '_rebuild_parameter', '_rebuild_parameter_with_state')) return a[0] ?? OPAQUE;
  if (isGlobal(callee, 'collections', 'OrderedDict') && a.length === 0) return { k: 'dict', keys: [], values: [] };
  return { k: 'obj', callee };
}

function tensor(storage: Value, offset: Value, size: Value, stride: Value, dtypeArg: Value | undefined): TensorRef | undefined {
  if (!isObj(storage) || storage.k !== 'storage' || typeof offset !== 'number' || offset < 0) return undefined;
  const sz = ints(size);
  const st = ints(stride);
  if (!sz || !st || sz.length !== st.length) return undefined;
  let dtype = storage.dtype;
  if (dtypeArg !== undefined) dtype = isObj(dtypeArg) && dtypeArg.k === 'global' ? TORCH_DTYPES[dtypeArg.name] : undefined;
  return { k: 'tensor', storage, dtype, offset, size: sz, stride: st };
}

function ints(v: Value): number[] | undefined {
  const items = tupleItems(v);
  if (!items || items.length > 64) return undefined;
  const out: number[] = [];
  for (const x of items) {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) return undefined;
    out.push(x);
  }
  return out;
}

/** A tensor found in the pickled object tree, with its dotted name. */
export interface NamedTensor {
  name: string;
  tensor: TensorRef;
}

/** Path segments a pickled nn.Module adds that a state_dict does not have. */
const MODULE_SEGMENTS = new Set(['_parameters', '_buffers', '_modules']);
const MAX_DEPTH = 64;

/**
 * Every tensor reachable from `root`, named by its path of dict keys and
 * sequence indexes (an nn.Module's own `_parameters`/`_modules` steps left
 * out, so a pickled module names tensors as its state_dict would), in the
 * order the pickle holds them. Each container is visited once, so shared
 * or cyclic references cost nothing extra.
 */
export function namedTensors(root: Value, max: number, checkpoint: () => void): { tensors: NamedTensor[]; capped: boolean } {
  const out: NamedTensor[] = [];
  const seen = new Set<object>();
  const todo: { v: Value; path: string[] }[] = [{ v: root, path: [] }];
  let steps = 0;
  while (todo.length) {
    if ((++steps & 0xfff) === 0) checkpoint();
    const { v, path } = todo.pop()!;
    if (!isObj(v) || seen.has(v) || path.length > MAX_DEPTH) continue;
    seen.add(v);
    if (v.k === 'tensor') {
      if (out.length >= max) return { tensors: out, capped: true };
      out.push({ name: path.join('.'), tensor: v });
      continue;
    }
    const children: { v: Value; path: string[] }[] = [];
    const at = (seg: string) => (MODULE_SEGMENTS.has(seg) ? path : [...path, seg]);
    if (v.k === 'dict') {
      for (let i = 0; i < v.keys.length; i++) {
        const key = v.keys[i];
        if (typeof key === 'string' || typeof key === 'number') children.push({ v: v.values[i], path: at(String(key)) });
      }
    } else if (v.k === 'list' || v.k === 'tuple') {
      for (let i = 0; i < v.items.length; i++) children.push({ v: v.items[i], path: at(String(i)) });
    } else if (v.k === 'obj' && v.state !== undefined) {
      // A module's state is its __dict__; a (dict, slots) pair is walked without an index.
      const pair = tupleItems(v.state);
      if (pair?.length === 2 && (isDict(pair[0]) || pair[0] === null)) for (const s of pair) children.push({ v: s, path });
      else children.push({ v: v.state, path });
    }
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]);
  }
  return { tensors: out, capped: false };
}
