/**
 * Encodes TensorFlow SavedModel, MetaGraphDef, GraphDef and keras_metadata.pb
 * test files with protobufjs from the hand-written .proto subsets in
 * test/fixtures/savedmodel/ (TensorFlow itself can't be installed here).
 * Field names are the .proto's own (snake_case); bytes fields take Buffers.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

const DIR = new URL('../fixtures/savedmodel/', import.meta.url);

function load(file: string): protobuf.Root {
  return protobuf.parse(readFileSync(new URL(file, DIR), 'utf8'), { keepCase: true }).root;
}

const TF = load('tensorflow-subset.proto');
const KERAS = load('keras-metadata-subset.proto');

/** Serializes `value` as the TensorFlow message `type` (e.g. 'SavedModel', 'NodeDef'). */
export function encodeTf(type: string, value: object): Buffer {
  const t = TF.lookupType(`tensorflow.${type}`);
  const err = t.verify(value);
  if (err) throw new Error(`${type}: ${err}`);
  return Buffer.from(t.encode(t.fromObject(value)).finish());
}

/** Serializes a keras_metadata.pb SavedMetadata. */
export function encodeKerasMetadata(value: object): Buffer {
  const t = KERAS.lookupType('third_party.py.keras.protobuf.SavedMetadata');
  const err = t.verify(value);
  if (err) throw new Error(`SavedMetadata: ${err}`);
  return Buffer.from(t.encode(t.fromObject(value)).finish());
}

const DT_STRING = 7;
const DT_FLOAT = 1;

export type Attr = Record<string, unknown>;

export interface NodeSpec {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, Attr>;
}

export const node = (name: string, op: string, input: string[] = [], attr: Record<string, Attr> = {}): NodeSpec => ({
  name,
  op,
  input,
  attr,
});

/** A string scalar constant, as tf.constant('...') writes it. */
export const constString = (name: string, value: string | Buffer): NodeSpec =>
  node(name, 'Const', [], {
    dtype: { type: DT_STRING },
    value: { tensor: { dtype: DT_STRING, tensor_shape: {}, string_val: [Buffer.from(value)] } },
  });

export const constFloat = (name: string): NodeSpec =>
  node(name, 'Const', [], {
    dtype: { type: DT_FLOAT },
    value: { tensor: { dtype: DT_FLOAT, tensor_shape: {}, float_val: [0.5] } },
  });

export interface FunctionSpec {
  name: string;
  inputs?: string[];
  nodes: NodeSpec[];
}

export const fn = (name: string, nodes: NodeSpec[], inputs: string[] = []): FunctionSpec => ({ name, nodes, inputs });

export function graphDef(nodes: NodeSpec[], functions: FunctionSpec[] = []): object {
  return {
    node: nodes,
    versions: { producer: 1645, min_consumer: 12 },
    ...(functions.length > 0
      ? {
          library: {
            function: functions.map((f) => ({
              signature: { name: f.name, input_arg: (f.inputs ?? []).map((n) => ({ name: n, type: DT_STRING })) },
              node_def: f.nodes,
            })),
          },
        }
      : {}),
  };
}

export interface MetaSpec {
  nodes: NodeSpec[];
  functions?: FunctionSpec[];
  assets?: { tensor: string; filename: string }[];
  userObjects?: { identifier: string; metadata: string }[];
}

export function metaGraph(m: MetaSpec): object {
  return {
    meta_info_def: { tags: ['serve'], tensorflow_version: '2.14.0' },
    graph_def: graphDef(m.nodes, m.functions),
    signature_def: {
      serving_default: {
        inputs: { x: { name: 'serving_default_x:0', dtype: DT_FLOAT } },
        outputs: { y: { name: 'StatefulPartitionedCall:0', dtype: DT_FLOAT } },
        method_name: 'tensorflow/serving/predict',
      },
    },
    ...(m.assets
      ? { asset_file_def: m.assets.map((a) => ({ tensor_info: { name: a.tensor, dtype: DT_STRING }, filename: a.filename })) }
      : {}),
    ...(m.userObjects ? { object_graph_def: { nodes: m.userObjects.map((u) => ({ user_object: u })) } } : {}),
  };
}

export function savedModel(...metas: MetaSpec[]): Buffer {
  return encodeTf('SavedModel', { saved_model_schema_version: 1, meta_graphs: metas.map(metaGraph) });
}

