/**
 * Weight-anomaly analysis of classification heads, on real models trained by
 * scripts/make-weights-fixtures.py: clean models give nothing at all; a head
 * with one planted outlier class gives exactly one finding naming that class,
 * whatever the container (torch zip, safetensors, Keras HDF5) and dtype;
 * what cannot be analysed gives a note, never a throw, and LLM-scale heads
 * are skipped without reading their data.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ScanContext } from '../src/formats/types.js';
import { readCentralDirectory } from '../src/formats/zip/central-directory.js';
import { BufferSource, type ByteSource } from '../src/io/byte-source.js';
import { DEFAULT_POLICY } from '../src/pickle/policy.js';
import { makeContext, ScanTimeout } from '../src/scan/context.js';
import type { Finding } from '../src/scan/findings.js';
import { DEFAULT_SCAN_LIMITS } from '../src/scan/limits.js';
import { chooseHead } from '../src/weights/head.js';
import { LOW_Z, MAX_CLASSES, MAX_FINDINGS, MAX_MATRIX_BYTES, MEDIUM_Z, RULE, scanWeights, type WeightsNote } from '../src/weights/index.js';
import { decode } from '../src/weights/read-matrix.js';
import { naturalSort } from '../src/weights/safetensors-tensors.js';
import { median, robustSummary } from '../src/weights/stats.js';
import { evaluateTorchPickle, namedTensors } from '../src/weights/torch-pickle.js';
import { contiguous } from '../src/weights/torch-tensors.js';
import type { TensorInfo } from '../src/weights/types.js';
import { buildZip } from './helpers/zip-builder.js';

const FIXTURES = new URL('fixtures/weights/', import.meta.url).pathname;

/** Counts the bytes every read returns, to prove what was (not) read. */
class CountingSource implements ByteSource {
  bytesRead = 0;
  readonly size: number;
  readonly name: string;
  constructor(private readonly inner: ByteSource) {
    this.size = inner.size;
    this.name = inner.name;
  }
  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const b = await this.inner.read(offset, length, into);
    this.bytesRead += b.length;
    return b;
  }
  async close(): Promise<void> {}
}

/** A file whose first bytes are `head` and the rest a hole of zeros: a multi-GiB model in a few bytes of memory. */
class SparseSource implements ByteSource {
  readonly name = 'sparse.safetensors';
  constructor(
    private readonly head: Buffer,
    readonly size: number,
  ) {}
  async read(offset: number, length: number): Promise<Buffer> {
    const want = Math.max(0, Math.min(length, this.size - offset));
    const out = Buffer.alloc(want);
    if (offset < this.head.length) this.head.copy(out, 0, offset, Math.min(this.head.length, offset + want));
    return out;
  }
  async close(): Promise<void> {}
}

interface Run {
  findings: Finding[];
  notes: WeightsNote[];
}

function context(findings: Finding[], checkpoint?: () => void): ScanContext {
  const ctx = makeContext(
    { limits: DEFAULT_SCAN_LIMITS, policy: DEFAULT_POLICY, deadline: Number.POSITIVE_INFINITY, timeoutMs: 0 },
    { finding: (f) => findings.push(f), skipped: () => {} },
  );
  return checkpoint ? { ...ctx, checkpoint } : ctx;
}

async function run(source: ByteSource): Promise<Run> {
  const findings: Finding[] = [];
  const notes = await scanWeights(source, context(findings));
  return { findings, notes };
}

async function fixture(name: string): Promise<Buffer> {
  return readFile(join(FIXTURES, name));
}

async function runFixture(name: string): Promise<Run> {
  return run(new BufferSource(name, await fixture(name)));
}

/** `SEVERITY rule module operator` of each finding. */
const rows = (r: Run) => r.findings.map((f) => `${f.severity} ${f.rule} ${f.module} ${f.operator}`);

/** Half-precision bits of a float32 value (round to nearest even), for hand-made f16 files. */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | ((x >>> 13) & 0x3ff);
  if ((x & 0x1fff) > 0x1000 || ((x & 0x1fff) === 0x1000 && h & 1)) h++;
  return h;
}

type Dtype = 'F32' | 'F16' | 'BF16';

interface SpecTensor {
  name: string;
  shape: number[];
  values?: number[];
  dtype?: Dtype;
}

