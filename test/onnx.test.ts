/**
 * ONNX models: real files written by python3-onnx (test/fixtures/onnx, made
 * by scripts/make-onnx-fixtures.py) for every benign shape and every
 * finding class, plus hand-encoded bytes for what onnx refuses to write
 * (groups, absurd nesting) and for what must not be claimed as ONNX.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { type Issue, type ScanResult, scan } from '../src/scan/scan.js';
import { scanBytes } from './helpers/scan-bytes.js';
import { buildZip } from './helpers/zip-builder.js';

const ROOT = new URL('./fixtures/onnx/', import.meta.url).pathname;

const row = (i: Issue) => `${i.severity} ${i.rule} ${i.operator} @${i.position}`;
const rows = (r: ScanResult) => r.issues.map(row).sort();

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

const fixture = (rel: string) => readFileSync(join(ROOT, rel));
/** Offset of the first occurrence of `text` in a fixture. */
const at = (rel: string, text: string) => {
  const i = fixture(rel).indexOf(Buffer.from(text, 'latin1'));
  assert.ok(i >= 0, `${text} in ${rel}`);
  return i;
};
/** Offset of the NodeProto with these inputs, outputs, name and op_type (python-onnx writes them in that order, first). */
function nodeAt(rel: string, io: [string, string], name: string, opType: string): number {
  const field = (tag: number, text: string) => Buffer.concat([Buffer.from([tag, text.length]), Buffer.from(text)]);
  const head = Buffer.concat([field(0x0a, io[0]), field(0x12, io[1]), field(0x1a, name), field(0x22, opType)]);
  const i = fixture(rel).indexOf(head);
  assert.ok(i >= 0, `node ${name} in ${rel}`);
  return i;
}

describe('ONNX: benign models scan clean', () => {
  const benign = files(join(ROOT, 'benign')).filter((f) => f.endsWith('.onnx'));
  it('has the expected fixtures', () => {
    assert.deepEqual(
      benign.map((f) => relative(ROOT, f)),
      [
        'benign/contrib_com_microsoft.onnx',
        'benign/external_relative/model.onnx',
        'benign/external_subdir.onnx',
        'benign/float_data.onnx',
        'benign/if_subgraph.onnx',
        'benign/local_function.onnx',
        'benign/loop_body.onnx',
        'benign/mlp.onnx',
        'benign/sparse_initializer.onnx',
      ],
    );
  });
  for (const f of benign) {
    it(relative(ROOT, f), async () => {
      const r = await scan([f]);
      assert.deepEqual(rows(r), []);
      assert.deepEqual(r.errors, []);
      assert.equal(r.scanned.length, 1);
    });
  }

  it('a model with relative external data next to it: the model is clean, the data file is not a model', async () => {
    const r = await scan([join(ROOT, 'benign/external_relative')]);
    assert.deepEqual(rows(r), []);
    assert.deepEqual(r.scanned, ['model.onnx']);
  });
});

