import type { Schema } from '../../protobuf/walker.js';
import { PATH_MAX } from './paths.js';

/**
 * The parts of onnx.proto the scanner reads (field numbers from onnx 1.12's
 * onnx.proto, plus later additions that can hold graphs or tensors). Tensor
 * payloads (raw_data, the packed *_data lists) are skipped by offset;
 * value infos, doc strings and types are skipped unread.
 */
export const ONNX_SCHEMA: Schema = {
  ModelProto: {
    1: { kind: 'int' }, // ir_version
    7: { kind: 'message', type: 'GraphProto' },
    20: { kind: 'message', type: 'TrainingInfoProto' },
    25: { kind: 'message', type: 'FunctionProto' },
  },
  TrainingInfoProto: {
    1: { kind: 'message', type: 'GraphProto' }, // initialization
    2: { kind: 'message', type: 'GraphProto' }, // algorithm
  },
  GraphProto: {
    1: { kind: 'message', type: 'NodeProto' },
    5: { kind: 'message', type: 'TensorProto' }, // initializer
    15: { kind: 'message', type: 'SparseTensorProto' }, // sparse_initializer
  },
  NodeProto: {
    3: { kind: 'string' }, // name
    4: { kind: 'string' }, // op_type
    5: { kind: 'message', type: 'AttributeProto' },
    7: { kind: 'string' }, // domain
  },
  AttributeProto: {
    5: { kind: 'message', type: 'TensorProto' }, // t
    6: { kind: 'message', type: 'GraphProto' }, // g: If/Loop/Scan bodies
    10: { kind: 'message', type: 'TensorProto' }, // tensors
    11: { kind: 'message', type: 'GraphProto' }, // graphs
    22: { kind: 'message', type: 'SparseTensorProto' }, // sparse_tensor
    23: { kind: 'message', type: 'SparseTensorProto' }, // sparse_tensors
  },
  FunctionProto: {
    1: { kind: 'string' }, // name
    7: { kind: 'message', type: 'NodeProto' },
    10: { kind: 'string' }, // domain
    11: { kind: 'message', type: 'AttributeProto' }, // attribute_proto: default values
  },
  TensorProto: {
    1: { kind: 'int' }, // dims
    2: { kind: 'int' }, // data_type
    4: { kind: 'bytes' }, // float_data (packed)
    8: { kind: 'string' }, // name
    9: { kind: 'bytes' }, // raw_data
    10: { kind: 'bytes' }, // double_data (packed)
    13: { kind: 'message', type: 'StringStringEntryProto' }, // external_data
    14: { kind: 'int' }, // data_location
  },
  SparseTensorProto: {
    1: { kind: 'message', type: 'TensorProto' }, // values
    2: { kind: 'message', type: 'TensorProto' }, // indices
  },
  StringStringEntryProto: {
    1: { kind: 'string' }, // key
    2: { kind: 'string', max: PATH_MAX }, // value
  },
};

/** Wire type of every ModelProto field, to recognise a model from its first fields. */
export const MODEL_FIELD_WIRE: Readonly<Record<number, number>> = {
  1: 0, // ir_version
  2: 2, // producer_name
  3: 2, // producer_version
  4: 2, // domain
  5: 0, // model_version
  6: 2, // doc_string
  7: 2, // graph
  8: 2, // opset_import
  14: 2, // metadata_props
  20: 2, // training_info
  25: 2, // functions
  26: 2, // configuration
};

/** Bits per element of each TensorProto.DataType with a fixed size (STRING and UNDEFINED have none). */
export const DTYPE_BITS: Readonly<Record<number, number>> = {
  1: 32, // FLOAT
  2: 8, // UINT8
  3: 8, // INT8
  4: 16, // UINT16
  5: 16, // INT16
  6: 32, // INT32
  7: 64, // INT64
  9: 8, // BOOL
  10: 16, // FLOAT16
  11: 64, // DOUBLE
  12: 32, // UINT32
  13: 64, // UINT64
  14: 64, // COMPLEX64
  15: 128, // COMPLEX128
  16: 16, // BFLOAT16
  17: 8, // FLOAT8E4M3FN
  18: 8, // FLOAT8E4M3FNUZ
  19: 8, // FLOAT8E5M2
  20: 8, // FLOAT8E5M2FNUZ
  21: 4, // UINT4
  22: 4, // INT4
  23: 4, // FLOAT4E2M1
  24: 8, // FLOAT8E8M0
  25: 2, // UINT2
  26: 2, // INT2
};

export const DTYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'STRING',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
};
