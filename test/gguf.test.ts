/**
 * GGUF models on the fixtures of scripts/make-gguf-fixtures.mjs: benign
 * files (v1, v2, v3, big-endian, vocab-only, real-world chat templates) give
 * nothing; every chat template (default and named) is judged; each broken
 * structure gives a `gguf/malformed` finding where it is, keeping what was
 * found before it; tensor data is never read.
 */
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ggufFormat } from '../src/formats/gguf/index.js';
import { DEFAULT_GGUF_LIMITS, GgufError, type GgufVisitor, readGguf } from '../src/formats/gguf/reader.js';
import { BufferSource, type ByteSource, FileSource } from '../src/io/byte-source.js';
import { type ScanResult, scan } from '../src/scan/scan.js';

const FIXTURES = new URL('fixtures/gguf/', import.meta.url).pathname;

/** `SEVERITY rule @position` per issue, with `:member` for issues inside the file, sorted. */
const rows = (r: ScanResult): string[] =>
  r.issues
    .map((i) => `${i.severity} ${i.rule} @${i.position}${i.source.includes(':') ? ` ${i.source.slice(i.source.indexOf(':'))}` : ''}`)
    .sort();

const scanFixture = (name: string): Promise<ScanResult> => scan([join(FIXTURES, name)]);
const fixture = (name: string): Promise<Buffer> => readFile(join(FIXTURES, name));

/** Byte offset of `text` in a fixture (where a construct sits in the template's raw UTF-8). */
async function offsetOf(name: string, text: string, from = 0): Promise<number> {
  const at = (await fixture(name)).indexOf(Buffer.from(text, 'latin1'), from);
  assert.ok(at >= 0, `${text} not in ${name}`);
  return at;
}

describe('benign GGUF files', () => {
  for (const name of [
    'benign-chatml-v3.gguf',
    'benign-v1.gguf',
    'benign-v2.gguf',
    'benign-big-endian.gguf',
    'benign-real-templates.gguf',
    'benign-vocab-only.gguf',
  ]) {
    it(`${name} is clean and scanned as GGUF`, async () => {
      const r = await scanFixture(name);
      assert.deepEqual(r.issues, []);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.skipped, []);
      assert.equal(r.scanned.length, 1);
    });
  }

  it('reads v1 (32-bit lengths), v2 and big-endian headers alike', async () => {
    const seen: string[] = [];
    for (const name of ['benign-v1.gguf', 'benign-v2.gguf', 'benign-big-endian.gguf', 'benign-chatml-v3.gguf']) {
      const layout = await readGguf(new BufferSource(name, await fixture(name)), collect(seen));
      assert.equal(layout.tensorCount, 4);
      assert.equal(layout.kvCount, 12);
      assert.equal(layout.bigEndian, name.includes('big'));
      assert.equal(layout.version, name.includes('v1') ? 1 : name.includes('v2') ? 2 : 3);
      assert.equal(layout.dataEnd, (await fixture(name)).length);
    }
    assert.equal(seen.length, 4);
    assert.ok(seen.every((k) => k === 'tokenizer.chat_template'));
  });

  it('judges every chat template of a file, named variants included (and only those)', async () => {
    const seen: string[] = [];
    await readGguf(new BufferSource('x', await fixture('benign-real-templates.gguf')), collect(seen));
    assert.deepEqual(seen, ['tokenizer.chat_template', 'tokenizer.chat_template.tool_use', 'tokenizer.chat_template.rag']);
  });

  it('a template valid for jinja2 but beyond the AST parser is reported LOW, never clean or higher', async () => {
    const r = await scanFixture('benign-unparsed-template.gguf');
    const start = await offsetOf('benign-unparsed-template.gguf', '{% for message');
    assert.deepEqual(rows(r), [`LOW template/unparsed @${start}`]);
    assert.match(r.issues[0].description, /cannot read it .*checked token by token/);
  });
});

