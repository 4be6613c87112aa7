import type { ScanContext } from '../formats/types.js';
import type { ByteSource } from '../io/byte-source.js';
import { ScanTimeout } from '../scan/context.js';
import { analyseTable } from './analyse.js';
import { detectContainer } from './detect.js';
import { kerasTensors } from './keras-tensors.js';
import { safetensorsTensors } from './safetensors-tensors.js';
import { torchTensors } from './torch-tensors.js';
import type { TensorTable } from './types.js';

export { MAX_FINDINGS, MAX_MATRIX_BYTES, MIN_CLASSES, RULE, SCANNER } from './analyse.js';
export { MAX_CLASSES } from './head.js';
export { LOW_Z, MEDIUM_Z, MIN_RELATIVE_SPREAD } from './stats.js';

/** Why a file's weights were not (fully) analysed: informational, never a finding. */
export interface WeightsNote {
  source: string;
  message: string;
}

/**
 * Analyses the classification head of a model file, if it has one: finds the
 * final linear layer (see head.ts), reads its weight matrix through the
 * source, and reports classes whose weight norm stands out from the others
 * (`weights/outlier-class`, LOW or MEDIUM). The container is recognised by
 * content: safetensors, torch zip checkpoints, Keras 2 HDF5. Never throws on
 * bad input (returns a note instead); only the context's timeout goes through.
 */
export async function scanWeights(source: ByteSource, ctx: ScanContext): Promise<WeightsNote[]> {
  const note = (message: string): WeightsNote => ({ source: source.name, message });
  try {
    const container = await detectContainer(source, ctx.limits.maxEntries);
    if (!container) return [];
    if (container.kind === 'unsupported') return [note(`weights not analysed: the file is ${container.what}`)];
    let table: TensorTable;
    if (container.kind === 'safetensors') table = await safetensorsTensors(source, ctx.checkpoint);
    else if (container.kind === 'torch-zip') table = await torchTensors(source, container.cd, container.pkl, ctx.checkpoint);
    else table = await kerasTensors(source, container.at, ctx.checkpoint);
    const notes = table.notes.map((m) => note(`${table.container}: ${m}`));
    for (const m of await analyseTable(table, ctx)) notes.push(note(m));
    return notes;
  } catch (err) {
    if (err instanceof ScanTimeout) throw err;
    // Whatever the bytes made a reader trip over (a lying offset, a short read) is a fact about the file, not a crash.
    return [note(`weights not analysed: ${err instanceof Error ? err.message : String(err)}`)];
  }
}
