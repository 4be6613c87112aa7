/**
 * What the simulated unpickler holds on its stack and memo. Python literals map
 * to JS primitives (None → null, int → number|bigint, float → number, str →
 * string) so opcode-dense pickles stay cheap; everything with provenance that
 * the policy cares about is an object.
 */

export type PyValue = null | boolean | number | bigint | string | PyObject;

export type PyObject = PyBytes | PyLongStr | PyContainer | PyGlobal | PyCall | PyPersistent | PyOpaque;

/** bytes / bytearray; only a prefix is retained, the rest is located in the source. */
export interface PyBytes {
  readonly t: 'bytes';
  readonly kind: 'bytes' | 'bytearray' | 'str8';
  readonly length: number;
  /** The first bytes, one char per byte (latin-1): far cheaper to make than a Buffer per value. */
  readonly prefix: string;
  /** Absolute offset of the raw bytes in the scanned source, or -1 if escaped/decoded. */
  readonly offset: number;
}

/** A str longer than the retention limit: prefix kept, length known. */
export interface PyLongStr {
  readonly t: 'longstr';
  readonly length: number;
  readonly prefix: string;
}

export type ContainerKind = 'tuple' | 'list' | 'dict' | 'set' | 'frozenset';

export interface PyContainer {
  readonly t: 'container';
  readonly kind: ContainerKind;
  /** Up to MAX_RETAINED_ITEMS items (dicts: key, value, key, value…). */
  items: PyValue[];
  /** Items (dict: pairs) ever added, including those not retained. */
  count: number;
  /** Holds only literals and containers of literals (no globals, calls, references). */
  plain: boolean;
}

/** An object a GLOBAL / STACK_GLOBAL / INST / EXT resolved to. */
export interface PyGlobal {
  readonly t: 'global';
  /** As written in the stream. */
  readonly rawModule: string;
  readonly rawName: string;
  /** After _compat_pickle and alias resolution: what CPython would import. */
  readonly module: string;
  readonly name: string;
  readonly offset: number;
}

/** The result of calling something during load (REDUCE, NEWOBJ, OBJ, INST…). */
export interface PyCall {
  readonly t: 'call';
  readonly callee: PyValue;
  readonly args: PyValue;
  readonly op: string;
  readonly offset: number;
  /** What BUILD later gave the object (its __setstate__ argument). */
  state?: PyValue;
}

export interface PyPersistent {
  readonly t: 'persid';
  readonly pid: PyValue;
  readonly offset: number;
}

/** Values we cannot model: out-of-band buffers, EXT codes, memo entries dropped at a cap. */
export interface PyOpaque {
  readonly t: 'opaque';
  readonly what: string;
}

export const MAX_RETAINED_ITEMS = 64;

export function isObj(v: PyValue | undefined): v is PyObject {
  return typeof v === 'object' && v !== null;
}

export function isPlain(v: PyValue): boolean {
  if (!isObj(v)) return true;
  switch (v.t) {
    case 'bytes':
    case 'longstr':
      return true;
    case 'container':
      return v.plain;
    default:
      return false;
  }
}

export function newContainer(kind: ContainerKind, items: PyValue[]): PyContainer {
  let plain = true;
  for (const it of items)
    if (!isPlain(it)) {
      plain = false;
      break;
    }
  const count = kind === 'dict' ? items.length >> 1 : items.length;
  if (items.length > MAX_RETAINED_ITEMS) items = items.slice(0, MAX_RETAINED_ITEMS);
  return { t: 'container', kind, items, count, plain };
}

export function containerAdd(c: PyContainer, v: PyValue): void {
  if (c.items.length < MAX_RETAINED_ITEMS) c.items.push(v);
  c.count++;
  if (c.plain && !isPlain(v)) c.plain = false;
}

export function containerSet(c: PyContainer, k: PyValue, v: PyValue): void {
  if (c.items.length + 2 <= MAX_RETAINED_ITEMS) c.items.push(k, v);
  c.count++;
  if (c.plain && (!isPlain(k) || !isPlain(v))) c.plain = false;
}

/** Text of a str value (full or retained prefix); undefined for non-str. */
export function strOf(v: PyValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (isObj(v) && v.t === 'longstr') return v.prefix;
  return undefined;
}

export function dictGet(c: PyContainer, key: string): PyValue | undefined {
  for (let i = 0; i + 1 < c.items.length; i += 2) if (c.items[i] === key) return c.items[i + 1];
  return undefined;
}

export function globalName(g: PyGlobal): string {
  return `${g.module}.${g.name}`;
}

/** The global at the root of a call chain (what was ultimately called). */
export function rootGlobal(v: PyValue | undefined): PyGlobal | undefined {
  for (let depth = 0; depth < 64 && isObj(v); depth++) {
    if (v.t === 'global') return v;
    if (v.t !== 'call') return undefined;
    v = v.callee;
  }
  return undefined;
}
