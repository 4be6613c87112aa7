import type { ByteSource } from '../io/byte-source.js';
import {
  DepthError,
  MAX_HEADER,
  MAX_LENGTH,
  ProtoError,
  VarintReader,
  WIRE_EGROUP,
  WIRE_I32,
  WIRE_I64,
  WIRE_LEN,
  WIRE_SGROUP,
  WIRE_VARINT,
} from './wire.js';

/**
 * How the walker treats one field of a message. Fields a schema doesn't name
 * (or names with another wire type, as protobuf itself does) are skipped.
 */
export type FieldKind =
  /** A nested message, walked with the schema of `type`. */
  | { kind: 'message'; type: string }
  /**
   * Text or small bytes: the first `max` bytes (default 1024) are handed to
   * the visitor. With `probe`, bytes that parse as that message type are
   * walked as one too (serialized protos hidden in strings).
   */
  | { kind: 'string'; max?: number; probe?: string }
  /** Payload never read: the visitor gets its offset and length only (tensor data). */
  | { kind: 'bytes' }
  /** A varint, or a packed run of them, read as int64 (negative past 2^63). */
  | { kind: 'int' };

export type MessageSchema = Readonly<Record<number, FieldKind>>;
export type Schema = Readonly<Record<string, MessageSchema>>;

/** Events of a walk, in file order. Buffers are only valid during the call. */
export interface ProtoVisitor {
  enter(type: string, at: number, len: number): void;
  leave(type: string, end: number): void;
  string(type: string, field: number, value: Buffer, at: number, len: number): void;
  int(type: string, field: number, value: number, at: number): void;
  bytes(type: string, field: number, at: number, len: number): void;
}

/** A dry walk deciding whether some bytes really are a given message. */
export interface ProbeCheck {
  visitor: ProtoVisitor;
  accepted(): boolean;
}

export interface WalkOptions {
  /** Message nesting (probed messages count too) past which the input is refused. */
  maxDepth?: number;
  /** Called every few thousand fields: the scan's checkpoint. */
  tick?: () => void;
  /** Builds the check for a `probe` field; no probing without it. */
  probe?: (type: string) => ProbeCheck;
  /** Probes shorter than this are not tried (a few bytes parse as almost anything). */
  minProbe?: number;
}

export const DEFAULT_MAX_DEPTH = 64;
/**
 * Bytes read at a time. A read after a jump is small (the walker just skipped
 * a payload and likely needs a few headers before skipping the next one);
 * reads that carry on where the last one ended double, up to MAX_READ.
 */
const FIRST_READ = 4 << 10;
const MAX_READ = 1 << 20;
/** Held bytes worth walking before reading again: a few field headers. */
const ENOUGH = 256;
const DEFAULT_STRING_MAX = 1024;
/** Packed varint runs longer than this are refused: no real dims or ints list comes near it. */
const MAX_PACKED = 1 << 20;

interface Big {
  field: number;
  kind: FieldKind;
  start: number;
  len: number;
}

const NULL_VISITOR: ProtoVisitor = { enter() {}, leave() {}, string() {}, int() {}, bytes() {} };

/**
 * A streaming protobuf walker driven by a schema. It reads the source in
 * chunks, walks whatever fits in a chunk synchronously, and goes back to the
 * source only for fields that don't: large payloads are skipped by offset
 * and never read. Every length is checked against the message that encloses
 * it, nesting is bounded, and any malformed byte throws a ProtoError with
 * its file offset after the events for everything before it were delivered.
 */
export class ProtoWalker {
  private readonly vr = new VarintReader();
  private readonly maxDepth: number;
  private fieldCount = 0;
  private big: Big | undefined;
  private cache: { start: number; buf: Buffer } | undefined;
  private readSize = FIRST_READ;

