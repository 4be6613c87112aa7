import { DecompressSource } from '../../io/decompress-source.js';
import { type Finding, type Severity, structuralFinding } from '../../scan/findings.js';
import { RATIO_FLOOR } from '../../scan/limits.js';
import type { FormatScanner } from '../types.js';
import { sniffCompression } from './magic.js';

const finding = structuralFinding('modelscan.scanners.CompressedScan');

/**
 * A whole file wrapped in one compression codec: compressed joblib, pandas'
 * .pkl.gz/.bz2/.xz/.zst, tarballs. The decompressed stream is routed by
 * content like any archive member (so a gzip'd tar or a zlib'd pickle both
 * work), read forward on demand and never written anywhere. Loaders unpickle
 * as they decompress, so a stream that breaks half way is scanned up to the
 * break and reported.
 */
export const compressedFormat: FormatScanner = {
  name: 'compressed',
  detect: (head) => sniffCompression(head) !== undefined,
  async scan(source, ctx) {
    const wrapper = sniffCompression(await source.read(0, 64))!;
    const budget = ctx.decompressBudget;
    const m = await DecompressSource.measure(source, 0, source.size, wrapper.codec, {
      maxBytes: Math.max(0, budget.remaining),
      maxRatio: ctx.limits.maxCompressionRatio,
      ratioFloor: RATIO_FLOOR,
      checkpoint: ctx.checkpoint,
    });
    // Weak magic (zlib's two bytes, LZMA-alone's properties) that doesn't decode is some other format's business.
    if (m.error && m.size === 0 && wrapper.weakMagic) return 'not-this-format';
    const at = (severity: Severity, rule: string, description: string): Finding =>
      finding(severity, rule, description, 0, {
        details: { codec: wrapper.codec, decompressedBytes: m.size, compressedBytes: source.size },
      });
    if (m.stopped === 'size')
      ctx.report(
        at(
          'MEDIUM',
          'compressed/too-large',
          `${wrapper.name} data decompresses to more than the ${budget.remaining}-byte cap; only the first ${m.size} bytes were scanned`,
        ),
      );
    else if (m.stopped === 'ratio')
      ctx.report(
        at(
          'MEDIUM',
          'compressed/bomb',
          `${wrapper.name} data expands more than ${ctx.limits.maxCompressionRatio}:1 (a decompression bomb); only the first ${m.size} bytes were scanned`,
        ),
      );
    if (m.error)
      ctx.report(
        at(
          m.size === 0 ? 'MEDIUM' : 'LOW',
          'compressed/corrupt',
          `${m.error} after ${m.size} decompressed bytes; ${m.size === 0 ? 'nothing could be scanned' : 'what came before was scanned, as loaders read that much before failing'}`,
        ),
      );
    if (m.size === 0) return 'scanned';
    const inner = new DecompressSource(`${source.name}:<${wrapper.name}>`, source, 0, source.size, m.size, wrapper.codec, budget);
    try {
      await ctx.scanMember(inner, `<${wrapper.name} data>`);
    } finally {
      await inner.close();
    }
    return 'scanned';
  },
};
