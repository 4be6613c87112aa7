/**
 * TensorFlow SavedModel, MetaGraphDef, GraphDef and keras_metadata.pb files,
 * encoded with protobufjs from the hand-written .proto subset in
 * test/fixtures/savedmodel (TensorFlow can't be installed): one test per
 * class of dangerous op, per place ops hide (top graph, library functions,
 * GraphDefs serialized in attributes), per malformation, and benign files
 * shaped like what tf.saved_model.save and TF1 savers write staying clean.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Issue, ScanResult } from '../src/scan/scan.js';
import {
  constString,
  encodeKerasMetadata,
  encodeTf,
  fn,
  graphDef,
  metaGraph,
  node,
  nodeOffset,
  offsetOf,
  savedModel,
  tf2Model,
} from './helpers/savedmodel-proto.js';
import { scanBytes } from './helpers/scan-bytes.js';
import { buildZip } from './helpers/zip-builder.js';

const row = (i: Issue) => `${i.severity} ${i.rule} ${i.operator} @${i.position}`;
const rows = (r: ScanResult) => r.issues.map(row).sort();

async function scanPb(bytes: Buffer, name = 'saved_model.pb'): Promise<ScanResult> {
  const r = await scanBytes(bytes, name);
  assert.deepEqual(r.errors, []);
  return r;
}

/** A Lambda's code, marshalled by CPython 3.11: `lambda x: __import__('os').system('echo pwned')`. */
const EVIL_CODE =
  '4wEAAAAAAAAAAAAAAAMAAAADAAAA80YAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACgAQAAAAAAAAAAAAAAAAAAAAAAAAAAZAKmAQAAqwEAAAAAAAAAAFMAKQNO2gJvc/oKZWNobyBwd25lZCkC2gpfX2ltcG9ydF9f2gZzeXN0ZW2pAdoBeHMBAAAAIPoIPHN0cmluZz76CDxsYW1iZGE+cgkAAAAEAAAAcxwAAACAALUKuDTRMEDUMEDXMEfSMEfIDNEwVdQwVYAA8wAAAAA=';
/** `lambda x: x * 2.0 + 1.0`, same interpreter. */
const PLAIN_CODE =
  '4wEAAAAAAAAAAAAAAAIAAAADAAAA8xIAAACXAHwAZAF6BQAAZAJ6AAAAUwApA07nAAAAAAAAAEDnAAAAAAAA8D+pAKkB2gF4cwEAAAAg+gg8c3RyaW5nPvoIPGxhbWJkYT5yCAAAAAUAAABzDgAAAIAAsAGwQ7EHuCOxDYAA8wAAAAA=';

/** Keras layer metadata JSON as keras_metadata.pb holds it (legacy SavedModel json_utils encoding). */
function lambdaMetadata(code: string | undefined, name = 'lambda'): string {
  const fnValue = code === undefined ? '"my_module.scale"' : `{"class_name": "__tuple__", "items": ["${code}", null, null]}`;
  return `{"name": "${name}", "trainable": true, "class_name": "Lambda", "config": {"name": "${name}", "function": ${fnValue}, "function_type": "${code === undefined ? 'function' : 'lambda'}", "module": "__main__"}}`;
}

