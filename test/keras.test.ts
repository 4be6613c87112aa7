/**
 * Keras fixtures (test/fixtures/keras, written by scripts/make-keras-fixtures.py
 * with h5py and zipfile in the layouts Keras 2 and 3 write): benign files give
 * no finding, no error and no skip; every malicious and malformed file gives
 * exactly its findings, at the byte where the construct sits.
 */
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathKind } from '../src/formats/keras/config-walker.js';
import { parseJson, toUtf8 } from '../src/formats/keras/json.js';
import { BufferSource, type ByteSource } from '../src/io/byte-source.js';
import { DEFAULT_POLICY } from '../src/pickle/policy.js';
import { makeContext } from '../src/scan/context.js';
import type { Finding } from '../src/scan/findings.js';
import { DEFAULT_SCAN_LIMITS } from '../src/scan/limits.js';
import { routeByContent } from '../src/scan/route.js';
import { type ScanResult, scan } from '../src/scan/scan.js';

const DIR = join(new URL('..', import.meta.url).pathname, 'test/fixtures/keras');
const fixture = (name: string) => join(DIR, name);

const rows = (r: ScanResult): string[] =>
  r.issues.map((i) => `${i.severity} ${i.rule}${i.source.includes(':') ? ` ${i.source.slice(i.source.indexOf(':'))}` : ''}`).sort();

const BENIGN = [
  'benign_dense_attrs.h5',
  'benign_functional_wrappers.h5',
  'benign_plain_data.h5',
  'benign_sequential.h5',
  'benign_sequential.keras',
  'benign_weights_only.h5',
  'benign_wrappers_deflated.keras',
];

const EXPECTED: Record<string, string[]> = {
  // Lambda layers: MEDIUM for any marshalled code, CRITICAL when it names exec/system/subprocess/open…
  'lambda_benign_body.h5': ['MEDIUM keras/lambda'],
  'lambda_os_system.h5': ['CRITICAL keras/lambda'],
  'lambda_exec_b64.h5': ['CRITICAL keras/lambda'],
  'lambda_nested_timedistributed.h5': ['CRITICAL keras/lambda'],
  'training_config_lambda.h5': ['CRITICAL keras/lambda'],
  'lambda_dense_attrs.h5': ['CRITICAL keras/lambda'],
  'lambda_dense_huge.h5': ['CRITICAL keras/lambda'],
  'lambda_committed_type.h5': ['CRITICAL keras/lambda'],
  'user_block_lambda.h5': ['CRITICAL keras/lambda'],
  'lambda_architecture.json': ['CRITICAL keras/lambda'],
  'lambda_os_system.keras': ['CRITICAL keras/lambda :config.json'],
  'lambda_nested_wrappers.keras': ['CRITICAL keras/lambda :config.json'],
  'lambda_raw_marshal.keras': ['CRITICAL keras/lambda :config.json'],
  'lambda_duplicate_key.keras': ['CRITICAL keras/lambda :config.json'],
  'lambda_utf16_config.keras': ['CRITICAL keras/lambda :config.json'],
  // Callables resolved outside Keras, and the Keras callables that defeat safe mode.
  'tfoplambda_read_file.h5': ['HIGH keras/unsafe-callable'],
  'unsafe_module_function.keras': ['HIGH keras/unsafe-callable :config.json', 'HIGH keras/unsafe-callable :config.json'],
  'get_file_tfsmlayer.keras': [
    'HIGH keras/external-path :config.json',
    'HIGH keras/unsafe-callable :config.json',
    'HIGH keras/unsafe-callable :config.json',
  ],
  'enable_unsafe_deserialization.keras': ['HIGH keras/unsafe-callable :config.json'],
  'torch_module_wrapper.keras': ['CRITICAL pickle/unsafe-global :config.json', 'HIGH keras/unsafe-callable :config.json'],
  // Paths and URLs in layer arguments.
  'external_vocabulary_path.h5': ['HIGH keras/external-path'],
  'external_url_vocabulary.keras': ['HIGH keras/external-path :config.json'],
  // A user block holding a pickle: HDF5 skips it, pickle.load runs it.
  'user_block_pickle.h5': [
    'CRITICAL pickle/unsafe-global :<HDF5 user block>',
    'LOW keras/user-block',
    'LOW pickle/trailing-data :<HDF5 user block>',
  ],
  // Malformed: never clean.
  'malformed_config_json.h5': ['MEDIUM keras/malformed'],
  'malformed_config_int.h5': ['MEDIUM keras/malformed'],
  'malformed_truncated.h5': ['MEDIUM keras/malformed', 'MEDIUM keras/malformed'],
  'malformed_superblock.h5': ['MEDIUM keras/malformed'],
  'malformed_config.keras': ['MEDIUM keras/malformed :config.json'],
};

