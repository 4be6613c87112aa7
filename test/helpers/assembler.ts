/**
 * A tiny pickle assembler for hand-built opcode sequences. Every helper
 * returns the bytes of one opcode (with its argument); `pk(...)` concatenates
 * them. Nothing here validates the result: tests build malformed streams on
 * purpose.
 *
 *   pk(proto(4), shortUnicode('os'), shortUnicode('system'), stackGlobal(),
 *      shortUnicode('echo hi'), tuple1(), reduce(), stop())
 */

export type Part = Buffer | Uint8Array | number[] | string;

/** Concatenates parts; strings are taken as latin-1 bytes, arrays as byte values. */
export function pk(...parts: Part[]): Buffer {
  return Buffer.concat(parts.map(raw));
}

/** Arbitrary bytes (latin-1 for strings). */
export function raw(p: Part): Buffer {
  if (typeof p === 'string') return Buffer.from(p, 'latin1');
  if (Array.isArray(p)) return Buffer.from(p);
  return Buffer.from(p);
}

const op = (code: number, ...arg: Buffer[]): Buffer => Buffer.concat([Buffer.from([code]), ...arg]);
const u8 = (n: number): Buffer => Buffer.from([n & 0xff]);
const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const u64 = (n: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const line = (s: string): Buffer => Buffer.from(s + '\n', 'utf8');
const bytesOf = (b: Part): Buffer => raw(b);

/** Opcode byte values (pickletools names). */
export const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  FLOAT: 0x46,
  INT: 0x49,
  BININT: 0x4a,
  BININT1: 0x4b,
  LONG: 0x4c,
  BININT2: 0x4d,
  BINFLOAT: 0x47,
  NONE: 0x4e,
  PERSID: 0x50,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  STRING: 0x53,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  UNICODE: 0x56,
  BINUNICODE: 0x58,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  DICT: 0x64,
  APPENDS: 0x65,
  GET: 0x67,
  BINGET: 0x68,
  INST: 0x69,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  OBJ: 0x6f,
  PUT: 0x70,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  SETITEMS: 0x75,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  EMPTY_TUPLE: 0x29,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  EXT1: 0x82,
  EXT2: 0x83,
  EXT4: 0x84,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97,
  READONLY_BUFFER: 0x98,
} as const;

// ---- framing and protocol ----
export const proto = (n: number): Buffer => op(OP.PROTO, u8(n));
/** FRAME with an explicit 8-byte length. */
export const frame = (len: number | bigint): Buffer => op(OP.FRAME, u64(len));
export const stop = (): Buffer => op(OP.STOP);

// ---- text ----
export const shortUnicode = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 255) throw new RangeError('shortUnicode: more than 255 bytes');
  return op(OP.SHORT_BINUNICODE, u8(b.length), b);
};
/** BINUNICODE ('X', 4-byte length). */
export const binunicode = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  return op(OP.BINUNICODE, u32(b.length), b);
};
export const binunicode8 = (s: string, opts: LengthOpts = {}): Buffer => {
  const b = Buffer.from(s, 'utf8');
  return op(OP.BINUNICODE8, u64(opts.declaredLength ?? b.length), b);
};
/** Protocol-0 UNICODE ('V' line, raw-unicode-escape; ASCII plus \uXXXX escapes). */
export const unicode = (s: string): Buffer => {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80 && ch !== '\\' && ch !== '\n' && ch !== '\r') out += ch;
    else if (c <= 0xffff) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += '\\U' + c.toString(16).padStart(8, '0');
  }
  return op(OP.UNICODE, Buffer.from(out + '\n', 'latin1'));
};
/** Protocol-0 STRING ('S' line): a single-quoted Python 2 str literal. */
export const string = (s: string): Buffer => {
  let out = "'";
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '\\' || ch === "'") out += '\\' + ch;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else out += '\\x' + (c & 0xff).toString(16).padStart(2, '0');
  }
  return op(OP.STRING, Buffer.from(out + "'\n", 'latin1'));
};
/** SHORT_BINSTRING ('U', protocol 1 str8). */
export const shortBinstring = (s: string): Buffer => op(OP.SHORT_BINSTRING, u8(s.length), Buffer.from(s, 'latin1'));

// ---- bytes ----
export interface LengthOpts {
  /** Length written in the header instead of the real one (to lie about it). */
  declaredLength?: number | bigint;
}
export const shortBinbytes = (b: Part, opts: LengthOpts = {}): Buffer => {
  const d = bytesOf(b);
  return op(OP.SHORT_BINBYTES, u8(Number(opts.declaredLength ?? d.length)), d);
};
export const binbytes = (b: Part, opts: LengthOpts = {}): Buffer => {
  const d = bytesOf(b);
  return op(OP.BINBYTES, u32(Number(opts.declaredLength ?? d.length)), d);
};
export const binbytes8 = (b: Part, opts: LengthOpts = {}): Buffer => {
  const d = bytesOf(b);
  return op(OP.BINBYTES8, u64(opts.declaredLength ?? d.length), d);
};
export const bytearray8 = (b: Part, opts: LengthOpts = {}): Buffer => {
  const d = bytesOf(b);
  return op(OP.BYTEARRAY8, u64(opts.declaredLength ?? d.length), d);
};

