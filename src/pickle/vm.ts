import type { WindowReader } from '../io/bounded-reader.js';
import { decodeLong, findNewline, readU64, shortText } from './decode.js';
import { PickleError } from './errors.js';
import { Memo } from './memo.js';
import { OPCODE_NAMES, Op } from './opcodes.js';
import { decodeRawUnicodeEscape, decodeStringLiteral, parsePyFloat, parsePyInt, utf8Lenient, utf8Strict } from './text.js';
import {
  containerAdd,
  containerSet,
  isObj,
  isPlain,
  newContainer,
  type PyBytes,
  type PyCall,
  type PyContainer,
  type PyGlobal,
  type PyPersistent,
  type PyValue,
} from './values.js';

/** What the simulator tells whoever judges the stream. Every callback gets the opcode's byte offset. */
export interface PickleEvents {
  /** GLOBAL, STACK_GLOBAL, INST resolved a name (before any call). */
  onImport(g: PyGlobal, op: string): void;
  /** STACK_GLOBAL whose operands are not plain str literals (e.g. a call result). */
  onDynamicImport(module: PyValue, name: PyValue, offset: number): void;
  /** REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST. */
  onCall(call: PyCall): void;
  onBuild(target: PyValue, state: PyValue, offset: number): void;
  /** SETITEM(S)/APPEND(S)/ADDITEMS whose target is not a container the simulator built. */
  onMutate(target: PyValue, op: string, offset: number): void;
  onExt(code: number, offset: number): void;
  onPersistent(p: PyPersistent): void;
  /** Oddities that CPython accepts but real picklers never write. */
  onOddity(kind: string, message: string, offset: number): void;
}

export interface Limits {
  maxStack: number;
  maxMarks: number;
  maxMemoEntries: number;
  memoBudgetBytes: number;
  /** Bytes of any single str/bytes argument kept for display and nested scans. */
  retainBytes: number;
  /** Longest protocol-0 line held in memory; longer lines stream past. */
  maxLine: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxStack: 5_000_000,
  maxMarks: 1_000_000,
  maxMemoEntries: 50_000_000,
  memoBudgetBytes: 24 << 20,
  retainBytes: 64 << 10,
  maxLine: 1 << 20,
};

/** Bytes a container format writes inside the pickle stream after an object's BUILD (joblib arrays). */
export type InlineData = { kind: 'bytes'; length: number; padded: boolean } | { kind: 'pickle' } | { kind: 'bad'; message: string };

export type InlineHook = (target: PyValue) => InlineData | undefined;

export interface MachineOptions {
  /** How names resolve (CPython's find_class rules); see resolve.ts. */
  resolve: Resolver;
  limits?: Limits;
  inlineHook?: InlineHook;
  /** Called between window refills; throws to abandon the scan (a per-file timeout). */
  checkpoint?: () => void;
  /** Nesting of inline pickles (joblib object arrays). */
  depth?: number;
}

export interface StreamResult {
  /** Ended at STOP. */
  ok: boolean;
  /** Offset just past the last byte consumed (STOP, or the failing opcode's start). */
  end: number;
  start: number;
  protocol: number;
  opcodes: number;
  /** Imports and calls seen: what could make loading this stream do something. */
  actions: number;
  /** Calls alone (REDUCE, NEWOBJ, OBJ, INST …): imports without them run no pickled code. */
  calls: number;
  /** Set when !ok. */
  error?: { message: string; offset: number; kind: 'truncated' | 'malformed' | 'limit' };
  /** The value STOP returned. */
  value?: PyValue;
}

const NEED = 1;
const STOP = 2;
const LONG_LINE = 3;
const INLINE = 4;
const MAX_INLINE_DEPTH = 8;

/** Resolves a (module, name) pair as CPython's find_class would; see resolve.ts. */
export type Resolver = (module: string, name: string, protocol: number) => { module: string; name: string };

/**
 * One pickle stream simulated opcode by opcode with `_pickle.c`'s semantics:
 * a value stack with a mark stack and fence, one memo for all PUT/GET forms,
 * FRAME checked against the source size, big arguments skipped by offset.
 * Nothing is imported or called: imports and calls become events.
 *
 * The hot loop is synchronous over the reader's window; when an opcode's
 * bytes are not all there it rewinds to the opcode start and the async
 * driver refills the window, so an opcode is applied exactly once.
 */
export class PickleMachine {
  private stack: PyValue[] = [];
  private marks: number[] = [];
  private fence = 0;
  private memo: Memo;
  private protocol = 0;
  private protoSeen = 0;
  private frameEnd = -1;
  private opcodes = 0;
  private actions = 0;
  private calls = 0;
  private need = 0;
  private longLineOp = 0;
  private retained = 0;
  private retentionCapped = false;
  private value: PyValue | undefined;
  private readonly start: number;
  private inline: InlineData | undefined;
  /** Offset of the opcode that failed, for error positions. */
  private opAt = 0;