describe('keras fixtures', () => {
  it('every fixture has an expectation', () => {
    const files = readdirSync(DIR).filter((f) => /\.(h5|keras|json)$/.test(f) && f !== 'MANIFEST.json');
    assert.deepEqual(files.sort(), [...BENIGN, ...Object.keys(EXPECTED)].sort());
  });

  for (const name of BENIGN) {
    it(`${name} is clean, scanned, with nothing skipped`, async () => {
      const r = await scan([fixture(name)]);
      assert.deepEqual(rows(r), []);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.skipped, []);
      assert.equal(r.scanned.length, 1);
    });
  }

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name} gives exactly its findings`, async () => {
      const r = await scan([fixture(name)]);
      assert.deepEqual(rows(r), expected);
      assert.deepEqual(r.errors, []);
      assert.equal(r.scanned.length, 1);
    });
  }
});

/** Offset of the Keras 2 Lambda payload (`"function": [` → the `[`) in a file holding the config text verbatim. */
function functionArrayOffset(name: string): number {
  const bytes = readFileSync(fixture(name));
  const at = bytes.indexOf('"function": [');
  assert.ok(at > 0);
  return at + '"function": '.length;
}

describe('keras findings point at the construct', () => {
  for (const name of [
    'lambda_os_system.h5',
    'lambda_dense_attrs.h5',
    'lambda_dense_huge.h5',
    'lambda_committed_type.h5',
    'user_block_lambda.h5',
  ]) {
    it(`${name}: the Lambda finding's position is its function payload`, async () => {
      const r = await scan([fixture(name)]);
      assert.equal(r.issues.length, 1);
      assert.equal(r.issues[0].position, functionArrayOffset(name));
      assert.equal(r.issues[0].scanner, 'modelscan.scanners.H5LambdaDetectScan');
      assert.equal(r.issues[0].module, 'Keras');
      assert.equal(r.issues[0].operator, 'Lambda');
    });
  }

  it('a .keras finding is positioned within config.json', async () => {
    const bytes = readFileSync(fixture('lambda_os_system.keras'));
    const start = bytes.indexOf('{"module": "keras", "class_name": "Sequential"');
    const expected = bytes.indexOf('"function": {', start) + '"function": '.length - start;
    const r = await scan([fixture('lambda_os_system.keras')]);
    assert.equal(r.issues[0].position, expected);
    assert.equal(r.issues[0].scanner, 'modelscan.scanners.KerasLambdaDetectScan');
  });

  it('an external path finding points at the layer config holding it', async () => {
    const bytes = readFileSync(fixture('external_vocabulary_path.h5'));
    const r = await scan([fixture('external_vocabulary_path.h5')]);
    assert.equal(r.issues[0].position, bytes.indexOf('{"name": "text_vectorization"'));
    assert.match(r.issues[0].description, /'\.\.\/\.\.\/secrets\/vocab\.txt'/);
  });
});

