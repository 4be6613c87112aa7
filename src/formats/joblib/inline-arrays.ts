import { dictGet, isObj, type PyValue, rootGlobal, strOf } from '../../pickle/values.js';
import type { InlineData } from '../../pickle/vm.js';

const WRAPPERS = new Set(['joblib.numpy_pickle.NumpyArrayWrapper', 'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper']);

/**
 * joblib writes each numpy array's bytes inline, right after the BUILD of
 * its NumpyArrayWrapper (NumpyUnpickler.load_build then calls read_array).
 * Tells the simulator what follows: raw bytes to skip (after an alignment
 * pad when `numpy_array_alignment_bytes` is set), or a whole nested pickle
 * for object arrays.
 */
export function joblibInlineData(target: PyValue): InlineData | undefined {
  if (!isObj(target) || target.t !== 'call') return undefined;
  const g = rootGlobal(target.callee);
  if (!g || !WRAPPERS.has(`${g.module}.${g.name}`)) return undefined;
  const state = target.state;
  if (!isObj(state) || state.t !== 'container' || state.kind !== 'dict')
    return { kind: 'bad', message: 'NumpyArrayWrapper without a state dict' };
  const shape = dictGet(state, 'shape');
  const dtype = dictGet(state, 'dtype');
  const info = dtypeInfo(dtype);
  if (!info) return { kind: 'bad', message: 'NumpyArrayWrapper with a dtype the scanner cannot size' };
  if (info.hasObject) return { kind: 'pickle' };
  let count = 1n;
  if (!isObj(shape) || shape.t !== 'container' || shape.kind !== 'tuple' || shape.count !== shape.items.length) {
    return { kind: 'bad', message: 'NumpyArrayWrapper shape is not a tuple of integers' };
  }
  for (const d of shape.items) {
    if (typeof d !== 'number' && typeof d !== 'bigint')
      return { kind: 'bad', message: 'NumpyArrayWrapper shape is not a tuple of integers' };
    if (d < 0) return { kind: 'bad', message: 'NumpyArrayWrapper shape has a negative dimension' };
    count *= BigInt(d);
  }
  const length = count * BigInt(info.itemSize);
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) return { kind: 'bad', message: `NumpyArrayWrapper declares ${length} bytes` };
  const aligned = dictGet(state, 'numpy_array_alignment_bytes');
  return { kind: 'bytes', length: Number(length), padded: aligned !== undefined && aligned !== null };
}

/** Item size and object-ness of a pickled numpy.dtype(descr, …) with its BUILD state. */
function dtypeInfo(v: PyValue | undefined): { itemSize: number; hasObject: boolean } | undefined {
  if (!isObj(v) || v.t !== 'call') return undefined;
  const g = rootGlobal(v.callee);
  if (g?.name !== 'dtype' || !g.module.startsWith('numpy')) return undefined;
  const args = v.args;
  const descr = isObj(args) && args.t === 'container' ? strOf(args.items[0]) : undefined;
  const m = descr ? /^([a-zA-Z])(\d*)$/.exec(descr) : null;
  if (!m) return undefined;
  if (m[1] === 'O') return { itemSize: 8, hasObject: true };
  const st = v.state;
  // State tuple (version, byteorder, subarray, names, fields, elsize, alignment, flags).
  const elsize = isObj(st) && st.t === 'container' && st.kind === 'tuple' ? st.items[5] : undefined;
  const fields = isObj(st) && st.t === 'container' && st.kind === 'tuple' ? st.items[4] : undefined;
  if (fields !== undefined && fields !== null) {
    // Structured dtypes: object fields would make this a pickle; we can't tell, so refuse rather than guess.
    if (typeof elsize !== 'number' || elsize <= 0) return undefined;
    return { itemSize: elsize, hasObject: false };
  }
  if (typeof elsize === 'number' && elsize > 0) return { itemSize: elsize, hasObject: false };
  const size = Number(m[2] || '0');
  return size > 0 ? { itemSize: size, hasObject: false } : undefined;
}