describe('SavedModel: benign models stay clean', () => {
  it('a TF2 SavedModel (serving function, checkpoint save/restore functions on the loader-given path)', async () => {
    const r = await scanPb(savedModel(tf2Model()));
    assert.deepEqual(rows(r), []);
    assert.equal(r.scanned.length, 1);
  });

  it("a TF1 saver graph (SaveV2 / RestoreV2 on the 'model' default filename the loader feeds over)", async () => {
    const r = await scanPb(
      savedModel({
        nodes: [
          constString('save/filename/input', 'model'),
          node('save/filename', 'PlaceholderWithDefault', ['save/filename/input']),
          constString('save/Const', 'model'),
          constString('save/SaveV2/tensor_names', 'w'),
          node('save/SaveV2', 'SaveV2', ['save/Const', 'save/SaveV2/tensor_names', 'slices', 'w']),
          node('save/RestoreV2', 'RestoreV2', ['save/filename', 'save/SaveV2/tensor_names', 'slices']),
        ],
      }),
    );
    assert.deepEqual(rows(r), []);
  });

  it('a TF1 vocabulary table whose absolute path constant is rebound by asset_file_def', async () => {
    const r = await scanPb(
      savedModel({
        nodes: [
          constString('asset_path', '/home/me/export/vocab.txt'),
          node('table', 'HashTableV2'),
          node('init', 'InitializeTableFromTextFileV2', ['table', 'asset_path']),
        ],
        assets: [{ tensor: 'asset_path:0', filename: 'vocab.txt' }],
      }),
    );
    assert.deepEqual(rows(r), []);
  });

  it('PrintV2 to stderr and DecodeProtoV2 with the built-in descriptor pool', async () => {
    const r = await scanPb(
      savedModel(
        tf2Model({
          nodes: [
            node('print', 'PrintV2', ['fmt'], { output_stream: { s: Buffer.from('stderr') } }),
            node('decode', 'DecodeProtoV2', ['bytes'], { descriptor_source: { s: Buffer.from('local://') } }),
          ],
        }),
      ),
    );
    assert.deepEqual(rows(r), []);
  });

  it('a node whose op is a library function is a function call, not an unknown op', async () => {
    const r = await scanPb(
      savedModel(tf2Model({ nodes: [node('call', 'my_helper', ['x'])], functions: [fn('my_helper', [node('n', 'Neg', ['x'])])] })),
    );
    assert.deepEqual(rows(r), []);
  });

  it('keras_metadata.pb without Lambda layers', async () => {
    const bytes = encodeKerasMetadata({
      nodes: [
        {
          node_id: 0,
          node_path: 'root',
          identifier: '_tf_keras_sequential',
          metadata: '{"class_name": "Sequential", "config": {"layers": []}}',
        },
        { node_id: 1, node_path: 'root.dense', identifier: '_tf_keras_layer', metadata: '{"class_name": "Dense", "config": {"units": 1}}' },
      ],
    });
    const r = await scanPb(bytes, 'keras_metadata.pb');
    assert.deepEqual(rows(r), []);
    assert.equal(r.scanned.length, 1);
  });
});