describe('keras finding descriptions', () => {
  const only = async (name: string) => {
    const r = await scan([fixture(name)]);
    return r.issues;
  };

  it('summarise what the Lambda code references', async () => {
    const [i] = await only('lambda_os_system.h5');
    assert.match(i.description, /^model_config: Lambda layer 'lambda' runs marshalled Python code/);
    assert.match(i.description, /dangerous names __import__, system, os/);
    assert.match(i.description, /'echo modelscan-fixture'/);
    assert.deepEqual(i.details?.dangerous, ['__import__', 'system', 'os']);
    assert.equal(i.details?.marshalLayout, '3.11+');
  });

  it('decode base64 payloads the code execs', async () => {
    const [i] = await only('lambda_exec_b64.h5');
    assert.match(i.description, /decoding to 'import os\\nos\.system/);
  });

  it('name the nested layer and the JSON path', async () => {
    const [i] = await only('lambda_nested_timedistributed.h5');
    assert.match(i.description, /Lambda layer 'hidden_lambda'/);
    assert.equal(i.details?.path, '$.config.layers[1].config.layers[0].config.layer.config.function');
  });

  it('say which callable and module a config resolves', async () => {
    const issues = await only('unsafe_module_function.keras');
    assert.deepEqual(issues.map((i) => [i.module, i.operator]).sort(), [
      ['builtins', 'eval'],
      ['os', 'system'],
    ]);
  });

  it('read the function from the last of duplicate keys, as Python does', async () => {
    const [i] = await only('lambda_duplicate_key.keras');
    assert.deepEqual(i.details?.dangerous, ['__import__', 'system', 'os']);
  });

  it('decode raw (non-base64) marshal strings as func_load falls back to', async () => {
    const [i] = await only('lambda_raw_marshal.keras');
    assert.equal(i.details?.encoding, 'raw');
    assert.deepEqual(i.details?.dangerous, ['open']);
  });
});

/** Routes a source through content detection and collects what it reports. */
async function scanSource(src: ByteSource): Promise<{ findings: Finding[]; format?: string }> {
  const findings: Finding[] = [];
  const ctx = makeContext(
    { limits: DEFAULT_SCAN_LIMITS, policy: DEFAULT_POLICY, deadline: Number.POSITIVE_INFINITY, timeoutMs: 0 },
    { finding: (f) => findings.push(f), skipped: () => undefined },
  );
  const routed = await routeByContent(src, ctx);
  return { findings, format: routed.format?.name };
}

describe('keras HDF5 reader robustness', () => {
  it('every truncation of a malicious file is still flagged at MEDIUM or above, without errors', async () => {
    const full = readFileSync(fixture('lambda_os_system.h5'));
    for (let n = 8; n < full.length; n += 97) {
      const { findings, format } = await scanSource(new BufferSource('cut.h5', full.subarray(0, n)));
      assert.equal(format, 'hdf5', `cut at ${n}`);
      assert.ok(
        findings.some((f) => f.severity !== 'LOW'),
        `cut at ${n}: ${findings.map((f) => f.rule)}`,
      );
    }
  });

  it('corrupted bytes never crash the scan', async () => {
    const full = readFileSync(fixture('lambda_dense_attrs.h5'));
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 300; round++) {
      const b = Buffer.from(full);
      for (let k = 0; k < 4; k++) b[8 + (rand() % (b.length - 8))] = rand() & 0xff;
      const { format } = await scanSource(new BufferSource('fuzz.h5', b));
      assert.equal(format, 'hdf5');
    }
  });

  it('an attribute kept as a shared message is reported as not scanned, never passed over', async () => {
    const b = Buffer.from(readFileSync(fixture('benign_sequential.h5')));
    const name = b.indexOf('model_config\0');
    // Version 1 header message (type u16, size u16, flags u8, 3 reserved) then the attribute message's 8-byte prefix.
    const msg = name - 16;
    assert.equal(b.readUInt16LE(msg), 0x000c);
    b[msg + 4] |= 0x02;
    const { findings } = await scanSource(new BufferSource('shared.h5', b));
    assert.deepEqual(
      findings.map((f) => `${f.severity} ${f.rule}`),
      ['MEDIUM keras/not-scanned'],
    );
  });

  it('a multi-GiB file is scanned from its metadata alone, quickly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keras-test-'));
    const path = join(dir, 'big.h5');
    try {
      const fd = openSync(path, 'w');
      writeSync(fd, readFileSync(fixture('lambda_os_system.h5')));
      // Sparse: the weights region costs no disk space.
      ftruncateSync(fd, 8 * 2 ** 30);
      closeSync(fd);
      const t0 = performance.now();
      const r = await scan([path]);
      const ms = performance.now() - t0;
      assert.deepEqual(rows(r), ['CRITICAL keras/lambda']);
      assert.ok(ms < 1000, `took ${ms} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds HDF5 after a user block inside an archive member too, and leaves other content to other formats', async () => {
    const h5 = readFileSync(fixture('user_block_lambda.h5'));
    const a = await scanSource(new BufferSource('member', h5));
    assert.deepEqual(
      a.findings.map((f) => `${f.severity} ${f.rule}`),
      ['CRITICAL keras/lambda'],
    );
    const text = await scanSource(new BufferSource('notes.txt', Buffer.alloc(5000, 'a')));
    assert.notEqual(text.format, 'hdf5');
  });
});

describe('keras config JSON detection', () => {
  it('leaves JSON that is not a Keras config to other formats', async () => {
    const hf = Buffer.from(JSON.stringify({ architectures: ['BertModel'], model_type: 'bert', hidden_size: 768 }));
    assert.notEqual((await scanSource(new BufferSource('config.json', hf))).format, 'keras-config');
  });

  it('claims metadata.json without findings', async () => {
    const meta = Buffer.from(JSON.stringify({ keras_version: '3.6.0', date_saved: '2024-06-01@12:00:00' }));
    const r = await scanSource(new BufferSource('metadata.json', meta));
    assert.equal(r.format, 'keras-config');
    assert.deepEqual(r.findings, []);
  });

  it('reads NaN and Infinity as Python json does', async () => {
    const cfg = Buffer.from(
      '{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "d", "clipvalue": NaN, "max": Infinity, "min": -Infinity}}]}}',
    );
    const r = await scanSource(new BufferSource('config.json', cfg));
    assert.equal(r.format, 'keras-config');
    assert.deepEqual(r.findings, []);
  });

  it('treats keys like __proto__ as plain keys', async () => {
    const cfg = Buffer.from(
      '{"class_name": "Sequential", "__proto__": {"x": 1}, "config": {"layers": [{"class_name": "Lambda", "config": {"name": "l", "function": "f"}}]}}',
    );
    const r = await scanSource(new BufferSource('config.json', cfg));
    assert.deepEqual(
      r.findings.map((f) => `${f.severity} ${f.rule}`),
      ['MEDIUM keras/lambda'],
    );
  });

  it('flags a config nested deeper than Python json accepts as malformed', async () => {
    const deep = `{"class_name": "Sequential", "config": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const r = await scanSource(new BufferSource('config.json', Buffer.from(deep)));
    assert.deepEqual(
      r.findings.map((f) => `${f.severity} ${f.rule}`),
      ['MEDIUM keras/malformed'],
    );
  });
});

