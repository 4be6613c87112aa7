import { FORMATS } from '../formats/registry.js';
import type { FormatScanner, ScanContext } from '../formats/types.js';
import type { ByteSource } from '../io/byte-source.js';

/** Enough for every magic number, a tar header included. */
const HEAD = 512;

/** Scans a source with the first format whose content check and full parse accept it. */
export async function routeByContent(
  source: ByteSource,
  ctx: ScanContext,
  formats: readonly FormatScanner[] = FORMATS,
): Promise<{ format: FormatScanner; outcome: 'scanned' | 'unsupported'; head: Buffer } | { format: undefined; head: Buffer }> {
  const head = Buffer.from(await source.read(0, HEAD));
  for (const f of formats) {
    if (!f.detect(head, source.size)) continue;
    const outcome = await f.scan(source, ctx);
    if (outcome !== 'not-this-format') return { format: f, outcome, head };
  }
  return { format: undefined, head };
}
