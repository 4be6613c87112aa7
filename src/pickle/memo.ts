import { isObj, type PyCall, type PyValue } from './values.js';

/** Opaque stand-in for a memo entry dropped once the memo's byte budget is spent. */
export const ELIDED: PyValue = Object.freeze({ t: 'opaque', what: 'memo entry not retained (memo budget reached)' }) as PyValue;

/** 1: may start a name ([A-Za-z_]); 2: may continue one ([0-9.]); 0: neither. */
const NAME_CHAR = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    t[c] = /[A-Za-z_]/.test(ch) ? 1 : /[0-9.]/.test(ch) ? 2 : 0;
  }
  return t;
})();

/**
 * Strings that could still name a module or attribute later (STACK_GLOBAL
 * takes its operands from the memo); anything else can't import and may be
 * summarised once the budget is spent.
 */
function nameLike(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 128) return false;
  const c0 = s.charCodeAt(0);
  if (c0 >= 128 || NAME_CHAR[c0] !== 1) return false;
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] === 0) return false;
  }
  return true;
}

/** What a kept call result's arguments become once dropped. */
const DROPPED_ARGS: PyValue = Object.freeze({ t: 'opaque', what: 'arguments not retained (memo budget reached)' }) as PyValue;

/** Arguments worth keeping whatever the budget: a few numbers and short strings (numpy.dtype('f8', False, True)). */
function smallPlainArgs(args: PyValue): boolean {
  if (!isObj(args) || args.t !== 'container' || args.items.length > 8) return false;
  for (const x of args.items) {
    if (typeof x === 'string' ? x.length > 64 : typeof x === 'object' && x !== null) return false;
  }
  return true;
}

const KEPT = 1;
const DROPPED = 2;
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
const NO_STATES = new Uint8Array(0);

/**
 * The unpickler's memo, shared by PUT/BINPUT/LONG_BINPUT/MEMOIZE and read by
 * the GET family. `length` counts distinct keys, as `_pickle.c`'s memo_len,
 * which MEMOIZE uses as its key.
 *
 * Dense keys live in chunks of 65,536: a byte of state per key (absent,
 * kept, dropped) and a pointer slot only in chunks where something is kept,
 * so millions of entries cost a few bytes each. Far-away keys (LONG_BINPUT
 * 4000000000) go to a map.
 *
 * Entries are kept whole until `budgetBytes` of estimated memory has been
 * spent on them; after that, containers, bytes and strings that cannot be
 * names are dropped (a later GET sees an opaque value the policy treats with
 * suspicion) and `budgetHit` is set so the scan can report it. Globals, call
 * results and name-like strings are always kept: they are what the policy
 * judges.
 */
export class Memo {
  private states: (Uint8Array | undefined)[] = [];
  private values: (PyValue[] | undefined)[] = [];
  private sparse = new Map<number, PyValue>();
  length = 0;
  private spent = 0;
  budgetHit = false;
  /** A summarised entry was fetched again: something downstream saw an opaque value instead of the real one. */
  elidedRead = false;
  /** The chunk written last: MEMOIZE keys are sequential, so it is almost always the next one's. */
  private curChunk = -1;
  private curStates: Uint8Array = NO_STATES;
  private curValues: PyValue[] | undefined;

  constructor(
    private readonly budgetBytes = 24 << 20,
    readonly maxEntries = 50_000_000,
  ) {}

  /** Returns false when the entry cap is reached (the caller reports it). */
  put(key: number, v: PyValue): boolean {
    if (key >= this.length + CHUNK * 16 || key >= this.maxEntries * 2) return this.putSparse(key, v);
    const ci = key >>> CHUNK_BITS;
    if (ci !== this.curChunk) this.selectChunk(ci);
    const i = key & MASK;
    const states = this.curStates;
    if (states[i] === 0) {
      if (this.length >= this.maxEntries) return false;
      if (this.sparse.size !== 0 && this.sparse.delete(key)) this.length--;
      this.length++;
    }
    const kept = this.keep(v);
    if (kept === ELIDED) {
      states[i] = DROPPED;
      if (this.curValues !== undefined) this.curValues[i] = undefined as unknown as PyValue;
      return true;
    }
    states[i] = KEPT;
    if (this.curValues === undefined) this.curValues = this.values[ci] = new Array<PyValue>(CHUNK);
    this.curValues[i] = kept;
    return true;
  }