  constructor(
    private readonly source: ByteSource,
    private readonly schema: Schema,
    private readonly visitor: ProtoVisitor,
    private readonly opts: WalkOptions = {},
  ) {
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  /** Walks the message of `type` that occupies [start, end) of the source. */
  async walk(type: string, start = 0, end = this.source.size, depth = 0): Promise<void> {
    if (end > this.source.size) throw new ProtoError('message runs past the end of the file', this.source.size);
    if (depth > this.maxDepth) throw new DepthError(`messages nested more than ${this.maxDepth} deep`, start);
    this.visitor.enter(type, start, end - start);
    let p = start;
    while (p < end) {
      const buf = await this.window(p, end);
      const partial = p + buf.length < end;
      this.big = undefined;
      const q = this.fields(buf, p, type, p, end, depth, partial);
      const big = this.big as Big | undefined;
      if (big) {
        await this.walkBig(type, big, depth);
        p = big.start + big.len;
      } else {
        p = q;
      }
    }
    this.visitor.leave(type, end);
  }

  /**
   * Some of the bytes from `offset` up to `end`: what the last read still
   * holds when that is enough to make progress, else a fresh read.
   */
  private async window(offset: number, end: number): Promise<Buffer> {
    const c = this.cache;
    if (c && offset >= c.start) {
      const held = c.start + c.buf.length - offset;
      if (held >= Math.min(end - offset, ENOUGH)) return c.buf.subarray(offset - c.start, offset - c.start + Math.min(held, end - offset));
    }
    const sequential = c !== undefined && offset >= c.start && offset <= c.start + c.buf.length;
    this.readSize = sequential ? Math.min(this.readSize * 2, MAX_READ) : FIRST_READ;
    const want = Math.min(end - offset, this.readSize);
    return this.load(offset, want);
  }

  /** Exactly [offset, offset+length), from the last read when it holds it. */
  private async load(offset: number, length: number): Promise<Buffer> {
    const c = this.cache;
    if (c && offset >= c.start && offset + length <= c.start + c.buf.length) {
      return c.buf.subarray(offset - c.start, offset - c.start + length);
    }
    const buf = await this.source.read(offset, length);
    if (buf.length < length) throw new ProtoError('the file ends inside a message', offset + buf.length);
    this.cache = { start: offset, buf };
    return buf;
  }

  /** A field too large for the chunk it starts in, handled with reads of its own. */
  private async walkBig(type: string, b: Big, depth: number): Promise<void> {
    const k = b.kind;
    if (k.kind === 'message') {
      await this.walk(k.type, b.start, b.start + b.len, depth + 1);
    } else if (k.kind === 'string') {
      const head = await this.load(b.start, Math.min(b.len, k.max ?? DEFAULT_STRING_MAX));
      this.visitor.string(type, b.field, head, b.start, b.len);
      if (k.probe && this.opts.probe && b.len >= (this.opts.minProbe ?? 2)) {
        const check = this.opts.probe(k.probe);
        const dry = new ProtoWalker(this.source, this.schema, check.visitor, { ...this.opts, probe: undefined });
        let ok = true;
        try {
          await dry.walk(k.probe, b.start, b.start + b.len, depth + 1);
        } catch (err) {
          // Too deep to tell is not "not a graph": the caller reports it.
          if (!(err instanceof ProtoError) || err instanceof DepthError) throw err;
          ok = false;
        }
        if (ok && check.accepted()) await this.walk(k.probe, b.start, b.start + b.len, depth + 1);
      }
    } else if (k.kind === 'int') {
      if (b.len > MAX_PACKED) throw new ProtoError(`packed list of ${b.len} bytes`, b.start);
      const buf = await this.load(b.start, b.len);
      this.packed(buf, b.start, type, b.field, b.start, b.start + b.len);
    }
  }

  /** One message held entirely in `buf`, walked without awaiting. */
  private messageSync(buf: Buffer, base: number, type: string, start: number, end: number, depth: number): void {
    if (depth > this.maxDepth) throw new DepthError(`messages nested more than ${this.maxDepth} deep`, start);
    this.visitor.enter(type, start, end - start);
    this.fields(buf, base, type, start, end, depth, false);
    this.visitor.leave(type, end);
  }

  /**
   * Walks the fields of a message from `start` while they fit in `buf`
   * (which holds the source from `base`). With `partial`, the message goes on
   * past the buffer: it returns where it stopped, having set `big` when a
   * field must be handled with reads of its own.
   */
  private fields(buf: Buffer, base: number, type: string, start: number, end: number, depth: number, partial: boolean): number {
    const spec = this.schema[type];
    const vr = this.vr;
    const bufEnd = base + buf.length;
    const limit = Math.min(end, bufEnd) - base;
    let p = start;
    while (p < end) {
      if (partial && p + MAX_HEADER > bufEnd) return p;
      if ((++this.fieldCount & 0xfff) === 0) this.opts.tick?.();
      const tagAt = p;
      const tag = vr.read(buf, p - base, limit, base);
      p = base + vr.next;
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 0 || field >= 2 ** 29) throw new ProtoError(`invalid field number ${field}`, tagAt);
      const kind = spec?.[field];
      switch (wire) {
        case WIRE_VARINT: {
          vr.read(buf, p - base, limit, base);
          if (kind?.kind === 'int') this.visitor.int(type, field, vr.int64(), p);
          p = base + vr.next;
          break;
        }
        case WIRE_I64:
        case WIRE_I32: {
          const n = wire === WIRE_I64 ? 8 : 4;
          if (p + n > end) throw new ProtoError('fixed-size value runs past the end of its message', tagAt);
          p += n;
          break;
        }
        case WIRE_LEN: {
          const len = vr.read(buf, p - base, limit, base);
          const vs = base + vr.next;
          if (len > MAX_LENGTH || len > end - vs) {
            throw new ProtoError(`field ${field} declares ${len} bytes but its message has ${end - vs} left`, tagAt);
          }
          const ve = vs + len;
          if (kind && kind.kind !== 'bytes' && !this.lenField(buf, base, bufEnd, type, field, kind, vs, len, depth)) {
            this.big = { field, kind, start: vs, len };
            return vs;
          }
          if (kind?.kind === 'bytes') this.visitor.bytes(type, field, vs, len);
          p = ve;
          break;
        }
        case WIRE_SGROUP:
        case WIRE_EGROUP:
          throw new ProtoError('protobuf groups are not used by this format', tagAt);
        default:
          throw new ProtoError(`invalid wire type ${wire}`, tagAt);
      }
    }
    return p;
  }

