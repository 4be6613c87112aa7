import { isFloatDtype, type TensorInfo } from './types.js';

/** More outputs than this is a vocabulary (LLM-scale), not a set of classes. */
export const MAX_CLASSES = 10_000;

/** Names of language-model vocabulary heads and embedding tables: never classifiers, whatever their bias. */
const VOCAB_NAME = /(^|[./])(lm_head|embed_out|output_layer|word_embeddings|embed_tokens|wte|tok_embeddings)([./]|$)/i;
/** Module names that usually hold the final classification layer. */
const HEAD_SEGMENT =
  /^(classifier|classification_head|fc|head|heads|logits|cls|score|scores|out|output|predictions|prediction|final|fc_out|last_linear|top|dense_out)$/i;
/** A weight-matrix name and what its bias is called: `x.weight` → `x.bias`, Keras `x/kernel:0` → `x/bias:0`. */
const WEIGHT_NAME = /^(.*?)(weight|kernel)(:\d+)?$/;

export interface Head {
  weight: TensorInfo;
  bias: TensorInfo;
  classes: number;
  features: number;
}

export type HeadChoice =
  | { kind: 'head'; head: Head }
  /** A head was found but is too large to be a classifier (a vocabulary). */
  | { kind: 'vocabulary'; weight: TensorInfo; rows: number }
  | { kind: 'none'; reason: string };

function biasName(name: string): string | undefined {
  const m = WEIGHT_NAME.exec(name);
  return m ? `${m[1]}bias${m[3] ?? ''}` : undefined;
}

function modulePath(name: string): string[] {
  const m = WEIGHT_NAME.exec(name);
  return (m ? m[1] : name).split(/[./]/).filter(Boolean);
}

const headLike = (t: TensorInfo) => modulePath(t.name).some((seg) => HEAD_SEGMENT.test(seg));

/**
 * Picks the final classification layer among a model's tensors:
 *  1. candidates are 2-D float weights (`…weight`, `…kernel`) whose bias of
 *     the same module is 1-D with one entry per output unit, and 2 to
 *     MAX_CLASSES outputs; vocabulary names (lm_head, embeddings) and wider
 *     layers are set aside, and named in a 'vocabulary' answer when nothing
 *     else qualifies;
 *  2. only terminal layers count: a layer whose output width is some other
 *     matrix's input width feeds that matrix, so it is not the last one;
 *  3. among those, head-like module names (classifier, fc, head, …) win;
 *  4. of what is left, the last in model order.
 */
export function chooseHead(tensors: readonly TensorInfo[]): HeadChoice {
  const byName = new Map<string, TensorInfo>();
  for (const t of tensors) if (!byName.has(t.name)) byName.set(t.name, t);
  const matrices = tensors.filter((t) => t.shape.length === 2 && isFloatDtype(t.dtype) && WEIGHT_NAME.test(t.name));
  const outputs = (t: TensorInfo) => t.shape[t.outAxis];
  const inputs = (t: TensorInfo) => t.shape[1 - t.outAxis];
  const candidates: Head[] = [];
  let vocab: TensorInfo | undefined;
  for (const w of matrices) {
    if (VOCAB_NAME.test(w.name)) {
      vocab = w;
      continue;
    }
    const bias = byName.get(biasName(w.name) ?? '');
    if (bias?.shape.length !== 1 || bias.shape[0] !== outputs(w) || !isFloatDtype(bias.dtype) || outputs(w) < 2) continue;
    candidates.push({ weight: w, bias, classes: outputs(w), features: inputs(w) });
  }
  const inputWidths = new Map<number, number>();
  for (const m of matrices) inputWidths.set(inputs(m), (inputWidths.get(inputs(m)) ?? 0) + 1);
  // A square layer counts its own input: it is terminal only if nothing else takes its width.
  const terminal = candidates.filter((c) => (inputWidths.get(c.classes) ?? 0) - (c.classes === c.features ? 1 : 0) === 0);
  const sized = terminal.filter((c) => c.classes <= MAX_CLASSES);
  const preferred = sized.filter((c) => headLike(c.weight));
  const pool = preferred.length ? preferred : sized;
  if (pool.length) return { kind: 'head', head: pool[pool.length - 1] };
  const large = terminal[terminal.length - 1];
  if (large) return { kind: 'vocabulary', weight: large.weight, rows: large.classes };
  if (vocab) return { kind: 'vocabulary', weight: vocab, rows: outputs(vocab) };
  const why = candidates.length
    ? `each of the ${candidates.length} weight matrices with a bias feeds another layer`
    : 'no 2-D float weight has a matching bias';
  return { kind: 'none', reason: `no classification head among ${tensors.length} tensors: ${why}` };
}
