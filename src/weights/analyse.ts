import type { ScanContext } from '../formats/types.js';
import type { Finding, Severity } from '../scan/findings.js';
import { chooseHead, type Head, MAX_CLASSES } from './head.js';
import { readVector, unitSums } from './read-matrix.js';
import { LOW_Z, MEDIUM_Z, robustSummary } from './stats.js';
import { ELEMENT_BYTES, type FloatDtype, type TensorTable, WeightsError } from './types.js';

export const SCANNER = 'modelscan.scanners.WeightsScan';
export const RULE = 'weights/outlier-class';
/** Largest head matrix read (its stored bytes): a 10000 × 1600 float32 matrix, far beyond real classifiers' heads. */
export const MAX_MATRIX_BYTES = 64 << 20;
/** Fewer classes than this leave nothing to compare a class with (two classes always sit symmetrically about their median). */
export const MIN_CLASSES = 3;
/** Outlier classes reported one by one; the rest are counted in a note. */
export const MAX_FINDINGS = 20;

/** Finds the table's classification head, reads it, and reports its outlier classes; returns why it did not, when it did not. */
export async function analyseTable(table: TensorTable, ctx: ScanContext): Promise<string[]> {
  const choice = chooseHead(table.tensors);
  if (choice.kind === 'none') return [`${table.container}: ${choice.reason}`];
  if (choice.kind === 'vocabulary') {
    return [
      `${table.container}: '${choice.weight.name}' has ${choice.rows} output rows, a vocabulary-sized (LLM-scale) head rather than a classifier's (at most ${MAX_CLASSES} classes): skipped`,
    ];
  }
  const { head } = choice;
  const w = head.weight;
  const what = `classification head '${w.name}' (${head.classes} classes × ${head.features} features, ${w.dtype})`;
  if (w.unreadable) return [`${what} not analysed: ${w.unreadable}`];
  if (head.classes < MIN_CLASSES) return [`${what} not analysed: with fewer than ${MIN_CLASSES} classes no class can stand out`];
  const dtype = w.dtype as FloatDtype;
  const bytes = head.classes * head.features * ELEMENT_BYTES[dtype];
  if (bytes > MAX_MATRIX_BYTES) return [`${what} not analysed: its ${bytes} bytes exceed the ${MAX_MATRIX_BYTES}-byte limit`];
  if (!w.locate) throw new WeightsError(`${what}: its data cannot be located`);
  const data = await w.locate();
  const rows = w.outAxis === 0 ? head.classes : head.features;
  const cols = w.outAxis === 0 ? head.features : head.classes;
  const sums = await unitSums(data, dtype, rows, cols, w.outAxis, ctx.checkpoint);
  if (sums.nonFinite > 0) return [`${what} not analysed: it holds ${sums.nonFinite} NaN or infinite values`];
  const norms = sums.sumSq.map(Math.sqrt);
  const summary = robustSummary(norms);
  const bias = await biasValues(head);
  const outliers = [...summary.z.keys()]
    .filter((i) => Math.abs(summary.z[i]) >= LOW_Z)
    .sort((a, b) => Math.abs(summary.z[b]) - Math.abs(summary.z[a]) || a - b);
  const shown = outliers.slice(0, MAX_FINDINGS).sort((a, b) => a - b);
  for (const i of shown) {
    const z = summary.z[i];
    const severity: Severity = Math.abs(z) >= MEDIUM_Z ? 'MEDIUM' : 'LOW';
    const ratio = norms[i] / summary.median;
    const verdict =
      z > 0
        ? 'the head pushes every input towards this class more than any other: a possible backdoor target'
        : 'the head barely responds to this class: a suppressed or dead class';
    const f: Finding = {
      severity,
      rule: RULE,
      description:
        `class ${i} of ${head.classes} in '${w.name}' stands out: its weight vector has L2 norm ${fmt(norms[i])}, ` +
        `${fmt(ratio)}× the median class norm ${fmt(summary.median)} (robust z-score ${fmt(z)}; ` +
        `${LOW_Z} flags a class, ${MEDIUM_Z} ranks MEDIUM); ${verdict}`,
      module: w.name,
      operator: `class ${i}`,
      offset: data.offset + unitOffset(head, i, dtype),
      scanner: SCANNER,
      details: {
        tensor: w.name,
        class: i,
        classes: head.classes,
        features: head.features,
        dtype,
        norm: round(norms[i]),
        zScore: round(z),
        medianNorm: round(summary.median),
        madNorm: round(summary.mad),
        meanNorm: round(summary.mean),
        rowMean: round(sums.sum[i] / head.features),
        ...(bias ? { bias: round(bias.values[i]), medianBias: round(bias.median), biasZScore: round(bias.z[i]) } : {}),
        thresholds: { low: LOW_Z, medium: MEDIUM_Z },
      },
    };
    if (data.member) f.member = data.member;
    ctx.report(f);
  }
  if (outliers.length > shown.length) {
    return [`${what}: ${outliers.length - shown.length} more outlier classes beyond the ${MAX_FINDINGS} reported`];
  }
  return [];
}

/** Byte offset, from the tensor's first element, of class `i`'s first weight. */
function unitOffset(head: Head, i: number, dtype: FloatDtype): number {
  return (head.weight.outAxis === 0 ? i * head.features : i) * ELEMENT_BYTES[dtype];
}

/** The bias and its robust z-scores, for the finding's details; a bias that cannot be read just leaves them out. */
async function biasValues(head: Head): Promise<{ values: Float64Array; median: number; z: Float64Array } | undefined> {
  const b = head.bias;
  if (b.unreadable || !b.locate) return undefined;
  try {
    const values = await readVector(await b.locate(), b.dtype as FloatDtype, head.classes);
    if (!values.every(Number.isFinite)) return undefined;
    const s = robustSummary(values);
    return { values, median: s.median, z: s.z };
  } catch (err) {
    if (err instanceof WeightsError) return undefined;
    throw err;
  }
}

/** Four significant digits for descriptions. */
function fmt(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/** Six significant digits for details: enough to compare, stable across platforms' last-bit differences. */
function round(x: number): number {
  return Number(x.toPrecision(6));
}