/**
 * What tf.saved_model.save writes for a small Keras-free module, cut down:
 * a variable, the serving function called through StatefulPartitionedCall,
 * and the checkpoint save/restore functions, whose SaveV2 / RestoreV2 /
 * MergeV2Checkpoints take the path the loader passes in.
 */
export function tf2Model(extra: { nodes?: NodeSpec[]; functions?: FunctionSpec[] } = {}): MetaSpec {
  const f = (name: string) => ({ func: { name } });
  return {
    nodes: [
      node('saver_filename', 'Placeholder', [], { dtype: { type: DT_STRING } }),
      node('w', 'VarHandleOp', [], { dtype: { type: DT_FLOAT }, shared_name: { s: Buffer.from('w') } }),
      node('serving_default_x', 'Placeholder', [], { dtype: { type: DT_FLOAT } }),
      node('StatefulPartitionedCall', 'StatefulPartitionedCall', ['serving_default_x', 'w'], { f: f('__inference_signature_wrapper_42') }),
      node('StatefulPartitionedCall_1', 'StatefulPartitionedCall', ['saver_filename', 'w'], { f: f('__inference__traced_save_77') }),
      node('StatefulPartitionedCall_2', 'StatefulPartitionedCall', ['saver_filename', 'w'], { f: f('__inference__traced_restore_88') }),
      ...(extra.nodes ?? []),
    ],
    functions: [
      fn(
        '__inference_signature_wrapper_42',
        [
          node('ReadVariableOp', 'ReadVariableOp', ['readvariableop_resource']),
          node('mul', 'Mul', ['x', 'ReadVariableOp:value:0']),
          node('add/y', 'Const'),
          node('add', 'AddV2', ['mul:z:0', 'add/y:output:0']),
          node('Identity', 'Identity', ['add:z:0']),
        ],
        ['x', 'readvariableop_resource'],
      ),
      fn(
        '__inference__traced_save_77',
        [
          node('StaticRegexFullMatch', 'StaticRegexFullMatch', ['file_prefix'], { pattern: { s: Buffer.from('^s3://.*') } }),
          constString('Const', '.part'),
          constString('Const_1', '_temp/part'),
          node('Select', 'Select', ['StaticRegexFullMatch:output:0', 'Const:output:0', 'Const_1:output:0']),
          node('StringJoin', 'StringJoin', ['file_prefix', 'Select:output:0']),
          node('ShardedFilename', 'ShardedFilename', ['StringJoin:output:0', 'num_shards', 'shard']),
          constString('SaveV2/tensor_names', 'w/.ATTRIBUTES/VARIABLE_VALUE'),
          node('SaveV2', 'SaveV2', ['ShardedFilename:filename:0', 'SaveV2/tensor_names:output:0', 'slices', 'w']),
          node('MergeV2Checkpoints', 'MergeV2Checkpoints', ['checkpoint_prefixes', 'file_prefix']),
          node('Identity', 'Identity', ['file_prefix']),
          node('NoOp', 'NoOp'),
        ],
        ['file_prefix', 'w'],
      ),
      fn(
        '__inference__traced_restore_88',
        [
          constString('RestoreV2/tensor_names', 'w/.ATTRIBUTES/VARIABLE_VALUE'),
          node('RestoreV2', 'RestoreV2', ['file_prefix', 'RestoreV2/tensor_names:output:0', 'shape_and_slices']),
          node('AssignVariableOp', 'AssignVariableOp', ['w', 'RestoreV2:tensors:0']),
          node('DisableCopyOnRead', 'DisableCopyOnRead', ['w']),
        ],
        ['file_prefix', 'w'],
      ),
      ...(extra.functions ?? []),
    ],
  };
}

/** Where `part` first occurs in `file` (it must occur). */
export function offsetOf(file: Buffer, part: Buffer): number {
  const at = file.indexOf(part);
  if (at < 0) throw new Error('part not found in file');
  return at;
}

/** The byte offset of the NodeDef named `name` within `file` (its first field, the name). */
export function nodeOffset(file: Buffer, name: string): number {
  // NodeDef starts with field 1 (name): 0x0a, length, bytes.
  const head = Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name)]);
  return offsetOf(file, head);
}