// ---- numbers and constants ----
export const binint = (n: number): Buffer => op(OP.BININT, i32(n));
export const binint1 = (n: number): Buffer => op(OP.BININT1, u8(n));
export const binint2 = (n: number): Buffer => op(OP.BININT2, u16(n));
/** Protocol-0 INT line. */
export const int = (n: number | bigint | string): Buffer => op(OP.INT, line(String(n)));
/** Protocol-0 FLOAT line (the text is written as given). */
export const float = (text: string | number): Buffer => op(OP.FLOAT, line(String(text)));
export const binfloat = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n);
  return op(OP.BINFLOAT, b);
};
export const none = (): Buffer => op(OP.NONE);
export const newtrue = (): Buffer => op(OP.NEWTRUE);
export const newfalse = (): Buffer => op(OP.NEWFALSE);

// ---- stack and memo ----
export const mark = (): Buffer => op(OP.MARK);
export const pop = (): Buffer => op(OP.POP);
export const popMark = (): Buffer => op(OP.POP_MARK);
export const dup = (): Buffer => op(OP.DUP);
export const memoize = (): Buffer => op(OP.MEMOIZE);
/** Protocol-0 PUT line. */
export const put = (n: number): Buffer => op(OP.PUT, line(String(n)));
export const binput = (n: number): Buffer => op(OP.BINPUT, u8(n));
export const longBinput = (n: number): Buffer => op(OP.LONG_BINPUT, u32(n));
/** Protocol-0 GET line. */
export const get = (n: number): Buffer => op(OP.GET, line(String(n)));
export const binget = (n: number): Buffer => op(OP.BINGET, u8(n));
export const longBinget = (n: number): Buffer => op(OP.LONG_BINGET, u32(n));

// ---- containers ----
export const emptyTuple = (): Buffer => op(OP.EMPTY_TUPLE);
export const tuple = (): Buffer => op(OP.TUPLE);
export const tuple1 = (): Buffer => op(OP.TUPLE1);
export const tuple2 = (): Buffer => op(OP.TUPLE2);
export const tuple3 = (): Buffer => op(OP.TUPLE3);
export const emptyList = (): Buffer => op(OP.EMPTY_LIST);
export const list = (): Buffer => op(OP.LIST);
export const append = (): Buffer => op(OP.APPEND);
export const appends = (): Buffer => op(OP.APPENDS);
export const emptyDict = (): Buffer => op(OP.EMPTY_DICT);
export const dict = (): Buffer => op(OP.DICT);
export const setitem = (): Buffer => op(OP.SETITEM);
export const setitems = (): Buffer => op(OP.SETITEMS);
export const emptySet = (): Buffer => op(OP.EMPTY_SET);
export const additems = (): Buffer => op(OP.ADDITEMS);
export const frozenset = (): Buffer => op(OP.FROZENSET);

// ---- imports and calls ----
/** Protocol-0 GLOBAL ('c' module\nname\n). */
export const global = (module: string, name: string): Buffer => op(OP.GLOBAL, line(module), line(name));
export { global as globalOp };
/** Protocol-0 INST ('i' module\nname\n): pops to MARK for the arguments. */
export const inst = (module: string, name: string): Buffer => op(OP.INST, line(module), line(name));
export const stackGlobal = (): Buffer => op(OP.STACK_GLOBAL);
export const reduce = (): Buffer => op(OP.REDUCE);
export const build = (): Buffer => op(OP.BUILD);
export const newobj = (): Buffer => op(OP.NEWOBJ);
export const newobjEx = (): Buffer => op(OP.NEWOBJ_EX);
export const obj = (): Buffer => op(OP.OBJ);
export const ext1 = (code: number): Buffer => op(OP.EXT1, u8(code));
export const ext2 = (code: number): Buffer => op(OP.EXT2, u16(code));
export const ext4 = (code: number): Buffer => op(OP.EXT4, i32(code));
/** Protocol-0 PERSID line. */
export const persid = (id: string): Buffer => op(OP.PERSID, Buffer.from(id + '\n', 'latin1'));
export const binpersid = (): Buffer => op(OP.BINPERSID);

// ---- shorthands ----
/** SHORT_BINUNICODE module, name, STACK_GLOBAL. */
export const sg = (module: string, name: string): Buffer => pk(shortUnicode(module), shortUnicode(name), stackGlobal());
/** `proto(4) … stop()` around a body. */
export const p4 = (...body: Part[]): Buffer => pk(proto(4), ...body, stop());

/** Byte offset of the first occurrence of `needle` (an opcode sequence) in `hay`, from `from`. */
export function offsetOf(hay: Buffer, needle: Part, from = 0): number {
  const i = hay.indexOf(raw(needle), from);
  if (i < 0) throw new Error('offsetOf: not found');
  return i;
}

/**
 * Concatenates parts and remembers where each starts, so tests can name the
 * offset of an opcode instead of counting bytes: `L.at(i)` is the offset of
 * parts[i], `L.last(i)` the offset of its last byte (the opcode of `sg(...)`).
 */
export function layout(...parts: Part[]): { buf: Buffer; at(i: number): number; last(i: number): number; end(i: number): number } {
  const bufs = parts.map(raw);
  const starts: number[] = [];
  let o = 0;
  for (const b of bufs) {
    starts.push(o);
    o += b.length;
  }
  return {
    buf: Buffer.concat(bufs),
    at: (i) => starts[i],
    last: (i) => starts[i] + bufs[i].length - 1,
    end: (i) => starts[i] + bufs[i].length,
  };
}

/** The archive tests' member contents: `os.system('echo hi')` at protocol 4, and a pickle of a plain string. */
export const OS_SYSTEM_PICKLE = pk(
  proto(4),
  shortUnicode('os'),
  shortUnicode('system'),
  stackGlobal(),
  shortUnicode('echo hi'),
  tuple1(),
  reduce(),
  stop(),
);
export const PLAIN_PICKLE = pk(proto(4), shortUnicode('hello'), stop());