describe('chat template injection in GGUF', () => {
  it('cycler.__init__.__globals__ is CRITICAL, placed at the construct, with the expression shown', async () => {
    const name = 'ssti-cycler-globals.gguf';
    const r = await scanFixture(name);
    assert.deepEqual(rows(r), [`CRITICAL template/ssti @${await offsetOf(name, 'cycler.__init__')}`]);
    const i = r.issues[0];
    assert.equal(i.details?.template, 'tokenizer.chat_template');
    assert.equal(i.call, "{{ cycler.__init__.__globals__.os.popen('id').read() }}");
    assert.match(i.description, /Jinja global 'cycler'.*'__init__'.*'__globals__'/);
    assert.equal(i.scanner, 'modelscan.scanners.GGUFScan');
  });

  it('a malicious named template behind a benign default is found and named', async () => {
    const name = 'ssti-named-variant.gguf';
    const r = await scanFixture(name);
    const rag = await offsetOf(name, '{% for message', await offsetOf(name, 'tokenizer.chat_template.rag'));
    assert.deepEqual(rows(r), [
      `CRITICAL template/ssti @${await offsetOf(name, '.__class__', rag)}`,
      `CRITICAL template/ssti @${await offsetOf(name, '.__name__', rag)}`,
      `CRITICAL template/ssti @${await offsetOf(name, '._module', rag)}`,
    ]);
    assert.ok(r.issues.every((i) => i.details?.template === 'tokenizer.chat_template.rag'));
  });

  it('a dunder built from pieces (`u ~ "class" ~ u`, u = "_" * 2) is seen for what it becomes', async () => {
    const name = 'ssti-string-building.gguf';
    const r = await scanFixture(name);
    assert.deepEqual(rows(r), [`CRITICAL template/ssti @${await offsetOf(name, '{% set u')}`]);
    assert.match(r.issues[0].description, /'__class__' by subscript/);
    assert.equal(r.issues[0].call, "{{ ''[(u ~ 'class') ~ u] }}");
  });

  it('|attr with a name from |format (%c codes) is CRITICAL', async () => {
    const name = 'ssti-attr-format.gguf';
    const r = await scanFixture(name);
    assert.deepEqual(rows(r), [`CRITICAL template/ssti @${await offsetOf(name, "attr('%c")}`]);
    assert.match(r.issues[0].description, /'__init__' through \|attr/);
  });

  it('a template the parser rejects is still checked token by token: unparsed LOW plus the CRITICAL constructs', async () => {
    const name = 'ssti-unparsed-fallback.gguf';
    const r = await scanFixture(name);
    const start = await offsetOf(name, '{% for message');
    assert.deepEqual(rows(r), [
      `CRITICAL template/ssti @${await offsetOf(name, '{% for c in ()')}`,
      `CRITICAL template/ssti @${await offsetOf(name, '{{ c.__name__')}`,
      `LOW template/unparsed @${start}`,
    ]);
  });

  it('range(10 ** 9) is a denial of service', async () => {
    const name = 'dos-huge-range.gguf';
    const r = await scanFixture(name);
    assert.deepEqual(rows(r), [`CRITICAL template/dos @${await offsetOf(name, 'range(')}`]);
    assert.match(r.issues[0].description, /range\(1000000000\)/);
  });
});