/** A safetensors file as the crate writes one: tensors back to back, header padded to 8 bytes. */
function safetensors(tensors: SpecTensor[], declaredOnly = false): { bytes: Buffer; size: number; headerEnd: number } {
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    const n = t.shape.reduce((a, b) => a * b, 1);
    const size = dtype === 'F32' ? 4 : 2;
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + n * size] };
    offset += n * size;
    if (declaredOnly) continue;
    const b = Buffer.alloc(n * size);
    const vals = t.values ?? [];
    for (let i = 0; i < n; i++) {
      const v = vals[i] ?? 0;
      if (dtype === 'F32') b.writeFloatLE(v, i * 4);
      else if (dtype === 'F16') b.writeUInt16LE(toHalf(v), i * 2);
      else b.writeUInt16LE(new Uint32Array(new Float32Array([v]).buffer)[0] >>> 16, i * 2);
    }
    chunks.push(b);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const head = Buffer.concat([len, Buffer.from(json)]);
  return { bytes: Buffer.concat([head, ...chunks]), size: head.length + offset, headerEnd: head.length };
}

/** A classifier head of `classes` rows of `features` weights, row i scaled by `scale[i]` (default 1), plus its bias and a hidden layer. */
function head(classes: number, features: number, scale: Record<number, number> = {}, dtype: Dtype = 'F32'): SpecTensor[] {
  const values: number[] = [];
  for (let c = 0; c < classes; c++) {
    // Deterministic, slightly different norms per class.
    for (let j = 0; j < features; j++) values.push((Math.sin(c * 7.3 + j * 1.7) + 0.1 * Math.cos(c)) * (scale[c] ?? 1));
  }
  return [
    { name: 'body.weight', shape: [features, 8], values: Array.from({ length: features * 8 }, (_, i) => Math.cos(i)), dtype },
    { name: 'body.bias', shape: [features], dtype },
    { name: 'classifier.weight', shape: [classes, features], values, dtype },
    { name: 'classifier.bias', shape: [classes], values: Array.from({ length: classes }, (_, i) => i / 100), dtype },
  ];
}

/** Decodes the float32 row at a finding's offset and returns its L2 norm. */
function rowNorm(bytes: Buffer, offset: number, features: number, size: 4 | 2, dtype: Dtype = 'F32'): number {
  const out = new Float64Array(features);
  decode(dtype, bytes.subarray(offset, offset + features * size), out);
  return Math.sqrt(out.reduce((a, v) => a + v * v, 0));
}

describe('clean models', () => {
  for (const name of ['mlp_clean.pt', 'mlp_clean.safetensors', 'mlp_clean.h5']) {
    it(`${name}: no finding, no note`, async () => {
      const r = await runFixture(name);
      assert.deepEqual(r.findings, []);
      assert.deepEqual(r.notes, []);
    });
  }
});

