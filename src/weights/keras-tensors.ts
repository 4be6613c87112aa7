import type { H5File } from '../formats/keras/hdf5/io.js';
import type { H5Message } from '../formats/keras/hdf5/object-header.js';
import { readSuperblock } from '../formats/keras/hdf5/superblock.js';
import type { ByteSource } from '../io/byte-source.js';
import { datasetInfo, groupLinks, objectMessages, textAttribute } from './h5-objects.js';
import { type TensorInfo, type TensorTable, WeightsError } from './types.js';

const MAX_LAYERS = 100_000;
const MAX_WEIGHTS_PER_LAYER = 10_000;
const MAX_TENSORS = 1 << 20;
const MAX_PATH_SEGMENTS = 32;
/** Parts of a split `layer_names` looked for: 256 × 64 KiB of names is far beyond any model. */
const MAX_NAME_CHUNKS = 256;

/**
 * The weights of a Keras 2 HDF5 file (`model.save` keeps them under
 * `model_weights/`, `save_weights` at the root): the group's `layer_names`
 * attribute gives the layers in model order, each layer's `weight_names`
 * the datasets under it. Dense kernels are [in, out], so their output
 * units are columns.
 */
export async function kerasTensors(source: ByteSource, at: number, checkpoint: () => void): Promise<TensorTable> {
  const sb = await readSuperblock(source, at);
  const file = sb.file;
  let groupAddr = sb.rootHeader;
  let group = await objectMessages(file, groupAddr, checkpoint);
  let layers = await layerNames(file, group, checkpoint);
  if (!layers) {
    const weights = (await groupLinks(file, group, checkpoint)).get('model_weights');
    if (weights === undefined) throw new WeightsError('an HDF5 file without Keras layer_names (at its root or in model_weights)');
    groupAddr = weights;
    group = await objectMessages(file, groupAddr, checkpoint);
    layers = await layerNames(file, group, checkpoint);
    if (!layers) throw new WeightsError('its model_weights group has no layer_names attribute');
  }
  const links = await groupLinks(file, group, checkpoint);
  const tensors: TensorInfo[] = [];
  const notes: string[] = [];
  if (layers.length > MAX_LAYERS) notes.push(`only the first ${MAX_LAYERS} of ${layers.length} layers were considered`);
  for (const layer of layers.slice(0, MAX_LAYERS)) {
    checkpoint();
    const layerAddr = links.get(layer);
    if (layerAddr === undefined) continue;
    const layerMsgs = await objectMessages(file, layerAddr, checkpoint);
    const weightNames = (await textAttribute(file, layerMsgs, 'weight_names', checkpoint)) ?? [];
    for (const name of weightNames.slice(0, MAX_WEIGHTS_PER_LAYER)) {
      if (tensors.length >= MAX_TENSORS) break;
      const addr = await resolve(file, layerMsgs, name, checkpoint);
      if (addr === undefined) continue;
      const ds = datasetInfo(file, await objectMessages(file, addr, checkpoint));
      if (!ds) continue;
      const t: TensorInfo = { name, dtype: ds.dtype, shape: ds.shape, outAxis: /kernel(:\d+)?$/.test(name) ? 1 : 0 };
      if (ds.unreadable) t.unreadable = ds.unreadable;
      const data = ds.data;
      if (data) t.locate = async () => data;
      tensors.push(t);
    }
  }
  return { container: 'Keras HDF5 file', tensors, notes };
}

/** Keras splits attributes over 64 KiB into `layer_names0`, `layer_names1`, …; read either form. */
async function layerNames(file: H5File, msgs: readonly H5Message[], checkpoint: () => void): Promise<string[] | undefined> {
  const whole = await textAttribute(file, msgs, 'layer_names', checkpoint);
  if (whole) return whole;
  const out: string[] = [];
  for (let i = 0; i < MAX_NAME_CHUNKS; i++) {
    const part = await textAttribute(file, msgs, `layer_names${i}`, checkpoint);
    if (!part) break;
    out.push(...part);
  }
  return out.length ? out : undefined;
}

/** Follows a slash-separated path of hard links from a group; undefined when a step is missing. */
async function resolve(file: H5File, from: readonly H5Message[], path: string, checkpoint: () => void): Promise<number | undefined> {
  const segments = path.split('/').filter(Boolean);
  if (segments.length === 0 || segments.length > MAX_PATH_SEGMENTS) return undefined;
  let msgs = from;
  let addr: number | undefined;
  for (let i = 0; i < segments.length; i++) {
    addr = (await groupLinks(file, msgs, checkpoint)).get(segments[i]);
    if (addr === undefined) return undefined;
    if (i < segments.length - 1) msgs = await objectMessages(file, addr, checkpoint);
  }
  return addr;
}