  private readonly resolve: Resolver;
  private readonly limits: Limits;
  private readonly inlineHook?: InlineHook;
  private readonly checkpoint?: () => void;
  private readonly depth: number;

  constructor(
    private readonly r: WindowReader,
    private readonly events: PickleEvents,
    private readonly options: MachineOptions,
  ) {
    this.resolve = options.resolve;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.inlineHook = options.inlineHook;
    this.checkpoint = options.checkpoint;
    this.depth = options.depth ?? 0;
    this.memo = new Memo(this.limits.memoBudgetBytes, this.limits.maxMemoEntries);
    this.start = r.offset;
  }

  async run(): Promise<StreamResult> {
    let opStart = this.r.offset;
    try {
      for (;;) {
        const status = this.step();
        opStart = this.r.offset;
        if (status === STOP) return this.result(true);
        if (status === NEED) {
          // Time is checked between windows, once there is progress to keep.
          if (this.opcodes > 0) this.checkpoint?.();
          if (!(await this.r.ensure(this.need))) {
            const op = this.r.end > this.r.pos ? OPCODE_NAMES[this.r.buf[this.r.pos]] : undefined;
            throw new PickleError(
              op ? `pickle data was truncated inside ${op}` : 'pickle data was truncated (no STOP opcode)',
              'truncated',
            );
          }
        } else if (status === LONG_LINE) {
          await this.longLine();
        } else if (status === INLINE) {
          await this.readInline();
        }
      }
    } catch (err) {
      if (!(err instanceof PickleError)) throw err;
      return { ...this.result(false), error: { message: err.message, offset: Math.max(opStart, this.opAt), kind: err.kind } };
    } finally {
      // Summarised entries nobody reads back change nothing; one that is read back is shown as opaque, which is worth saying.
      if (this.memo.elidedRead) {
        this.events.onOddity(
          'memo-budget',
          'memo grew past its memory budget and a summarised entry was read back; it is judged as an opaque value',
          this.start,
        );
      }
      if (this.retentionCapped) {
        this.events.onOddity('retention-cap', 'retained argument bytes reached their cap; later arguments were truncated', this.start);
      }
    }
  }

  private result(ok: boolean): StreamResult {
    return {
      ok,
      start: this.start,
      end: this.r.offset,
      protocol: this.protocol,
      opcodes: this.opcodes,
      actions: this.actions,
      calls: this.calls,
      value: this.value,
    };
  }

  // ---- stack helpers (with the C unpickler's fence) ----

  private pop(): PyValue {
    if (this.stack.length <= this.fence) throw new PickleError('unpickling stack underflow');
    return this.stack.pop() as PyValue;
  }

  private top(): PyValue {
    if (this.stack.length <= this.fence) throw new PickleError('unpickling stack underflow');
    return this.stack[this.stack.length - 1];
  }

  private push(v: PyValue): void {
    if (this.stack.length >= this.limits.maxStack) {
      throw new PickleError(`stack depth cap (${this.limits.maxStack}) reached`, 'limit');
    }
    this.stack.push(v);
  }

  private stackCap(): never {
    throw new PickleError(`stack depth cap (${this.limits.maxStack}) reached`, 'limit');
  }

  /** Pops to the last MARK; returns the index where the marked items start. */
  private popMark(): number {
    const m = this.marks.pop();
    if (m === undefined) throw new PickleError('could not find MARK');
    this.fence = this.marks.length ? this.marks[this.marks.length - 1] : 0;
    return m;
  }

  private popMarkItems(): PyValue[] {
    const m = this.popMark();
    return this.stack.splice(m);
  }

  private memoPut(key: number, v: PyValue): void {
    if (!this.memo.put(key, v)) {
      throw new PickleError(`memo entry cap (${this.limits.maxMemoEntries}) reached`, 'limit');
    }
  }

  private retain(n: number): number {
    const keep = Math.min(n, this.limits.retainBytes);
    if (this.retained + keep > 256 << 20) {
      this.retentionCapped = true;
      return Math.min(n, 256);
    }
    this.retained += keep;
    return keep;
  }

  private makeGlobal(module: string, name: string, offset: number): PyGlobal {
    const real = this.resolve(module, name, this.protocol);
    this.actions++;
    return { t: 'global', rawModule: module, rawName: name, module: real.module, name: real.name, offset };
  }

  private call(callee: PyValue, args: PyValue, op: string, offset: number): PyCall {
    const c: PyCall = { t: 'call', callee, args, op, offset };
    this.actions++;
    this.calls++;
    this.events.onCall(c);
    return c;
  }

