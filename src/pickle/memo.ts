import { isObj, type PyValue } from './values.js';

/** Opaque stand-in for a memo entry dropped once the memo's byte budget is spent. */
export const ELIDED: PyValue = Object.freeze({ t: 'opaque', what: 'memo entry not retained (memo budget reached)' }) as PyValue;

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;

/**
 * The unpickler's memo, shared by PUT/BINPUT/LONG_BINPUT/MEMOIZE and read by
 * the GET family. Dense keys live in fixed-size chunks (no huge reallocation
 * as millions of entries arrive); sparse keys in a map. `length` counts
 * distinct keys, as `_pickle.c`'s memo_len, which MEMOIZE uses as its key.
 *
 * Entries are kept whole until `budgetBytes` of estimated memory has been
 * spent on values that only the memo would keep alive; after that, plain
 * containers and long strings become ELIDED (a later GET sees an opaque
 * value the policy treats with suspicion) and `budgetHit` is set so the
 * scan can report it. Globals, call results and short names are always kept:
 * they are what the policy judges.
 */
export class Memo {
  private chunks: (PyValue[] | undefined)[] = [];
  private sparse = new Map<number, PyValue>();
  private has: Uint8Array[] = [];
  length = 0;
  private spent = 0;
  budgetHit = false;

  constructor(
    private readonly budgetBytes = 96 << 20,
    readonly maxEntries = 50_000_000,
  ) {}

  private cost(v: PyValue): number {
    if (typeof v === 'string') return 24 + v.length;
    if (!isObj(v)) return 16;
    if (v.t === 'container') return 64 + 8 * v.items.length;
    if (v.t === 'bytes') return 64 + v.prefix.length;
    return 48;
  }

  private keep(v: PyValue): PyValue {
    this.spent += 8;
    if (!isObj(v) && typeof v !== 'string') return v;
    const c = this.cost(v);
    if (this.spent + c <= this.budgetBytes) {
      this.spent += c;
      return v;
    }
    const essential =
      (typeof v === 'string' && v.length <= 256) || (isObj(v) && v.t !== 'container' && v.t !== 'bytes' && v.t !== 'longstr');
    if (essential) {
      this.spent += c;
      return v;
    }
    this.budgetHit = true;
    return ELIDED;
  }

  /** Returns false when the entry cap is reached (the caller reports it). */
  put(key: number, v: PyValue): boolean {
    if (key < this.length + CHUNK * 16 && key < this.maxEntries * 2) {
      const ci = key >>> CHUNK_BITS;
      const i = key & (CHUNK - 1);
      let chunk = this.chunks[ci];
      let has = this.has[ci];
      if (!chunk) {
        chunk = this.chunks[ci] = new Array<PyValue>(CHUNK);
        has = this.has[ci] = new Uint8Array(CHUNK);
      }
      if (!has![i]) {
        if (this.length >= this.maxEntries) return false;
        has![i] = 1;
        this.length++;
      }
      chunk[i] = this.keep(v);
      return true;
    }
    if (!this.sparse.has(key)) {
      if (this.length >= this.maxEntries) return false;
      this.length++;
    }
    this.sparse.set(key, this.keep(v));
    return true;
  }

  get(key: number): PyValue | undefined {
    const ci = key >>> CHUNK_BITS;
    if (key >= 0 && key < 2 ** 32) {
      const has = this.has[ci];
      if (has && has[key & (CHUNK - 1)]) return this.chunks[ci]![key & (CHUNK - 1)];
    }
    return this.sparse.get(key);
  }
}
