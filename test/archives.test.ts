/**
 * Containers built at test time: zip header anomalies (hand-built zips),
 * compression wrappers, tar, .npy headers and bombs. Each test pins the
 * exact findings the construct must give.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { decodeBzip2 } from '../src/io/codecs/bzip2.js';
import { DECODERS, type Decoder } from '../src/io/codecs/index.js';
import type { Issue, ScanResult } from '../src/scan/scan.js';
import { OS_SYSTEM_PICKLE, PLAIN_PICKLE } from './helpers/assembler.js';
import { scanBytes } from './helpers/scan-bytes.js';
import { buildZip } from './helpers/zip-builder.js';

const scanWith = scanBytes;

/** Rules with the part of the source after the file name (the member path), sorted. */
const rules = (r: ScanResult): string[] =>
  r.issues.map((i: Issue) => `${i.severity} ${i.rule} ${i.source.includes(':') ? i.source.slice(i.source.indexOf(':')) : ''}`).sort();

const PAYLOAD = OS_SYSTEM_PICKLE;
const BENIGN = PLAIN_PICKLE;

describe('zip header anomalies', () => {
  it('a clean zip of a benign pickle has no findings', async () => {
    const r = await scanWith(
      buildZip([
        { name: 'a.pkl', data: BENIGN },
        { name: 'b.pkl', data: BENIGN, method: 8 },
      ]),
      'ok.zip',
    );
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.errors, []);
  });

  it('finds the payload in a stored and in a deflated member, named by member', async () => {
    const r = await scanWith(
      buildZip([
        { name: 'x/stored.pkl', data: PAYLOAD },
        { name: 'deflated.bin', data: PAYLOAD, method: 8 },
      ]),
      'm.zip',
    );
    assert.deepEqual(rules(r), ['CRITICAL pickle/unsafe-global :deflated.bin', 'CRITICAL pickle/unsafe-global :x/stored.pkl']);
  });

  it('reports local/central name disagreement', async () => {
    const r = await scanWith(buildZip([{ name: 'model.pkl', localName: 'other.pkl', data: BENIGN }]), 'n.zip');
    assert.deepEqual(rules(r), ['MEDIUM zip/name-mismatch :model.pkl']);
  });

  it('reports duplicate names and scans every copy', async () => {
    const r = await scanWith(
      buildZip([
        { name: 'data.pkl', data: BENIGN },
        { name: 'data.pkl', data: PAYLOAD },
      ]),
      'd.zip',
    );
    assert.deepEqual(rules(r), ['CRITICAL pickle/unsafe-global :data.pkl', 'MEDIUM zip/duplicate-name :data.pkl']);
  });

  it('reports a CRC mismatch', async () => {
    const r = await scanWith(buildZip([{ name: 'a.pkl', data: BENIGN, crc: 0x1234 }]), 'c.zip');
    assert.deepEqual(rules(r), ['MEDIUM zip/crc-mismatch :a.pkl']);
  });

  it('reports unusual flag bits', async () => {
    const r = await scanWith(buildZip([{ name: 'a.pkl', data: BENIGN, flags: 0x40 }]), 'f.zip');
    assert.deepEqual(rules(r), ['MEDIUM zip/unusual-flags :a.pkl']);
  });

  it('reports encrypted members as unscannable (LOW for text names, MEDIUM otherwise)', async () => {
    const r = await scanWith(
      buildZip([
        { name: 'notes.txt', data: 'x', flags: 1 },
        { name: 'model.pkl', data: 'x', flags: 1 },
      ]),
      'e.zip',
    );
    assert.deepEqual(rules(r), ['LOW zip/encrypted :notes.txt', 'MEDIUM zip/encrypted :model.pkl']);
  });

  it('reports traversal, absolute, backslash and drive names at HIGH and still scans them', async () => {
    const r = await scanWith(
      buildZip([
        { name: '../evil.pkl', data: PAYLOAD },
        { name: '/abs.pkl', data: BENIGN },
        { name: 'a\\..\\..\\b.pkl', data: BENIGN },
        { name: 'C:/w.pkl', data: BENIGN },
      ]),
      't.zip',
    );
    assert.deepEqual(rules(r), [
      'CRITICAL pickle/unsafe-global :../evil.pkl',
      'HIGH zip/path-traversal :../evil.pkl',
      'HIGH zip/path-traversal :/abs.pkl',
      'HIGH zip/path-traversal :C:/w.pkl',
      'HIGH zip/path-traversal :a\\..\\..\\b.pkl',
    ]);
  });

  it('decodes bzip2 members (method 12) like zipfile does', async () => {
    const bz = readFileSync(new URL('./fixtures/codecs/bzip2-python-pickle.bz2', import.meta.url));
    const plain: Buffer[] = [];
    for await (const c of decodeBzip2(
      (async function* () {
        yield bz;
      })(),
    ))
      plain.push(c);
    const data = Buffer.concat(plain);
    const zip = buildZip([{ name: 'model.pkl', data: bz, method: 12, size: data.length, crc: zlib.crc32(data) }]);
    const r = await scanWith(zip, 'bz.zip');
    assert.deepEqual(rules(r), []);
    assert.deepEqual(r.skipped, []);
    assert.equal(r.scanned.length, 1);
  });

  const decodeAll = async (decode: Decoder, data: Buffer): Promise<Buffer> => {
    const out: Buffer[] = [];
    for await (const c of decode(
      (async function* () {
        yield data;
      })(),
    ))
      out.push(c);
    return Buffer.concat(out);
  };

  it('decodes xz (95) and zstd (93) members', async () => {
    const xz = readFileSync(new URL('./fixtures/codecs/xz-python-pickle.xz', import.meta.url));
    const zst = readFileSync(new URL('./fixtures/codecs/zstd-tiny.zst', import.meta.url));
    const xzPlain = await decodeAll(DECODERS.xz, xz);
    const zstPlain = await decodeAll(DECODERS.zstd, zst);
    const zip = buildZip([
      { name: 'model.pkl', data: xz, method: 95, size: xzPlain.length, crc: zlib.crc32(xzPlain) },
      { name: 'notes.bin', data: zst, method: 93, size: zstPlain.length, crc: zlib.crc32(zstPlain) },
    ]);
    const r = await scanWith(zip, 'xz.zip');
    assert.deepEqual(rules(r), []);
    assert.deepEqual(r.errors, []);
    // The zstd member decodes to plain text: routed and skipped as such, not refused.
    assert.deepEqual(
      r.skipped.map((s) => s.source),
      ['xz.zip:notes.bin'],
    );
  });

  it('refuses LZMA members (14) without an end marker rather than guessing their end', async () => {
    const zip = buildZip([{ name: 'model.pkl', data: Buffer.alloc(32), method: 14 }]);
    const r = await scanWith(zip, 'lz.zip');
    assert.deepEqual(rules(r), ['MEDIUM zip/unsupported-method :model.pkl']);
  });

  it('reports symlink members', async () => {
    const r = await scanWith(buildZip([{ name: 'link', data: '/etc/passwd', symlink: true }]), 's.zip');
    assert.deepEqual(rules(r), ['MEDIUM zip/symlink :link']);
  });

  it('reports methods it cannot decode instead of skipping silently', async () => {
    const r = await scanWith(buildZip([{ name: 'a.pkl', data: 'ppmd...', method: 98 }]), 'u.zip');
    assert.deepEqual(rules(r), ['MEDIUM zip/unsupported-method :a.pkl']);
  });

  it('scans bytes before the first entry (a pickle/zip polyglot) and reports trailing bytes', async () => {
    const r = await scanWith(buildZip([{ name: 'a.pkl', data: BENIGN }], { prefix: PAYLOAD, trailing: Buffer.from('junk') }), 'p.zip');
    assert.deepEqual(rules(r), [
      'CRITICAL pickle/unsafe-global ',
      'LOW pickle/trailing-data ',
      'LOW zip/trailing-data ',
      'MEDIUM pickle/zip-polyglot ',
    ]);
  });

  it('a zip behind a stub that is no known format is still found by its end record', async () => {
    const stub = Buffer.concat([Buffer.alloc(64, 0xff), PAYLOAD]);
    const r = await scanWith(buildZip([{ name: 'a.pkl', data: PAYLOAD }], { prefix: stub }), 'sfx.bin');
    assert.deepEqual(rules(r), ['CRITICAL pickle/unsafe-global :a.pkl', 'MEDIUM zip/prefix-data ']);
  });

  it('a member lying about its size is reported', async () => {
    const r = await scanWith(buildZip([{ name: 'a.pkl', data: BENIGN, method: 8, size: 3 }]), 'l.zip');
    assert.ok(rules(r).includes('MEDIUM zip/size-mismatch :a.pkl'), rules(r).join('\n'));
  });

  it('an unreadable zip is MEDIUM malformed, never clean', async () => {
    const z = buildZip([{ name: 'a.pkl', data: BENIGN }]);
    const r = await scanWith(z.subarray(0, z.length - 10), 'bad.zip');
    assert.equal(r.issues.length + r.errors.length > 0, true);
    assert.ok(r.issues.some((i) => i.rule === 'zip/malformed' && i.severity === 'MEDIUM') || r.errors.length > 0);
  });
});