describe('SavedModel: dangerous ops, wherever they are', () => {
  it('ReadFile in the top graph, its constant path quoted (HIGH, at the NodeDef)', async () => {
    const bytes = savedModel(
      tf2Model({ nodes: [constString('ReadFile/filename', '/etc/passwd'), node('ReadFile', 'ReadFile', ['ReadFile/filename'])] }),
    );
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [`HIGH tf/unsafe-op ReadFile @${nodeOffset(bytes, 'ReadFile')}`]);
    assert.match(r.issues[0].description, /reads a file into a tensor: '\/etc\/passwd'/);
    assert.equal(r.issues[0].module, 'Tensorflow');
  });

  it('WriteFile inside a library function, its path traced through Identity', async () => {
    const bytes = savedModel(
      tf2Model({
        functions: [
          fn('__inference_predict_235', [
            constString('path', '/tmp/dropped.sh'),
            node('path_id', 'Identity', ['path:output:0']),
            node('WriteFile', 'WriteFile', ['path_id:output:0', 'contents']),
          ]),
        ],
      }),
    );
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [`HIGH tf/unsafe-op WriteFile @${nodeOffset(bytes, 'WriteFile')}`]);
    assert.match(r.issues[0].description, /in function '__inference_predict_235'\) writes a tensor to a file: '\/tmp\/dropped.sh'/);
  });

  it('PyFunc, PyFuncStateless and EagerPyFunc (CRITICAL), even in a function nothing calls', async () => {
    const bytes = savedModel(
      tf2Model({
        nodes: [node('pf', 'PyFunc', ['x'], { token: { s: Buffer.from('pyfunc_0') } })],
        functions: [
          fn('__inference_py_function_hook_401', [
            node('epf', 'EagerPyFunc', ['x'], { token: { s: Buffer.from('pyfunc_1') } }),
            node('pfs', 'PyFuncStateless', ['x']),
          ]),
        ],
      }),
    );
    const r = await scanPb(bytes);
    assert.deepEqual(
      rows(r),
      [
        `CRITICAL tf/unsafe-op PyFunc @${nodeOffset(bytes, 'pf')}`,
        `CRITICAL tf/unsafe-op EagerPyFunc @${nodeOffset(bytes, 'epf')}`,
        `CRITICAL tf/unsafe-op PyFuncStateless @${nodeOffset(bytes, 'pfs')}`,
      ].sort(),
    );
    assert.ok(
      r.issues.some((i) => i.description.includes("'pyfunc_1'")),
      'the token is quoted',
    );
  });

  it('file listing, memory-mapped files and dataset file readers (HIGH each)', async () => {
    const bytes = savedModel(
      tf2Model({
        nodes: [
          node('glob', 'MatchingFiles', ['pattern']),
          node('mmap', 'ImmutableConst', [], { memory_region_name: { s: Buffer.from('/etc/shadow') } }),
          node('records', 'TFRecordDatasetV2', ['files', 'compression', 'buffer']),
          node('writer', 'CreateSummaryFileWriter', ['w', 'logdir']),
        ],
      }),
    );
    const r = await scanPb(bytes);
    assert.deepEqual(
      rows(r),
      [
        `HIGH tf/unsafe-op MatchingFiles @${nodeOffset(bytes, 'glob')}`,
        `HIGH tf/unsafe-op ImmutableConst @${nodeOffset(bytes, 'mmap')}`,
        `HIGH tf/unsafe-op TFRecordDatasetV2 @${nodeOffset(bytes, 'records')}`,
        `HIGH tf/unsafe-op CreateSummaryFileWriter @${nodeOffset(bytes, 'writer')}`,
      ].sort(),
    );
  });

  it('PrintV2 to a file and DecodeProtoV2 with a descriptor file (HIGH)', async () => {
    const bytes = savedModel(
      tf2Model({
        nodes: [
          node('print', 'PrintV2', ['fmt'], { output_stream: { s: Buffer.from('file:///home/user/.bashrc') } }),
          node('decode', 'DecodeProtoV2', ['bytes'], { descriptor_source: { s: Buffer.from('/etc/passwd') } }),
        ],
      }),
    );
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [
      `HIGH tf/unsafe-op DecodeProtoV2 @${nodeOffset(bytes, 'decode')}`,
      `HIGH tf/unsafe-op PrintV2 @${nodeOffset(bytes, 'print')}`,
    ]);
    assert.ok(
      r.issues.some((i) => i.description.includes("'file:///home/user/.bashrc'")),
      'the output stream is quoted',
    );
  });

  it('SaveV2 / MergeV2Checkpoints on a constant path outside the model (HIGH); a relative one is the saver default', async () => {
    const bytes = savedModel(
      tf2Model({
        functions: [
          fn('__inference_evil_save', [
            constString('evil_prefix', '/etc/cron.d/job'),
            node('evil_save', 'SaveV2', ['evil_prefix:output:0', 'names', 'slices', 'w']),
            constString('dest', '../../outside'),
            node('evil_merge', 'MergeV2Checkpoints', ['prefixes', 'dest:output:0']),
            constString('relative', 'ckpt'),
            node('ok_save', 'SaveV2', ['relative:output:0', 'names', 'slices', 'w']),
          ]),
        ],
      }),
    );
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [
      `HIGH tf/unsafe-op MergeV2Checkpoints @${nodeOffset(bytes, 'evil_merge')}`,
      `HIGH tf/unsafe-op SaveV2 @${nodeOffset(bytes, 'evil_save')}`,
    ]);
  });

  it("constant paths are judged whole: a '..' after 3 KiB of folders is still seen", async () => {
    const deep = `${'d/'.repeat(1500)}${'../'.repeat(1501)}etc/cron.d/job`;
    const bytes = savedModel(
      tf2Model({
        functions: [
          fn('__inference_evil_save', [constString('p', deep), node('long_save', 'SaveV2', ['p:output:0', 'names', 'slices', 'w'])]),
        ],
      }),
    );
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [`HIGH tf/unsafe-op SaveV2 @${nodeOffset(bytes, 'long_save')}`]);
  });

  it('a vocabulary file path constant that no asset rebinds (HIGH)', async () => {
    const bytes = savedModel({
      nodes: [
        constString('vocab', '/etc/passwd'),
        node('table', 'HashTableV2'),
        node('init', 'InitializeTableFromTextFileV2', ['table', 'vocab']),
      ],
    });
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [`HIGH tf/unsafe-op InitializeTableFromTextFileV2 @${nodeOffset(bytes, 'init')}`]);
  });

  it('ops TensorFlow does not have: MEDIUM once per op, counting its nodes', async () => {
    const bytes = savedModel(tf2Model({ nodes: [node('c1', 'ZipSlipDecode', ['x']), node('c2', 'ZipSlipDecode', ['y'])] }));
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [`MEDIUM tf/unknown-op ZipSlipDecode @${nodeOffset(bytes, 'c1')}`]);
    assert.deepEqual(r.issues[0].details, { nodes: 2 });
  });

  it('asset_file_def filenames that leave the assets folder (HIGH)', async () => {
    const bytes = savedModel({ ...tf2Model(), assets: [{ tensor: 'asset:0', filename: '../../../etc/passwd' }] });
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [`HIGH tf/asset-path asset_file_def @${offsetOf(bytes, Buffer.from('../../../etc/passwd'))}`]);
  });
});

