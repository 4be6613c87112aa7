import { DTYPE_BITS, DTYPE_NAMES } from './schema.js';

/** What the walk learned about one TensorProto. */
export interface TensorFacts {
  name: string;
  dims: number[];
  dtype: number;
  /** raw_data length, when present. */
  raw?: number;
  /** Bytes of packed float_data / double_data. */
  floatBytes: number;
  doubleBytes: number;
  /** external_data `length`, when given. */
  externalLength?: string;
}

/**
 * A tensor whose declared shape disagrees with the bytes it carries (or
 * says it carries): onnx refuses it, and a loader that trusts the dims
 * allocates whatever they claim. Returns the description, or undefined.
 */
export function sizeMismatch(t: TensorFacts): string | undefined {
  const bits = DTYPE_BITS[t.dtype];
  if (bits === undefined) return undefined;
  let elements = 1;
  for (const d of t.dims) {
    if (d < 0) return `declares a negative dimension in [${t.dims.join(', ')}]`;
    elements *= d;
  }
  const expected = Math.ceil((elements * bits) / 8);
  const shape = `dims [${t.dims.join(', ')}] (${fmt(elements)} ${DTYPE_NAMES[t.dtype] ?? `type ${t.dtype}`} elements, ${fmt(expected)} bytes)`;
  const held = (bytes: number, where: string) =>
    bytes === expected ? undefined : `declares ${shape} but holds ${bytes} bytes of ${where}`;
  if (t.raw !== undefined) return held(t.raw, 'raw_data');
  if (t.floatBytes > 0 && (t.dtype === 1 || t.dtype === 14)) return held(t.floatBytes, 'float_data');
  if (t.doubleBytes > 0 && (t.dtype === 11 || t.dtype === 15)) return held(t.doubleBytes, 'double_data');
  if (t.externalLength !== undefined && /^\d{1,16}$/.test(t.externalLength)) {
    const n = Number(t.externalLength);
    return n === expected ? undefined : `declares ${shape} but its external data is ${n} bytes long`;
  }
  return undefined;
}

function fmt(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : `~${n.toExponential(3)}`;
}
