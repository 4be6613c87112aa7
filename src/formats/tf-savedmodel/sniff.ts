import type { ByteSource } from '../../io/byte-source.js';
import { type FieldHeader, readHeaders, readValue } from '../../protobuf/headers.js';

/** The message a TensorFlow protobuf file holds at its top. */
export type TfRoot = 'SavedModel' | 'SavedMetadata' | 'MetaGraphDef' | 'GraphDef' | 'FingerprintDef';

/** TensorFlow op names (registered ops, namespaced ones like 'Addons>GELU', function names). */
const OP_NAME = /^[A-Za-z_][A-Za-z0-9_>.-]{0,255}$/;

/** Wire types of the fields these messages define; a field with another one means the bytes are something else. */
const GRAPH_WIRE: Record<number, number> = { 1: 2, 2: 2, 3: 0, 4: 2, 5: 2 };
const NODE_WIRE: Record<number, number> = { 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2 };
const META_WIRE: Record<number, number> = { 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2 };
const SAVED_MODEL_WIRE: Record<number, number> = { 1: 0, 2: 2 };
const KERAS_OBJECT_WIRE: Record<number, number> = { 1: 2, 2: 0, 3: 2, 4: 2, 5: 2, 6: 2 };
/** fingerprint.pb: five hashes and a VersionDef. */
const FINGERPRINT_WIRE: Record<number, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 2 };

/**
 * Which TensorFlow message the source holds, judged from its first fields
 * down to the op name of the first node: protobuf has no magic number, so a
 * file is claimed only when it parses that far as the message. The file
 * name (saved_model.pb, keras_metadata.pb) is a hint that lowers the bar
 * for messages that parse but hold no node early on, never a substitute.
 */
export async function identify(source: ByteSource): Promise<TfRoot | undefined> {
  const base = source.name.split(/[\\/:]/).pop() ?? '';
  const top = await readHeaders(source, 0, source.size, 16, (h) => h.field === 2);
  if (fits(top.headers, SAVED_MODEL_WIRE, false)) {
    const meta = top.headers.find((h) => h.field === 2);
    if (meta && (await metaGraph(source, meta, base === 'saved_model.pb'))) return 'SavedModel';
  }
  if (await kerasMetadata(source, base === 'keras_metadata.pb')) return 'SavedMetadata';
  const whole: FieldHeader = { field: 0, wire: 2, at: 0, start: 0, len: source.size, value: 0, truncated: false };
  if (await graph(source, whole)) return 'GraphDef';
  if (await metaGraph(source, whole, false)) return 'MetaGraphDef';
  // Nothing but numbers: recognised only under its own name, and only when every field fits.
  if (base === 'fingerprint.pb') {
    const fp = await readHeaders(source, 0, source.size, 16);
    if (
      !fp.error &&
      fp.headers.length === [...new Set(fp.headers.map((h) => h.field))].length &&
      fits(fp.headers, FINGERPRINT_WIRE, false)
    ) {
      return 'FingerprintDef';
    }
  }
  return undefined;
}

/** Every header a field this message defines with the right wire type (or, when allowed, a field number past its own). */
function fits(headers: FieldHeader[], wires: Record<number, number>, laterFields: boolean): boolean {
  if (headers.length === 0) return false;
  const highest = Math.max(...Object.keys(wires).map(Number));
  return headers.every((h) => (wires[h.field] === undefined ? laterFields && h.field > highest : wires[h.field] === h.wire));
}

async function metaGraph(source: ByteSource, m: FieldHeader, hinted: boolean): Promise<boolean> {
  const { headers } = await readHeaders(source, m.start, m.start + m.len, 16, (h) => h.field === 2);
  if (!fits(headers, META_WIRE, true)) return false;
  const g = headers.find((h) => h.field === 2);
  if (g && (await graph(source, g))) return true;
  return hinted;
}

async function graph(source: ByteSource, g: FieldHeader): Promise<boolean> {
  const { headers } = await readHeaders(source, g.start, g.start + g.len, 4, (h) => h.field === 1);
  if (!fits(headers, GRAPH_WIRE, false)) return false;
  const node = headers.find((h) => h.field === 1);
  return node !== undefined && (await nodeDef(source, node));
}

/** A NodeDef with a name and an op that reads like one. */
async function nodeDef(source: ByteSource, n: FieldHeader): Promise<boolean> {
  const { headers } = await readHeaders(source, n.start, n.start + n.len, 8, (h) => h.field === 2);
  if (!fits(headers, NODE_WIRE, true)) return false;
  const op = headers.find((h) => h.field === 2);
  if (!op || op.truncated) return false;
  return OP_NAME.test((await readValue(source, op, 256)).toString('latin1'));
}

/** keras_metadata.pb: SavedObject records whose identifier names a Keras object type. */
async function kerasMetadata(source: ByteSource, hinted: boolean): Promise<boolean> {
  const top = await readHeaders(source, 0, source.size, 4);
  if (!fits(top.headers, { 1: 2 }, false)) return false;
  const first = top.headers[0];
  const { headers } = await readHeaders(source, first.start, first.start + first.len, 8, (h) => h.field === 4);
  if (!fits(headers, KERAS_OBJECT_WIRE, true)) return false;
  const id = headers.find((h) => h.field === 4);
  if (id && !id.truncated && (await readValue(source, id, 64)).toString('latin1').startsWith('_tf_keras')) return true;
  return hinted;
}