describe('malformed GGUF files', () => {
  const cases: [string, number | string, RegExp][] = [
    ['malformed-huge-kv-count.gguf', 16, /kv_count 1099511627776 cannot fit in the 33 bytes left/],
    ['malformed-huge-tensor-count.gguf', 8, /tensor_count is 2\^53 or more/],
    ['malformed-template-past-eof.gguf', 67, /'tokenizer.chat_template' is 1000000 bytes but only 199 are left/],
    ['malformed-invalid-value-type.gguf', 44, /value type 99 of 'general.name' is not a GGUF type/],
    ['malformed-huge-array.gguf', 57, /claims 1099511627776 STRING elements/],
    ['malformed-nested-arrays.gguf', 98, /nest deeper than 4 levels/],
    ['malformed-bad-version.gguf', 4, /unknown GGUF version 7/],
    ['malformed-too-many-dims.gguf', 'weird.weight', /5 dimensions/],
    ['malformed-bad-alignment.gguf', 'general.alignment', /alignment 48 is not a power of two/],
    ['malformed-unknown-tensor-type.gguf', 'b.weight', /unknown ggml type 4/],
  ];
  for (const [name, where, message] of cases) {
    it(`${name}: one gguf/malformed finding at the bad field`, async () => {
      const r = await scanFixture(name);
      // A string marks the field by its text: the finding sits on its length prefix, 8 bytes before it.
      const offset = typeof where === 'number' ? where : (await offsetOf(name, where)) - 8;
      assert.deepEqual(rows(r), [`MEDIUM gguf/malformed @${offset}`]);
      assert.match(r.issues[0].description, message);
    });
  }

  it('a file cut inside the vocabulary: the string whose length runs past the end', async () => {
    const name = 'malformed-truncated-header.gguf';
    const r = await scanFixture(name);
    assert.deepEqual(rows(r), [`MEDIUM gguf/malformed @${(await fixture(name)).length - 8}`]);
    assert.match(r.issues[0].description, /string 40 of 'tokenizer.ggml.tokens' is 5 bytes, past the end/);
  });

  it('truncated tensor data: the tensor whose bytes run past the end is named, at its tensor info', async () => {
    const name = 'malformed-truncated-tensor-data.gguf';
    const r = await scanFixture(name);
    assert.deepEqual(rows(r), [`MEDIUM gguf/malformed @${(await offsetOf(name, 'output.weight')) - 8}`]);
    assert.match(r.issues[0].description, /tensor 'output.weight' data ends at byte 8768, past the end of the 7768-byte file/);
  });

  it('findings made before the break are kept', async () => {
    const name = 'malformed-after-ssti.gguf';
    const r = await scanFixture(name);
    assert.deepEqual(rows(r), [
      `CRITICAL template/ssti @${await offsetOf(name, 'cycler')}`,
      `MEDIUM gguf/malformed @${(await fixture(name)).length - 4}`,
    ]);
  });

  it('a key written twice is malformed, and both values are judged', async () => {
    const name = 'malformed-duplicate-template.gguf';
    const r = await scanFixture(name);
    const second = await offsetOf(name, 'tokenizer.chat_template', (await offsetOf(name, 'tokenizer.chat_template')) + 1);
    assert.deepEqual(rows(r), [`CRITICAL template/ssti @${await offsetOf(name, 'cycler')}`, `MEDIUM gguf/malformed @${second - 8}`]);
  });

  it('a payload appended after the tensor data is scanned as a file of its own', async () => {
    const name = 'trailing-pickle.gguf';
    const r = await scanFixture(name);
    const at = await offsetOf(name, '\x80\x02cposix');
    assert.deepEqual(rows(r), [`CRITICAL pickle/unsafe-global @2 :<bytes after the tensor data>`, `LOW gguf/trailing-data @${at}`]);
  });

  it('corrupted bytes never crash the reader: every outcome is a layout or a GgufError', async () => {
    const base = await fixture('benign-real-templates.gguf');
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    let errors = 0;
    for (let k = 0; k < 400; k++) {
      const b = Buffer.from(base);
      for (let j = 0; j < 1 + rand(4); j++) b[rand(Math.min(b.length, 4096))] = rand(256);
      const cut = rand(3) === 0 ? b.subarray(0, rand(b.length)) : b;
      try {
        await readGguf(new BufferSource('fuzz', cut), collect([]));
      } catch (err) {
        assert.ok(err instanceof GgufError, `unexpected ${(err as Error).stack}`);
        errors++;
      }
    }
    assert.ok(errors > 50);
  });
});