  /** Handles a length-delimited field whose content is needed; false when it isn't all in `buf`. */
  private lenField(
    buf: Buffer,
    base: number,
    bufEnd: number,
    type: string,
    field: number,
    kind: FieldKind,
    vs: number,
    len: number,
    depth: number,
  ): boolean {
    const ve = vs + len;
    switch (kind.kind) {
      case 'message':
        if (ve > bufEnd) return false;
        this.messageSync(buf, base, kind.type, vs, ve, depth + 1);
        return true;
      case 'string': {
        const shown = Math.min(len, kind.max ?? DEFAULT_STRING_MAX);
        const probing = kind.probe !== undefined && this.opts.probe !== undefined && len >= (this.opts.minProbe ?? 2);
        if (vs + shown > bufEnd || (probing && ve > bufEnd)) return false;
        this.visitor.string(type, field, buf.subarray(vs - base, vs - base + shown), vs, len);
        if (probing) this.probeSync(buf, base, kind.probe!, vs, ve, depth + 1);
        return true;
      }
      case 'int':
        if (ve > bufEnd) return false;
        this.packed(buf, base, type, field, vs, ve);
        return true;
      default:
        return true;
    }
  }

  private probeSync(buf: Buffer, base: number, type: string, start: number, end: number, depth: number): void {
    const check = this.opts.probe!(type);
    const dry = new ProtoWalker(this.source, this.schema, check.visitor, { ...this.opts, probe: undefined });
    try {
      dry.messageSync(buf, base, type, start, end, depth);
    } catch (err) {
      if (err instanceof ProtoError && !(err instanceof DepthError)) return;
      throw err;
    }
    if (check.accepted()) this.messageSync(buf, base, type, start, end, depth);
  }

  private packed(buf: Buffer, base: number, type: string, field: number, start: number, end: number): void {
    const vr = this.vr;
    let i = start - base;
    const limit = end - base;
    while (i < limit) {
      const at = base + i;
      vr.read(buf, i, limit, base);
      this.visitor.int(type, field, vr.int64(), at);
      i = vr.next;
    }
  }
}

/** Checks that [start, end) is a well-formed message of `type` without reporting anything. */
export async function parsesAs(source: ByteSource, schema: Schema, type: string, start: number, end: number): Promise<boolean> {
  try {
    await new ProtoWalker(source, schema, NULL_VISITOR).walk(type, start, end);
    return true;
  } catch (err) {
    if (err instanceof ProtoError) return false;
    throw err;
  }
}
