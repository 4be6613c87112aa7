import type { PyLiteral } from './py-literal.js';

export interface DtypeInfo {
  itemsize: number;
  /** Any object field: the body is a pickle, loaded only with allow_pickle=True. */
  hasObject: boolean;
}

const FIXED: Record<string, number> = {
  '?': 1,
  b: 1,
  B: 1,
  h: 2,
  H: 2,
  i: 4,
  I: 4,
  l: 8,
  L: 8,
  q: 8,
  Q: 8,
  e: 2,
  f: 4,
  d: 8,
  g: 16,
  F: 8,
  D: 16,
  G: 32,
};
const MAX_FIELDS = 10_000;

/** Reads a .npy `descr` as numpy's descr_to_dtype would; throws on anything numpy would reject. */
export function describeDtype(descr: PyLiteral, depth = 0): DtypeInfo {
  if (depth > 16) throw new Error('dtype nested too deep');
  if (typeof descr === 'string') return simpleDtype(descr);
  if (Array.isArray(descr)) {
    if (descr.length > MAX_FIELDS) throw new Error(`dtype has more than ${MAX_FIELDS} fields`);
    let itemsize = 0;
    let hasObject = false;
    for (const field of descr) {
      const parts = field && typeof field === 'object' && 'tuple' in field ? field.tuple : undefined;
      if (!parts || parts.length < 2 || parts.length > 3) throw new Error('structured dtype field is not (name, type[, shape])');
      const inner = describeDtype(parts[1], depth + 1);
      const count = parts.length === 3 ? shapeProduct(parts[2]) : 1;
      itemsize += inner.itemsize * count;
      hasObject ||= inner.hasObject;
    }
    return { itemsize, hasObject };
  }
  throw new Error('descr is neither a type string nor a field list');
}

function simpleDtype(s: string): DtypeInfo {
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)(\[[a-zA-Z0-9]+\])?$/.exec(s);
  if (!m) throw new Error(`unknown dtype '${s.slice(0, 40)}'`);
  const [, , kind, digits] = m;
  const n = digits ? Number(digits) : undefined;
  if (kind === 'O') return { itemsize: 8, hasObject: true };
  if (kind === 'U') return { itemsize: 4 * (n ?? 0), hasObject: false };
  if (kind === 'S' || kind === 'a' || kind === 'V') return { itemsize: n ?? 0, hasObject: false };
  if (kind === 'M' || kind === 'm') return { itemsize: 8, hasObject: false };
  if ('iufcb'.includes(kind) && n) return { itemsize: n, hasObject: false };
  if (kind in FIXED && n === undefined) return { itemsize: FIXED[kind], hasObject: false };
  throw new Error(`unknown dtype '${s.slice(0, 40)}'`);
}

/** Product of a shape tuple (or a bare int); throws past 2^53 elements. */
export function shapeProduct(shape: PyLiteral): number {
  const dims = typeof shape === 'number' ? [shape] : shape && typeof shape === 'object' && 'tuple' in shape ? shape.tuple : undefined;
  if (!dims) throw new Error('shape is not a tuple');
  let n = 1;
  for (const d of dims) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new Error('shape holds a negative or non-integer dimension');
    n *= d;
    if (!Number.isSafeInteger(n)) throw new Error('shape product overflows');
  }
  return n;
}