describe('ONNX: findings', () => {
  const EXPECTED: Record<string, () => string[]> = {
    'malicious/external_parent.onnx': () => [
      `HIGH onnx/external-data-path external_data @${at('malicious/external_parent.onnx', '../../etc/passwd')}`,
    ],
    'malicious/external_absolute.onnx': () => [
      `HIGH onnx/external-data-path external_data @${at('malicious/external_absolute.onnx', '/etc/shadow')}`,
    ],
    'malicious/external_windows_drive.onnx': () => [
      `HIGH onnx/external-data-path external_data @${at('malicious/external_windows_drive.onnx', 'C:\\Windows')}`,
    ],
    'malicious/external_unc.onnx': () => [
      `HIGH onnx/external-data-path external_data @${at('malicious/external_unc.onnx', '\\\\attacker')}`,
    ],
    'malicious/external_url.onnx': () => [`HIGH onnx/external-data-path external_data @${at('malicious/external_url.onnx', 'https://')}`],
    'malicious/external_in_if_branch.onnx': () => [
      `HIGH onnx/external-data-path external_data @${at('malicious/external_in_if_branch.onnx', '../secret.key')}`,
    ],
    'malicious/external_in_function.onnx': () => [
      `HIGH onnx/external-data-path external_data @${at('malicious/external_in_function.onnx', '/proc/self/environ')}`,
    ],
    'malicious/custom_domain.onnx': () => [
      `MEDIUM onnx/custom-domain Exec @${nodeAt('malicious/custom_domain.onnx', ['x', 'y'], 'run', 'Exec')}`,
    ],
    'malicious/custom_domain_in_loop.onnx': () => [
      `MEDIUM onnx/custom-domain Exec @${nodeAt('malicious/custom_domain_in_loop.onnx', ['v_in', 'v_out'], 'hidden', 'Exec')}`,
    ],
    'malicious/custom_domain_in_function.onnx': () => [
      `MEDIUM onnx/custom-domain Exec @${nodeAt('malicious/custom_domain_in_function.onnx', ['a', 'b'], 'inner', 'Exec')}`,
    ],
    'malicious/pyop_extensions.onnx': () => [
      `MEDIUM onnx/custom-domain PyOp @${nodeAt('malicious/pyop_extensions.onnx', ['x', 'y'], 'py', 'PyOp')}`,
    ],
    'malicious/aten_fallback.onnx': () => [
      `LOW onnx/custom-domain ATen @${nodeAt('malicious/aten_fallback.onnx', ['x', 'y'], 'aten', 'ATen')}`,
    ],
    'malformed/truncated.onnx': () => [`MEDIUM onnx/malformed  @${at('malformed/truncated.onnx', ':')}`],
    'malformed/huge_dims.onnx': () => [`MEDIUM onnx/tensor-size tensor @${tensorAt('malformed/huge_dims.onnx', 'fc2.weight')}`],
    'malformed/negative_dim.onnx': () => [`MEDIUM onnx/tensor-size tensor @${tensorAt('malformed/negative_dim.onnx', 'fc1.bias')}`],
  };

  it('every malicious and malformed fixture has its expectation', () => {
    const found = [...files(join(ROOT, 'malicious')), ...files(join(ROOT, 'malformed'))].map((f) => relative(ROOT, f)).sort();
    assert.deepEqual(found, Object.keys(EXPECTED).sort());
  });

  for (const [rel, expected] of Object.entries(EXPECTED)) {
    it(`${rel} gives exactly its findings`, async () => {
      const r = await scan([join(ROOT, rel)]);
      assert.deepEqual(rows(r), expected());
      assert.deepEqual(r.errors, []);
    });
  }

  it('descriptions quote the offending value', async () => {
    const r = await scan([join(ROOT, 'malicious/external_parent.onnx'), join(ROOT, 'malicious/custom_domain.onnx')]);
    const text = r.issues.map((i) => i.description).join('\n');
    assert.match(text, /tensor 'fc1.weight' loads its data from '\.\.\/\.\.\/etc\/passwd', which climbs out of the model's folder/);
    assert.match(text, /operator 'Exec' from domain 'com.evil'/);
    assert.ok(
      r.issues.every((i) => i.scanner === 'modelscan.scanners.OnnxScan'),
      'scanner name',
    );
  });

  it('a truncated model is scanned and reported, not skipped', async () => {
    const r = await scanBytes(fixture('malformed/truncated.onnx'), 'model.onnx');
    assert.equal(r.scanned.length, 1);
    assert.equal(r.issues[0].rule, 'onnx/malformed');
  });
});

/** Offset of the TensorProto whose name is `name` (after its dims and data_type). */
function tensorAt(rel: string, name: string): number {
  const bytes = fixture(rel);
  const i = bytes.indexOf(Buffer.concat([Buffer.from([0x42, name.length]), Buffer.from(name)]));
  assert.ok(i >= 0, `tensor ${name} in ${rel}`);
  for (let start = i - 1; start > 0; start--) {
    if (bytes[start - 2] === 0x2a && start + bytes[start - 1] > i) return start;
  }
  throw new Error('no tensor start');
}

// Hand-encoded protobuf, for what onnx won't write.
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}
const len = (field: number, body: Buffer) => Buffer.concat([varint(field * 8 + 2), varint(body.length), body]);
const str = (field: number, s: string) => len(field, Buffer.from(s, 'latin1'));
const int = (field: number, v: number) => Buffer.concat([varint(field * 8), varint(v)]);
const model = (graph: Buffer, extra: Buffer = Buffer.alloc(0)) =>
  Buffer.concat([int(1, 8), str(2, 'handmade'), len(7, graph), len(8, int(2, 13)), extra]);
const nodeProto = (name: string, op: string, domain = '', attrs: Buffer[] = []) =>
  Buffer.concat([str(1, 'x'), str(2, 'y'), str(3, name), str(4, op), ...attrs.map((a) => len(5, a)), ...(domain ? [str(7, domain)] : [])]);

