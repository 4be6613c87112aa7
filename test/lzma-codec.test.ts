import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { decodeLzmaAlone } from '../src/io/codecs/lzma.js';
import { Crc64, decodeXz } from '../src/io/codecs/xz.js';

const DIR = new URL('./fixtures/codecs/', import.meta.url);
const MiB = 1 << 20;

type Decode = typeof decodeXz;

/** name → [decompressed size, SHA-256], as printed by scripts/make-codec-fixtures-lzma.sh. */
const FIXTURES: Record<string, [number, string]> = {
  'lzma-concat.lzma': [1692, 'e77b530cc3b88ebb37f94dda2a361dc75fc176a54f586927d2b9c6871027a28a'],
  'lzma-empty.lzma': [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  'lzma-joblib.lzma': [24273, 'c4798b843715e752e7102b786587090e589f01e10aed6faa00de5a5ed9312e09'],
  'lzma-known-size-marker.lzma': [2150, '9c97d2d085d9b850e72c2d825421a19c0629df3ea79328830e0559976ba3c663'],
  'lzma-known-size-no-marker.lzma': [1680, '55421a969263ec3c6cabfc6544ab99d1bbe2d51cba53842c909d8952281d4790'],
  'lzma-python-empty.lzma': [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  'lzma-python-pickle.lzma': [19303, '2bf4d0228d462e211431be2557e7569b20531f870e9949171d9c7c0aa7f17ed8'],
  'lzma-random.lzma': [16000, 'c648050a3385d393acaaddef333a69a4daa850b3f42dae36e38e5f878cdff318'],
  'lzma-repetitive-9.lzma': [880000, '6f82cf901493a2e86e6e36de2d8f0ddcb7abc456f4bf570d1013bcb29312bd8e'],
  'lzma-tiny.lzma': [12, '292d11753a45fdd68cd6ff258c93a09402daa4abe3040addd1bec4e2ad33167c'],
  'lzma-words-dict4k.lzma': [600050, '4b16f3a06fd7c748c74b4790795385cfa1ac05f28365f6848017107ec3845459'],
  'lzma-words-lc0-lp2-pb0.lzma': [600050, '4b16f3a06fd7c748c74b4790795385cfa1ac05f28365f6848017107ec3845459'],
  'xz-concat-padded.xz': [600062, '087432d290a6a2d2faab224b029697250c31270a9d1487a20628b29704d8a32c'],
  'xz-empty.xz': [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  'xz-joblib.xz': [24273, 'c4798b843715e752e7102b786587090e589f01e10aed6faa00de5a5ed9312e09'],
  'xz-lzma2-chunk-kinds.xz': [421, '05369ea6e935ee138950e05279e5cf362730895f63d50e218ed7a0ac645f3a1f'],
  'xz-python-empty.xz': [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  'xz-python-pickle.xz': [19303, '2bf4d0228d462e211431be2557e7569b20531f870e9949171d9c7c0aa7f17ed8'],
  'xz-random.xz': [16000, 'c648050a3385d393acaaddef333a69a4daa850b3f42dae36e38e5f878cdff318'],
  'xz-repetitive-9e.xz': [880000, '6f82cf901493a2e86e6e36de2d8f0ddcb7abc456f4bf570d1013bcb29312bd8e'],
  'xz-tiny-none.xz': [12, '292d11753a45fdd68cd6ff258c93a09402daa4abe3040addd1bec4e2ad33167c'],
  'xz-tiny.xz': [12, '292d11753a45fdd68cd6ff258c93a09402daa4abe3040addd1bec4e2ad33167c'],
  'xz-words-crc32.xz': [600050, '4b16f3a06fd7c748c74b4790795385cfa1ac05f28365f6848017107ec3845459'],
  'xz-words-dict4k.xz': [600050, '4b16f3a06fd7c748c74b4790795385cfa1ac05f28365f6848017107ec3845459'],
  'xz-words-lc1-lp3-pb4.xz': [600050, '4b16f3a06fd7c748c74b4790795385cfa1ac05f28365f6848017107ec3845459'],
  'xz-words-multiblock.xz': [600050, '4b16f3a06fd7c748c74b4790795385cfa1ac05f28365f6848017107ec3845459'],
  'xz-words-sha256.xz': [600050, '4b16f3a06fd7c748c74b4790795385cfa1ac05f28365f6848017107ec3845459'],
};
const BOMBS: Record<string, [number, string]> = {
  'lzma-bomb-9.lzma': [100_000_000, 'a993f8c574e0fea8c1cdcbcd9408d9e2e107ee6e4d120edcfa11decd53fa0cae'],
  'xz-bomb-9.xz': [100_000_000, 'a993f8c574e0fea8c1cdcbcd9408d9e2e107ee6e4d120edcfa11decd53fa0cae'],
};

function fixture(name: string): Buffer {
  return readFileSync(new URL(name, DIR));
}

function decoderFor(name: string): Decode {
  return name.endsWith('.xz') ? decodeXz : decodeLzmaAlone;
}

/** An input source in chunks of `size` bytes that records how far it was read and whether it was closed. */
function source(data: Uint8Array, size = data.length) {
  const stats = { pulled: 0, closed: false };
  const iterable: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      let off = 0;
      return {
        async next() {
          if (off >= data.length) return { done: true, value: undefined };
          const chunk = data.subarray(off, off + size);
          off += chunk.length;
          stats.pulled = off;
          return { done: false, value: chunk };
        },
        async return() {
          stats.closed = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { iterable, stats };
}

async function decodeAll(decode: Decode, data: Uint8Array, chunk?: number): Promise<{ size: number; sha: string; maxChunk: number }> {
  const hash = createHash('sha256');
  let size = 0;
  let maxChunk = 0;
  for await (const out of decode(source(data, chunk).iterable)) {
    assert.ok(Buffer.isBuffer(out));
    hash.update(out);
    size += out.length;
    maxChunk = Math.max(maxChunk, out.length);
  }
  return { size, sha: hash.digest('hex'), maxChunk };
}

/** Decodes at most `budget` bytes; returns the error thrown, or null if decoding ended (or hit the budget) cleanly. */
async function outcome(decode: Decode, data: Uint8Array, budget = 8 * MiB): Promise<Error | null> {
  let size = 0;
  try {
    for await (const out of decode(source(data, 4096).iterable)) {
      size += out.length;
      if (size >= budget) break;
    }
    return null;
  } catch (e) {
    assert.ok(e instanceof Error, `threw a non-Error: ${String(e)}`);
    return e;
  }
}

async function rejects(decode: Decode, data: Uint8Array, message: RegExp): Promise<void> {
  const err = await outcome(decode, data);
  assert.ok(err, `expected an error matching ${message}`);
  assert.match(err.message, message);
}

/** Recomputes the CRC32 of the block header at `off` (after a test edits it). */
function fixBlockHeaderCrc(b: Buffer, off: number): void {
  const size = (b[off] + 1) * 4;
  b.writeUInt32LE(zlib.crc32(b.subarray(off, off + size - 4)), off + size - 4);
}

describe('lzma/xz codecs: fixtures round-trip', () => {
  for (const [name, [size, sha]] of Object.entries(FIXTURES)) {
    it(`${name}: whole, 7-byte and 1-byte input chunks`, async () => {
      const data = fixture(name);
      for (const chunk of [undefined, 7, 1]) {
        const got = await decodeAll(decoderFor(name), data, chunk);
        assert.equal(got.size, size, `size with chunk ${chunk}`);
        assert.equal(got.sha, sha, `sha with chunk ${chunk}`);
        assert.ok(got.maxChunk <= MiB);
      }
    });
  }

  for (const [name, [size, sha]] of Object.entries(BOMBS)) {
    it(`${name}: 100 MB out of ~15 kB, in output chunks of at most 1 MiB`, async () => {
      const got = await decodeAll(decoderFor(name), fixture(name), 65536);
      assert.equal(got.size, size);
      assert.equal(got.sha, sha);
      assert.ok(got.maxChunk <= MiB && got.maxChunk >= 64 << 10, `chunks of ${got.maxChunk} bytes`);
    });
  }

  it('joblib and Python lzma writers: FORMAT_ALONE has unknown size + end marker, FORMAT_XZ has CRC64', () => {
    for (const name of ['lzma-joblib.lzma', 'lzma-python-pickle.lzma']) {
      assert.ok(
        fixture(name)
          .subarray(5, 13)
          .every((b) => b === 0xff),
        name,
      );
    }
    for (const name of ['xz-joblib.xz', 'xz-python-pickle.xz']) assert.equal(fixture(name)[7], 4, name);
  });

  it('CRC64 matches the CRC-64/XZ check value', () => {
    const c = new Crc64();
    c.update(Buffer.from('1234'));
    c.update(Buffer.from('56789'));
    assert.equal(Buffer.from(c.digest()).toString('hex'), Buffer.from('995dc9bbdf1939fa', 'hex').reverse().toString('hex'));
  });
});

describe('lzma/xz codecs: consumers stopping early', () => {
  for (const name of Object.keys(BOMBS)) {
    it(`${name}: 2 MiB then break returns promptly, stops pulling input and closes it`, async () => {
      const data = fixture(name);
      const { iterable, stats } = source(data, 1024);
      const before = process.memoryUsage().arrayBuffers;
      const start = performance.now();
      let size = 0;
      for await (const out of decoderFor(name)(iterable)) {
        assert.ok(out.length <= MiB);
        size += out.length;
        if (size >= 2 * MiB) break;
      }
      const ms = performance.now() - start;
      assert.ok(size >= 2 * MiB && size < 3 * MiB, `read ${size}`);
      assert.ok(ms < 2000, `took ${ms} ms`);
      assert.ok(stats.pulled < data.length / 4, `pulled ${stats.pulled} of ${data.length} input bytes`);
      assert.ok(stats.closed, 'input closed');
      assert.ok(process.memoryUsage().arrayBuffers - before < 48 * MiB, 'no 100 MB allocation');
    });
  }

  it('a window past the cap throws (cap lowered through options to keep the test small)', async () => {
    await rejects(
      (input) => decodeLzmaAlone(input, { dictCap: MiB }),
      fixture('lzma-bomb-9.lzma'),
      /^lzma: dictionary of 67108864 bytes exceeds the 1 MiB cap$/,
    );
    await rejects(
      (input) => decodeXz(input, { dictCap: 2 * MiB }),
      fixture('xz-bomb-9.xz'),
      /^xz: dictionary of 67108864 bytes exceeds the 2 MiB cap$/,
    );
    // Output smaller than the cap decodes even though the declared dictionary (8 MiB) is larger.
    const got = await decodeAll((input) => decodeLzmaAlone(input, { dictCap: MiB }), fixture('lzma-python-pickle.lzma'));
    assert.equal(got.sha, FIXTURES['lzma-python-pickle.lzma'][1]);
  });
});

describe('lzma/xz codecs: damaged input', () => {
  const nonConcat = Object.keys(FIXTURES).filter((n) => !n.includes('concat'));

  for (const name of nonConcat) {
    it(`${name}: every truncation throws`, async () => {
      const data = fixture(name);
      const cuts = new Set<number>();
      if (data.length <= 128) for (let n = 0; n < data.length; n++) cuts.add(n);
      else {
        for (let n = 0; n < 40; n++) cuts.add(n);
        for (let k = 1; k < 30; k++) cuts.add(Math.floor((data.length * k) / 30));
        for (let n = data.length - 40; n < data.length; n++) cuts.add(n);
      }
      for (const n of cuts) {
        const err = await outcome(decoderFor(name), data.subarray(0, n));
        assert.ok(err, `no error for ${n} of ${data.length} bytes`);
        assert.match(err.message, name.endsWith('.xz') ? /^xz: / : /^lzma: /);
      }
    });
  }

  for (const name of ['lzma-python-pickle.lzma', 'lzma-words-lc0-lp2-pb0.lzma', 'lzma-known-size-no-marker.lzma', 'lzma-random.lzma']) {
    it(`${name}: flipped bytes throw an Error or decode, never hang`, async () => {
      const data = fixture(name);
      for (let k = 0; k < 60; k++) {
        const bad = Buffer.from(data);
        const at = 13 + ((k * 7919) % (data.length - 13));
        bad[at] ^= 1 << (k % 8);
        const err = await outcome(decodeLzmaAlone, bad);
        if (err) assert.match(err.message, /^lzma: /);
      }
    });
  }

  for (const name of ['xz-python-pickle.xz', 'xz-words-multiblock.xz', 'xz-words-sha256.xz', 'xz-tiny-none.xz', 'xz-random.xz']) {
    it(`${name}: flipped bytes throw`, async () => {
      const data = fixture(name);
      for (let k = 0; k < 80; k++) {
        const bad = Buffer.from(data);
        const at = (k * 7919) % data.length;
        bad[at] ^= 1 << (k % 8);
        const err = await outcome(decodeXz, bad);
        // With no integrity check, a flip inside stored LZMA2 data may still decode; everything else is protected.
        if (name !== 'xz-tiny-none.xz') assert.ok(err, `flip at ${at} went unnoticed`);
        if (err) assert.match(err.message, /^xz: /);
      }
    });
  }

  it('integrity checks are verified: CRC32, CRC64, SHA-256', async () => {
    for (const [name, label] of [
      ['xz-words-crc32.xz', 'CRC32'],
      ['xz-python-pickle.xz', 'CRC64'],
      ['xz-words-sha256.xz', 'SHA-256'],
    ]) {
      const bad = Buffer.from(fixture(name));
      // The check field ends where the index begins: 12 (footer) + index size before the end.
      const indexSize = (bad.readUInt32LE(bad.length - 8) + 1) * 4;
      bad[bad.length - 12 - indexSize - 1] ^= 0x40;
      await rejects(decodeXz, bad, new RegExp(`^xz: ${label} check mismatch$`));
    }
  });

  it('check ids without a known algorithm are skipped by their length', async () => {
    // xz-tiny.xz has CRC64 (id 4, 8 bytes); id 5 is reserved with the same length. Patch header and footer flags.
    const data = Buffer.from(fixture('xz-tiny.xz'));
    data[7] = 5;
    data.writeUInt32LE(zlib.crc32(data.subarray(6, 8)), 8);
    const f = data.length - 12;
    data[f + 9] = 5;
    data.writeUInt32LE(zlib.crc32(data.subarray(f + 4, f + 10)), f);
    const got = await decodeAll(decodeXz, data, 5);
    assert.equal(got.sha, FIXTURES['xz-tiny.xz'][1]);
  });

  it('garbage and empty input throw', async () => {
    await rejects(decodeXz, new Uint8Array(0), /^xz: truncated input/);
    await rejects(decodeLzmaAlone, new Uint8Array(0), /^lzma: truncated input/);
    await rejects(decodeXz, Buffer.from('this is not an xz file at all'), /^xz: not an \.xz stream/);
    await rejects(decodeXz, fixture('lzma-tiny.lzma'), /^xz: not an \.xz stream/);
    await rejects(decodeLzmaAlone, Buffer.from('this is not an lzma file'), /^lzma: /);
    await rejects(decodeLzmaAlone, Buffer.alloc(64, 0xff), /^lzma: invalid properties byte 0xff/);
    const lclp = Buffer.from(fixture('lzma-tiny.lzma'));
    lclp[0] = 4 + 9 * 1; // lc 4, lp 1
    await rejects(decodeLzmaAlone, lclp, /^lzma: lc \+ lp = 5 exceeds 4/);
    const rc = Buffer.from(fixture('lzma-tiny.lzma'));
    rc[13] = 1;
    await rejects(decodeLzmaAlone, rc, /^lzma: corrupt data \(range coder must start with a zero byte\)/);
  });

  it('.lzma: a known size shorter than the data, or longer, throws', async () => {
    const short = Buffer.from(fixture('lzma-known-size-marker.lzma'));
    short.writeUInt32LE(2000, 5);
    await rejects(decodeLzmaAlone, short, /^lzma: corrupt data \(.* past the declared uncompressed size\)/);
    const long = Buffer.from(fixture('lzma-known-size-marker.lzma'));
    long.writeUInt32LE(3000, 5);
    await rejects(decodeLzmaAlone, long, /^lzma: corrupt data \(end marker before the declared uncompressed size\)/);
    const noMarker = Buffer.from(fixture('lzma-known-size-no-marker.lzma'));
    noMarker.writeUInt32LE(1000, 5);
    await rejects(decodeLzmaAlone, noMarker, /^lzma: corrupt data/);
  });

  it('.lzma: trailing bytes that cannot start a stream are ignored (as Python reads it), a partial header is not', async () => {
    const tiny = fixture('lzma-tiny.lzma');
    const tail = await decodeAll(decodeLzmaAlone, Buffer.concat([tiny, Buffer.alloc(20, 0xff)]));
    assert.equal(tail.sha, FIXTURES['lzma-tiny.lzma'][1]);
    await rejects(decodeLzmaAlone, Buffer.concat([tiny, Buffer.alloc(4)]), /^lzma: truncated input/);
  });

  it('xz: stream padding must be a multiple of 4 and be followed by nothing or a stream', async () => {
    const tiny = fixture('xz-tiny.xz');
    const ok = await decodeAll(decodeXz, Buffer.concat([tiny, Buffer.alloc(8)]), 3);
    assert.equal(ok.sha, FIXTURES['xz-tiny.xz'][1]);
    await rejects(decodeXz, Buffer.concat([tiny, Buffer.alloc(3)]), /^xz: stream padding is not a multiple of 4 bytes/);
    await rejects(decodeXz, Buffer.concat([tiny, Buffer.alloc(4), Buffer.from('junk')]), /^xz: garbage after the end of the stream/);
    await rejects(decodeXz, Buffer.concat([tiny, Buffer.alloc(2), tiny]), /^xz: stream padding is not a multiple of 4 bytes/);
  });

  it('xz: filters other than LZMA2 are refused by id', async () => {
    await rejects(decodeXz, fixture('xz-filter-x86.xz'), /^xz: filter 0x04 not supported$/);
  });

  it('xz: block header and LZMA2 chunk damage give clear errors', async () => {
    // xz-lzma2-chunk-kinds.xz: stream header (12), block header (12: size, flags, 0x21, 1, dict byte, pad, CRC), LZMA2.
    const dict = Buffer.from(fixture('xz-lzma2-chunk-kinds.xz'));
    dict[16] = 41;
    fixBlockHeaderCrc(dict, 12);
    await rejects(decodeXz, dict, /^xz: invalid LZMA2 dictionary size byte 41/);
    const crc = Buffer.from(fixture('xz-lzma2-chunk-kinds.xz'));
    crc[16] ^= 1;
    await rejects(decodeXz, crc, /^xz: block header CRC mismatch/);
    const noReset = Buffer.from(fixture('xz-lzma2-chunk-kinds.xz'));
    assert.equal(noReset[24], 0x01);
    noReset[24] = 0x02;
    await rejects(decodeXz, noReset, /^xz: corrupt data \(LZMA2 data must start with a dictionary reset\)/);
    const control = Buffer.from(fixture('xz-lzma2-chunk-kinds.xz'));
    control[24] = 0x03;
    await rejects(decodeXz, control, /^xz: corrupt data \(invalid LZMA2 control byte 0x3\)/);
    const flags = Buffer.from(fixture('xz-tiny.xz'));
    flags[13] |= 0x20;
    fixBlockHeaderCrc(flags, 12);
    await rejects(decodeXz, flags, /^xz: unsupported block header flags/);
  });
});