  get(key: number): PyValue | undefined {
    const ci = key >>> CHUNK_BITS;
    if (key >= 0 && key < 2 ** 32 && ci < this.states.length) {
      const s = this.states[ci]?.[key & MASK];
      if (s === KEPT) return this.values[ci]![key & MASK];
      if (s === DROPPED) {
        this.elidedRead = true;
        return ELIDED;
      }
    }
    const v = this.sparse.get(key);
    if (v === ELIDED) this.elidedRead = true;
    return v;
  }

  private selectChunk(ci: number): void {
    // Grow the chunk tables without holes: reading past an array's end deoptimises V8's code.
    while (this.states.length <= ci) {
      this.states.push(undefined);
      this.values.push(undefined);
    }
    this.curStates = this.states[ci] ??= new Uint8Array(CHUNK);
    this.curValues = this.values[ci];
    this.curChunk = ci;
  }

  private putSparse(key: number, v: PyValue): boolean {
    if (!this.sparse.has(key)) {
      if (this.length >= this.maxEntries) return false;
      this.length++;
    }
    this.sparse.set(key, this.keep(v));
    return true;
  }

  /**
   * Call results are kept whole while the budget lasts, and past it when
   * their arguments are a few plain values (numpy.dtype('f8', False, True),
   * which later arrays reuse). Otherwise the memo holds one shared stand-in
   * per callee: what was called survives (the policy follows callees), the
   * arguments, already judged at the call, do not. A million memoised
   * datetime(b'…') results then cost a pointer each.
   */
  private keepCall(v: PyCall): PyValue {
    const args = v.args;
    const c = 56 + (isObj(args) && args.t === 'container' ? 64 + 8 * args.items.length : 0);
    if (this.spent + c <= this.budgetBytes || smallPlainArgs(args)) {
      this.spent += c;
      return v;
    }
    this.budgetHit = true;
    let standIn = this.standIns.get(v.callee);
    if (!standIn) {
      standIn = { t: 'call', callee: v.callee, args: DROPPED_ARGS, op: v.op, offset: v.offset };
      if (this.standIns.size < 10_000) this.standIns.set(v.callee, standIn);
    }
    return standIn;
  }

  private standIns = new Map<PyValue, PyCall>();

  private keep(v: PyValue): PyValue {
    if (typeof v === 'string') {
      const c = 24 + v.length;
      if (this.spent + c <= this.budgetBytes) {
        this.spent += c;
        return v;
      }
      if (nameLike(v)) return v;
      this.budgetHit = true;
      return ELIDED;
    }
    if (!isObj(v)) return v;
    if (v.t === 'call') return this.keepCall(v);
    // Globals and the like are what the policy judges: always kept.
    if (v.t !== 'container' && v.t !== 'bytes' && v.t !== 'longstr') return v;
    const c = v.t === 'container' ? 64 + 8 * v.items.length : v.t === 'bytes' ? 64 + v.prefix.length : 48 + v.prefix.length;
    if (this.spent + c > this.budgetBytes) {
      this.budgetHit = true;
      return ELIDED;
    }
    this.spent += c;
    // Tuples never change after they are built, so the memo may hold a copy. Keeping the
    // stack's own tuples alive would teach V8 that every tuple is long-lived (allocation-site
    // pretenuring): all later tuples would then be born in the old generation and the heap
    // would grow with the file instead of staying flat.
    if (v.t === 'container' && v.kind === 'tuple')
      return { t: 'container', kind: 'tuple', items: v.items.slice(), count: v.count, plain: v.plain };
    return v;
  }
}
