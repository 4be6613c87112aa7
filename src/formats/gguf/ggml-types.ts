/**
 * ggml tensor types: (elements per block, bytes per block), from gguf-py's
 * GGML_QUANT_SIZES. Types 4, 5 and 31–33, 36–38 were removed from GGUF files.
 */
const QK_K = 256;
const SIZES: Record<number, readonly [number, number, string]> = {
  0: [1, 4, 'F32'],
  1: [1, 2, 'F16'],
  2: [32, 2 + 16, 'Q4_0'],
  3: [32, 2 + 2 + 16, 'Q4_1'],
  6: [32, 2 + 4 + 16, 'Q5_0'],
  7: [32, 2 + 2 + 4 + 16, 'Q5_1'],
  8: [32, 2 + 32, 'Q8_0'],
  9: [32, 4 + 4 + 32, 'Q8_1'],
  10: [QK_K, 2 + 2 + QK_K / 16 + QK_K / 4, 'Q2_K'],
  11: [QK_K, 2 + QK_K / 4 + QK_K / 8 + 12, 'Q3_K'],
  12: [QK_K, 2 + 2 + QK_K / 2 + 12, 'Q4_K'],
  13: [QK_K, 2 + 2 + QK_K / 2 + QK_K / 8 + 12, 'Q5_K'],
  14: [QK_K, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16, 'Q6_K'],
  15: [QK_K, 4 + QK_K + QK_K / 8, 'Q8_K'],
  16: [QK_K, 2 + QK_K / 4, 'IQ2_XXS'],
  17: [QK_K, 2 + QK_K / 4 + QK_K / 32, 'IQ2_XS'],
  18: [QK_K, 2 + QK_K / 4 + QK_K / 8, 'IQ3_XXS'],
  19: [QK_K, 2 + QK_K / 8 + QK_K / 16, 'IQ1_S'],
  20: [32, 2 + 16, 'IQ4_NL'],
  21: [QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4, 'IQ3_S'],
  22: [QK_K, 2 + QK_K / 4 + QK_K / 16, 'IQ2_S'],
  23: [QK_K, 2 + 2 + QK_K / 2 + QK_K / 64, 'IQ4_XS'],
  24: [1, 1, 'I8'],
  25: [1, 2, 'I16'],
  26: [1, 4, 'I32'],
  27: [1, 8, 'I64'],
  28: [1, 8, 'F64'],
  29: [QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32, 'IQ1_M'],
  30: [1, 2, 'BF16'],
  34: [QK_K, 2 + 4 * 13, 'TQ1_0'],
  35: [QK_K, 2 + 64, 'TQ2_0'],
  39: [32, 1 + 16, 'MXFP4'],
};

export interface GgmlType {
  blockSize: number;
  typeSize: number;
  name: string;
}

export function ggmlType(id: number): GgmlType | undefined {
  const s = SIZES[id];
  return s && { blockSize: s[0], typeSize: s[1], name: s[2] };
}