  /**
   * Runs opcodes until STOP, a refill is needed, or a line is too long for
   * the window. Returns the reason; the reader's pos is left at the next
   * unconsumed opcode.
   */
  private step(): number {
    const r = this.r;
    const buf = r.buf;
    const end = r.end;
    const base = r.base;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const stack = this.stack;
    const maxStack = this.limits.maxStack;
    let pos = r.pos;
    let opStart = pos;
    let ops = 0;
    try {
      for (;;) {
        opStart = pos;
        if (pos >= end) {
          r.pos = pos;
          this.need = 1;
          return NEED;
        }
        const op = buf[pos++];
        const abs = base + opStart;
        ops++;
        switch (op) {
          // ---- constants ----
          case Op.NONE:
            if (stack.length >= maxStack) this.stackCap();
            stack.push(null);
            break;
          case Op.NEWTRUE:
            if (stack.length >= maxStack) this.stackCap();
            stack.push(true);
            break;
          case Op.NEWFALSE:
            if (stack.length >= maxStack) this.stackCap();
            stack.push(false);
            break;
          case Op.BININT:
            if (end - pos < 4) return this.rewind(opStart, 5);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(dv.getInt32(pos, true));
            pos += 4;
            break;
          case Op.BININT1:
            if (end - pos < 1) return this.rewind(opStart, 2);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(buf[pos++]);
            break;
          case Op.BININT2:
            if (end - pos < 2) return this.rewind(opStart, 3);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(buf[pos] | (buf[pos + 1] << 8));
            pos += 2;
            break;
          case Op.BINFLOAT:
            if (end - pos < 8) return this.rewind(opStart, 9);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(dv.getFloat64(pos, false));
            pos += 8;
            break;
          case Op.LONG1: {
            if (end - pos < 1) return this.rewind(opStart, 2);
            const n = buf[pos];
            if (end - pos < 1 + n) return this.rewind(opStart, 2 + n);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(decodeLong(buf, pos + 1, n));
            pos += 1 + n;
            break;
          }
          case Op.SHORT_BINUNICODE: {
            if (end - pos < 1) return this.rewind(opStart, 2);
            const n = buf[pos];
            if (end - pos < 1 + n) return this.rewind(opStart, 2 + n);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(shortText(buf, pos + 1, n));
            pos += 1 + n;
            break;
          }
          case Op.BINUNICODE:
          case Op.BINUNICODE8: {
            const hdr = op === Op.BINUNICODE ? 4 : 8;
            if (end - pos < hdr) return this.rewind(opStart, 1 + hdr);
            const n = hdr === 4 ? buf.readUInt32LE(pos) : readU64(buf, pos);
            this.checkLength(n, abs + 1 + hdr, OPCODE_NAMES[op]!);
            const keep = n <= this.limits.retainBytes ? n : this.retain(n);
            if (end - pos < hdr + keep) return this.rewind(opStart, 1 + hdr + keep);
            const text = utf8Lenient(buf, pos + hdr, pos + hdr + keep);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(keep === n ? text : { t: 'longstr', length: n, prefix: text });
            pos = this.jump(pos + hdr, n);
            if (pos < 0) return this.refill();
            break;
          }
          case Op.SHORT_BINBYTES:
          case Op.SHORT_BINSTRING: {
            if (end - pos < 1) return this.rewind(opStart, 2);
            const n = buf[pos];
            if (end - pos < 1 + n) return this.rewind(opStart, 2 + n);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(this.bytesValue(op === Op.SHORT_BINBYTES ? 'bytes' : 'str8', buf, pos + 1, n, n, abs + 2));
            pos += 1 + n;
            break;
          }
          case Op.BINBYTES:
          case Op.BINSTRING:
          case Op.BINBYTES8:
          case Op.BYTEARRAY8: {
            const hdr = op === Op.BINBYTES8 || op === Op.BYTEARRAY8 ? 8 : 4;
            if (end - pos < hdr) return this.rewind(opStart, 1 + hdr);
            let n: number;
            if (op === Op.BINSTRING) {
              n = buf.readInt32LE(pos);
              if (n < 0) throw new PickleError('BINSTRING pickle has negative byte count');
            } else {
              n = hdr === 4 ? buf.readUInt32LE(pos) : readU64(buf, pos);
            }
            this.checkLength(n, abs + 1 + hdr, OPCODE_NAMES[op]!);
            const keep = n <= this.limits.retainBytes ? n : this.retain(n);
            if (end - pos < hdr + keep) return this.rewind(opStart, 1 + hdr + keep);
            const kind = op === Op.BYTEARRAY8 ? 'bytearray' : op === Op.BINSTRING ? 'str8' : 'bytes';
            if (stack.length >= maxStack) this.stackCap();
            stack.push(this.bytesValue(kind, buf, pos + hdr, keep, n, abs + 1 + hdr));
            pos = this.jump(pos + hdr, n);
            if (pos < 0) return this.refill();
            break;
          }

          // ---- containers ----
          case Op.EMPTY_TUPLE:
            if (stack.length >= maxStack) this.stackCap();
            stack.push(newContainer('tuple', []));
            break;
          case Op.TUPLE1: {
            const stack = this.stack;
            if (stack.length - 1 < this.fence) throw new PickleError('unpickling stack underflow');
            stack[stack.length - 1] = smallTuple([stack[stack.length - 1]]);
            break;
          }
          case Op.TUPLE2: {
            const stack = this.stack;
            if (stack.length - 2 < this.fence) throw new PickleError('unpickling stack underflow');
            const b = stack.pop() as PyValue;
            stack[stack.length - 1] = smallTuple([stack[stack.length - 1], b]);
            break;
          }
          case Op.TUPLE3: {
            const stack = this.stack;
            if (stack.length - 3 < this.fence) throw new PickleError('unpickling stack underflow');
            const c = stack.pop() as PyValue;
            const b = stack.pop() as PyValue;
            stack[stack.length - 1] = smallTuple([stack[stack.length - 1], b, c]);
            break;
          }
          case Op.TUPLE:
            if (stack.length >= maxStack) this.stackCap();
            stack.push(newContainer('tuple', this.popMarkItems()));
            break;
          case Op.EMPTY_LIST:
            if (stack.length >= maxStack) this.stackCap();
            stack.push(newContainer('list', []));
            break;
          case Op.EMPTY_DICT:
            if (stack.length >= maxStack) this.stackCap();
            stack.push(newContainer('dict', []));
            break;
          case Op.APPEND: {
            const v = this.pop();
            this.addTo(this.stack.length - 1, [v], 'APPEND', abs);
            break;
          }
          case Op.APPENDS: {
            const m = this.popMark();
            this.addTo(m - 1, this.stack.splice(m), 'APPENDS', abs);
            break;
          }
          case Op.SETITEM: {
            if (this.stack.length - 2 <= 0) throw new PickleError('unpickling stack underflow');
            const v = this.pop();
            const k = this.pop();
            this.setItems(this.stack.length - 1, [k, v], 'SETITEM', abs);
            break;
          }
          case Op.SETITEMS: {
            const m = this.popMark();
            const items = this.stack.splice(m);
            if (items.length % 2) throw new PickleError('odd number of items for SETITEMS');
            this.setItems(m - 1, items, 'SETITEMS', abs);
            break;
          }

          // ---- stack and memo ----
          case Op.MARK:
            if (this.marks.length >= this.limits.maxMarks) {
              throw new PickleError(`mark stack cap (${this.limits.maxMarks}) reached`, 'limit');
            }
            this.marks.push(this.stack.length);
            this.fence = this.stack.length;
            break;
          case Op.MEMOIZE: {
            const len = this.stack.length;
            if (len <= this.fence) throw new PickleError('unpickling stack underflow');
            if (!this.memo.put(this.memo.length, this.stack[len - 1])) this.memoPut(this.memo.length, this.stack[len - 1]);
            break;
          }
          case Op.BINPUT:
            if (end - pos < 1) return this.rewind(opStart, 2);
            this.memoPut(buf[pos++], this.top());
            break;
          case Op.LONG_BINPUT:
            if (end - pos < 4) return this.rewind(opStart, 5);
            this.memoPut(buf.readUInt32LE(pos), this.top());
            pos += 4;
            break;
          case Op.BINGET:
            if (end - pos < 1) return this.rewind(opStart, 2);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(this.memoGet(buf[pos++]));
            break;
          case Op.LONG_BINGET:
            if (end - pos < 4) return this.rewind(opStart, 5);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(this.memoGet(buf.readUInt32LE(pos)));
            pos += 4;
            break;

          // ---- imports and calls ----
          case Op.STACK_GLOBAL: {
            const name = this.pop();
            const module = this.pop();
            if (typeof module === 'string' && typeof name === 'string') {
              if (!MODULE_NAME.test(module)) throw new PickleError(`No module named '${module.slice(0, 80)}'`);
              const g = this.makeGlobal(module, name, abs);
              this.events.onImport(g, 'STACK_GLOBAL');
              if (stack.length >= maxStack) this.stackCap();
              stack.push(g);
            } else if (isStrLike(module) && isStrLike(name)) {
              // Computed, dropped-from-memo or overlong operands: the import is real but unknowable.
              this.actions++;
              this.events.onDynamicImport(module, name, abs);
              if (stack.length >= maxStack) this.stackCap();
              stack.push({ t: 'opaque', what: 'dynamically imported global' });
            } else {
              throw new PickleError('STACK_GLOBAL requires str');
            }
            break;
          }
          case Op.REDUCE: {
            const args = this.pop();
            const callee = this.top();
            if (!mayBeTuple(args)) throw new PickleError('REDUCE argument is not a tuple');
            this.stack[this.stack.length - 1] = this.call(callee, args, 'REDUCE', abs);
            break;
          }
          case Op.NEWOBJ: {
            const args = this.pop();
            const cls = this.pop();
            if (!mayBeTuple(args)) throw new PickleError('NEWOBJ expected an arg tuple.');
            if (!isObj(cls)) throw new PickleError("NEWOBJ class argument isn't a type object");
            if (stack.length >= maxStack) this.stackCap();
            stack.push(this.call(cls, args, 'NEWOBJ', abs));
            break;
          }
          case Op.BUILD: {
            const state = this.pop();
            const target = this.top();
            this.actions++;
            this.events.onBuild(target, state, abs);
            if (isObj(target) && target.t === 'call') target.state = state;
            const inline = this.inlineHook?.(target);
            if (inline) {
              this.stack[this.stack.length - 1] = { t: 'opaque', what: 'array read inline' };
              this.inline = inline;
              r.pos = pos;
              return INLINE;
            }
            break;
          }
          case Op.BINPERSID: {
            const pid = this.pop();
            const p: PyPersistent = { t: 'persid', pid, offset: abs };
            // Not an action: plain pickle.load refuses persistent ids, so they can't make a non-pickle dangerous.
            this.events.onPersistent(p);
            if (stack.length >= maxStack) this.stackCap();
            stack.push(p);
            break;
          }
          case Op.FRAME: {
            if (end - pos < 8) return this.rewind(opStart, 9);
            const n = readU64(buf, pos);
            pos += 8;
            const frameStart = abs + 9;
            if (n > r.source.size - frameStart) {
              // _pickle.c stops here, but pickle.py's unframer reads what there is and goes on: so do we.
              this.events.onOddity(
                'frame-truncated',
                `FRAME announces ${n} bytes but only ${r.source.size - frameStart} remain (pickle.py still loads it)`,
                abs,
              );
            }
            if (this.frameEnd > abs) {
              this.events.onOddity(
                'frame-overlap',
                'FRAME begins before the previous frame ended (pickle.py rejects this; _pickle.c does not)',
                abs,
              );
            }
            this.frameEnd = frameStart + n;
            break;
          }
          case Op.STOP:
            this.value = this.pop();
            r.pos = pos;
            return STOP;

          default: {
            // Everything rare lives in cold(): the hot loop stays small, so it compiles fast and
            // first-time rare opcodes don't send it back to the interpreter.
            const next = this.cold(op, buf, end, pos, opStart, abs);
            if (next < 0) return -next;
            pos = next;
            break;
          }
        }
      }
    } catch (err) {
      // Recorded only on failure: the hot loop touches as few fields as it can.
      this.opAt = base + opStart;
      throw err;
    } finally {
      this.opcodes += ops;
    }
  }

