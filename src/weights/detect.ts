import { findSignature } from '../formats/keras/hdf5/superblock.js';
import { looksLikeSafetensors } from '../formats/safetensors/index.js';
import {
  type CentralDirectory,
  findEndRecord,
  readCentralDirectory,
  type ZipEntry,
  ZipFormatError,
} from '../formats/zip/central-directory.js';
import type { ByteSource } from '../io/byte-source.js';
import { torchPickleEntry } from './torch-tensors.js';
import { WeightsError } from './types.js';

export type Container =
  | { kind: 'safetensors' }
  | { kind: 'torch-zip'; cd: CentralDirectory; pkl: ZipEntry }
  | { kind: 'hdf5'; at: number }
  /** Recognised, but its weights are not read: the string says what it is. */
  | { kind: 'unsupported'; what: string };

/** The first bytes of torch's legacy (pre-1.6) format: protocol 2, then LONG1 of its magic number. */
const LEGACY_TORCH = Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);
/** How far into a source whose far bytes are costly (a decompressing stream) the HDF5 signature is looked for. */
const SEQUENTIAL_SIGNATURE_LIMIT = 4096;

/** What kind of model container the bytes are, judged by content alone (names lie); undefined when none we know. */
export async function detectContainer(source: ByteSource, maxEntries: number): Promise<Container | undefined> {
  const head = Buffer.from(await source.read(0, Math.min(512, source.size)));
  if (looksLikeSafetensors(head, source.size)) return { kind: 'safetensors' };
  const pk = head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5);
  if (pk || (!source.sequential && (await findEndRecord(source)) !== undefined)) {
    const cd = await readZip(source, maxEntries, pk);
    const pkl = cd && torchPickleEntry(cd);
    if (cd && pkl) return { kind: 'torch-zip', cd, pkl };
    if (cd?.entries.some((e) => e.name === 'model.weights.h5')) return { kind: 'unsupported', what: 'a Keras 3 archive (.keras)' };
    if (pk) return undefined;
  }
  if (head.subarray(0, LEGACY_TORCH.length).equals(LEGACY_TORCH)) {
    return { kind: 'unsupported', what: "a legacy (pre-1.6) torch checkpoint; only torch.save's zip format is read" };
  }
  const at = await findSignature(source, source.sequential ? SEQUENTIAL_SIGNATURE_LIMIT : Number.POSITIVE_INFINITY);
  if (at !== undefined) return { kind: 'hdf5', at };
  return undefined;
}

/** The central directory; a zip by its first bytes that cannot be read is an error, a maybe-zip found by its end record is not one. */
async function readZip(source: ByteSource, maxEntries: number, pk: boolean): Promise<CentralDirectory | undefined> {
  try {
    return await readCentralDirectory(source, maxEntries);
  } catch (err) {
    if (!(err instanceof ZipFormatError)) throw err;
    if (pk) throw new WeightsError(`cannot read the zip: ${err.message}`);
    return undefined;
  }
}
