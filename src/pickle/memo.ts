import { isObj, type PyValue } from './values.js';

/** Opaque stand-in for a memo entry dropped once the memo's byte budget is spent. */
export const ELIDED: PyValue = Object.freeze({ t: 'opaque', what: 'memo entry not retained (memo budget reached)' }) as PyValue;

/**
 * Strings that could still name a module or attribute later (STACK_GLOBAL
 * takes its operands from the memo); anything else can't import and may be
 * summarised once the budget is spent.
 */
function nameLike(s: string): boolean {
  if (s.length === 0 || s.length > 128) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alpha = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
    if (!alpha && (i === 0 || !((c >= 0x30 && c <= 0x39) || c === 0x2e))) return false;
  }
  return true;
}

const KEPT_STATE = 1;
const ELIDED_STATE = 2;
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
  private has: (Uint8Array | undefined)[] = [];
  length = 0;
  private spent = 0;
  budgetHit = false;

  constructor(
    private readonly budgetBytes = 24 << 20,
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
    if (typeof v !== 'object' || v === null) {
      if (typeof v !== 'string') return v;
      const c = 24 + v.length;
      if (this.spent + c <= this.budgetBytes || nameLike(v)) {
        this.spent += c;
        return v;
      }
      this.budgetHit = true;
      return ELIDED;
    }
    const c = this.cost(v);
    // Globals, call results and the like are what the policy judges: always kept.
    if (this.spent + c <= this.budgetBytes || (v.t !== 'container' && v.t !== 'bytes' && v.t !== 'longstr')) {
      this.spent += c;
      // Tuples never change after they are built, so the memo may hold a copy. Keeping the
      // stack's own tuples alive would teach V8 that every tuple is long-lived (allocation-site
      // pretenuring): all later tuples would then be born in the old generation and the heap
      // would grow with the file instead of staying flat.
      if (v.t === 'container' && v.kind === 'tuple') return { t: 'container', kind: 'tuple', items: v.items.slice(), count: v.count, plain: v.plain };
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
      // Reads past an array's end cost a deoptimisation in V8: check lengths first.
      let state = ci < this.has.length ? this.has[ci] : undefined;
      if (!state) {
        while (this.has.length < ci) this.has.push(undefined);
        state = this.has[ci] = new Uint8Array(CHUNK);
      }
      if (!state[i]) {
        if (this.length >= this.maxEntries) return false;
        if (this.sparse.size && this.sparse.delete(key)) this.length--;
        this.length++;
      }
      const kept = this.keep(v);
      if (kept === ELIDED) {
        // An elided entry costs one byte: no pointer slot is allocated for it.
        state[i] = ELIDED_STATE;
        const chunk = ci < this.chunks.length ? this.chunks[ci] : undefined;
        if (chunk) chunk[i] = undefined as unknown as PyValue;
        return true;
      }
      state[i] = KEPT_STATE;
      let chunk = ci < this.chunks.length ? this.chunks[ci] : undefined;
      if (!chunk) {
        while (this.chunks.length < ci) this.chunks.push(undefined);
        chunk = this.chunks[ci] = new Array<PyValue>(CHUNK);
      }
      chunk[i] = kept;
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
      const state = ci < this.has.length ? this.has[ci]?.[key & (CHUNK - 1)] : undefined;
      if (state === KEPT_STATE) return this.chunks[ci]![key & (CHUNK - 1)];
      if (state === ELIDED_STATE) return ELIDED;
    }
    return this.sparse.get(key);
  }
}
