/**
 * safetensors headers and sharded-checkpoint indexes, on the fixtures of
 * scripts/make-safetensors-fixtures.py: benign files (the crate's own layout,
 * every dtype) give nothing at all; each broken rule gives exactly its
 * finding, at the byte where the construct is; the tensor bytes are never read.
 */
import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dtypeBits, tensorBytes } from '../src/formats/safetensors/dtypes.js';
import { looksLikeSafetensors, safetensorsFormat } from '../src/formats/safetensors/index.js';
import { shardNameProblem } from '../src/formats/safetensors/index-json.js';
import { JsonReader, JsonSyntaxError, parseU64 } from '../src/formats/safetensors/json.js';
import { judgeMetadata } from '../src/formats/safetensors/metadata.js';
import { type ByteSource, FileSource } from '../src/io/byte-source.js';
import { DEFAULT_POLICY } from '../src/pickle/policy.js';
import { makeContext } from '../src/scan/context.js';
import type { Finding } from '../src/scan/findings.js';
import { DEFAULT_SCAN_LIMITS } from '../src/scan/limits.js';
import { type ScanResult, scan } from '../src/scan/scan.js';
import { scanBytes } from './helpers/scan-bytes.js';

const FIXTURES = new URL('fixtures/safetensors/', import.meta.url).pathname;

/** `SEVERITY rule @position` per issue, with `:member` when the issue is inside the file. */
const rows = (r: ScanResult): string[] =>
  r.issues
    .map((i) => `${i.severity} ${i.rule} @${i.position}${i.source.includes(':') ? ` ${i.source.slice(i.source.indexOf(':'))}` : ''}`)
    .sort();

async function scanFixture(rel: string): Promise<ScanResult> {
  return scan([join(FIXTURES, rel)]);
}

function u64le(n: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** A file from a literal header and buffer, as the fixture script builds them. */
function file(header: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.from(header);
  return Buffer.concat([u64le(h.length), h, body]);
}

describe('benign safetensors files', () => {
  const names = [
    'all_dtypes.safetensors',
    'lora_metadata.safetensors',
    'no_tensors.safetensors',
    'tiny_model.safetensors',
    'unicode_names.safetensors',
    'whitespace.safetensors',
  ];
  it('the list covers every benign fixture', async () => {
    const found = (await readdir(join(FIXTURES, 'benign'))).filter((n) => n.endsWith('.safetensors')).sort();
    assert.deepEqual(found, names);
  });
  for (const name of names) {
    it(`${name} gives no finding and is scanned`, async () => {
      const r = await scanFixture(`benign/${name}`);
      assert.deepEqual(rows(r), []);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.skipped, []);
      assert.equal(r.scanned.length, 1);
    });
  }
  it('a sharded checkpoint folder (index json + shards) gives no finding', async () => {
    const r = await scanFixture('benign/sharded');
    assert.deepEqual(rows(r), []);
    assert.deepEqual(r.skipped, []);
    assert.equal(r.scanned.length, 3);
  });
});