describe('bombs', () => {
  const zeros = (n: number) => zlib.deflateRawSync(Buffer.alloc(n), { level: 9 });

  it('a highly compressed big member is a zip bomb finding, and its zeros are not parsed', async () => {
    const z = buildZipRaw('bomb.bin', zeros(80 << 20), 80 << 20);
    const r = await scanWith(z, 'b.zip');
    assert.deepEqual(rules(r), ['MEDIUM zip/bomb :bomb.bin']);
  });

  it('42.zip-style nesting is reported from the declared sizes of all levels', async () => {
    const leaf = buildZipRaw('zeros', zeros(8 << 20), 8 << 20);
    const level1 = buildZip(Array.from({ length: 8 }, (_, i) => ({ name: `l${i}.zip`, data: leaf, method: 8 })));
    const level2 = buildZip(Array.from({ length: 8 }, (_, i) => ({ name: `m${i}.zip`, data: level1, method: 8 })));
    const top = buildZip(Array.from({ length: 8 }, (_, i) => ({ name: `n${i}.zip`, data: level2, method: 8 })));
    const r = await scanWith(top, '42.zip');
    assert.deepEqual(rules(r), ['MEDIUM zip/nested-bomb ']);
  });

  it('a gzip stream expanding past the ratio cap is a bomb; what came first is still scanned', async () => {
    const members = [zlib.gzipSync(PAYLOAD), ...Array.from({ length: 300 }, () => zlib.gzipSync(Buffer.alloc(1 << 20), { level: 9 }))];
    const r = await scanWith(Buffer.concat(members), 'b.pkl.gz', { limits: { maxCompressionRatio: 100 } });
    assert.deepEqual(rules(r), [
      'CRITICAL pickle/unsafe-global :<gzip data>',
      'LOW pickle/trailing-data :<gzip data>',
      'MEDIUM compressed/bomb ',
    ]);
  });

  it('output past the per-file decompression cap is a finding', async () => {
    const r = await scanWith(zlib.gzipSync(Buffer.concat([PAYLOAD, Buffer.alloc(2 << 20)])), 'c.pkl.gz', {
      limits: { maxDecompressedBytes: 1 << 20 },
    });
    assert.deepEqual(rules(r), [
      'CRITICAL pickle/unsafe-global :<gzip data>',
      'LOW pickle/trailing-data :<gzip data>',
      'MEDIUM compressed/too-large ',
    ]);
  });
});

