/**
 * Robust outlier statistics over one value per class. A median and the
 * median absolute deviation (MAD) are not dragged by the outlier they are
 * meant to expose, unlike a mean and standard deviation: with 10 classes one
 * row scaled 8× moves the standard deviation so much its own z-score stays
 * under 3, while its robust z-score is near 100.
 */

/** Iglewicz & Hoaglin's cut-off for the modified z-score: beyond it a value is a potential outlier. */
export const LOW_Z = 3.5;
/** Beyond this the class is far enough out to rank MEDIUM. */
export const MEDIUM_Z = 6;
/** 1 / Φ⁻¹(3/4): makes the MAD estimate the standard deviation of normally distributed values. */
const MAD_TO_SIGMA = 1.4826;
/**
 * The spread is taken to be at least this fraction of the median: trained
 * heads whose class norms agree to within a percent would otherwise turn a
 * 2% difference into a large z-score.
 */
export const MIN_RELATIVE_SPREAD = 0.05;

export interface RobustSummary {
  median: number;
  mad: number;
  /** The standard-deviation estimate z-scores divide by: max(1.4826·MAD, 5% of |median|). */
  scale: number;
  mean: number;
  /** (value − median) / scale for each value; all 0 when scale is 0 (every value equal to a zero median). */
  z: Float64Array;
}

export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

export function robustSummary(values: ArrayLike<number>): RobustSummary {
  const med = median(values);
  const dev = new Float64Array(values.length);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    dev[i] = Math.abs(values[i] - med);
    total += values[i];
  }
  const mad = median(dev);
  const scale = Math.max(MAD_TO_SIGMA * mad, MIN_RELATIVE_SPREAD * Math.abs(med));
  const z = new Float64Array(values.length);
  if (scale > 0) for (let i = 0; i < values.length; i++) z[i] = (values[i] - med) / scale;
  return { median: med, mad, scale, mean: values.length ? total / values.length : Number.NaN, z };
}
