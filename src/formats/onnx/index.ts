import type { ByteSource } from '../../io/byte-source.js';
import { readHeaders } from '../../protobuf/headers.js';
import { ProtoWalker } from '../../protobuf/walker.js';
import { ProtoError } from '../../protobuf/wire.js';
import type { FormatScanner, ScanContext } from '../types.js';
import { MODEL_FIELD_WIRE, ONNX_SCHEMA } from './schema.js';
import { ONNX_SCANNER, OnnxVisitor } from './visitor.js';

/** First bytes a ModelProto can start with: the tag of one of its fields (protobuf writes ir_version, 0x08, first). */
const FIRST_TAGS = new Set([0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72, 0xa2, 0xca, 0xd2]);

/**
 * ONNX models (a ModelProto, no magic number): recognised by their first
 * top-level fields, then walked whole with the tensor payloads skipped.
 */
export const onnxFormat: FormatScanner = {
  name: 'onnx',
  detect: (head, size) => size >= 4 && FIRST_TAGS.has(head[0]),
  async scan(source, ctx) {
    if (!(await looksLikeOnnx(source))) return 'not-this-format';
    await scanOnnx(source, ctx);
    return 'scanned';
  },
};

/**
 * A ModelProto: an ir_version that exists, a graph, and no top-level field
 * ONNX doesn't define, read from the field headers alone (the graph itself
 * may be cut short: that is a malformed model, still a model).
 */
export async function looksLikeOnnx(source: ByteSource): Promise<boolean> {
  let ir = false;
  let graph = false;
  let foreign = false;
  await readHeaders(source, 0, source.size, 64, (h) => {
    const wire = MODEL_FIELD_WIRE[h.field];
    if (wire === undefined ? h.field <= 26 : wire !== h.wire) foreign = true;
    else if (h.field === 1) {
      if (h.value >= 1 && h.value <= 100) ir = true;
      else foreign = true;
    } else if (h.field === 7) graph = h.len > 0;
    return foreign || (ir && graph);
  });
  return !foreign && ir && graph;
}

async function scanOnnx(source: ByteSource, ctx: ScanContext): Promise<void> {
  const visitor = new OnnxVisitor((f) => ctx.report(f));
  const walker = new ProtoWalker(source, ONNX_SCHEMA, visitor, { tick: () => ctx.checkpoint() });
  try {
    await walker.walk('ModelProto');
  } catch (err) {
    if (!(err instanceof ProtoError)) throw err;
    ctx.report({
      severity: 'MEDIUM',
      rule: 'onnx/malformed',
      description: `malformed ONNX protobuf: ${err.message}; onnx refuses the file, and nothing after this point was scanned`,
      module: '',
      operator: '',
      offset: err.offset,
      scanner: ONNX_SCANNER,
    });
  } finally {
    visitor.finish();
  }
}