describe('SavedModel: GraphDefs serialized inside attributes are walked', () => {
  const inner = encodeTf('GraphDef', graphDef([constString('p', '/etc/hosts'), node('hidden_read', 'ReadFile', ['p'])]));

  it('in a string attribute', async () => {
    const bytes = savedModel(tf2Model({ nodes: [node('carrier', 'Identity', ['x'], { graph_def: { s: inner } })] }));
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [`HIGH tf/unsafe-op ReadFile @${nodeOffset(bytes, 'hidden_read')}`]);
    assert.match(r.issues[0].description, /in a GraphDef serialized inside an attribute\) reads a file into a tensor: '\/etc\/hosts'/);
  });

  it('in a string constant (a DatasetFromGraph-style input) and in a list attribute', async () => {
    const other = encodeTf('GraphDef', graphDef([node('hidden_pyfunc', 'EagerPyFunc', ['x'])]));
    const bytes = savedModel(
      tf2Model({
        nodes: [
          constString('serialized', inner),
          node('carrier', 'Identity', ['x'], { graphs: { list: { s: [Buffer.from('not a graph'), other] } } }),
        ],
      }),
    );
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [
      `CRITICAL tf/unsafe-op EagerPyFunc @${nodeOffset(bytes, 'hidden_pyfunc')}`,
      `HIGH tf/unsafe-op ReadFile @${nodeOffset(bytes, 'hidden_read')}`,
    ]);
  });

  it('nested twice (a GraphDef in an attribute of a node of a GraphDef in an attribute)', async () => {
    const twice = encodeTf('GraphDef', graphDef([node('outer_carrier', 'Identity', ['x'], { g: { s: inner } })]));
    const bytes = savedModel(tf2Model({ nodes: [node('carrier', 'Identity', ['x'], { g: { s: twice } })] }));
    const r = await scanPb(bytes);
    assert.deepEqual(rows(r), [`HIGH tf/unsafe-op ReadFile @${nodeOffset(bytes, 'hidden_read')}`]);
  });
});

