import { dtypeBits } from '../formats/safetensors/dtypes.js';
import { MAX_HEADER } from '../formats/safetensors/index.js';
import { JsonReader, JsonSyntaxError, parseU64 } from '../formats/safetensors/json.js';
import type { ByteSource } from '../io/byte-source.js';
import { type TensorInfo, type TensorTable, WeightsError } from './types.js';

/** Tensors listed before the table is cut short: far beyond any real checkpoint's count. */
const MAX_TENSORS = 1 << 20;

/**
 * The tensor table of a safetensors file from its JSON header alone. The
 * header is only read, not judged (the safetensors scanner does that):
 * tensors whose entries make no sense are simply left out.
 */
export async function safetensorsTensors(source: ByteSource, checkpoint: () => void): Promise<TensorTable> {
  const n = Buffer.from(await source.read(0, 8)).readBigUInt64LE(0);
  if (n > BigInt(source.size - 8) || n > BigInt(MAX_HEADER)) throw new WeightsError(`safetensors header length ${n} does not fit the file`);
  const len = Number(n);
  const buf = Buffer.from(await source.read(8, len));
  if (buf.length < len) throw new WeightsError('safetensors header is truncated');
  const base = 8 + len;
  const tensors: TensorInfo[] = [];
  const notes: string[] = [];
  const r = new JsonReader(buf);
  try {
    r.object(1, (key) => {
      if (key === '__metadata__') return;
      if (tensors.length >= MAX_TENSORS) return;
      if (tensors.length % 1024 === 0) checkpoint();
      const t = readEntry(r, key, base, source);
      if (t) tensors.push(t);
    });
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new WeightsError(`safetensors header is not valid JSON: ${err.message}`);
    throw err;
  }
  if (tensors.length >= MAX_TENSORS) notes.push(`only the first ${MAX_TENSORS} tensors were considered`);
  // The header's key order is the writer's data layout (by dtype, then name), not the model's: name order is closer.
  return { container: 'safetensors', tensors: naturalSort(tensors), notes };
}

function readEntry(r: JsonReader, name: string, base: number, source: ByteSource): TensorInfo | undefined {
  if (r.kind() !== 'object') return undefined;
  let dtype: string | undefined;
  let shape: number[] | undefined;
  let offsets: number[] | undefined;
  r.object(2, (field) => {
    if (field === 'dtype' && r.kind() === 'string') dtype = r.string();
    else if (field === 'shape') shape = numbers(r);
    else if (field === 'data_offsets') offsets = numbers(r);
  });
  if (dtype === undefined || !shape || !offsets || offsets.length !== 2 || offsets[1] < offsets[0]) return undefined;
  const bits = dtypeBits(dtype);
  if (bits === undefined) return undefined;
  const t: TensorInfo = { name, dtype, shape, outAxis: 0 };
  const numel = shape.reduce((a, b) => a * b, 1);
  const span = offsets[1] - offsets[0];
  if (!Number.isSafeInteger(numel * bits) || (numel * bits) / 8 !== span) {
    t.unreadable = `its data_offsets span ${span} bytes, not the ${(numel * bits) / 8} its dtype and shape need`;
    return t;
  }
  const offset = base + offsets[0];
  const data = { source, offset, available: Math.max(0, Math.min(span, source.size - offset)) };
  t.locate = async () => data;
  return t;
}

/** A JSON array of small non-negative integers, or undefined (anything else, or values past 2^53). */
function numbers(r: JsonReader): number[] | undefined {
  if (r.kind() !== 'array') return undefined;
  const out: number[] = [];
  let ok = true;
  r.array(3, () => {
    if (r.kind() !== 'number') {
      ok = false;
      return;
    }
    const v = parseU64(r.number());
    if (typeof v === 'number') out.push(v);
    else ok = false;
  });
  return ok && out.length <= 64 ? out : undefined;
}

/** Name order in which `layers.10` follows `layers.2`: digit runs compare as numbers. */
export function naturalSort<T extends { name: string }>(items: T[]): T[] {
  const keyed = items.map((item) => ({ item, parts: item.name.match(/\d+|\D+/g) ?? [] }));
  keyed.sort((a, b) => comparePartLists(a.parts, b.parts) || (a.item.name < b.item.name ? -1 : a.item.name > b.item.name ? 1 : 0));
  return keyed.map((k) => k.item);
}

function comparePartLists(pa: readonly string[], pb: readonly string[]): number {
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (isDigit(x) && isDigit(y)) {
      const nx = x.replace(/^0+/, '');
      const ny = y.replace(/^0+/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

function isDigit(part: string): boolean {
  const c = part.charCodeAt(0);
  return c >= 0x30 && c <= 0x39;
}
