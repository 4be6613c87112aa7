import { type ByteSource, SliceSource } from '../../io/byte-source.js';
import { structuralFinding } from '../../scan/findings.js';
import type { FormatScanner } from '../types.js';
import { describeDtype, shapeProduct } from './dtype.js';
import { type PyLiteral, parsePyLiteral } from './py-literal.js';

const at = structuralFinding('modelscan.scanners.NumpyUnsafeOpScan');
const MAGIC = '\x93NUMPY';
/** numpy itself refuses headers over 10 000 bytes unless the file is trusted; real ones are ~100. */
const MAX_HEADER = 1 << 20;

export interface NpyHeader {
  version: number;
  dataOffset: number;
  itemsize: number;
  count: number;
  hasObject: boolean;
}

/**
 * NumPy .npy arrays (and so .npz members): the header is read as numpy
 * reads it; plain dtypes are clean without reading the data, and an object
 * dtype means the body is a pickle that np.load(allow_pickle=True) runs.
 */
export const numpyFormat: FormatScanner = {
  name: 'numpy',
  detect: (head) => head.toString('latin1', 0, 6) === MAGIC,
  async scan(source, ctx) {
    let h: NpyHeader;
    try {
      h = await readNpyHeader(source);
    } catch (err) {
      ctx.report(at('MEDIUM', 'numpy/malformed', `malformed .npy header: ${(err as Error).message}; the array was not scanned`, 0));
      return 'scanned';
    }
    const body = source.size - h.dataOffset;
    if (h.hasObject) {
      // Like any pickle, it is judged by what it imports and calls; a clean one is not reported.
      await ctx.scanEmbedded(new SliceSource(`${source.name}@${h.dataOffset}`, source, h.dataOffset, body), 'object array', h.dataOffset);
      return 'scanned';
    }
    const expected = h.itemsize * h.count;
    if (body < expected) {
      ctx.report(
        at('LOW', 'numpy/truncated', `array data is ${body} bytes but the header declares ${expected}; np.load fails on it`, h.dataOffset),
      );
    } else if (body > expected) {
      const tail = h.dataOffset + expected;
      ctx.report(at('LOW', 'numpy/trailing-data', `${body - expected} bytes follow the array data; they were scanned on their own`, tail));
      await ctx.scanMember(new SliceSource(`${source.name}@${tail}`, source, tail, body - expected), '<bytes after the array>');
    }
    return 'scanned';
  },
};

export async function readNpyHeader(source: ByteSource): Promise<NpyHeader> {
  const pre = Buffer.from(await source.read(0, 12));
  if (pre.length < 10 || pre.toString('latin1', 0, 6) !== MAGIC) throw new Error('not a .npy file');
  const version = pre[6];
  if (version < 1 || version > 3 || pre[7] !== 0) throw new Error(`unknown format version ${version}.${pre[7]}`);
  const lenSize = version === 1 ? 2 : 4;
  if (pre.length < 8 + lenSize) throw new Error('truncated header');
  const len = version === 1 ? pre.readUInt16LE(8) : pre.readUInt32LE(8);
  const start = 8 + lenSize;
  if (len > MAX_HEADER) throw new Error(`header of ${len} bytes exceeds the ${MAX_HEADER}-byte cap`);
  if (start + len > source.size) throw new Error(`header of ${len} bytes runs past the end of the file`);
  const raw = Buffer.from(await source.read(start, len));
  const text = raw.toString(version === 3 ? 'utf8' : 'latin1');
  let dict: PyLiteral;
  try {
    dict = parsePyLiteral(text);
  } catch (err) {
    throw new Error(`header is not a Python literal: ${(err as Error).message}`);
  }
  if (!(dict instanceof Map)) throw new Error('header is not a dictionary');
  const keys = [...dict.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') throw new Error(`header keys are {${keys}}, not descr, fortran_order and shape`);
  if (typeof dict.get('fortran_order') !== 'boolean') throw new Error('fortran_order is not a boolean');
  const dtype = describeDtype(dict.get('descr')!);
  const count = shapeProduct(dict.get('shape')!);
  if (!Number.isSafeInteger(count * dtype.itemsize)) throw new Error('array size overflows');
  return { version, dataOffset: start + len, itemsize: dtype.itemsize, count, hasObject: dtype.hasObject };
}