describe('SavedModel: Keras Lambda layers in layer metadata', () => {
  it('keras_metadata.pb: a Lambda whose bytecode imports os and calls system (CRITICAL)', async () => {
    const metadata = lambdaMetadata(EVIL_CODE);
    const bytes = encodeKerasMetadata({
      nodes: [
        { node_id: 0, node_path: 'root', identifier: '_tf_keras_model', metadata: '{"class_name": "Functional"}' },
        { node_id: 1, node_path: 'root.lambda', identifier: '_tf_keras_layer', metadata },
      ],
    });
    const r = await scanPb(bytes, 'keras_metadata.pb');
    const at = offsetOf(bytes, Buffer.from('"class_name": "Lambda"'));
    assert.deepEqual(rows(r), [`CRITICAL keras/lambda Lambda @${at}`]);
    assert.deepEqual(r.issues[0].details?.names, ['__import__', 'os', 'system']);
    assert.equal(r.issues[0].scanner, 'modelscan.scanners.SavedModelLambdaDetectScan');
  });

  it('keras_metadata.pb: a plain arithmetic Lambda, and one naming a module function (MEDIUM each)', async () => {
    const bytes = encodeKerasMetadata({
      nodes: [
        { node_id: 1, node_path: 'root.scale', identifier: '_tf_keras_layer', metadata: lambdaMetadata(PLAIN_CODE, 'scale') },
        { node_id: 2, node_path: 'root.named', identifier: '_tf_keras_layer', metadata: lambdaMetadata(undefined, 'named') },
      ],
    });
    const r = await scanPb(bytes, 'keras_metadata.pb');
    assert.deepEqual(
      r.issues.map((i) => `${i.severity} ${i.rule}`),
      ['MEDIUM keras/lambda', 'MEDIUM keras/lambda'],
    );
  });

  it('a Lambda nested in a Functional model config, found without the file name hint', async () => {
    const metadata = `{"class_name": "Functional", "config": {"layers": [{"class_name": "InputLayer", "config": {}}, ${lambdaMetadata(EVIL_CODE, 'inner')}]}}`;
    const bytes = encodeKerasMetadata({ nodes: [{ node_id: 0, node_path: 'root', identifier: '_tf_keras_network', metadata }] });
    const r = await scanPb(bytes, 'metadata.bin');
    assert.deepEqual(
      r.issues.map((i) => `${i.severity} ${i.rule}`),
      ['CRITICAL keras/lambda'],
    );
    assert.match(r.issues[0].description, /Lambda layer 'inner'/);
  });

  it('TF <= 2.4 SavedModels: a Lambda in SavedUserObject metadata of the object graph', async () => {
    const bytes = savedModel({ ...tf2Model(), userObjects: [{ identifier: '_tf_keras_layer', metadata: lambdaMetadata(EVIL_CODE) }] });
    const r = await scanPb(bytes);
    assert.deepEqual(
      r.issues.map((i) => `${i.severity} ${i.rule}`),
      ['CRITICAL keras/lambda'],
    );
  });
});

describe('TensorFlow protobufs without the SavedModel wrapper', () => {
  it('a frozen GraphDef (.pb) holding PyFunc', async () => {
    const bytes = encodeTf(
      'GraphDef',
      graphDef([node('input', 'Placeholder'), node('bad', 'PyFunc', ['input'], { token: { s: Buffer.from('pyfunc_0') } })]),
    );
    const r = await scanPb(bytes, 'frozen_graph.pb');
    assert.deepEqual(rows(r), [`CRITICAL tf/unsafe-op PyFunc @${nodeOffset(bytes, 'bad')}`]);
  });

  it('a MetaGraphDef (.meta) holding ReadFile', async () => {
    const bytes = encodeTf('MetaGraphDef', metaGraph({ nodes: [constString('p', '/etc/passwd'), node('rf', 'ReadFile', ['p'])] }));
    const r = await scanPb(bytes, 'model.ckpt.meta');
    assert.deepEqual(rows(r), [`HIGH tf/unsafe-op ReadFile @${nodeOffset(bytes, 'rf')}`]);
  });

  it('a saved_model.pb inside a zip is reached by content', async () => {
    const pb = savedModel(tf2Model({ nodes: [constString('p', '/etc/passwd'), node('rf', 'ReadFile', ['p'])] }));
    const r = await scanBytes(buildZip([{ name: 'export/1/saved_model.pb', data: pb, method: 8 }]), 'model.zip');
    assert.deepEqual(
      r.issues.map((i) => `${i.severity} ${i.rule} ${i.source} @${i.position}`),
      [`HIGH tf/unsafe-op model.zip:export/1/saved_model.pb @${nodeOffset(pb, 'rf')}`],
    );
  });
});

