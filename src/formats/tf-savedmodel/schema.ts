import type { Schema } from '../../protobuf/walker.js';
import { PATH_MAX } from '../onnx/paths.js';

/** Keras layer metadata is JSON; a model's can run to megabytes. Past this it is reported rather than read. */
export const MAX_METADATA = 16 << 20;
/** Enough of a string attribute or string constant to quote it. */
const SHOWN = 512;

/**
 * The parts of TensorFlow's protos the scanner reads: saved_model.proto,
 * meta_graph.proto, graph.proto, node_def.proto, function.proto,
 * attr_value.proto, tensor.proto, saved_object_graph.proto, and Keras'
 * saved_metadata.proto (keras_metadata.pb). Every GraphDef is reached: the
 * meta graphs', the function library's bodies, and any that a string
 * attribute or string constant holds serialized (probed, then walked).
 * Tensor contents are skipped unread.
 */
export const TF_SCHEMA: Schema = {
  SavedModel: {
    1: { kind: 'int' }, // saved_model_schema_version
    2: { kind: 'message', type: 'MetaGraphDef' },
  },
  MetaGraphDef: {
    2: { kind: 'message', type: 'GraphDef' },
    6: { kind: 'message', type: 'AssetFileDef' },
    7: { kind: 'message', type: 'SavedObjectGraph' },
  },
  GraphDef: {
    1: { kind: 'message', type: 'NodeDef' },
    2: { kind: 'message', type: 'FunctionDefLibrary' },
  },
  FunctionDefLibrary: {
    1: { kind: 'message', type: 'FunctionDef' },
  },
  FunctionDef: {
    1: { kind: 'message', type: 'OpDef' }, // signature
    3: { kind: 'message', type: 'NodeDef' }, // node_def
    5: { kind: 'message', type: 'AttrEntry' }, // attr
    7: { kind: 'message', type: 'ArgAttrEntry' }, // arg_attr
  },
  ArgAttrEntry: { 2: { kind: 'message', type: 'ArgAttrs' } },
  ArgAttrs: { 1: { kind: 'message', type: 'AttrEntry' } },
  OpDef: { 1: { kind: 'string' } }, // name
  NodeDef: {
    1: { kind: 'string' }, // name
    2: { kind: 'string' }, // op
    3: { kind: 'string' }, // input
    5: { kind: 'message', type: 'AttrEntry' },
  },
  /** A map<string, AttrValue> entry. */
  AttrEntry: {
    1: { kind: 'string' }, // key
    2: { kind: 'message', type: 'AttrValue' },
  },
  AttrValue: {
    1: { kind: 'message', type: 'ListValue' },
    2: { kind: 'string', max: SHOWN, probe: 'GraphDef' }, // s
    8: { kind: 'message', type: 'TensorProto' },
    10: { kind: 'message', type: 'NameAttrList' }, // func
  },
  ListValue: {
    2: { kind: 'string', max: SHOWN, probe: 'GraphDef' }, // s
    8: { kind: 'message', type: 'TensorProto' },
    9: { kind: 'message', type: 'NameAttrList' },
  },
  NameAttrList: {
    1: { kind: 'string' }, // name
    2: { kind: 'message', type: 'AttrEntry' },
  },
  TensorProto: {
    1: { kind: 'int' }, // dtype
    8: { kind: 'string', max: PATH_MAX, probe: 'GraphDef' }, // string_val: whole paths, to judge them
    15: { kind: 'message', type: 'VariantTensorDataProto' },
  },
  VariantTensorDataProto: { 3: { kind: 'message', type: 'TensorProto' } },
  AssetFileDef: {
    1: { kind: 'message', type: 'TensorInfo' },
    2: { kind: 'string', max: PATH_MAX }, // filename
  },
  TensorInfo: { 1: { kind: 'string' } }, // name
  SavedObjectGraph: { 1: { kind: 'message', type: 'SavedObject' } },
  SavedObject: { 4: { kind: 'message', type: 'SavedUserObject' } },
  SavedUserObject: {
    1: { kind: 'string' }, // identifier
    3: { kind: 'string', max: MAX_METADATA }, // metadata (Keras layer JSON, TF <= 2.4)
  },
  /** fingerprint.pb: hashes only, walked to check its structure. */
  FingerprintDef: {},
  /** keras_metadata.pb */
  SavedMetadata: { 1: { kind: 'message', type: 'KerasSavedObject' } },
  KerasSavedObject: {
    3: { kind: 'string' }, // node_path
    4: { kind: 'string' }, // identifier
    5: { kind: 'string', max: MAX_METADATA }, // metadata
  },
};