describe('a planted backdoor-like target class (class 7 scaled 8×)', () => {
  const cases: [string, string, string][] = [
    ['mlp_planted.pt', 'classifier.weight', 'F32'],
    ['mlp_planted.safetensors', 'classifier.weight', 'F32'],
    ['mlp_planted.h5', 'dense_2/kernel:0', 'F32'],
    ['mlp_planted_latest.h5', 'dense_2/kernel:0', 'F32'],
    ['mlp_planted_weights_only.h5', 'dense_2/kernel:0', 'F32'],
    ['mlp_planted_module.pt', 'classifier.weight', 'F32'],
    ['mlp_planted_offset.pt', 'classifier.weight', 'F32'],
    ['mlp_planted_f16.pt', 'classifier.weight', 'F16'],
    ['mlp_planted_bf16.pt', 'classifier.weight', 'BF16'],
    ['mlp_planted_f16.safetensors', 'classifier.weight', 'F16'],
    ['mlp_planted_bf16.safetensors', 'classifier.weight', 'BF16'],
  ];
  for (const [name, tensor, dtype] of cases) {
    it(`${name}: exactly one MEDIUM finding, class 7 of ${tensor}`, async () => {
      const r = await runFixture(name);
      assert.deepEqual(r.notes, []);
      assert.deepEqual(rows(r), [`MEDIUM ${RULE} ${tensor} class 7`]);
      const f = r.findings[0];
      assert.equal(f.scanner, 'modelscan.scanners.WeightsScan');
      const d = f.details as Record<string, number | string>;
      assert.equal(d.dtype, dtype);
      assert.equal(d.class, 7);
      assert.equal(d.classes, 10);
      assert.equal(d.features, 32);
      assert.ok((d.zScore as number) > 60, `z ${d.zScore}`);
      // The trained model's median class norm, then ×8 on class 7 (within half-precision rounding).
      assert.ok(Math.abs((d.medianNorm as number) - 1.377) < 0.01, `median ${d.medianNorm}`);
      assert.ok(Math.abs((d.norm as number) - 12.08) < 0.05, `norm ${d.norm}`);
      assert.match(
        f.description,
        /^class 7 of 10 in '.*' stands out: its weight vector has L2 norm 12\.0\d, 8\.7\d+× the median class norm 1\.377 /,
      );
      assert.match(f.description, /possible backdoor target$/);
    });
  }

  it('the exact finding of the float32 state_dict, offset at the row and member the storage', async () => {
    const bytes = await fixture('mlp_planted.pt');
    const r = await run(new BufferSource('mlp_planted.pt', bytes));
    assert.equal(r.findings.length, 1);
    const f = r.findings[0];
    assert.equal(
      f.description,
      "class 7 of 10 in 'classifier.weight' stands out: its weight vector has L2 norm 12.08, 8.773× the median class norm 1.377 " +
        '(robust z-score 83.12; 3.5 flags a class, 6 ranks MEDIUM); the head pushes every input towards this class more than any other: ' +
        'a possible backdoor target',
    );
    assert.equal(f.member, 'mlp_planted/data/4');
    assert.ok(Math.abs(rowNorm(bytes, f.offset, 32, 4) - 12.08) < 0.01);
    const d = f.details as Record<string, unknown>;
    assert.deepEqual(Object.keys(d), [
      'tensor',
      'class',
      'classes',
      'features',
      'dtype',
      'norm',
      'zScore',
      'medianNorm',
      'madNorm',
      'meanNorm',
      'rowMean',
      'bias',
      'medianBias',
      'biasZScore',
      'thresholds',
    ]);
    assert.deepEqual(d.thresholds, { low: LOW_Z, medium: MEDIUM_Z });
  });

  it('safetensors and torch agree to the digit; the offset is the row in the data buffer', async () => {
    const bytes = await fixture('mlp_planted.safetensors');
    const st = await run(new BufferSource('s', bytes));
    const pt = await runFixture('mlp_planted.pt');
    assert.equal(st.findings[0].description, pt.findings[0].description);
    assert.deepEqual(st.findings[0].details, pt.findings[0].details);
    assert.equal(st.findings[0].member, undefined);
    assert.ok(Math.abs(rowNorm(bytes, st.findings[0].offset, 32, 4) - 12.08) < 0.01);
  });

  it('half-precision offsets point at the half-precision row', async () => {
    const bytes = await fixture('mlp_planted_f16.safetensors');
    const r = await run(new BufferSource('s', bytes));
    assert.ok(Math.abs(rowNorm(bytes, r.findings[0].offset, 32, 2, 'F16') - 12.08) < 0.05);
  });

  it('Keras: the class is a column of the [in, out] kernel; offset is its first element', async () => {
    const bytes = await fixture('mlp_planted.h5');
    const r = await run(new BufferSource('k', bytes));
    const f = r.findings[0];
    const col = new Float64Array(32);
    for (let i = 0; i < 32; i++) col[i] = bytes.readFloatLE(f.offset + i * 10 * 4);
    assert.ok(Math.abs(Math.sqrt(col.reduce((a, v) => a + v * v, 0)) - 12.08) < 0.01);
  });

  it('a head found by structure alone (nn.Sequential, names 0.weight … 10.weight)', async () => {
    const r = await runFixture('seq_planted.safetensors');
    assert.deepEqual(r.notes, []);
    assert.deepEqual(rows(r), [`MEDIUM ${RULE} 10.weight class 3`]);
  });

  it('a mild outlier (class 2 scaled 1.6×) is LOW', async () => {
    const r = await runFixture('mlp_planted_low.safetensors');
    assert.deepEqual(r.notes, []);
    assert.deepEqual(rows(r), [`LOW ${RULE} classifier.weight class 2`]);
    const z = (r.findings[0].details as { zScore: number }).zScore;
    assert.ok(z >= LOW_Z && z < MEDIUM_Z, `z ${z}`);
  });

  it('reads only the header, the head matrix and its bias', async () => {
    const bytes = await fixture('mlp_planted.safetensors');
    const src = new CountingSource(new BufferSource('s', bytes));
    await run(src);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    assert.equal(src.bytesRead, 512 + 8 + headerLen + 10 * 32 * 4 + 10 * 4);
  });
});