describe('SavedModel: malformed files', () => {
  it('truncated: tf/malformed, and the ops of the meta graph before the cut are still reported', async () => {
    const first = { nodes: [constString('p', '/etc/passwd'), node('rf', 'ReadFile', ['p'])] };
    const whole = savedModel(first, tf2Model());
    const second = encodeTf('MetaGraphDef', metaGraph(tf2Model()));
    const cut = whole.subarray(0, whole.length - Math.floor(second.length / 2));
    const r = await scanPb(cut);
    const secondAt = whole.length - second.length;
    const tagAt = secondAt - 1 - (second.length >= 128 ? 2 : 1);
    assert.deepEqual(rows(r), [`HIGH tf/unsafe-op ReadFile @${nodeOffset(whole, 'rf')}`, `MEDIUM tf/malformed  @${tagAt}`].sort());
  });

  it('a length past the end of its enclosing message: tf/malformed, with the ops seen before it', async () => {
    const graph = encodeTf('GraphDef', graphDef([node('pf', 'PyFunc', ['x'])]));
    // A NodeDef whose name field claims 100 bytes inside a 4-byte message.
    const bad = Buffer.from([0x0a, 0x04, 0x0a, 0x64, 0x41, 0x42]);
    const graphBytes = Buffer.concat([graph, bad]);
    const meta = Buffer.concat([Buffer.from([0x12]), varint(graphBytes.length), graphBytes]);
    const bytes = Buffer.concat([Buffer.from([0x08, 0x01, 0x12]), varint(meta.length), meta]);
    const r = await scanPb(bytes);
    assert.deepEqual(
      rows(r),
      [`CRITICAL tf/unsafe-op PyFunc @${nodeOffset(bytes, 'pf')}`, `MEDIUM tf/malformed  @${bytes.length - 4}`].sort(),
    );
  });

  it('GraphDefs nested in attributes past the depth limit: tf/malformed', async () => {
    let g = encodeTf('GraphDef', graphDef([node('leaf', 'NoOp')]));
    for (let i = 0; i < 20; i++) g = encodeTf('GraphDef', graphDef([node(`n${i}`, 'Identity', ['x'], { g: { s: g } })]));
    const r = await scanPb(savedModel(tf2Model({ nodes: [node('top', 'Identity', ['x'], { g: { s: g } })] })));
    assert.deepEqual(
      r.issues.map((i) => `${i.severity} ${i.rule}`),
      ['MEDIUM tf/malformed'],
    );
    assert.match(r.issues[0].description, /nested more than 64 deep/);
  });
});

describe('TensorFlow detection: protobuf has no magic number', () => {
  // A FingerprintDef as TF 2.14 writes fingerprint.pb: five hashes and a VersionDef.
  const fingerprint = Buffer.from('3202080128b6c2978907209de5e6da0818a3f890f30c10fbceb7d20a08d495f1b90c', 'hex');

  it('fingerprint.pb is scanned (and clean) under its own name only: its content is just numbers', async () => {
    const named = await scanBytes(fingerprint, 'fingerprint.pb');
    assert.deepEqual([named.scanned.length, named.issues], [1, []]);
    assert.equal((await scanBytes(fingerprint, 'hashes.pb')).scanned.length, 0);
  });

  it('other protobufs and random bytes starting like one are not claimed', async () => {
    const random = Buffer.concat([Buffer.from([0x0a, 0x05]), Buffer.from('hello world, this is not a graph')]);
    for (const [bytes, name] of [
      [fingerprint, 'other.pb'],
      [Buffer.concat([fingerprint, fingerprint]), 'fingerprint.pb'],
      [random, 'saved_model.pb'],
      [Buffer.from([0x08, 0x01, 0x12, 0x03, 0x61, 0x62, 0x63]), 'x.pb'],
    ] as const) {
      const r = await scanBytes(bytes, name);
      assert.deepEqual(r.issues, [], name);
      assert.deepEqual(r.scanned, [], name);
    }
  });

  it('the saved_model.pb name lowers the bar only for content that parses as a SavedModel', async () => {
    const onlyInfo = encodeTf('SavedModel', { saved_model_schema_version: 1, meta_graphs: [{ meta_info_def: { tags: ['serve'] } }] });
    assert.equal((await scanBytes(onlyInfo, 'saved_model.pb')).scanned.length, 1);
    assert.equal((await scanBytes(onlyInfo, 'other.pb')).scanned.length, 0);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}