describe('large GGUF files', () => {
  it('a 150k-token vocabulary over a 3 GiB sparse tensor region: header only, fast', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gguf-test-'));
    try {
      const path = join(dir, 'big.gguf');
      const { header, size } = bigGguf(150_000, 3 * 2 ** 30);
      const fh = await open(path, 'w');
      await fh.write(header, 0, header.length, 0);
      await fh.truncate(size);
      await fh.close();
      const src = new CountingSource(await FileSource.open(path));
      const started = performance.now();
      const seen: string[] = [];
      const layout = await readGguf(src, collect(seen));
      const ms = performance.now() - started;
      await src.close();
      assert.equal(layout.dataEnd, size);
      assert.deepEqual(seen, ['tokenizer.chat_template']);
      assert.ok(src.bytesRead < header.length + (4 << 20), `read ${src.bytesRead} bytes of a ${header.length}-byte header`);
      assert.ok(ms < 2000, `took ${ms} ms`);
      const r = await scan([path]);
      assert.deepEqual(r.issues, []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a template over the size cap is reported, not read', async () => {
    const seen: { key: string; text?: string }[] = [];
    const visitor: GgufVisitor = {
      template: (key, _o, _l, text) => seen.push({ key, ...(text ? { text } : {}) }),
      problem() {},
      checkpoint() {},
    };
    await readGguf(new BufferSource('x', await fixture('benign-chatml-v3.gguf')), visitor, {
      ...DEFAULT_GGUF_LIMITS,
      maxTemplateBytes: 16,
    });
    assert.deepEqual(seen, [{ key: 'tokenizer.chat_template' }]);
  });

  it('detects GGUF by its magic only', () => {
    assert.equal(ggufFormat.detect(Buffer.from('GGUF\x03\x00\x00\x00'), 8), true);
    assert.equal(ggufFormat.detect(Buffer.from('GGML\x03\x00\x00\x00'), 8), false);
  });
});

function collect(keys: string[]): GgufVisitor {
  return {
    template: (key) => keys.push(key),
    problem: (m) => assert.fail(`unexpected problem: ${m}`),
    checkpoint() {},
  };
}

/** Counts the bytes a parser asks for. */
class CountingSource implements ByteSource {
  bytesRead = 0;
  constructor(private readonly inner: ByteSource) {}
  get name() {
    return this.inner.name;
  }
  get size() {
    return this.inner.size;
  }
  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const b = await this.inner.read(offset, length, into);
    this.bytesRead += b.length;
    return b;
  }
  close() {
    return this.inner.close();
  }
}

/** A v3 header with an n-token vocabulary (strings, scores, types), a chat template and one F32 tensor filling `bytes`. */
function bigGguf(n: number, bytes: number): { header: Buffer; size: number } {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const u64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    parts.push(b);
  };
  const str = (s: string) => {
    u64(Buffer.byteLength(s));
    parts.push(Buffer.from(s));
  };
  parts.push(Buffer.from('GGUF'));
  u32(3);
  u64(1);
  u64(4);
  str('tokenizer.ggml.tokens');
  u32(9);
  u32(8);
  u64(n);
  for (let i = 0; i < n; i++) str(`piece${i}`);
  str('tokenizer.ggml.scores');
  u32(9);
  u32(6);
  u64(n);
  parts.push(Buffer.alloc(4 * n));
  str('tokenizer.ggml.token_type');
  u32(9);
  u32(5);
  u64(n);
  parts.push(Buffer.alloc(4 * n, 1));
  str('tokenizer.chat_template');
  u32(8);
  str("{% for message in messages %}{{ message['content'] }}{% endfor %}");
  const elements = Math.floor(bytes / 4);
  str('token_embd.weight');
  u32(1);
  u64(elements);
  u32(0);
  u64(0);
  const header = Buffer.concat(parts);
  const dataOffset = Math.ceil(header.length / 32) * 32;
  return { header, size: dataOffset + elements * 4 };
}
