import { FORMATS } from '../formats/registry.js';
import type { FormatScanner, ScanContext } from '../formats/types.js';
import type { ByteSource } from '../io/byte-source.js';

/** Enough for every magic number, a tar header included. */
const HEAD = 512;

/** Extensions of formats that hold data only: a loader picked by this name expects no code at all. */
const DATA_ONLY_EXT = /\.(safetensors|gguf|onnx|h5|hdf5|keras|npy|npz|tflite|msgpack)$/i;
/** Formats that can run code when loaded, or carry something that can. */
const CODE_CAPABLE = new Set(['pickle', 'zip', 'tar', 'compressed', '7z']);

/**
 * A file named like a data-only format but holding a pickle (or an archive)
 * is scanned for what it is; the name itself is a finding, since tools and
 * people that trust extensions will treat it as safe.
 */
function reportSpoofing(name: string, format: string, ctx: ScanContext): void {
  const ext = DATA_ONLY_EXT.exec(name.split(':').pop() ?? name)?.[1];
  if (!ext || !CODE_CAPABLE.has(format)) return;
  // numpy's own containers: .npz is a zip by definition.
  if (ext.toLowerCase() === 'npz' && format === 'zip') return;
  if (ext.toLowerCase() === 'keras' && format === 'zip') return;
  ctx.report({
    severity: 'MEDIUM',
    rule: 'format/spoofing',
    description: `named .${ext} but its content is ${format === 'pickle' ? 'a pickle' : `a ${format} archive`}: loaders chosen by extension are misled, and pickle loaders run it`,
    module: '',
    operator: '',
    offset: 0,
    scanner: 'modelscan.scanners.FormatSpoofing',
    details: { extension: ext, content: format },
  });
}

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
    if (outcome === 'scanned') reportSpoofing(source.name, f.name, ctx);
    if (outcome !== 'not-this-format') return { format: f, outcome, head };
  }
  return { format: undefined, head };
}