/** Expected findings of each malformed fixture: loaders refuse every one of these files. */
const MALFORMED: Record<string, string[]> = {
  'control_char.safetensors': ['MEDIUM safetensors/malformed @11'],
  'dtype_not_string.safetensors': ['MEDIUM safetensors/malformed @14'],
  // The last-wins reading of the repeated field leaves [0, 4) to no tensor.
  'duplicate_field.safetensors': ['MEDIUM safetensors/malformed @60', 'MEDIUM safetensors/malformed @9'],
  'duplicate_metadata.safetensors': ['MEDIUM safetensors/malformed @94'],
  'duplicate_tensor.safetensors': ['MEDIUM safetensors/malformed @63'],
  'hole.safetensors': ['MEDIUM safetensors/malformed @62'],
  'invalid_dtype.safetensors': ['MEDIUM safetensors/malformed @14'],
  'length_past_end.safetensors': ['MEDIUM safetensors/malformed @0'],
  'length_u64_max.safetensors': ['MEDIUM safetensors/malformed @0'],
  'lone_surrogate.safetensors': ['MEDIUM safetensors/malformed @10'],
  'metadata_not_map.safetensors': ['MEDIUM safetensors/malformed @9'],
  'metadata_not_string.safetensors': ['MEDIUM safetensors/malformed @39'],
  'misaligned_f4.safetensors': ['MEDIUM safetensors/malformed @9'],
  'missing_shape.safetensors': ['MEDIUM safetensors/malformed @9'],
  'not_json.safetensors': ['MEDIUM safetensors/malformed @28'],
  'not_utf8.safetensors': ['MEDIUM safetensors/malformed @11'],
  'offset_over_u64.safetensors': ['MEDIUM safetensors/malformed @39'],
  'offsets_three.safetensors': ['MEDIUM safetensors/malformed @39'],
  'out_of_range.safetensors': ['MEDIUM safetensors/malformed @9'],
  'overlap.safetensors': ['MEDIUM safetensors/malformed @63'],
  // A pickle whose first bytes pass for a header: broken as safetensors, and still read as the pickle it is.
  'pickle_polyglot.safetensors': ['CRITICAL pickle/unsafe-global @1956', 'MEDIUM format/spoofing @0', 'MEDIUM safetensors/malformed @9'],
  'reversed.safetensors': ['MEDIUM safetensors/malformed @9'],
  'shape_float.safetensors': ['MEDIUM safetensors/malformed @27'],
  'shape_negative.safetensors': ['MEDIUM safetensors/malformed @27'],
  'shape_overflow.safetensors': ['MEDIUM safetensors/malformed @9'],
  'size_mismatch.safetensors': ['MEDIUM safetensors/malformed @9'],
  'tensor_not_object.safetensors': ['MEDIUM safetensors/malformed @9'],
  'text_header.safetensors': ['MEDIUM safetensors/malformed @8'],
  'too_deep.safetensors': ['MEDIUM safetensors/malformed @190'],
  'trailing_garbage.safetensors': ['MEDIUM safetensors/malformed @63'],
  'truncated.safetensors': ['MEDIUM safetensors/malformed @9'],
};

/** Fixtures whose header never parses as JSON (or whose length cannot be right). */
const UNPARSED = new Set([
  'control_char.safetensors',
  'length_past_end.safetensors',
  'length_u64_max.safetensors',
  'lone_surrogate.safetensors',
  'not_json.safetensors',
  'not_utf8.safetensors',
  'pickle_polyglot.safetensors',
  'text_header.safetensors',
  'too_deep.safetensors',
  'trailing_garbage.safetensors',
]);