  /**
   * The opcodes real pickles rarely use. Returns the index after the opcode,
   * or a negated status (NEED, STOP, LONG_LINE, INLINE) for step() to return.
   */
  private cold(op: number, buf: Buffer, end: number, pos: number, opStart: number, abs: number): number {
    const r = this.r;
    switch (op) {
      case Op.LONG4: {
        if (end - pos < 4) return -this.rewind(opStart, 5);
        const n = buf.readInt32LE(pos);
        if (n < 0) throw new PickleError('LONG pickle has negative byte count');
        if (n > r.source.size - (abs + 5)) throw new PickleError(`LONG4 declares ${n} bytes past the end of the data`, 'truncated');
        if (n <= 64) {
          if (end - pos < 4 + n) return -this.rewind(opStart, 5 + n);
          this.push(decodeLong(buf, pos + 4, n));
          pos += 4 + n;
        } else {
          // A huge integer matters to nobody but the allocator: keep its size only.
          this.push({ t: 'opaque', what: `int of ${n} bytes` });
          pos = this.jump(pos + 4, n);
          if (pos < 0) return -this.refill();
        }
        return pos;
      }
      case Op.LIST:
        this.push(newContainer('list', this.popMarkItems()));
        return pos;
      case Op.DICT: {
        const items = this.popMarkItems();
        if (items.length % 2) throw new PickleError('odd number of items for DICT');
        this.push(newContainer('dict', items));
        return pos;
      }
      case Op.EMPTY_SET:
        this.push(newContainer('set', []));
        return pos;
      case Op.FROZENSET:
        this.push(newContainer('frozenset', this.popMarkItems()));
        return pos;
      case Op.ADDITEMS: {
        const m = this.popMark();
        this.addTo(m - 1, this.stack.splice(m), 'ADDITEMS', abs);
        return pos;
      }
      case Op.POP:
        if (this.marks.length && this.marks[this.marks.length - 1] === this.stack.length) this.popMark();
        else this.pop();
        return pos;
      case Op.POP_MARK:
        this.stack.length = this.popMark();
        return pos;
      case Op.DUP:
        this.push(this.top());
        return pos;
      case Op.NEWOBJ_EX: {
        const kwargs = this.pop();
        const args = this.pop();
        const cls = this.pop();
        if (!mayBeTuple(args)) throw new PickleError('NEWOBJ_EX args argument must be a tuple');
        if (isObj(kwargs) ? kwargs.t === 'container' && kwargs.kind !== 'dict' : true) {
          throw new PickleError('NEWOBJ_EX kwargs argument must be a dict');
        }
        if (!isObj(cls)) throw new PickleError("NEWOBJ_EX class argument isn't a type object");
        this.push(this.call(cls, args, 'NEWOBJ_EX', abs));
        return pos;
      }
      case Op.OBJ: {
        const items = this.popMarkItems();
        if (items.length < 1) throw new PickleError('unpickling stack underflow');
        const cls = items[0];
        this.push(this.call(cls, newContainer('tuple', items.slice(1)), 'OBJ', abs));
        return pos;
      }
      case Op.EXT1:
      case Op.EXT2:
      case Op.EXT4: {
        const n = op === Op.EXT1 ? 1 : op === Op.EXT2 ? 2 : 4;
        if (end - pos < n) return -this.rewind(opStart, 1 + n);
        const code = n === 1 ? buf[pos] : n === 2 ? buf.readUInt16LE(pos) : buf.readInt32LE(pos);
        pos += n;
        if (code <= 0) throw new PickleError('EXT specifies code <= 0');
        this.actions++;
        this.events.onExt(code, abs);
        this.push({ t: 'opaque', what: `extension registry object #${code}` });
        return pos;
      }
      case Op.NEXT_BUFFER:
        this.events.onOddity('out-of-band-buffer', 'NEXT_BUFFER: refers to an out-of-band buffer (protocol 5)', abs);
        this.push({ t: 'opaque', what: 'out-of-band buffer' });
        return pos;
      case Op.READONLY_BUFFER:
        this.top();
        return pos;
      case Op.PROTO: {
        if (end - pos < 1) return -this.rewind(opStart, 2);
        const v = buf[pos++];
        if (v > 5) throw new PickleError(`unsupported pickle protocol: ${v}`);
        if (this.protoSeen++ > 0) {
          this.events.onOddity('repeated-proto', `PROTO ${v} again inside one pickle (real picklers write it once)`, abs);
        } else if (abs !== this.start) {
          this.events.onOddity('late-proto', 'PROTO is not the first opcode', abs);
        }
        this.protocol = v;
        return pos;
      }
      case Op.INT:
      case Op.LONG:
      case Op.FLOAT:
      case Op.STRING:
      case Op.UNICODE:
      case Op.GET:
      case Op.PUT:
      case Op.PERSID: {
        const nl = findNewline(buf, pos, end);
        if (nl < 0) return -this.needLine(opStart, pos, end, op);
        this.textOp(op, buf, pos, nl, abs);
        pos = nl + 1;
        return pos;
      }
      case Op.GLOBAL:
      case Op.INST: {
        const nl1 = findNewline(buf, pos, end);
        const nl2 = nl1 < 0 ? -1 : findNewline(buf, nl1 + 1, end);
        if (nl2 < 0) {
          if (end - opStart >= this.limits.maxLine)
            throw new PickleError(`${OPCODE_NAMES[op]} line longer than ${this.limits.maxLine} bytes`);
          return -this.rewind(opStart, end - opStart + 1);
        }
        const module = utf8Strict(buf, pos, nl1);
        const name = utf8Strict(buf, nl1 + 1, nl2);
        if (module === undefined || name === undefined) throw new PickleError(`${OPCODE_NAMES[op]} names are not valid UTF-8`);
        // CPython's import fails on anything that isn't a dotted identifier: nothing runs.
        if (!MODULE_NAME.test(module)) throw new PickleError(`No module named '${module.slice(0, 80)}'`);
        pos = nl2 + 1;
        const g = this.makeGlobal(module, name, abs);
        if (op === Op.GLOBAL) {
          this.events.onImport(g, 'GLOBAL');
          this.push(g);
        } else {
          // INST imports, then instantiates with the marked items as arguments.
          this.events.onImport(g, 'INST');
          const args = this.popMarkItems();
          this.push(this.call(g, newContainer('tuple', args), 'INST', abs));
        }
        return pos;
      }

      default:
        throw new PickleError(
          `invalid load key, '${op >= 0x20 && op < 0x7f ? String.fromCharCode(op) : '\\x' + op.toString(16).padStart(2, '0')}'`,
        );
    }
  }