describe('keras config parsing helpers', () => {
  it('recognise paths and URLs, and nothing else', () => {
    const cases: [string, string, string | undefined][] = [
      ['relu', 'activation', undefined],
      ['channels_last', 'data_format', undefined],
      ['glorot_uniform', 'kernel_initializer', undefined],
      ['/etc/passwd', 'vocabulary', 'the absolute path'],
      ['/w8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'value', undefined],
      ['C:\\models\\vocab.txt', 'x', 'the Windows path'],
      ['\\\\server\\share\\v.txt', 'x', 'the Windows path'],
      ['s3://bucket/key', 'x', 'the URL'],
      ['~/.ssh/id_rsa', 'x', 'the home-relative path'],
      ['../../secret', 'x', 'the parent-relative path'],
      ['saved_model_dir', 'filepath', 'the path'],
    ];
    for (const [value, key, kind] of cases) assert.equal(pathKind(value, key), kind, `${key}=${value}`);
  });

  it('parse JSON as Python does', () => {
    assert.deepEqual(parseJson(Buffer.from(' {"a": [1, -2.5e3, true, null], "a": "last"} ')).value, { a: 'last' });
    for (const bad of ['{"a": 1.}', '{"a": "\u0001"}', '{"a": 1,}', '[1] [2]', '{"a": 01}', "{'a': 1}", '']) {
      assert.throws(() => parseJson(Buffer.from(bad)), /at byte/, bad);
    }
    const p = parseJson(Buffer.from('{"x": {"y": [1]}}'));
    const x = (p.value as Record<string, Record<string, unknown>>).x;
    assert.equal(p.offsets.get(x), 6);
    assert.equal(p.offsets.get(x.y as object), 12);
  });

  it('decode bytes the way json.loads(bytes) does', () => {
    const text = '{"k": "v"}';
    for (const enc of [
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      Buffer.from(text, 'utf16le'),
      Buffer.from(text, 'utf16le').swap16(),
    ]) {
      assert.equal(toUtf8(enc).utf8.toString(), text);
    }
  });
});