describe('ONNX: hand-encoded edge cases', () => {
  it('If subgraphs nested past the depth limit: onnx/malformed', async () => {
    let g = len(1, nodeProto('leaf', 'Relu'));
    for (let i = 0; i < 25; i++) g = len(1, nodeProto(`if${i}`, 'If', '', [Buffer.concat([str(1, 'then_branch'), len(6, g)])]));
    const r = await scanBytes(model(g), 'deep.onnx');
    assert.deepEqual(
      r.issues.map((i) => `${i.severity} ${i.rule}`),
      ['MEDIUM onnx/malformed'],
    );
    assert.match(r.issues[0].description, /nested more than 64 deep/);
  });

  it('a protobuf group, which onnx never writes: onnx/malformed at the group tag, findings before it kept', async () => {
    const graph = Buffer.concat([len(1, nodeProto('evil', 'Exec', 'com.evil')), Buffer.from([0x0b, 0x0c])]);
    const bytes = model(graph);
    const r = await scanBytes(bytes, 'group.onnx');
    assert.deepEqual(
      rows(r),
      [
        `MEDIUM onnx/custom-domain Exec @${bytes.indexOf(nodeProto('evil', 'Exec', 'com.evil'))}`,
        `MEDIUM onnx/malformed  @${bytes.indexOf(Buffer.from([0x0b, 0x0c]))}`,
      ].sort(),
    );
  });

  it('one finding per custom (domain, op) with its node count; a local function of another domain does not excuse it', async () => {
    const fnProto = Buffer.concat([str(1, 'Exec'), len(7, nodeProto('body', 'Relu')), str(10, 'com.mine')]);
    const graph = Buffer.concat([
      len(1, nodeProto('a', 'Exec', 'com.evil')),
      len(1, nodeProto('b', 'Exec', 'com.evil')),
      len(1, nodeProto('c', 'Exec', 'com.mine')),
    ]);
    const r = await scanBytes(model(graph, len(25, fnProto)), 'count.onnx');
    assert.deepEqual(
      r.issues.map((i) => `${i.severity} ${i.rule} ${i.module}`),
      ['MEDIUM onnx/custom-domain com.evil'],
    );
    assert.deepEqual(r.issues[0].details, { domain: 'com.evil', nodes: 2 });
  });

  it('packed float_data that disagrees with dims: onnx/tensor-size', async () => {
    const tensor = Buffer.concat([int(1, 4), int(1, 4), int(2, 1), str(8, 'w'), len(4, Buffer.alloc(12))]);
    const r = await scanBytes(model(len(5, tensor)), 'floats.onnx');
    assert.deepEqual(
      r.issues.map((i) => `${i.severity} ${i.rule}`),
      ['MEDIUM onnx/tensor-size'],
    );
    assert.match(r.issues[0].description, /declares dims \[4, 4\] \(16 FLOAT elements, 64 bytes\) but holds 12 bytes of float_data/);
  });

  it('Windows spellings of a parent folder ("..\\", ".. ", "...") are traversal too', async () => {
    for (const location of ['sub\\..\\..\\x', 'a/.. /b', '.../x']) {
      const tensor = Buffer.concat([
        int(1, 1),
        int(2, 1),
        str(8, 'w'),
        len(13, Buffer.concat([str(1, 'location'), str(2, location)])),
        int(14, 1),
      ]);
      const r = await scanBytes(model(len(5, tensor)), 'w.onnx');
      assert.deepEqual(
        r.issues.map((i) => i.rule),
        ['onnx/external-data-path'],
        location,
      );
    }
  });

  it('a location longer than any path (so not read whole) is reported, not trusted', async () => {
    const location = `${'a/'.repeat(2100)}x.bin`;
    const tensor = Buffer.concat([
      int(1, 1),
      int(2, 1),
      str(8, 'w'),
      len(13, Buffer.concat([str(1, 'location'), str(2, location)])),
      int(14, 1),
    ]);
    const r = await scanBytes(model(len(5, tensor)), 'long.onnx');
    assert.deepEqual(
      r.issues.map((i) => i.rule),
      ['onnx/external-data-path'],
    );
    assert.match(r.issues[0].description, /longer than the 4096 bytes a filesystem path can be/);
  });

  it('ONNX inside a zip is reached by content', async () => {
    const r = await scanBytes(
      buildZip([{ name: 'bundle/model.onnx', data: fixture('malicious/external_parent.onnx'), method: 8 }]),
      'bundle.zip',
    );
    assert.deepEqual(
      r.issues.map((i) => `${i.rule} ${i.source}`),
      ['onnx/external-data-path bundle.zip:bundle/model.onnx'],
    );
  });

  it('is not claimed by content that only starts like a ModelProto', async () => {
    const cases: [Buffer, string][] = [
      [Buffer.from([0x08, 0x07, 0x12, 0x03, 0x61, 0x62, 0x63]), 'no_graph.onnx'], // ir_version and producer, no graph
      [Buffer.concat([int(1, 5000), len(7, Buffer.alloc(4))]), 'bad_ir.onnx'], // ir_version no onnx ever had
      [Buffer.concat([int(1, 8), len(9, Buffer.alloc(2)), len(7, Buffer.alloc(4))]), 'foreign.onnx'], // field 9 is not ModelProto's
      [Buffer.from('(dp0\nS"a"\np1\nI1\ns.', 'latin1'), 'pickle0.onnx'],
    ];
    for (const [bytes, name] of cases) {
      const r = await scanBytes(bytes, name);
      assert.ok(!r.issues.some((i) => i.rule.startsWith('onnx/')), name);
    }
  });
});