  private rewind(opStart: number, need: number): number {
    this.r.pos = opStart;
    this.need = need;
    this.opcodes--;
    return NEED;
  }

  /** A text opcode without its newline in the window: refill, or stream past an overlong line. */
  private needLine(opStart: number, pos: number, end: number, op: number): number {
    if (end - opStart < this.limits.maxLine) return this.rewind(opStart, end - opStart + 1);
    this.r.pos = pos;
    this.longLineOp = op;
    return LONG_LINE;
  }

  /**
   * Moves past an argument of n bytes that starts at window index p; returns
   * the new index, or -1 when that left the window (the caller must refill).
   */
  private jump(p: number, n: number): number {
    const r = this.r;
    if (p + n <= r.end) return p + n;
    r.pos = p;
    r.skip(n);
    return -1;
  }

  private refill(): number {
    this.need = 1;
    return NEED;
  }

  private checkLength(n: number, dataStart: number, what: string): void {
    if (!Number.isSafeInteger(n) || n > this.r.source.size - dataStart) {
      throw new PickleError(`${what} declares ${n} bytes but only ${Math.max(0, this.r.source.size - dataStart)} remain`, 'truncated');
    }
  }

  private bytesValue(kind: PyBytes['kind'], buf: Buffer, p: number, keep: number, length: number, offset: number): PyBytes {
    return { t: 'bytes', kind, length, prefix: buf.toString('latin1', p, p + keep), offset };
  }