describe('malformed safetensors files', () => {
  it('every malformed fixture has its expectation', async () => {
    assert.deepEqual((await readdir(join(FIXTURES, 'malformed'))).sort(), Object.keys(MALFORMED).sort());
  });
  for (const [name, expected] of Object.entries(MALFORMED)) {
    it(`${name} gives exactly its findings`, async () => {
      const r = await scanFixture(`malformed/${name}`);
      assert.deepEqual(rows(r), expected);
      assert.deepEqual(r.errors, []);
      // A header that does not parse leaves the bytes to the other formats: none claims these.
      assert.equal(r.scanned.length, UNPARSED.has(name) && name !== 'pickle_polyglot.safetensors' ? 0 : 1);
    });
  }

  it('descriptions name the construct and quote the value', async () => {
    const text = async (name: string) => (await scanFixture(`malformed/${name}`)).issues.map((i) => i.description).join('\n');
    assert.match(await text('invalid_dtype.safetensors'), /tensor "w" has unknown dtype "PICKLE"/);
    assert.match(
      await text('length_u64_max.safetensors'),
      /header length field says 18446744073709551615 bytes but only 8 bytes follow it/,
    );
    assert.match(await text('overlap.safetensors'), /tensor "b" data \[8, 24\) overlaps tensor "a" \[0, 16\)/);
    assert.match(await text('hole.safetensors'), /bytes \[8, 40\) of the data buffer belong to no tensor/);
    assert.match(await text('size_mismatch.safetensors'), /\(F32, shape \[4, 4\]\) needs 64 bytes but data_offsets \[0, 32\] span 32/);
    assert.match(await text('truncated.safetensors'), /run 56 bytes past the end of the file \(its data buffer holds 200 bytes\)/);
    assert.match(await text('shape_overflow.safetensors'), /overflows 64 bits/);
    assert.match(await text('misaligned_f4.safetensors'), /4-bit elements do not fill whole bytes/);
    assert.match(await text('duplicate_tensor.safetensors'), /tensor name "w" appears more than once/);
    assert.match(await text('not_utf8.safetensors'), /invalid UTF-8 at byte 11 \(byte 0xff\)/);
  });

  it('a header length over the loader cap is malformed even when the file is that large', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modelscan-st-'));
    try {
      const path = join(dir, 'huge.safetensors');
      const fh = await open(path, 'w');
      await fh.write(Buffer.concat([u64le(100_000_001), Buffer.from('{"w":')]), 0);
      await fh.truncate(100_000_100); // sparse: no disk used for the rest
      await fh.close();
      const r = await scan([path]);
      assert.deepEqual(rows(r), ['MEDIUM safetensors/malformed @0']);
      assert.match(r.issues[0].description, /over the 100000000-byte cap/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('one finding per problem, capped: a header of many bad tensors ends with a count', async () => {
    const entries = Array.from({ length: 100 }, (_, i) => `"t${i}":{"dtype":"BAD","shape":[1],"data_offsets":[${i},${i + 1}]}`);
    const r = await scanBytes(file(`{${entries.join(',')}}`, Buffer.alloc(100)), 'many.safetensors');
    assert.equal(r.issues.length, 33);
    assert.match(r.issues[32].description, /^68 more header problems not listed/);
  });
});

describe('metadata, trailing data and odd files', () => {
  it('code, shell, markup, escaped bytes and fetch URLs in __metadata__ are LOW notes, one per key', async () => {
    const r = await scanFixture('odd/metadata_code.safetensors');
    assert.deepEqual(rows(r), [
      'LOW safetensors/metadata @145',
      'LOW safetensors/metadata @198',
      'LOW safetensors/metadata @233',
      'LOW safetensors/metadata @39',
      'LOW safetensors/metadata @95',
    ]);
    const text = r.issues.map((i) => i.description).join('\n');
    assert.match(text, /"init" holds Python code: "import os; os.system\('echo modelscan-fixture'\)"/);
    assert.match(text, /"hook" holds shell command, URL/);
    assert.match(text, /"card" holds HTML\/JavaScript/);
    assert.match(text, /"blob" holds escaped byte string/);
    assert.match(text, /"callback_url" holds URL/);
  });

  it('a repeated __metadata__ key is a LOW note (loaders keep the last)', async () => {
    assert.deepEqual(rows(await scanFixture('odd/metadata_duplicate_key.safetensors')), ['LOW safetensors/metadata @39']);
  });

  it('a metadata value over 1 MiB is a LOW note', async () => {
    const header = JSON.stringify({
      __metadata__: { blob: 'a'.repeat((1 << 20) + 1) },
      w: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
    });
    const r = await scanBytes(file(header, Buffer.alloc(1)), 'big-meta.safetensors');
    assert.deepEqual(rows(r), ['LOW safetensors/metadata @25']);
    assert.match(r.issues[0].description, /1048577 characters of text/);
  });

  it('ordinary metadata (hub, kohya, modelspec with a license link) gives nothing', () => {
    const notes = judgeMetadata([
      { key: 'format', value: 'pt', offset: 0 },
      { key: 'modelspec.license', value: 'https://creativecommons.org/licenses/by/4.0/', offset: 0 },
      { key: 'ss_tag_frequency', value: '{"img": {"1girl": 3, "import": 1}}', offset: 0 },
      { key: 'description', value: 'Import this LoRA into your UI; evaluate it with care', offset: 0 },
      { key: 'total_parameters', value: '1234', offset: 0 },
    ]);
    assert.deepEqual(notes, []);
  });

  it('bytes after the last tensor are malformed and scanned on their own: a pickle there is found', async () => {
    assert.deepEqual(rows(await scanFixture('odd/trailing_pickle.safetensors')), [
      'CRITICAL pickle/unsafe-global @2 :<bytes after the tensor data>',
      'MEDIUM safetensors/malformed @112',
    ]);
  });
});

describe('sharded-checkpoint index json', () => {
  it('shard names with .., absolute paths, drive letters or URLs are HIGH, each at its value', async () => {
    const r = await scanFixture('odd/index_escaping/model.safetensors.index.json');
    assert.deepEqual(rows(r), [
      'HIGH safetensors/index-path @116',
      'HIGH safetensors/index-path @154',
      'HIGH safetensors/index-path @178',
      'HIGH safetensors/index-path @232',
      'HIGH safetensors/index-path @274',
    ]);
    assert.match(r.issues[0].description, /"\.\.\/\.\.\/outside\.safetensors" climbs out of the model folder/);
  });

  it('a shard missing next to the index is LOW when the source name is the index path', async () => {
    const path = join(FIXTURES, 'odd/index_escaping/model.safetensors.index.json');
    const findings = await scanDirect(path);
    const missing = findings.filter((f) => f.rule === 'safetensors/index-missing-shard');
    assert.deepEqual(
      missing.map((f) => [f.severity, f.offset, f.details?.shard]),
      [['LOW', 317, 'model-00002-of-00002.safetensors']],
    );
    assert.equal(findings.filter((f) => f.rule === 'safetensors/index-path').length, 5);
  });

  it('the benign index names only shards that exist', async () => {
    assert.deepEqual(await scanDirect(join(FIXTURES, 'benign/sharded/model.safetensors.index.json')), []);
  });

  it('an index that is not valid JSON is a LOW note', async () => {
    assert.deepEqual(rows(await scanFixture('odd/index_not_json/model.safetensors.index.json')), ['LOW safetensors/index-malformed @53']);
  });

  it('a JSON file with "metadata" but no weight_map is left to other formats', async () => {
    const r = await scanFixture('odd/config_with_metadata.json');
    assert.deepEqual(rows(r), []);
    assert.equal(r.scanned.length, 0);
  });

  it('shard names are judged lexically', () => {
    assert.equal(shardNameProblem('model-00001-of-00002.safetensors'), undefined);
    assert.equal(shardNameProblem('sub/dir/model.safetensors'), undefined);
    assert.equal(shardNameProblem('..foo.safetensors'), undefined);
    assert.match(shardNameProblem('a/../../b')!, /climbs out/);
    assert.match(shardNameProblem('\\\\server\\share\\x')!, /absolute/);
    assert.match(shardNameProblem('file:///etc/passwd')!, /URL/);
    assert.match(shardNameProblem('s3://bucket/x')!, /URL/);
    assert.match(shardNameProblem('D:x.safetensors')!, /drive letter/);
    assert.match(shardNameProblem('x\0.safetensors')!, /NUL/);
    assert.equal(shardNameProblem(''), 'empty');
  });
});

/** Runs the scanner on a file whose source name is its absolute path, as for a file given on the command line. */
async function scanDirect(path: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const ctx = makeContext(
    { limits: DEFAULT_SCAN_LIMITS, policy: DEFAULT_POLICY, deadline: Number.POSITIVE_INFINITY, timeoutMs: 0 },
    { finding: (f) => findings.push(f), skipped: () => undefined },
  );
  const src = await FileSource.open(path, path);
  try {
    assert.equal(await safetensorsFormat.scan(src, ctx), 'scanned');
  } finally {
    await src.close();
  }
  return findings;
}

describe('detection and streaming', () => {
  it('claims safetensors-shaped bytes and leaves JSON, text and binary data alone', () => {
    const st = file('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', Buffer.alloc(1));
    assert.equal(looksLikeSafetensors(st, st.length), true);
    const jsonText = Buffer.from('{"data":{"x":1},"more":"text text text"}');
    assert.equal(looksLikeSafetensors(jsonText, jsonText.length), false);
    // A small leading integer followed by binary data (a TF variables shard starting with a global step).
    const tf = Buffer.concat([u64le(1000), Buffer.from(Float32Array.from({ length: 400 }, (_, i) => Math.sin(i)).buffer)]);
    assert.equal(looksLikeSafetensors(tf, tf.length), false);
    // A lying length is still safetensors-shaped when '{' follows and the length bytes are not text.
    const lying = Buffer.concat([u64le(1_000_000_000), Buffer.from('{"w":{}}')]);
    assert.equal(looksLikeSafetensors(lying, lying.length), true);
  });

  it('reads only the header of a 64 GiB file, never its tensor data', async () => {
    const tensors: Record<string, unknown> = {};
    const each = 1 << 30;
    for (let i = 0; i < 64; i++)
      tensors[`layer.${i}.weight`] = { dtype: 'F32', shape: [each / 4096, 1024], data_offsets: [i * each, (i + 1) * each] };
    const header = Buffer.from(JSON.stringify(tensors));
    const prefix = Buffer.concat([u64le(header.length), header]);
    let furthest = 0;
    const src: ByteSource = {
      name: 'huge.safetensors',
      size: prefix.length + 64 * each,
      async read(offset, length) {
        furthest = Math.max(furthest, Math.min(offset + length, this.size));
        const out = Buffer.alloc(Math.max(0, Math.min(length, this.size - offset)));
        if (offset < prefix.length) prefix.copy(out, 0, offset, Math.min(prefix.length, offset + out.length));
        return out;
      },
      async close() {},
    };
    const findings: Finding[] = [];
    const ctx = makeContext(
      { limits: DEFAULT_SCAN_LIMITS, policy: DEFAULT_POLICY, deadline: Number.POSITIVE_INFINITY, timeoutMs: 0 },
      { finding: (f) => findings.push(f), skipped: () => undefined },
    );
    assert.equal(await safetensorsFormat.scan(src, ctx), 'scanned');
    assert.deepEqual(findings, []);
    assert.ok(furthest <= Math.max(prefix.length, 512), `read up to byte ${furthest}`);
  });

  it('a file with a header and nothing else (no tensors) is clean', async () => {
    const r = await scanBytes(file('{}      '), 'empty.safetensors');
    assert.deepEqual(rows(r), []);
    assert.equal(r.scanned.length, 1);
  });
});

describe('strict JSON reader', () => {
  const keys = (text: string) => {
    const out: [string, number, boolean][] = [];
    const r = new JsonReader(Buffer.from(text));
    r.object(1, (k, pos, dup) => out.push([k, pos, dup]));
    r.end();
    return out;
  };
  const fails = (text: string, message: RegExp) => {
    assert.throws(
      () => {
        const r = new JsonReader(Buffer.from(text));
        r.skip(1);
        r.end();
      },
      (e: unknown) => e instanceof JsonSyntaxError && message.test(e.message),
      text,
    );
  };

  it('reports duplicate keys and their byte offsets (JSON.parse silently keeps the last)', () => {
    assert.deepEqual(keys('{"a":1, "b":[2], "a":{"x":null}}'), [
      ['a', 1, false],
      ['b', 8, false],
      ['a', 17, true],
    ]);
    // Escapes decode before comparing, as every parser compares keys.
    assert.deepEqual(
      keys('{"\\u0061":1,"a":2}').map(([k, , d]) => [k, d]),
      [
        ['a', false],
        ['a', true],
      ],
    );
  });

  it('decodes strings as serde_json does', () => {
    const r = new JsonReader(Buffer.from('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00 \u00fc\u65e5"'));
    assert.equal(r.string(), '"\\/\b\f\n\r\té😀 ü日');
  });

  it('rejects what serde_json rejects', () => {
    fails('{"a":1,}', /expected a string key/);
    fails('[1,]', /unexpected/);
    fails('{"a" 1}', /expected ':'/);
    fails('01', /after the JSON value/);
    fails('1.', /invalid number/);
    fails('-', /invalid number/);
    fails('1e', /invalid number/);
    fails('"\\ud800"', /lone leading surrogate/);
    fails('"\\udc00"', /lone trailing surrogate/);
    fails('"\\x41"', /invalid escape/);
    fails('"a\nb"', /control character/);
    fails('tru', /invalid literal/);
    fails('{"a":1} x', /after the JSON value/);
    fails(`${'['.repeat(129)}${']'.repeat(129)}`, /nested deeper than 128/);
    assert.throws(() => new JsonReader(Buffer.from([0x22, 0xe0, 0x80, 0xaf, 0x22])).string(), /invalid UTF-8/); // overlong
    assert.throws(() => new JsonReader(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])).string(), /invalid UTF-8/); // surrogate
    assert.throws(() => new JsonReader(Buffer.from([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22])).string(), /invalid UTF-8/); // > U+10FFFF
  });

  it('reads u64 values exactly, beyond 2^53 as bigint', () => {
    assert.equal(parseU64('0'), 0);
    assert.equal(parseU64('9007199254740991'), 9007199254740991);
    assert.equal(parseU64('9007199254740993'), 9007199254740993n);
    assert.equal(parseU64('18446744073709551615'), 18446744073709551615n);
    assert.equal(parseU64('18446744073709551616'), undefined);
    assert.equal(parseU64('1.0'), undefined);
    assert.equal(parseU64('1e3'), undefined);
    assert.equal(parseU64('-1'), undefined);
  });
});

describe('dtypes', () => {
  it('knows the crate dtypes, case-sensitively', () => {
    for (const d of ['BOOL', 'F4', 'F6_E2M3', 'F8_E8M0', 'BF16', 'C64', 'U64']) assert.ok(dtypeBits(d), d);
    for (const d of ['f32', 'PICKLE', 'F8', 'object', '']) assert.equal(dtypeBits(d), undefined, d);
  });

  it('sizes tensors as the crate does: checked multiplication in shape order', () => {
    assert.deepEqual(tensorBytes(32, [4, 4]), { bytes: 64 });
    assert.deepEqual(tensorBytes(32, []), { bytes: 4 });
    assert.deepEqual(tensorBytes(4, [2, 3]), { bytes: 3 });
    assert.deepEqual(tensorBytes(6, [3]), { error: 'misaligned' });
    assert.deepEqual(tensorBytes(8, [0, 2 ** 32, 2 ** 32, 2 ** 32]), { bytes: 0 });
    assert.deepEqual(tensorBytes(8, [2 ** 32, 2 ** 32, 2 ** 32, 0]), { error: 'overflow' });
    assert.deepEqual(tensorBytes(64, [2 ** 61]), { error: 'overflow' });
    assert.deepEqual(tensorBytes(8, [2 ** 32, 2 ** 28]), { bytes: 2n ** 60n });
    // 2^63 elements fit in u64, but their 2^66 bits do not: the crate counts bits first.
    assert.deepEqual(tensorBytes(8, [2 ** 32, 2 ** 31]), { error: 'overflow' });
  });
});
