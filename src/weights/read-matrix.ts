import { ELEMENT_BYTES, type FloatDtype, type TensorData, WeightsError } from './types.js';

/** Bytes asked of the source per read: large enough to be cheap, small enough to check the clock often. */
const CHUNK = 1 << 20;

let halfTable: Float32Array | undefined;

/** All 65536 half-precision values, decoded once (IEEE 754 binary16: 1 sign, 5 exponent, 10 mantissa bits). */
function halves(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) t[h] = sign * mant * 2 ** -24;
    else if (exp === 31) t[h] = mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else t[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  halfTable = t;
  return t;
}

const bf16View = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16View.buffer);

/** bfloat16 is the top half of a float32: its bits shifted up are the float32's bits. */
function bf16(bits: number): number {
  bf16Bits[0] = bits << 16;
  return bf16View[0];
}

/** Decodes little-endian elements of `buf` into `out` (as many as whole elements fit). */
export function decode(dtype: FloatDtype, buf: Buffer, out: Float64Array): number {
  const size = ELEMENT_BYTES[dtype];
  const n = Math.min(out.length, Math.floor(buf.length / size));
  switch (dtype) {
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = buf.readDoubleLE(i * 8);
      break;
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(i * 4);
      break;
    case 'F16': {
      const t = halves();
      for (let i = 0; i < n; i++) out[i] = t[buf[i * 2] | (buf[i * 2 + 1] << 8)];
      break;
    }
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = bf16(buf[i * 2] | (buf[i * 2 + 1] << 8));
      break;
  }
  return n;
}

/** Per output unit: the sum of its weights, the sum of their squares, and whether any was NaN or infinite. */
export interface UnitSums {
  sum: Float64Array;
  sumSq: Float64Array;
  nonFinite: number;
}

/**
 * Streams a [rows, cols] row-major matrix once and folds every element into
 * its output unit (rows when `outAxis` is 0, columns when 1), so memory
 * stays at one chunk whatever the matrix size. Throws WeightsError when the
 * container holds fewer bytes than the matrix needs.
 */
export async function unitSums(
  data: TensorData,
  dtype: FloatDtype,
  rows: number,
  cols: number,
  outAxis: 0 | 1,
  checkpoint: () => void,
): Promise<UnitSums> {
  const size = ELEMENT_BYTES[dtype];
  const total = rows * cols;
  const bytes = total * size;
  if (!Number.isSafeInteger(bytes)) throw new WeightsError(`a ${rows}×${cols} matrix is too large to address`);
  if (data.available < bytes) {
    throw new WeightsError(`the file holds ${data.available} of the ${bytes} bytes of a ${rows}×${cols} ${dtype} matrix: it is truncated`);
  }
  const units = outAxis === 0 ? rows : cols;
  const sum = new Float64Array(units);
  const sumSq = new Float64Array(units);
  let nonFinite = 0;
  const perChunk = Math.max(1, Math.floor(CHUNK / size));
  const values = new Float64Array(perChunk);
  const scratch = Buffer.allocUnsafe(perChunk * size);
  for (let done = 0; done < total; ) {
    checkpoint();
    const want = Math.min(perChunk, total - done);
    const buf = await data.source.read(data.offset + done * size, want * size, scratch);
    const n = decode(dtype, buf, values);
    if (n < want) throw new WeightsError(`short read at byte ${data.offset + (done + n) * size}: the file is truncated`);
    // Which unit element `done + i` belongs to, kept incrementally rather than divided out per element.
    let row = Math.floor(done / cols);
    let col = done - row * cols;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const u = outAxis === 0 ? row : col;
      if (Number.isFinite(v)) {
        sum[u] += v;
        sumSq[u] += v * v;
      } else nonFinite++;
      if (++col === cols) {
        col = 0;
        row++;
      }
    }
    done += n;
  }
  return { sum, sumSq, nonFinite };
}

/** A short vector (a bias, at most MAX_CLASSES elements by the caller's choice), decoded. */
export async function readVector(data: TensorData, dtype: FloatDtype, length: number): Promise<Float64Array> {
  const bytes = length * ELEMENT_BYTES[dtype];
  if (data.available < bytes) throw new WeightsError(`the file holds ${data.available} of the ${bytes} bytes of a vector: it is truncated`);
  const buf = await data.source.read(data.offset, bytes);
  const out = new Float64Array(length);
  if (decode(dtype, buf, out) < length) throw new WeightsError('short read: the file is truncated');
  return out;
}