  private memoGet(key: number): PyValue {
    const v = this.memo.get(key);
    if (v === undefined) throw new PickleError(`Memo value not found at index ${key}`);
    return v;
  }

  /** APPEND(S)/ADDITEMS: into a list/set we built, or a method call on something else. */
  private addTo(targetIndex: number, items: PyValue[], op: string, offset: number): void {
    if (targetIndex < 0 || targetIndex >= this.stack.length) throw new PickleError('unpickling stack underflow');
    const target = this.stack[targetIndex];
    const want = op === 'ADDITEMS' ? 'set' : 'list';
    if (isObj(target) && target.t === 'container' && target.kind === want) {
      for (const it of items) containerAdd(target, it);
      return;
    }
    if (!isObj(target) || target.t === 'container' || target.t === 'bytes' || target.t === 'longstr') {
      throw new PickleError(`${op} target is not a ${want}`);
    }
    this.actions++;
    this.events.onMutate(target, op, offset);
  }

  private setItems(targetIndex: number, items: PyValue[], op: string, offset: number): void {
    if (targetIndex < 0 || targetIndex >= this.stack.length) throw new PickleError('unpickling stack underflow');
    const target = this.stack[targetIndex];
    if (isObj(target) && target.t === 'container' && target.kind === 'dict') {
      for (let i = 0; i + 1 < items.length; i += 2) containerSet(target, items[i], items[i + 1]);
      return;
    }
    if (!isObj(target) || target.t === 'container' || target.t === 'bytes' || target.t === 'longstr') {
      throw new PickleError(`${op} target does not support item assignment`);
    }
    this.actions++;
    this.events.onMutate(target, op, offset);
  }