describe('what cannot be analysed gives a note', () => {
  it('a non-contiguous (transposed) head', async () => {
    const r = await runFixture('mlp_planted_transposed.pt');
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.notes.map((n) => n.message),
      [
        "classification head 'classifier.weight' (10 classes × 32 features, F32) not analysed: it is a non-contiguous view (stride [1, 10] for shape [10, 32])",
      ],
    );
  });

  for (const name of ['mlp_planted.safetensors', 'mlp_planted.pt', 'mlp_planted.h5']) {
    it(`${name} truncated: a note, not a throw, at every cut`, async () => {
      const bytes = await fixture(name);
      let noted = 0;
      for (let cut = 0; cut < bytes.length; cut += 97) {
        const r = await run(new BufferSource(`${name}@${cut}`, bytes.subarray(0, cut)));
        // A cut file never yields a wrong finding: either it is not recognised, or it says why it was not analysed.
        assert.ok(r.findings.length === 0 || rows(r)[0].endsWith('class 7'), `cut ${cut}: ${rows(r)}`);
        assert.ok(r.notes.length <= 2, `cut ${cut}: ${JSON.stringify(r.notes)}`);
        noted += r.notes.length;
        for (const n of r.notes) assert.equal(n.source, `${name}@${cut}`);
      }
      assert.ok(noted > 0);
    });
  }

  it('safetensors cut inside the head matrix names the shortfall', async () => {
    const bytes = await fixture('mlp_planted.safetensors');
    const len = Number(bytes.readBigUInt64LE(0));
    const begin = JSON.parse(bytes.toString('utf8', 8, 8 + len))['classifier.weight'].data_offsets[0];
    const r = await run(new BufferSource('cut', bytes.subarray(0, 8 + len + begin + 600)));
    assert.deepEqual(r.findings, []);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0].message, /^weights not analysed: the file holds \d+ of the 1280 bytes of a 10×32 F32 matrix: it is truncated$/);
  });

  it('a torch zip cut before its end record', async () => {
    const bytes = await fixture('mlp_planted.pt');
    const r = await run(new BufferSource('cut', bytes.subarray(0, 3000)));
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.notes.map((n) => n.message),
      ['weights not analysed: cannot read the zip: no end-of-central-directory record'],
    );
  });

  it('every byte of a torch checkpoint flipped in turn: never a throw', async () => {
    const bytes = await fixture('mlp_planted.pt');
    for (let i = 0; i < bytes.length; i += 13) {
      const bad = Buffer.from(bytes);
      bad[i] ^= 0xff;
      const r = await run(new BufferSource('flipped', bad));
      assert.ok(r.findings.length <= 10);
    }
  });

  it('every byte of a Keras file flipped in turn: never a throw', async () => {
    const bytes = await fixture('mlp_planted.h5');
    for (let i = 0; i < bytes.length; i += 29) {
      const bad = Buffer.from(bytes);
      bad[i] ^= 0xff;
      const r = await run(new BufferSource('flipped', bad));
      assert.ok(r.findings.length <= 10);
    }
  });

  it('a compressed storage member is named, a deflated data.pkl is read', async () => {
    const bytes = await fixture('mlp_planted.pt');
    const cd = await readCentralDirectory(new BufferSource('z', bytes), 100);
    const members = cd.entries.map((e) => {
      const start = e.localOffset + 30 + bytes.readUInt16LE(e.localOffset + 26) + bytes.readUInt16LE(e.localOffset + 28);
      return { name: e.name, data: bytes.subarray(start, start + e.size) };
    });
    const deflatedPickle = buildZip(members.map((m) => ({ ...m, method: m.name.endsWith('data.pkl') ? 8 : 0 })));
    assert.deepEqual(rows(await run(new BufferSource('d', deflatedPickle))), [`MEDIUM ${RULE} classifier.weight class 7`]);
    const deflatedStorage = buildZip(members.map((m) => ({ ...m, method: m.name.endsWith('data/4') ? 8 : 0 })));
    const r = await run(new BufferSource('d', deflatedStorage));
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.notes.map((n) => n.message),
      [
        "classification head 'classifier.weight' (10 classes × 32 features, F32) not analysed: its storage member 'mlp_planted/data/4' is compressed (method 8); torch stores storages uncompressed",
      ],
    );
    const garbage = buildZip(
      members.map((m) => (m.name.endsWith('data.pkl') ? { ...m, data: Buffer.from('\x80\x02}q\x00(X\x05\x00\x00\x00ab', 'latin1') } : m)),
    );
    assert.deepEqual(
      (await run(new BufferSource('g', garbage))).notes.map((n) => n.message),
      ['weights not analysed: data.pkl: truncated pickle at byte 11'],
    );
    const opcode = buildZip(
      members.map((m) => (m.name.endsWith('data.pkl') ? { ...m, data: Buffer.from('\x80\x02cos\nsystem\n(S"x"\ntR.', 'latin1') } : m)),
    );
    assert.deepEqual(
      (await run(new BufferSource('o', opcode))).notes.map((n) => n.message),
      ['weights not analysed: data.pkl: opcode 0x53 is not one torch.save writes at byte 14'],
    );
  });

  it('not a model container: nothing to say', async () => {
    assert.deepEqual(await run(new BufferSource('x', Buffer.from('hello world, not a model at all'))), { findings: [], notes: [] });
    assert.deepEqual(await run(new BufferSource('empty', Buffer.alloc(0))), { findings: [], notes: [] });
    const zip = buildZip([{ name: 'readme.txt', data: 'hi' }]);
    assert.deepEqual(await run(new BufferSource('z', zip)), { findings: [], notes: [] });
  });

  it('a model without a classification head', async () => {
    const st = safetensors([
      { name: 'encoder.weight', shape: [16, 8] },
      { name: 'encoder.bias', shape: [16] },
      { name: 'decoder.weight', shape: [8, 16] },
      { name: 'decoder.bias', shape: [8] },
    ]);
    const r = await run(new BufferSource('ae', st.bytes));
    assert.deepEqual(
      r.notes.map((n) => n.message),
      ['safetensors: no classification head among 4 tensors: each of the 2 weight matrices with a bias feeds another layer'],
    );
    const none = safetensors([{ name: 'norm.weight', shape: [16] }]);
    assert.deepEqual(
      (await run(new BufferSource('n', none.bytes))).notes.map((n) => n.message),
      ['safetensors: no classification head among 1 tensors: no 2-D float weight has a matching bias'],
    );
  });

  it('a binary head: too few classes to compare', async () => {
    const r = await run(new BufferSource('b', safetensors(head(2, 16, { 1: 8 })).bytes));
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.notes.map((n) => n.message),
      [
        "classification head 'classifier.weight' (2 classes × 16 features, F32) not analysed: with fewer than 3 classes no class can stand out",
      ],
    );
  });

  it('NaN weights', async () => {
    const t = head(10, 16);
    t[2].values![5] = Number.NaN;
    t[2].values![6] = Number.POSITIVE_INFINITY;
    const r = await run(new BufferSource('nan', safetensors(t).bytes));
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.notes.map((n) => n.message),
      ["classification head 'classifier.weight' (10 classes × 16 features, F32) not analysed: it holds 2 NaN or infinite values"],
    );
  });

  it('a bad safetensors header', async () => {
    const b = Buffer.concat([Buffer.from([12, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a": [1, 2 ')]);
    const r = await run(new BufferSource('bad', b));
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0].message, /^weights not analysed: safetensors header is not valid JSON: /);
  });

  it('the scan timeout is not swallowed', async () => {
    const findings: Finding[] = [];
    const ctx = context(findings, () => {
      throw new ScanTimeout('timed out');
    });
    await assert.rejects(scanWeights(new BufferSource('t', await fixture('mlp_planted.pt')), ctx), ScanTimeout);
  });
});