describe('compression wrappers', () => {
  it('gzip and zlib wrapped pickles are scanned by content, whatever the name', async () => {
    for (const [bytes, name] of [
      [zlib.gzipSync(PAYLOAD), 'model.joblib'],
      [zlib.deflateSync(PAYLOAD), 'model.pkl'],
      [zlib.deflateSync(PAYLOAD), 'weights.txt'],
    ] as const) {
      const r = await scanWith(bytes, name);
      assert.equal(r.issues.length, 1, name);
      assert.equal(r.issues[0].severity, 'CRITICAL');
      assert.match(r.issues[0].source, /:<(gzip|zlib) data>$/);
    }
  });

  it('a stream damaged after the payload still reports the payload, plus the damage', async () => {
    const gz = zlib.gzipSync(Buffer.concat([PAYLOAD, Buffer.alloc(100_000, 7)]));
    const cut = gz.subarray(0, gz.length - 200);
    const r = await scanWith(cut, 'cut.pkl.gz');
    assert.deepEqual(
      rules(r).map((s) => s.replace(/ :.*/, '').trim()),
      ['CRITICAL pickle/unsafe-global', 'LOW compressed/corrupt', 'LOW pickle/trailing-data'],
    );
  });

  it('a gzip whose content is not a known format is skipped, not called clean', async () => {
    const r = await scanWith(zlib.gzipSync(Buffer.from('just some text\n'.repeat(10))), 'notes.gz');
    assert.deepEqual(r.issues, []);
    assert.equal(r.skipped.length, 1);
  });
});