  private textOp(op: number, buf: Buffer, s: number, e: number, abs: number): void {
    // CPython strips a trailing \r only where its line readers do (they don't): keep bytes exact.
    switch (op) {
      case Op.INT: {
        const t = buf.toString('latin1', s, e);
        if (t === '00') this.push(false);
        else if (t === '01') this.push(true);
        else this.push(parsePyInt(t, 'INT'));
        return;
      }
      case Op.LONG: {
        let t = buf.toString('latin1', s, e);
        if (t.endsWith('L')) t = t.slice(0, -1);
        this.push(parsePyInt(t, 'LONG'));
        return;
      }
      case Op.FLOAT: {
        this.push(parsePyFloat(buf.toString('latin1', s, e)));
        return;
      }
      case Op.STRING: {
        const v = decodeStringLiteral(buf, s, e);
        if (v === undefined) throw new PickleError('the STRING opcode argument must be quoted');
        this.push(this.textValue(v));
        return;
      }
      case Op.UNICODE:
        this.push(this.textValue(decodeRawUnicodeEscape(buf, s, e)));
        return;
      case Op.GET: {
        const k = parsePyInt(buf.toString('latin1', s, e), 'GET');
        this.push(this.memoGet(Number(k)));
        return;
      }
      case Op.PUT: {
        const k = Number(parsePyInt(buf.toString('latin1', s, e), 'PUT'));
        if (k < 0) throw new PickleError('negative PUT argument');
        this.memoPut(k, this.top());
        return;
      }
      case Op.PERSID: {
        const pid = buf.toString('latin1', s, e);
        const p: PyPersistent = { t: 'persid', pid, offset: abs };
        this.events.onPersistent(p);
        this.push(p);
        return;
      }
    }
  }