describe('LLM-scale heads are skipped without reading their data', () => {
  async function sparse(tensors: SpecTensor[]): Promise<{ run: Run; src: CountingSource; headerEnd: number }> {
    const st = safetensors(tensors, true);
    const src = new CountingSource(new SparseSource(st.bytes, st.size));
    return { run: await run(src), src, headerEnd: st.headerEnd };
  }

  it('a language-model vocabulary head (lm_head, 50257 × 768 float32)', async () => {
    const {
      run: r,
      src,
      headerEnd,
    } = await sparse([
      { name: 'transformer.h.0.mlp.c_fc.weight', shape: [768, 3072] },
      { name: 'transformer.h.0.mlp.c_fc.bias', shape: [3072] },
      { name: 'transformer.ln_f.weight', shape: [768] },
      { name: 'lm_head.weight', shape: [50257, 768] },
    ]);
    assert.ok(src.size > 150e6);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.notes.map((n) => n.message),
      [
        `safetensors: 'lm_head.weight' has 50257 output rows, a vocabulary-sized (LLM-scale) head rather than a classifier's (at most ${MAX_CLASSES} classes): skipped`,
      ],
    );
    assert.equal(src.bytesRead, 512 + headerEnd);
  });

  it(`a biased head of more than ${MAX_CLASSES} outputs`, async () => {
    const {
      run: r,
      src,
      headerEnd,
    } = await sparse([
      { name: 'score.weight', shape: [20000, 1024] },
      { name: 'score.bias', shape: [20000] },
    ]);
    assert.deepEqual(
      r.notes.map((n) => n.message),
      [
        `safetensors: 'score.weight' has 20000 output rows, a vocabulary-sized (LLM-scale) head rather than a classifier's (at most ${MAX_CLASSES} classes): skipped`,
      ],
    );
    assert.equal(src.bytesRead, 512 + headerEnd);
  });

  it(`a head matrix over ${MAX_MATRIX_BYTES} bytes`, async () => {
    const {
      run: r,
      src,
      headerEnd,
    } = await sparse([
      { name: 'classifier.weight', shape: [5000, 4096] },
      { name: 'classifier.bias', shape: [5000] },
    ]);
    assert.deepEqual(
      r.notes.map((n) => n.message),
      [
        `classification head 'classifier.weight' (5000 classes × 4096 features, F32) not analysed: its 81920000 bytes exceed the ${MAX_MATRIX_BYTES}-byte limit`,
      ],
    );
    assert.equal(src.bytesRead, 512 + headerEnd);
  });
});

