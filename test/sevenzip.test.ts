/**
 * 7z archives: fixtures made by 7-Zip (scripts/make-7z-fixtures.sh), one per
 * coder and layout, each pinned to its exact findings; archives hand-built
 * here for the anomalies 7-Zip will not write; damaged copies of every
 * fixture, which must never throw nor pass as clean.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { decodeChain } from '../src/formats/sevenzip/coders.js';
import { bcjX86, delta } from '../src/formats/sevenzip/filters.js';
import { FolderSource } from '../src/formats/sevenzip/folder-source.js';
import { HeaderReader } from '../src/formats/sevenzip/reader.js';
import type { ByteSource } from '../src/io/byte-source.js';
import type { ScanResult } from '../src/scan/scan.js';
import { OS_SYSTEM_PICKLE, PLAIN_PICKLE } from './helpers/assembler.js';
import { scanBytes } from './helpers/scan-bytes.js';

const DIR = new URL('./fixtures/sevenzip/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, DIR));

/** Severity, rule and member (the part of the source after the archive's name), sorted. */
const rules = (r: ScanResult): string[] =>
  r.issues.map((i) => `${i.severity} ${i.rule}${i.source.includes(':') ? ` ${i.source.slice(i.source.indexOf(':'))}` : ''}`).sort();
const skipped = (r: ScanResult): string[] => r.skipped.map((s) => s.source.slice(s.source.indexOf(':'))).sort();

const PAYLOAD = OS_SYSTEM_PICKLE;
const BENIGN = PLAIN_PICKLE;

const EVIL = 'CRITICAL pickle/unsafe-global';

/** Exact findings and skipped members of each fixture (7-Zip 26.02; the script says how each was made). */
const EXPECTED: Record<string, { issues: string[]; skipped?: string[] }> = {
  'lzma.7z': { issues: [`${EVIL} :evil.pkl`] },
  'lzma2.7z': { issues: [] },
  'solid.7z': { issues: [`${EVIL} :evil.pkl`], skipped: [':notes.txt'] },
  'nonsolid.7z': { issues: [`${EVIL} :evil.pkl`], skipped: [':notes.txt'] },
  'copy.7z': { issues: [`${EVIL} :evil.pkl`] },
  'plain-header.7z': { issues: [`${EVIL} :evil.pkl`] },
  'bcj.7z': { issues: [`${EVIL} :evil.pkl`], skipped: [':program.exe'] },
  'lzma-bcj.7z': { issues: [], skipped: [':program.exe'] },
  'delta.7z': { issues: [`${EVIL} :evil.pkl`], skipped: [':samples.bin'] },
  'bzip2.7z': { issues: [`${EVIL} :evil.pkl`] },
  'deflate.7z': { issues: [`${EVIL} :evil.pkl`] },
  'empties.7z': { issues: [] },
  'ppmd.7z': { issues: ['MEDIUM 7z/unsupported-method :evil.pkl'] },
  'arm64.7z': { issues: ['MEDIUM 7z/unsupported-method :evil.pkl'] },
  'bcj2.7z': { issues: ['MEDIUM 7z/unsupported-method :program.exe'] },
  'encrypted.7z': { issues: ['MEDIUM 7z/encrypted :benign.pkl', 'MEDIUM 7z/encrypted :evil.pkl'] },
  'encrypted-header.7z': { issues: ['MEDIUM 7z/encrypted'], skipped: [':<packed streams>'] },
  'symlink.7z': { issues: ['MEDIUM 7z/symlink :link'] },
  'traversal.7z': {
    issues: [`${EVIL} :../e.pkl`, 'HIGH 7z/path-traversal :../e.pkl', 'HIGH 7z/path-traversal :/etc/b.pkl'],
  },
  'bomb.7z': { issues: ['MEDIUM 7z/bomb :zeros.bin'], skipped: [':zeros.bin'] },
};

