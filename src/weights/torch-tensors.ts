import zlib from 'node:zlib';
import {
  type CentralDirectory,
  type LocalHeader,
  readLocalHeader,
  type ZipEntry,
  ZipFormatError,
} from '../formats/zip/central-directory.js';
import type { ByteSource } from '../io/byte-source.js';
import { evaluateTorchPickle, namedTensors, type TensorRef } from './torch-pickle.js';
import { ELEMENT_BYTES, isFloatDtype, type TensorInfo, type TensorTable, WeightsError } from './types.js';

/** data.pkl holds structure only (names, shapes, storage keys): even billion-parameter checkpoints keep it to a few MiB. */
export const MAX_PICKLE_BYTES = 64 << 20;
const MAX_TENSORS = 1 << 20;

/** Where torch.save's zip keeps its object pickle: `<prefix>data.pkl` next to `<prefix>data/`. */
export function torchPickleEntry(cd: CentralDirectory): ZipEntry | undefined {
  const names = new Set(cd.entries.map((e) => e.name));
  // torch reads the first of duplicated names, and so does this.
  return cd.entries.find((e) => {
    const m = /^(.*\/)?data\.pkl$/.exec(e.name);
    if (!m) return false;
    const prefix = m[1] ?? '';
    return (
      names.has(`${prefix}version`) || names.has(`${prefix}.data/version`) || cd.entries.some((x) => x.name.startsWith(`${prefix}data/`))
    );
  });
}

/**
 * The tensors of a torch zip checkpoint: names, dtypes and shapes from
 * data.pkl, bytes from the stored `data/<key>` members. Tensors that are
 * not a contiguous row-major block of their storage, or whose storage is
 * compressed or missing, are listed with the reason they cannot be read.
 */
export async function torchTensors(source: ByteSource, cd: CentralDirectory, pkl: ZipEntry, checkpoint: () => void): Promise<TensorTable> {
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const byName = new Map<string, ZipEntry>();
  for (const e of cd.entries) if (!byName.has(e.name)) byName.set(e.name, e);
  const notes: string[] = [];
  const order = byName.get(`${prefix}byteorder`);
  if (order && order.size <= 16) {
    const text = (await memberBytes(source, order)).toString('latin1').trim();
    if (text === 'big') throw new WeightsError('the checkpoint was written big-endian; only little-endian tensors are decoded');
  }
  const root = evaluateTorchPickle(await memberBytes(source, pkl), checkpoint);
  const { tensors: found, capped } = namedTensors(root, MAX_TENSORS, checkpoint);
  if (capped) notes.push(`only the first ${MAX_TENSORS} tensors were considered`);
  const tensors: TensorInfo[] = [];
  for (const { name, tensor } of found) {
    checkpoint();
    tensors.push(describe(source, name, tensor, byName.get(`${prefix}data/${tensor.storage.key}`)));
  }
  return { container: 'torch zip checkpoint', tensors, notes };
}

function describe(source: ByteSource, name: string, t: TensorRef, entry: ZipEntry | undefined): TensorInfo {
  const info: TensorInfo = { name, dtype: t.dtype ?? t.storage.typeName, shape: t.size, outAxis: 0 };
  if (!isFloatDtype(info.dtype)) return info;
  if (!contiguous(t.size, t.stride)) {
    info.unreadable = `it is a non-contiguous view (stride [${t.stride.join(', ')}] for shape [${t.size.join(', ')}])`;
    return info;
  }
  if (!entry) {
    info.unreadable = `its storage '${t.storage.key}' is missing from the archive`;
    return info;
  }
  if (entry.method !== 0) {
    info.unreadable = `its storage member '${entry.name}' is compressed (method ${entry.method}); torch stores storages uncompressed`;
    return info;
  }
  const skip = t.offset * ELEMENT_BYTES[info.dtype];
  if (!Number.isSafeInteger(skip) || skip > entry.size) {
    info.unreadable = `its storage offset ${t.offset} lies beyond its storage member '${entry.name}'`;
    return info;
  }
  info.locate = async () => {
    const local = await localHeader(source, entry);
    const stored = Math.min(entry.size, entry.compressedSize);
    const start = local.dataOffset + skip;
    return { source, offset: start, available: Math.max(0, Math.min(stored - skip, source.size - start)), member: entry.name };
  };
  return info;
}

/** Row-major contiguity, as torch's is_contiguous judges it: strides of size-1 dimensions do not matter. */
export function contiguous(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = size.length - 1; i >= 0; i--) {
    if (size[i] === 1) continue;
    if (stride[i] !== expected) return false;
    expected *= size[i];
  }
  return true;
}

/** A small member's bytes, inflated when deflated. */
async function memberBytes(source: ByteSource, e: ZipEntry): Promise<Buffer> {
  if (e.size > MAX_PICKLE_BYTES || e.compressedSize > MAX_PICKLE_BYTES) {
    throw new WeightsError(`'${e.name}' is ${Math.max(e.size, e.compressedSize)} bytes, over the ${MAX_PICKLE_BYTES}-byte cap`);
  }
  const local = await localHeader(source, e);
  const raw = Buffer.from(await source.read(local.dataOffset, e.compressedSize));
  if (raw.length < e.compressedSize) throw new WeightsError(`'${e.name}' runs past the end of the file`);
  if (e.method === 0) return raw.subarray(0, e.size);
  if (e.method !== 8) throw new WeightsError(`'${e.name}' uses compression method ${e.method}`);
  try {
    return zlib.inflateRawSync(raw, { maxOutputLength: MAX_PICKLE_BYTES });
  } catch (err) {
    throw new WeightsError(`'${e.name}' does not inflate: ${(err as Error).message}`);
  }
}

async function localHeader(source: ByteSource, e: ZipEntry): Promise<LocalHeader> {
  try {
    return await readLocalHeader(source, e);
  } catch (err) {
    if (err instanceof ZipFormatError) throw new WeightsError(err.message);
    throw err;
  }
}