describe('tar', () => {
  it('scans members by content and reports traversal, links and trailing data', async () => {
    const t = Buffer.concat([
      tarEntry('../evil.pkl', PAYLOAD),
      tarEntry('ok/readme.txt', 'hello'),
      tarEntry('lnk', '', { type: '2', link: '/etc/passwd' }),
      Buffer.alloc(1024),
    ]);
    const r = await scanWith(t, 'a.tar');
    assert.deepEqual(rules(r), [
      'CRITICAL pickle/unsafe-global :../evil.pkl',
      'HIGH tar/link :lnk',
      'HIGH tar/path-traversal :../evil.pkl',
    ]);
  });

  it('honours PAX path records (the name tarfile extracts)', async () => {
    const pax = paxRecord('path', 'deep/'.repeat(30) + 'model.pkl');
    const t = Buffer.concat([tarEntry('PaxHeader', pax, { type: 'x' }), tarEntry('short', PAYLOAD), Buffer.alloc(1024)]);
    const r = await scanWith(t, 'p.tar');
    assert.equal(r.issues.length, 1);
    assert.ok(r.issues[0].source.endsWith(`${'deep/'.repeat(30)}model.pkl`));
  });

  it('a corrupt header after the first is reported and reading stops there', async () => {
    const bad = tarEntry('b.pkl', PAYLOAD);
    bad[0] ^= 0xff;
    const r = await scanWith(Buffer.concat([tarEntry('a.txt', 'x'), bad, Buffer.alloc(1024)]), 'c.tar');
    assert.deepEqual(rules(r), ['MEDIUM tar/malformed ']);
  });

  it('a truncated member is reported and its bytes so far are scanned', async () => {
    const t = tarEntry('m.pkl', Buffer.concat([PAYLOAD, Buffer.alloc(5000)]));
    const r = await scanWith(t.subarray(0, 512 + PAYLOAD.length + 10), 't.tar');
    assert.deepEqual(rules(r), ['CRITICAL pickle/unsafe-global :m.pkl', 'LOW pickle/trailing-data :m.pkl', 'MEDIUM tar/truncated :m.pkl']);
  });

  it('a tar inside gzip is routed twice by content', async () => {
    const r = await scanWith(zlib.gzipSync(Buffer.concat([tarEntry('x/model.bin', PAYLOAD), Buffer.alloc(1024)])), 'bundle.tgz');
    assert.equal(r.issues.length, 1);
    assert.ok(r.issues[0].source.endsWith(':<gzip data>:x/model.bin'));
  });
});