describe('synthetic heads', () => {
  it('a suppressed (dead) class is reported on the low side', async () => {
    const r = await run(new BufferSource('dead', safetensors(head(12, 16, { 4: 0.05 })).bytes));
    assert.deepEqual(rows(r), [`MEDIUM ${RULE} classifier.weight class 4`]);
    assert.match(r.findings[0].description, /robust z-score -\d+(\.\d+)?;.*a suppressed or dead class$/);
  });

  it('float16 and bfloat16 heads give the same finding as float32', async () => {
    const want = [`MEDIUM ${RULE} classifier.weight class 9`];
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const r = await run(new BufferSource(dtype, safetensors(head(20, 24, { 9: 5 }, dtype)).bytes));
      assert.deepEqual(rows(r), want, dtype);
      assert.equal((r.findings[0].details as { dtype: string }).dtype, dtype);
    }
  });

  it(`at most ${MAX_FINDINGS} findings, the rest counted in a note`, async () => {
    const scale: Record<number, number> = {};
    for (let c = 0; c < 25; c++) scale[c] = 10 + c;
    const r = await run(new BufferSource('many', safetensors(head(100, 8, scale)).bytes));
    assert.equal(r.findings.length, MAX_FINDINGS);
    // The strongest ones are shown: classes 5 to 24, in class order.
    assert.deepEqual(
      r.findings.map((f) => f.operator),
      Array.from({ length: 20 }, (_, i) => `class ${i + 5}`),
    );
    assert.deepEqual(
      r.notes.map((n) => n.message),
      [
        `classification head 'classifier.weight' (100 classes × 8 features, F32): 5 more outlier classes beyond the ${MAX_FINDINGS} reported`,
      ],
    );
  });

  it('uniform heads never flag a class', async () => {
    const rowsOf = (n: number) => Array.from({ length: n * 4 }, () => 0.5);
    const r = await run(
      new BufferSource(
        'u',
        safetensors([
          { name: 'fc.weight', shape: [6, 4], values: rowsOf(6) },
          { name: 'fc.bias', shape: [6] },
        ]).bytes,
      ),
    );
    assert.deepEqual(r, { findings: [], notes: [] });
  });
});