  private textValue(v: string): PyValue {
    return v.length > this.limits.retainBytes ? { t: 'longstr', length: v.length, prefix: v.slice(0, this.limits.retainBytes) } : v;
  }

  /** Consumes the data a container format put inline after a BUILD. */
  private async readInline(): Promise<void> {
    const d = this.inline!;
    this.inline = undefined;
    const r = this.r;
    if (d.kind === 'bad') throw new PickleError(d.message);
    if (d.kind === 'pickle') {
      if (this.depth >= MAX_INLINE_DEPTH) throw new PickleError('inline pickles nested too deep', 'limit');
      const sub = new PickleMachine(r, this.events, { ...this.options, depth: this.depth + 1 });
      const res = await sub.run();
      this.actions += res.actions;
      if (!res.ok) throw new PickleError(`inline object-array pickle: ${res.error!.message}`, res.error!.kind);
      return;
    }
    let pad = 0;
    if (d.padded) {
      if (!(await r.ensure(1))) throw new PickleError('inline array data was truncated', 'truncated');
      pad = 1 + r.buf[r.pos];
    }
    if (pad + d.length > r.remainingInSource) {
      throw new PickleError(`inline array declares ${d.length} bytes but only ${r.remainingInSource - pad} remain`, 'truncated');
    }
    r.skip(pad + d.length);
  }

  /** Streams past a line longer than the window, keeping a prefix. */
  private async longLine(): Promise<void> {
    const r = this.r;
    const op = this.longLineOp;
    const abs = r.offset - 1;
    const keep = this.limits.retainBytes;
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    for (;;) {
      if (r.pos >= r.end && !(await r.ensure(1)))
        throw new PickleError(`pickle data was truncated inside ${OPCODE_NAMES[op]}`, 'truncated');
      const nl = findNewline(r.buf, r.pos, r.end);
      const stop = nl < 0 ? r.end : nl;
      if (kept < keep) {
        const take = Math.min(keep - kept, stop - r.pos);
        chunks.push(Buffer.from(r.buf.subarray(r.pos, r.pos + take)));
        kept += take;
      }
      total += stop - r.pos;
      r.pos = stop;
      if (nl >= 0) {
        r.pos = nl + 1;
        break;
      }
    }
    const prefix = Buffer.concat(chunks);
    this.opcodes++;
    switch (op) {
      case Op.STRING:
      case Op.UNICODE: {
        // Decode the kept prefix without requiring the closing quote.
        const text = op === Op.UNICODE ? decodeRawUnicodeEscape(prefix, 0, prefix.length) : prefix.toString('latin1').slice(1);
        this.push({ t: 'longstr', length: total, prefix: text });
        return;
      }
      case Op.INT:
      case Op.LONG:
        this.push({ t: 'opaque', what: `int of ${total} digits` });
        return;
      case Op.PERSID: {
        const p: PyPersistent = { t: 'persid', pid: { t: 'longstr', length: total, prefix: prefix.toString('latin1') }, offset: abs };
        this.events.onPersistent(p);
        this.push(p);
        return;
      }
      default:
        throw new PickleError(`${OPCODE_NAMES[op]} line longer than ${this.limits.maxLine} bytes`);
    }
  }
}

/** What `__import__` can find: dotted Python identifiers (Unicode letters allowed). */
const MODULE_NAME = /^[\p{L}_][\p{L}\p{N}_]*(\.[\p{L}_][\p{L}\p{N}_]*)*$/u;

/** TUPLE1-3: the commonest container, built without the generic path. */
function smallTuple(items: PyValue[]): PyContainer {
  let plain = true;
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v === 'object' && v !== null && !isPlain(v)) {
      plain = false;
      break;
    }
  }
  return { t: 'container', kind: 'tuple', items, count: items.length, plain };
}

function isStrLike(v: PyValue): boolean {
  if (typeof v === 'string') return true;
  if (!isObj(v)) return false;
  return v.t === 'longstr' || v.t === 'call' || v.t === 'opaque' || v.t === 'persid';
}

/** Literals that can never be a tuple make CPython's call fail before it happens. */
function mayBeTuple(v: PyValue): boolean {
  if (!isObj(v)) return false;
  if (v.t === 'container') return v.kind === 'tuple';
  return v.t !== 'bytes' && v.t !== 'longstr' && v.t !== 'global';
}
