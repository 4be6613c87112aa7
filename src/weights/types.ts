import type { ByteSource } from '../io/byte-source.js';

/** Element types whose values the analysis decodes; anything else is never a head candidate. */
export type FloatDtype = 'F64' | 'F32' | 'F16' | 'BF16';

export const ELEMENT_BYTES: Readonly<Record<FloatDtype, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

export function isFloatDtype(d: string): d is FloatDtype {
  return d === 'F64' || d === 'F32' || d === 'F16' || d === 'BF16';
}

/** Where a tensor's elements are: contiguous, row-major, little-endian, starting at `offset` of `source`. */
export interface TensorData {
  source: ByteSource;
  offset: number;
  /** Bytes the container really holds from `offset` on (less than the tensor needs: truncated). */
  available: number;
  /** Archive member holding the bytes (torch storages). */
  member?: string;
}

/** One tensor as its container declares it; nothing of its data has been read. */
export interface TensorInfo {
  name: string;
  /** safetensors spelling (F32, F16, BF16, F64, I64…); other containers' dtypes are mapped to it. */
  dtype: string;
  shape: number[];
  /** Finds the bytes (only asked of the tensors analysed); throws WeightsError when they cannot be found. */
  locate?: () => Promise<TensorData>;
  /** Why the elements cannot be read as a contiguous block, when that is known from the listing. */
  unreadable?: string;
  /**
   * Axis of a 2-D weight that indexes output units: 0 for torch's [out, in],
   * 1 for Keras kernels stored [in, out].
   */
  outAxis: 0 | 1;
}

export interface TensorTable {
  /** What the container is, for notes (`safetensors`, `torch zip`, `keras h5`). */
  container: string;
  /** In model order where the container keeps it (pickle order, Keras layer order), otherwise in natural name order. */
  tensors: TensorInfo[];
  /** Things noticed while listing, not fatal. */
  notes: string[];
}

/** Input the analysis cannot make sense of: becomes a note, never a thrown error out of scanWeights. */
export class WeightsError extends Error {}