describe('7z fixtures made by 7-Zip', () => {
  it('covers every fixture on disk', () => {
    assert.deepEqual(readdirSync(DIR).sort(), Object.keys(EXPECTED).sort());
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: ${want.issues.length ? want.issues.join(', ') : 'clean'}`, async () => {
      const r = await scanBytes(fixture(name), name);
      assert.deepEqual(rules(r), [...want.issues].sort());
      assert.deepEqual(skipped(r), want.skipped ?? []);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.formats, ['7z']);
    });
  }

  it('names the coders a member cannot be decoded with', async () => {
    const r = await scanBytes(fixture('ppmd.7z'), 'p.7z');
    assert.match(r.issues[0].description, /PPMd/);
    const e = await scanBytes(fixture('encrypted.7z'), 'e.7z');
    assert.match(e.issues[0].description, /7zAES/);
  });

  it('finds the payload in a 7z inside gzip (a sequential source)', async () => {
    const r = await scanBytes(zlib.gzipSync(fixture('solid.7z')), 'a.7z.gz');
    assert.deepEqual(rules(r), [`${EVIL} :<gzip data>:evil.pkl`]);
  });

  it('reports a member whose data no longer matches its CRC', async () => {
    const b = fixture('copy.7z');
    const at = b.indexOf('weights');
    b[at] ^= 0x01; // still a valid pickle, so only the CRC tells
    const r = await scanBytes(b, 'c.7z');
    assert.deepEqual(rules(r), [`${EVIL} :evil.pkl`, 'MEDIUM 7z/crc-mismatch :benign.pkl']);
  });

  it('scans bytes after the archive on their own', async () => {
    const r = await scanBytes(Buffer.concat([fixture('lzma2.7z'), PAYLOAD]), 't.7z');
    assert.deepEqual(rules(r), [`${EVIL} :<bytes after the archive>`, 'LOW 7z/trailing-data']);
  });

  it('a truncated archive is unscannable, and its packed area is still routed (copy method finds the pickle)', async () => {
    const b = fixture('copy.7z');
    const r = await scanBytes(b.subarray(0, b.length - 10), 'tr.7z');
    assert.deepEqual(rules(r), [`${EVIL} :<packed streams>`, 'LOW pickle/trailing-data :<packed streams>', 'MEDIUM 7z/unscannable']);
    assert.match(r.issues.find((i) => i.rule === '7z/unscannable')!.description, /truncated/);
  });

  it('keeps to the entry limit and says so', async () => {
    const r = await scanBytes(fixture('solid.7z'), 's.7z', { limits: { maxEntries: 2 } });
    assert.deepEqual(rules(r), [`${EVIL} :evil.pkl`, 'MEDIUM 7z/too-many-entries']);
    assert.deepEqual(skipped(r), []);
  });

  it('stops at the decompression budget with a finding', async () => {
    const r = await scanBytes(fixture('solid.7z'), 's.7z', { limits: { maxDecompressedBytes: 100 } });
    assert.deepEqual(rules(r), ['MEDIUM 7z/too-large', 'MEDIUM 7z/too-large :benign.pkl']);
    assert.deepEqual(skipped(r), [':benign.pkl', ':evil.pkl', ':notes.txt', ':sub/model.pkl']);
  });

  it('the bomb is found from its declared sizes without decoding it', async () => {
    const started = Date.now();
    const r = await scanBytes(fixture('bomb.7z'), 'b.7z');
    assert.ok(Date.now() - started < 5000);
    const bomb = r.issues.find((i) => i.rule === '7z/bomb')!;
    assert.match(bomb.description, /536870912/);
  });
});

// ---------- hand-built archives ----------

/** 7z's variable-length UINT64. */
function num(n: number): Buffer {
  for (let extra = 0; extra < 8; extra++) {
    const high = Math.floor(n / 2 ** (8 * extra));
    if (high < 2 ** (7 - extra)) {
      const out = Buffer.alloc(1 + extra);
      out[0] = ((0xff00 >> extra) & 0xff) | high;
      for (let i = 0; i < extra; i++) out[1 + i] = Math.floor(n / 2 ** (8 * i)) & 0xff;
      return out;
    }
  }
  const out = Buffer.alloc(9, 0xff);
  out.writeBigUInt64LE(BigInt(n), 1);
  return out;
}

const bytes = (...parts: (number | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : p)));

const bits = (flags: boolean[]): Buffer => {
  const out = Buffer.alloc(Math.ceil(flags.length / 8));
  flags.forEach((f, i) => {
    if (f) out[i >> 3] |= 0x80 >> (i & 7);
  });
  return out;
};

/** Signature header + packed data + header, CRCs right. */
function archive(packed: Buffer, header: Buffer, trailing: Buffer = Buffer.alloc(0)): Buffer {
  const sig = Buffer.alloc(32);
  Buffer.from("7z\xbc\xaf'\x1c\x00\x04", 'latin1').copy(sig);
  sig.writeBigUInt64LE(BigInt(packed.length), 12);
  sig.writeBigUInt64LE(BigInt(header.length), 20);
  sig.writeUInt32LE(zlib.crc32(header), 28);
  sig.writeUInt32LE(zlib.crc32(sig.subarray(12, 32)), 8);
  return Buffer.concat([sig, packed, header, trailing]);
}

interface Item {
  name: string;
  data?: Buffer;
  dir?: boolean;
  attrs?: number;
  /** Declared size, if not the data's. */
  size?: number;
}

const COPY_FOLDER = bytes(1, 0x01, 0x00); // one coder, 1-byte id 00 (Copy)

/** A Copy-method archive: one folder holding every file with data (solid), with CRCs. */
function build(items: Item[], extraStreams: Buffer[] = [], filesInfo?: Buffer): Buffer {
  const withData = items.filter((i) => i.data);
  const datas = [...withData.map((i) => i.data!), ...extraStreams];
  const packed = Buffer.concat(datas);
  const sizes = [...withData.map((i) => i.size ?? i.data!.length), ...extraStreams.map((d) => d.length)];
  const total = sizes.reduce((a, b) => a + b, 0);
  const streams = bytes(
    0x04,
    bytes(0x06, num(0), num(1), 0x09, num(packed.length), 0x00),
    bytes(0x07, 0x0b, num(1), 0x00, COPY_FOLDER, 0x0c, num(total), 0x00),
    bytes(
      0x08,
      0x0d,
      num(sizes.length),
      0x09,
      ...sizes.slice(0, -1).map(num),
      0x0a,
      0x01,
      ...datas.map((d) => {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(zlib.crc32(d));
        return b;
      }),
      0x00,
    ),
    0x00,
  );
  const names = Buffer.concat([Buffer.from([0]), ...items.map((i) => Buffer.from(`${i.name}\0`, 'utf16le'))]);
  const empty = items.map((i) => !i.data);
  const props: Buffer[] = [];
  if (empty.some(Boolean)) {
    const e = bits(empty);
    props.push(bytes(0x0e, num(e.length), e));
    const ef = bits(items.filter((i) => !i.data).map((i) => !i.dir));
    props.push(bytes(0x0f, num(ef.length), ef));
  }
  props.push(bytes(0x11, num(names.length), names));
  if (items.some((i) => i.attrs !== undefined)) {
    const a = Buffer.alloc(4 * items.length);
    items.forEach((i, k) => {
      a.writeUInt32LE((i.attrs ?? 0x20) >>> 0, 4 * k);
    });
    props.push(bytes(0x15, num(a.length + 2), 0x01, 0x00, a));
  }
  const files = filesInfo ?? bytes(0x05, num(items.length), ...props, 0x00);
  return archive(packed, bytes(0x01, streams, files, 0x00));
}

describe('hand-built 7z anomalies', () => {
  it('a clean hand-built archive scans clean (the builder is right)', async () => {
    const r = await scanBytes(
      build([
        { name: 'a.pkl', data: BENIGN },
        { name: 'dir', dir: true },
        { name: 'dir/b.pkl', data: PAYLOAD },
      ]),
      'ok.7z',
    );
    assert.deepEqual(rules(r), [`${EVIL} :dir/b.pkl`]);
    assert.deepEqual(r.errors, []);
  });

  it('reports traversal, absolute, drive, UNC and backslash-climbing names; backslashes alone are Windows separators', async () => {
    const r = await scanBytes(
      build([
        { name: '../up.pkl', data: BENIGN },
        { name: 'C:/w.pkl', data: BENIGN },
        { name: 'a\\..\\..\\b.pkl', data: BENIGN },
        { name: '\\\\server\\share.pkl', data: BENIGN },
        { name: 'win\\dir\\ok.pkl', data: BENIGN },
      ]),
      'n.7z',
    );
    assert.deepEqual(rules(r), [
      'HIGH 7z/path-traversal :../up.pkl',
      'HIGH 7z/path-traversal :C:/w.pkl',
      'HIGH 7z/path-traversal :\\\\server\\share.pkl',
      'HIGH 7z/path-traversal :a\\..\\..\\b.pkl',
    ]);
  });

  it('reports Unix symlinks and Windows reparse points without scanning their target', async () => {
    const r = await scanBytes(
      build([
        { name: 'l1', data: Buffer.from('/etc/passwd'), attrs: 0x8000 | (0o120777 << 16) },
        { name: 'l2', data: PAYLOAD, attrs: 0x400 | 0x20 },
        { name: 'f.pkl', data: BENIGN, attrs: 0x8000 | (0o100644 << 16) },
      ]),
      'l.7z',
    );
    assert.deepEqual(rules(r), ['MEDIUM 7z/symlink :l1', 'MEDIUM 7z/symlink :l2']);
  });

  it('reports duplicate names and scans both copies', async () => {
    const r = await scanBytes(
      build([
        { name: 'x.pkl', data: BENIGN },
        { name: 'x.pkl', data: PAYLOAD },
      ]),
      'd.7z',
    );
    assert.deepEqual(rules(r), [`${EVIL} :x.pkl`, 'MEDIUM 7z/duplicate-name :x.pkl']);
  });

  it('scans data streams no file claims, under a made-up name', async () => {
    const r = await scanBytes(build([{ name: 'a.pkl', data: BENIGN }], [PAYLOAD]), 'o.7z');
    assert.deepEqual(rules(r), [`${EVIL} :<stream 1>`, 'MEDIUM 7z/malformed']);
  });

  it('data cut short: the file before the cut is scanned, the cut is reported where it happens', async () => {
    // The folder declares 100 bytes more than its packed data holds.
    const r = await scanBytes(
      build([
        { name: 'a.pkl', data: PAYLOAD },
        { name: 'b.pkl', data: BENIGN, size: BENIGN.length + 100 },
      ]),
      'cut.7z',
    );
    const got = rules(r);
    assert.ok(got.includes(`${EVIL} :a.pkl`), got.join('\n'));
    assert.ok(got.includes('MEDIUM 7z/corrupt-data :b.pkl'), got.join('\n'));
    assert.ok(!got.some((g) => g.endsWith(':a.pkl') && g.includes('7z/')), got.join('\n'));
  });

  it('a header damaged in its file list keeps the streams read before it', async () => {
    // The names property declares 50 bytes and holds 7: the streams info before it is whole.
    const cut = bytes(0x05, num(1), 0x11, num(50), 0x00, Buffer.from('a.p', 'utf16le'));
    const r = await scanBytes(build([{ name: 'a.pkl', data: PAYLOAD }], [], cut), 'h.7z');
    assert.deepEqual(rules(r), [`${EVIL} :<file 0>`, 'MEDIUM 7z/malformed']);
  });

  it('an empty archive is clean; a blank (never finished) start header is unscannable', async () => {
    const empty = archive(Buffer.alloc(0), Buffer.alloc(0));
    empty.writeUInt32LE(0, 28);
    empty.writeUInt32LE(zlib.crc32(empty.subarray(12, 32)), 8);
    const e = await scanBytes(empty, 'e.7z');
    assert.deepEqual(rules(e), []);
    const blank = Buffer.concat([Buffer.from("7z\xbc\xaf'\x1c\x00\x04", 'latin1'), Buffer.alloc(24), PAYLOAD]);
    const b = await scanBytes(blank, 'b.7z');
    assert.deepEqual(rules(b), [`${EVIL} :<packed streams>`, 'MEDIUM 7z/unscannable']);
  });

  it('reports a start header or header failing its CRC, and reads on', async () => {
    const a = build([{ name: 'a.pkl', data: PAYLOAD }]);
    a.writeUInt32LE((a.readUInt32LE(28) ^ 1) >>> 0, 28);
    const r = await scanBytes(a, 'c.7z');
    assert.deepEqual(rules(r), [`${EVIL} :a.pkl`, 'MEDIUM 7z/header-crc-mismatch', 'MEDIUM 7z/header-crc-mismatch']);
  });

  it('an unknown major version is unscannable; a newer minor version is noted', async () => {
    const a = build([{ name: 'a.pkl', data: BENIGN }]);
    a[6] = 1;
    assert.deepEqual(rules(await scanBytes(a, 'v.7z')), ['MEDIUM 7z/unscannable']);
    a[6] = 0;
    a[7] = 9;
    assert.deepEqual(rules(await scanBytes(a, 'v.7z')), ['LOW 7z/unknown-version']);
  });

  it('hostile counts stay bounded: huge file, folder, coder and substream counts', async () => {
    const packed = Buffer.from(BENIGN);
    const headers = [
      // 2^40 files and nothing else about them.
      bytes(0x01, 0x05, num(2 ** 40), 0x00, 0x00),
      // 2^40 folders.
      bytes(0x01, 0x04, 0x06, num(0), num(1), 0x09, num(packed.length), 0x00, 0x07, 0x0b, num(2 ** 40), 0x00),
      // 65 coders in one folder.
      bytes(0x01, 0x04, 0x06, num(0), num(1), 0x09, num(packed.length), 0x00, 0x07, 0x0b, num(1), 0x00, num(65), Buffer.alloc(200, 0x01)),
      // 2^50 substreams with listed sizes.
      bytes(
        0x01,
        0x04,
        0x06,
        num(0),
        num(1),
        0x09,
        num(7),
        0x00,
        0x07,
        0x0b,
        num(1),
        0x00,
        COPY_FOLDER,
        0x0c,
        num(7),
        0x00,
        0x08,
        0x0d,
        num(2 ** 50),
        0x09,
        Buffer.alloc(1000, 1),
        0x00,
        0x00,
      ),
      // A number running off the end.
      bytes(0x01, 0x04, 0x06, 0xff, 0xff),
    ];
    for (const h of headers) {
      const started = Date.now();
      const r = await scanBytes(archive(packed, h), 'h.7z');
      assert.ok(Date.now() - started < 3000);
      assert.deepEqual(r.errors, []);
      assert.ok(
        r.issues.some((i) => i.severity === 'MEDIUM' && i.rule.startsWith('7z/')),
        rules(r).join('\n'),
      );
    }
  });
});

// ---------- damage ----------

describe('damaged 7z archives', () => {
  // The bomb is left out: its damaged copies route a raw bzip2 stream to the compressed-stream scanner, which is slow by design.
  const names = Object.keys(EXPECTED).filter((n) => n !== 'bomb.7z');
  it('truncations and byte flips never throw and never pass as clean', async () => {
    let variants = 0;
    for (const name of names) {
      const orig = fixture(name);
      const cuts: Buffer[] = [];
      for (let n = 0; n < orig.length; n += 11) cuts.push(orig.subarray(0, n));
      for (let i = 3; i < orig.length; i += 13) {
        const b = Buffer.from(orig);
        b[i] ^= i % 2 ? 0x01 : 0x80;
        cuts.push(b);
      }
      for (const b of cuts) {
        variants++;
        const r = await scanBytes(b, 'x.7z');
        assert.deepEqual(r.errors, [], `${name}: ${b.length} bytes`);
        const clean = r.issues.length === 0 && r.scanned.length > 0;
        assert.ok(!clean, `${name}: a damaged copy (${b.length} bytes) passed as clean`);
      }
    }
    assert.ok(variants > 500);
  });
});

// ---------- pieces ----------

describe('7z pieces', () => {
  it('reads 7z variable-length numbers at every length', () => {
    const values = [0, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 2 ** 32 + 5, 2 ** 48 + 3, Number.MAX_SAFE_INTEGER];
    for (const v of values) {
      const r = new HeaderReader(num(v));
      assert.equal(r.number(), v);
      assert.equal(r.left, 0);
    }
    assert.throws(() => new HeaderReader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).number(), /too large/);
    assert.throws(() => new HeaderReader(Buffer.from([0xc0, 0x01])).number(), /truncated/);
  });

  const collect = async (it: AsyncIterable<Buffer>): Promise<Buffer> => {
    const out: Buffer[] = [];
    for await (const c of it) out.push(c);
    return Buffer.concat(out);
  };
  async function* chunked(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
    let k = 0;
    for (let pos = 0; pos < data.length; k++) {
      const n = sizes[k % sizes.length];
      yield data.subarray(pos, pos + n);
      pos += n;
    }
  }

  it('BCJ x86 and Delta decode the same whatever the chunking', async () => {
    const data = Buffer.alloc(5000);
    for (let i = 0; i < data.length; i++) data[i] = [0xe8, 0x00, 0xff, 0xe9, 0x12, 0x00, 0x00, 0xff][(i * 7 + (i >> 3)) % 8];
    const whole = await collect(bcjX86(chunked(data, [data.length])));
    assert.equal(whole.length, data.length);
    assert.notDeepEqual(whole, data);
    for (const sizes of [[1], [3], [4, 5, 6], [7, 1, 2, 64]]) {
      assert.deepEqual(await collect(bcjX86(chunked(data, sizes))), whole);
      assert.deepEqual(await collect(delta(chunked(data, sizes), 4)), await collect(delta(chunked(data, [data.length]), 4)));
    }
  });

  it('a failing read ends a Deflate folder with that error rather than leaving the decoder waiting', async () => {
    const data = zlib.deflateRawSync(randomBytes(200_000));
    const src: ByteSource = {
      name: 'x',
      size: data.length,
      read: async (offset, length) => {
        if (offset > 0) throw new Error('boom');
        return data.subarray(offset, offset + length);
      },
      close: async () => {},
    };
    const coder = { id: '040108', numIn: 1, numOut: 1, props: Buffer.alloc(0) };
    await assert.rejects(
      collect(decodeChain(src, 0, data.length, [{ coder, kind: 'deflate', name: 'Deflate', unpackSize: 200_000 }])),
      /boom/,
    );
  });

  const zeros = (chunks: number, size: number) =>
    async function* (): AsyncGenerator<Buffer> {
      for (let i = 0; i < chunks; i++) yield Buffer.alloc(size);
    };

  it('a folder source stops at the ratio cap and at the budget, serving what came before', async () => {
    const caps = { budget: { remaining: 1 << 30 }, maxRatio: 100, ratioFloor: 1 << 20, checkpoint: () => {} };
    const bomb = new FolderSource('bomb', zeros(64, 64 << 10), 64 * (64 << 10), 100, caps);
    const got = await bomb.read((2 << 20) - 10, 100);
    assert.equal(bomb.capped, 'ratio');
    assert.ok(got.length < 100);
    const budget = { remaining: 300 << 10 };
    const capped = new FolderSource('big', zeros(64, 64 << 10), 64 * (64 << 10), 1 << 30, { ...caps, budget });
    assert.equal((await capped.read(1 << 20, 10)).length, 0);
    assert.equal(capped.capped, 'budget');
  });

  it('a folder source serves reads behind its window by decoding again', async () => {
    let opened = 0;
    const open = async function* (): AsyncGenerator<Buffer> {
      opened++;
      for (let i = 0; i < 200; i++) yield Buffer.alloc(1 << 20, i);
    };
    const caps = { budget: { remaining: 2 ** 40 }, maxRatio: 1e9, ratioFloor: 0, checkpoint: () => {} };
    const src = new FolderSource('f', open, 200 << 20, 1 << 30, caps);
    assert.equal((await src.read((150 << 20) + 5, 1))[0], 150);
    assert.equal((await src.read((140 << 20) + 1, 1))[0], 140); // inside the kept window
    assert.equal(opened, 1);
    assert.equal((await src.read(5, 1))[0], 0); // behind it
    assert.equal(opened, 2);
    await src.close();
  });
});