describe('parts', () => {
  it('robust statistics: median, MAD, z-scores with the 5% spread floor', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    const s = robustSummary([1, 1.1, 0.9, 1, 1.05, 0.95, 8]);
    assert.equal(s.median, 1);
    assert.ok(Math.abs(s.mad - 0.05) < 1e-12);
    assert.ok(Math.abs(s.scale - 0.07413) < 1e-9);
    assert.ok(Math.abs(s.z[6] - 7 / 0.07413) < 1e-9);
    // Norms that agree to 1%: the floor (5% of the median) keeps z small.
    const tight = robustSummary([1, 1.001, 0.999, 1.002, 0.998, 1.02]);
    assert.ok(tight.z[5] < 1);
    assert.deepEqual([...robustSummary([0, 0, 0]).z], [0, 0, 0]);
  });

  it('decodes float16 and bfloat16', () => {
    const out = new Float64Array(6);
    const f16 = Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c, 0xff, 0x7b, 0x00, 0x80]);
    decode('F16', f16, out);
    assert.deepEqual([...out], [1, -2, 2 ** -24, Number.POSITIVE_INFINITY, 65504, -0]);
    const bf = Buffer.from([0x80, 0x3f, 0x00, 0xc0, 0x49, 0x40]);
    const o2 = new Float64Array(3);
    decode('BF16', bf, o2);
    assert.deepEqual([...o2], [1, -2, 3.140625]);
  });

  it('contiguity as torch judges it', () => {
    assert.equal(contiguous([10, 32], [32, 1]), true);
    assert.equal(contiguous([10, 32], [1, 10]), false);
    assert.equal(contiguous([1, 32], [999, 1]), true);
    assert.equal(contiguous([10], [1]), true);
    assert.equal(contiguous([10], [2]), false);
  });

  it('natural name order', () => {
    const names = ['layers.10.weight', 'layers.2.weight', 'layers.1.bias', 'head.weight', 'layers.02.weight'];
    assert.deepEqual(
      naturalSort(names.map((name) => ({ name }))).map((x) => x.name),
      ['head.weight', 'layers.1.bias', 'layers.02.weight', 'layers.2.weight', 'layers.10.weight'],
    );
  });

  it('head choice: terminal, head-like name, last; lm_head never', () => {
    const t = (name: string, shape: number[], outAxis: 0 | 1 = 0): TensorInfo => ({ name, dtype: 'F32', shape, outAxis });
    const pick = (ts: TensorInfo[]) => {
      const c = chooseHead(ts);
      return c.kind === 'head' ? c.head.weight.name : c.kind;
    };
    // BERT-like: square attention layers feed others; the classifier does not.
    assert.equal(
      pick([
        t('bert.attention.output.dense.weight', [768, 768]),
        t('bert.attention.output.dense.bias', [768]),
        t('classifier.weight', [3, 768]),
        t('classifier.bias', [3]),
      ]),
      'classifier.weight',
    );
    // Two terminal layers (an auxiliary head): the head-like name wins even when it comes first.
    assert.equal(pick([t('fc.weight', [10, 64]), t('fc.bias', [10]), t('aux.proj.weight', [7, 64]), t('aux.proj.bias', [7])]), 'fc.weight');
    assert.equal(pick([t('lm_head.weight', [300, 64]), t('lm_head.bias', [300])]), 'vocabulary');
    assert.equal(pick([t('dense/kernel:0', [64, 10], 1), t('dense/bias:0', [10])]), 'dense/kernel:0');
    assert.equal(pick([t('fc.weight', [10, 64]), t('fc.bias', [11])]), 'none');
  });

  it('the pickle walker names tensors like a state_dict, and stays bounded on hostile nesting', () => {
    // 100000 nested one-tuples, then a cycle through a list that contains itself.
    const deep = Buffer.concat([
      Buffer.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x68, 0x00, 0x61]),
      Buffer.alloc(100_000, 0x85),
      Buffer.from([0x2e]),
    ]);
    const v = evaluateTorchPickle(deep, () => {});
    assert.deepEqual(
      namedTensors(v, 10, () => {}),
      { tensors: [], capped: false },
    );
    assert.throws(() => evaluateTorchPickle(Buffer.from([0x80, 0x02, 0x68, 0x05, 0x2e]), () => {}), /memo key 5 was never stored/);
    assert.throws(() => evaluateTorchPickle(Buffer.from([0x80, 0x02, 0x2e]), () => {}), /stack underflow/);
  });
});