describe('numpy headers', () => {
  const npy = (header: string, body: Buffer, version = 1) => {
    const h = Buffer.from(header.padEnd(118) + '\n', version === 3 ? 'utf8' : 'latin1');
    const pre = Buffer.from([0x93, ...Buffer.from('NUMPY'), version, 0]);
    const len = Buffer.alloc(version === 1 ? 2 : 4);
    version === 1 ? len.writeUInt16LE(h.length) : len.writeUInt32LE(h.length);
    return Buffer.concat([pre, len, h, body]);
  };

  it('plain dtypes are clean without reading the data', async () => {
    const r = await scanWith(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Buffer.alloc(24)), 'a.npy');
    assert.deepEqual(r.issues, []);
    assert.equal(r.scanned.length, 1);
  });

  it('object dtypes have their pickle body scanned, at file offsets', async () => {
    const file = npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", PAYLOAD);
    const r = await scanWith(file, 'o.npy');
    assert.equal(r.issues.length, 1);
    assert.equal(r.issues[0].severity, 'CRITICAL');
    assert.equal(r.issues[0].position, file.length - PAYLOAD.length + PAYLOAD.indexOf(Buffer.from([0x93])));
  });

  it('structured dtypes with an object field are pickles too (v3 header)', async () => {
    const file = npy("{'descr': [('a', '<i4'), ('ü', '|O', (2,))], 'fortran_order': False, 'shape': (1,), }", PAYLOAD, 3);
    const r = await scanWith(file, 's.npy');
    assert.equal(r.issues[0]?.severity, 'CRITICAL');
  });

  it('malformed headers are MEDIUM; short data LOW; trailing bytes scanned', async () => {
    const bad = await scanWith(npy("{'descr': '<f4', 'shape': (2,), }", Buffer.alloc(8)), 'bad.npy');
    assert.deepEqual(rules(bad), ['MEDIUM numpy/malformed ']);
    const evil = await scanWith(npy("{'descr': __import__('os'), 'fortran_order': False, 'shape': (), }", Buffer.alloc(8)), 'evil.npy');
    assert.deepEqual(rules(evil), ['MEDIUM numpy/malformed ']);
    const short = await scanWith(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", Buffer.alloc(8)), 'short.npy');
    assert.deepEqual(rules(short), ['LOW numpy/truncated ']);
    const tail = await scanWith(
      npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", Buffer.concat([Buffer.alloc(8), PAYLOAD])),
      't.npy',
    );
    assert.deepEqual(rules(tail), ['CRITICAL pickle/unsafe-global :<bytes after the array>', 'LOW numpy/trailing-data ']);
  });

  it('npz members are routed as .npy', async () => {
    const member = npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", PAYLOAD);
    const r = await scanWith(
      buildZip([
        { name: 'w.npy', data: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Buffer.alloc(4)) },
        { name: 'o.npy', data: member, method: 8 },
      ]),
      'x.npz',
    );
    assert.deepEqual(rules(r), ['CRITICAL pickle/unsafe-global :o.npy']);
  });
});

/** One deflated member whose data is given already compressed (for bombs). */
function buildZipRaw(name: string, deflated: Buffer, size: number): Buffer {
  const z = buildZip([{ name, data: deflated }]);
  // Rewrite method (8) and uncompressed size in both headers; the CRC of the zeros is computed once.
  const crc = zlib.crc32(Buffer.alloc(size));
  for (const [at, methodOff, crcOff, sizeOff] of [
    [0, 8, 14, 22],
    [z.indexOf(Buffer.from([0x50, 0x4b, 1, 2])), 10, 16, 24],
  ]) {
    z.writeUInt16LE(8, at + methodOff);
    z.writeUInt32LE(crc >>> 0, at + crcOff);
    z.writeUInt32LE(size, at + sizeOff);
  }
  return z;
}

function tarEntry(name: string, data: Buffer | string, opts: { type?: string; link?: string } = {}): Buffer {
  const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(opts.type ?? '0', 156);
  if (opts.link) h.write(opts.link, 157);
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return Buffer.concat([h, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

function paxRecord(key: string, value: string): Buffer {
  const rest = ` ${key}=${value}\n`;
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
  return Buffer.from(`${len}${rest}`);
}

describe('format spoofing', () => {
  it('a pickle named like a data-only format is scanned as a pickle and reported as spoofing', async () => {
    for (const name of ['model.safetensors', 'model.gguf', 'model.onnx', 'weights.h5', 'arr.npy']) {
      const r = await scanWith(PAYLOAD, name);
      assert.deepEqual(rules(r), ['CRITICAL pickle/unsafe-global ', 'MEDIUM format/spoofing '], name);
    }
  });

  it('an .npz that is a zip and a plain pickle named .pkl are not spoofing', async () => {
    assert.deepEqual(rules(await scanWith(buildZip([{ name: 'a.npy', data: 'x' }]), 'a.npz')), []);
    assert.deepEqual(rules(await scanWith(BENIGN, 'model.pkl')), []);
  });

  it('a model-named file whose content is an image is an error, never clean', async () => {
    const r = await scanWith(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), 'model.pt');
    assert.deepEqual(r.issues, []);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].description, /PNG image/);
  });
});
