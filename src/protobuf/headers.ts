import type { ByteSource } from '../io/byte-source.js';
import { MAX_HEADER, MAX_LENGTH, ProtoError, VarintReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire.js';

export interface FieldHeader {
  field: number;
  wire: number;
  /** Offset of the tag. */
  at: number;
  /** Offset of the value (the bytes after the length for length-delimited fields). */
  start: number;
  /** Length-delimited: the declared length. */
  len: number;
  /** Varint: its value. */
  value: number;
  /** The value runs past the end of the file (the message itself may still be fine up to here). */
  truncated: boolean;
}

export interface Headers {
  headers: FieldHeader[];
  /** Why reading stopped before the end of the message, if it did. */
  error?: ProtoError;
}

/**
 * The field headers of the message declared to span [start, end), read one
 * small read at a time without reading any value: enough to recognise a
 * format from its first fields. `end` may lie past the end of the file (a
 * truncated file); the field that crosses it comes back marked `truncated`
 * and reading stops there.
 */
export async function readHeaders(
  source: ByteSource,
  start: number,
  end: number,
  max: number,
  stop?: (h: FieldHeader) => boolean,
): Promise<Headers> {
  const vr = new VarintReader();
  const headers: FieldHeader[] = [];
  let p = start;
  try {
    while (p < end && headers.length < max) {
      if (p >= source.size) return { headers, error: new ProtoError('the file ends inside a message', p) };
      const buf = await source.read(p, Math.min(MAX_HEADER, end - p));
      const tag = vr.read(buf, 0, buf.length, p);
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 0 || field >= 2 ** 29) throw new ProtoError(`invalid field number ${field}`, p);
      const h: FieldHeader = { field, wire, at: p, start: p + vr.next, len: 0, value: 0, truncated: false };
      if (wire === WIRE_VARINT) {
        h.value = vr.read(buf, vr.next, buf.length, p);
        p += vr.next;
      } else if (wire === WIRE_LEN) {
        const len = vr.read(buf, vr.next, buf.length, p);
        h.start = p + vr.next;
        h.len = len;
        // Past the end of a message that itself reaches the end of the file, it is the file that was cut short.
        if (len > MAX_LENGTH || (h.start + len > end && end < source.size)) {
          throw new ProtoError(`field ${field} declares ${len} bytes but its message has ${end - h.start} left`, p);
        }
        p = h.start + len;
      } else if (wire === WIRE_I64 || wire === WIRE_I32) {
        p = h.start + (wire === WIRE_I64 ? 8 : 4);
        if (p > end) throw new ProtoError('fixed-size value runs past the end of its message', h.at);
      } else {
        throw new ProtoError(`unexpected wire type ${wire}`, h.at);
      }
      h.truncated = p > source.size;
      headers.push(h);
      const halt = stop?.(h);
      if (h.truncated) return { headers, error: new ProtoError('the file ends inside a message', source.size) };
      if (halt) break;
    }
  } catch (err) {
    if (err instanceof ProtoError) return { headers, error: err };
    throw err;
  }
  return { headers };
}

/** The first `max` bytes of a field's value, as far as the file has them. */
export async function readValue(source: ByteSource, h: FieldHeader, max: number): Promise<Buffer> {
  return source.read(h.start, Math.max(0, Math.min(h.len, max, source.size - h.start)));
}
