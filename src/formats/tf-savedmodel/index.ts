import type { ByteSource } from '../../io/byte-source.js';
import { ProtoWalker } from '../../protobuf/walker.js';
import { ProtoError } from '../../protobuf/wire.js';
import type { FormatScanner, ScanContext } from '../types.js';
import { TF_SCHEMA } from './schema.js';
import { identify, type TfRoot } from './sniff.js';
import { graphProbe, TF_SCANNER, TfVisitor } from './visitor.js';

/** First bytes of the messages recognised here: the tag of a SavedModel, MetaGraphDef, GraphDef or SavedMetadata field. */
const FIRST_TAGS = new Set([0x08, 0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x32, 0x3a]);

/**
 * TensorFlow protobufs: SavedModel (saved_model.pb), Keras' SavedModel
 * metadata (keras_metadata.pb), the SavedModel's fingerprint.pb, and bare
 * MetaGraphDef (.meta) and GraphDef (frozen .pb) files. None has a magic number; each is recognised by
 * parsing its first fields (see sniff.ts), then walked whole.
 */
export const tfSavedModelFormat: FormatScanner = {
  name: 'tensorflow',
  detect: (head, size) => size >= 2 && FIRST_TAGS.has(head[0]),
  async scan(source, ctx) {
    const root = await identify(source);
    if (!root) return 'not-this-format';
    await scanTf(source, root, ctx);
    return 'scanned';
  },
};

async function scanTf(source: ByteSource, root: TfRoot, ctx: ScanContext): Promise<void> {
  const visitor = new TfVisitor((f) => ctx.report(f));
  const walker = new ProtoWalker(source, TF_SCHEMA, visitor, { tick: () => ctx.checkpoint(), probe: graphProbe, minProbe: 4 });
  try {
    await walker.walk(root);
  } catch (err) {
    if (!(err instanceof ProtoError)) throw err;
    ctx.report({
      severity: 'MEDIUM',
      rule: 'tf/malformed',
      description: `malformed ${root} protobuf: ${err.message}; TensorFlow refuses the file, and nothing after this point was scanned`,
      module: '',
      operator: '',
      offset: err.offset,
      scanner: TF_SCANNER,
    });
  } finally {
    visitor.finish();
  }
}
