/**
 * src/io/codecs/bzip2: the streaming bzip2 decoder. Fixtures come from
 * scripts/make-codec-fixtures-bzip2.sh (bzip2 CLI, Python's bz2, joblib,
 * pandas); their expected output is pinned by size and SHA-256. Hostile blocks
 * are built bit by bit here to reach every bound the decoder checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBzip2 } from '../src/io/codecs/bzip2.js';
import { assertRoundTrip, chunked, codecFixture, decodeWith } from './helpers/codec-io.js';

const MiB = 1 << 20;

/** name → [decompressed size, SHA-256], as printed by the fixture script. */
const EXPECTED: Record<string, [number, string]> = {
  'bzip2-bomb-9.bz2': [209715200, '72abf2ca8f36943ebe2e49ca3a51d409ca5f0bfcffab6c9d25643c17c32889da'],
  'bzip2-concat.bz2': [925163, '4b9534a212236f3f0657fb72a34df6d34a98d2e719aeea0f8b77b9a992d3f11e'],
  'bzip2-empty.bz2': [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  'bzip2-joblib.bz2': [24273, 'c4798b843715e752e7102b786587090e589f01e10aed6faa00de5a5ed9312e09'],
  'bzip2-multiblock-1.bz2': [950466, '75400673d6d61394e9fe9e6e4f908ca6427ac8e2b0a7c64360c67d2d6835fefe'],
  'bzip2-pandas.bz2': [44443, 'f33eed4722a2daea3cd95227ea15c23d6cc1cf00638aaccbe4b2afc2ce25c25a'],
  'bzip2-python-pickle.bz2': [19303, '2bf4d0228d462e211431be2557e7569b20531f870e9949171d9c7c0aa7f17ed8'],
  'bzip2-random-9.bz2': [16000, 'c648050a3385d393acaaddef333a69a4daa850b3f42dae36e38e5f878cdff318'],
  'bzip2-randomised.bz2': [5000, 'fa46e574eddbfe336ad819ba7b67329d1c9a26c46dd9c6e05fd323e74e5be18d'],
  'bzip2-repetitive-9.bz2': [880000, '6f82cf901493a2e86e6e36de2d8f0ddcb7abc456f4bf570d1013bcb29312bd8e'],
  'bzip2-runs-1.bz2': [45150, 'a54335d25bc1a444524181689cd2b9437601702d6566b0990751636b55241183'],
  'bzip2-tiny.bz2': [13, '6b06d565661839b59436b60be61eaf5ebe1aa5cb4097483c42e025985b0228c9'],
};

const fixture = codecFixture;
const decode = (data: Uint8Array, chunk?: number, opts?: { keep?: boolean; cap?: number }) => decodeWith(decodeBzip2, data, chunk, opts);

async function decodeText(data: Uint8Array): Promise<string> {
  return (await decode(data, 7, { keep: true })).bytes!.toString('latin1');
}

/** The error a decode throws (fails the test if it completes). */
async function decodeError(data: Uint8Array, chunk?: number): Promise<Error> {
  try {
    await decode(data, chunk, { cap: 64 * MiB });
  } catch (err) {
    assert.ok(err instanceof Error, `threw a non-Error: ${String(err)}`);
    return err;
  }
  assert.fail('decode completed without an error');
}

describe('bzip2 decoder: fixtures', () => {
  for (const [name, [size, sha]] of Object.entries(EXPECTED)) {
    if (name === 'bzip2-bomb-9.bz2') continue;
    it(`${name} decodes to the pinned bytes with 1-byte, 7-byte and whole input chunks`, async () => {
      const data = fixture(name);
      assert.ok(data.length < 20_000, 'fixtures stay small');
      await assertRoundTrip(decodeBzip2, data, size, sha);
    });
  }

  it('the multi-block file has its ten 100k blocks yielded as block-sized chunks, not per symbol', async () => {
    const r = await decode(fixture('bzip2-multiblock-1.bz2'));
    assert.equal(r.chunks.length, 10);
    assert.ok(r.chunks.slice(0, -1).every((n) => n > 64 * 1024 && n <= MiB));
  });

  it('the 200 MB bomb decodes fully in chunks of at most 1 MiB', async () => {
    const [size, sha] = EXPECTED['bzip2-bomb-9.bz2'];
    const r = await decode(fixture('bzip2-bomb-9.bz2'));
    assert.equal(r.size, size);
    assert.equal(r.sha, sha);
    assert.ok(r.chunks.every((n) => n <= MiB));
    assert.ok(r.chunks.filter((n) => n === MiB).length >= 190, 'full chunks, not tiny ones');
  });

  it('joblib and pandas pickles come out as pickles', async () => {
    for (const name of ['bzip2-joblib.bz2', 'bzip2-pandas.bz2', 'bzip2-python-pickle.bz2']) {
      const out = (await decode(fixture(name), 4096, { keep: true })).bytes!;
      assert.equal(out[0], 0x80, name);
      assert.equal(out[out.length - 1], 0x2e, `${name} ends with STOP`);
    }
  });
});

describe('bzip2 decoder: consumer and input handling', () => {
  it('stops promptly when the consumer stops, returning the input iterator', async () => {
    const data = fixture('bzip2-bomb-9.bz2');
    let returned = false;
    const input: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        let i = 0;
        return {
          async next() {
            if (i >= data.length) return { done: true, value: undefined };
            return { done: false, value: data.subarray(i, (i += 16)) };
          },
          async return() {
            returned = true;
            return { done: true, value: undefined };
          },
        };
      },
    };
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    let got = 0;
    for await (const c of decodeBzip2(input)) {
      got += c.length;
      if (got >= 2 * MiB) break;
    }
    assert.ok(got >= 2 * MiB && got <= 3 * MiB);
    assert.ok(performance.now() - t0 < 2000, 'returned promptly');
    assert.ok(returned, 'input iterator returned');
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * MiB, 'did not build the whole output');
  });

  it('pulls input lazily', async () => {
    const data = fixture('bzip2-multiblock-1.bz2');
    let pulled = 0;
    async function* counting(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < data.length; i += 100) {
        pulled++;
        yield data.subarray(i, i + 100);
      }
    }
    const it = decodeBzip2(counting());
    const first = await it.next();
    assert.equal(first.done, false);
    assert.ok(pulled < data.length / 100 / 2, `first block needed only its own input (pulled ${pulled} chunks)`);
    await it.return(undefined);
  });

  it('empty input yields nothing, as bz2.decompress(b"") returns b""', async () => {
    assert.equal((await decode(new Uint8Array(0))).size, 0);
  });

  it('ignores empty input chunks', async () => {
    const data = fixture('bzip2-tiny.bz2');
    async function* withEmpties(): AsyncGenerator<Uint8Array> {
      for (const b of data) {
        yield new Uint8Array(0);
        yield Uint8Array.of(b);
      }
      yield new Uint8Array(0);
    }
    const parts: Buffer[] = [];
    for await (const c of decodeBzip2(withEmpties())) parts.push(c);
    assert.equal(Buffer.concat(parts).toString(), 'hello, bzip2\n');
  });
});

describe('bzip2 decoder: damaged input', () => {
  it('garbage headers throw', async () => {
    assert.match((await decodeError(Buffer.from('garbage data'))).message, /^bzip2: bad stream header/);
    assert.match((await decodeError(Buffer.from('BZh0xxxxxxxxxxxx'))).message, /^bzip2: bad block size in stream header/);
    assert.match((await decodeError(Buffer.from('BZh9xxxxxxxxxxxx'))).message, /^bzip2: bad block magic/);
    assert.match((await decodeError(Buffer.from('BZh91AY&SX\0\0\0\0\0\0'))).message, /^bzip2: bad block magic/);
  });

  it('every truncation of a single-stream file throws "truncated input"', async () => {
    for (const name of ['bzip2-tiny.bz2', 'bzip2-empty.bz2', 'bzip2-runs-1.bz2', 'bzip2-python-pickle.bz2']) {
      const data = fixture(name);
      for (let cut = 1; cut < data.length; cut += name === 'bzip2-python-pickle.bz2' ? 13 : 1) {
        const err = await decodeError(data.subarray(0, cut), 7);
        assert.equal(err.message, 'bzip2: truncated input', `${name} cut at ${cut}`);
      }
    }
    const multi = fixture('bzip2-multiblock-1.bz2');
    for (const cut of [3, 20, 1000, 7777, multi.length - 5, multi.length - 1]) {
      assert.equal((await decodeError(multi.subarray(0, cut))).message, 'bzip2: truncated input');
    }
  });

  it('a wrong block CRC throws after the block was yielded; a wrong stream CRC throws', async () => {
    const data = Buffer.from(fixture('bzip2-tiny.bz2'));
    data[12] ^= 1; // stored block CRC: bytes 10..13
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of decodeBzip2(chunked(data, 7))) seen.push(c.toString());
      })(),
      /^Error: bzip2: block CRC mismatch$/,
    );
    assert.deepEqual(seen, ['hello, bzip2\n'], 'loaders see a block before its CRC is checked, so the scanner does too');
    const empty = Buffer.from(fixture('bzip2-empty.bz2'));
    empty[13] ^= 0x80; // combined CRC: bytes 10..13 of an empty stream
    assert.equal((await decodeError(empty)).message, 'bzip2: stream CRC mismatch');
  });

  it('randomised blocks are decoded like libbzip2 does (bzip2-randomised.bz2 above is one, checked against Python)', async () => {
    // The flag changes nothing in a block shorter than 618 bytes, the first one flipped…
    const tiny = Buffer.from(fixture('bzip2-tiny.bz2'));
    tiny[14] |= 0x80; // the bit after the block CRC
    assert.equal(await decodeText(tiny), 'hello, bzip2\n');
    // …but flips bytes of a longer one, which then fails its CRC (Python: "Invalid data stream").
    const runs = Buffer.from(fixture('bzip2-runs-1.bz2'));
    runs[14] |= 0x80;
    assert.equal((await decodeError(runs)).message, 'bzip2: block CRC mismatch');
  });

  it('flipped bytes throw an Error or decode, never hang or crash', { timeout: 120_000 }, async () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const plans: [string, number][] = [
      ['bzip2-tiny.bz2', 300],
      ['bzip2-runs-1.bz2', 300],
      ['bzip2-python-pickle.bz2', 150],
      ['bzip2-random-9.bz2', 60],
      ['bzip2-randomised.bz2', 60],
      ['bzip2-bomb-9.bz2', 60],
      ['bzip2-concat.bz2', 100],
      ['bzip2-multiblock-1.bz2', 20],
    ];
    let threw = 0;
    for (const [name, count] of plans) {
      const orig = fixture(name);
      for (let k = 0; k < count; k++) {
        const data = Buffer.from(orig);
        const flips = 1 + rnd(3);
        for (let f = 0; f < flips; f++) data[rnd(data.length)] ^= 1 + rnd(255);
        try {
          await decode(data, 1 + rnd(4096), { cap: 4 * MiB });
        } catch (err) {
          threw++;
          assert.ok(err instanceof Error, `${name}: threw a non-Error`);
          assert.match(err.message, /^bzip2: /, `${name}: ${err.message}`);
          assert.doesNotMatch(err.message, /internal/);
        }
      }
    }
    assert.ok(threw > 450, `most corruptions are detected (${threw})`);
  });
});

describe('bzip2 decoder: concatenated streams and trailing data (matching Python bz2.decompress)', () => {
  const tiny = fixture('bzip2-tiny.bz2');
  const hello = 'hello, bzip2\n';

  it('decodes every concatenated stream', async () => {
    assert.equal(await decodeText(Buffer.concat([tiny, fixture('bzip2-empty.bz2'), tiny])), hello + hello);
  });

  it('ignores trailing bytes that are not a bzip2 stream', async () => {
    for (const tail of ['garbage', '\0\0\0\0', 'BZh0', 'BZh9garbage', 'BZh9\x31\x41\x59\x26\x53\x58']) {
      assert.equal(await decodeText(Buffer.concat([tiny, Buffer.from(tail, 'latin1')])), hello, JSON.stringify(tail));
    }
  });

  it('ignores a damaged later stream, keeping what it decoded before the damage', async () => {
    const bad = Buffer.from(tiny);
    bad[12] ^= 1;
    assert.equal(await decodeText(Buffer.concat([tiny, bad])), hello + hello);
    const junk = Buffer.from(tiny);
    junk[20] ^= 0xff;
    assert.ok((await decodeText(Buffer.concat([tiny, junk]))).startsWith(hello));
  });

  it('but a later stream cut short throws, even just "B" or "BZh9"', async () => {
    for (const tail of ['B', 'BZ', 'BZh', 'BZh9', 'BZh91AY']) {
      assert.equal((await decodeError(Buffer.concat([tiny, Buffer.from(tail)]))).message, 'bzip2: truncated input', tail);
    }
    assert.equal((await decodeError(Buffer.concat([tiny, tiny.subarray(0, 30)]))).message, 'bzip2: truncated input');
  });

  it('a damaged first stream throws', async () => {
    const bad = Buffer.from(tiny);
    bad[12] ^= 1;
    assert.equal((await decodeError(Buffer.concat([bad, tiny]))).message, 'bzip2: block CRC mismatch');
  });
});

// ---- Hand-built blocks: every bound the decoder enforces. ----

class BitWriter {
  private bits: number[] = [];
  put(value: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }
  bytes(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.bits.length / 8));
    this.bits.forEach((b, i) => {
      out[i >> 3] |= b << (7 - (i & 7));
    });
    return out;
  }
}

function bzCrc(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of data) {
    crc ^= b << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return ~crc >>> 0;
}

interface BlockSpec {
  /** Byte values in use (sorted). */
  used: number[];
  /** MTF/RLE2 symbols, EOB included. */
  syms: number[];
  origPtr?: number;
  nGroups?: number;
  nSelectors?: number;
  /** Unary MTF value of each selector (default 0). */
  selectorMtf?: number[];
  /** Every code gets this length (codes are then the symbol numbers in `len` bits). */
  codeLen?: number;
  /** Overrides the 5-bit starting length of table 0 (for bad-length tests). */
  startLen?: number;
  crc?: number;
  level?: number;
}

/** A one-block stream whose every code has the same length: symbol s is written as s in `len` bits. */
function buildStream(spec: BlockSpec, expected = ''): Buffer {
  const w = new BitWriter();
  w.put(0x425a68, 24).put(0x30 + (spec.level ?? 9), 8);
  const crc = spec.crc ?? bzCrc(Buffer.from(expected, 'latin1'));
  w.put(0x314159, 24)
    .put(0x265359, 24)
    .put(crc, 32)
    .put(0, 1)
    .put(spec.origPtr ?? 0, 24);
  let used16 = 0;
  for (const b of spec.used) used16 |= 0x8000 >>> (b >> 4);
  w.put(used16, 16);
  for (let hi = 0; hi < 16; hi++) {
    if (!(used16 & (0x8000 >>> hi))) continue;
    let bits = 0;
    for (const b of spec.used) if (b >> 4 === hi) bits |= 0x8000 >>> (b & 15);
    w.put(bits, 16);
  }
  const nGroups = spec.nGroups ?? 2;
  const nSelectors = spec.nSelectors ?? Math.max(1, Math.ceil(spec.syms.length / 50));
  w.put(nGroups, 3).put(nSelectors, 15);
  for (let i = 0; i < nSelectors; i++) {
    const v = spec.selectorMtf?.[i] ?? 0;
    for (let k = 0; k < v; k++) w.put(1, 1);
    w.put(0, 1);
  }
  const len = spec.codeLen ?? 9;
  const alphaSize = spec.used.length + 2;
  for (let t = 0; t < Math.min(nGroups, 6); t++) {
    w.put(t === 0 && spec.startLen !== undefined ? spec.startLen : len, 5);
    for (let s = 0; s < alphaSize; s++) w.put(0, 1);
  }
  for (const s of spec.syms) w.put(s, len);
  w.put(0x177245, 24).put(0x385090, 24).put(crc, 32);
  return w.bytes();
}

const A = 0x61;
const RUNA = 0;
const RUNB = 1;

describe('bzip2 decoder: hand-built blocks', () => {
  it('the block builder makes valid streams (fast and slow Huffman paths)', async () => {
    // One byte value in use: RUNA RUNA = a run of 3 of it, then EOB (2).
    assert.equal(await decodeText(buildStream({ used: [A], syms: [RUNA, RUNA, 2] }, 'aaa')), 'aaa');
    assert.equal(await decodeText(buildStream({ used: [A], syms: [RUNA, RUNA, 2], codeLen: 17 }, 'aaa')), 'aaa');
  });

  it('RLE1: 4 equal bytes and a count byte expand; a block ending after 4 equal bytes throws', async () => {
    // RLE1 gives "aaaa\x03" (4 × 'a', then 3 more). Its sorted rotations end in "aaaa\x03", the original being last (origPtr 4).
    // MTF over [0x03, 'a']: 'a' at index 1 (sym 2), a run of 3 at the front (RUNA RUNA), 0x03 at index 1 (sym 2), EOB (3).
    const good = buildStream({ used: [3, A], syms: [2, RUNA, RUNA, 2, 3], origPtr: 4 }, 'aaaaaaa');
    assert.equal(await decodeText(good), 'aaaaaaa');
    // Just "aaaa": no count byte follows the fourth 'a'.
    const cut = buildStream({ used: [A], syms: [RUNB, RUNA, 2], origPtr: 0, crc: 0 });
    assert.equal((await decodeError(cut)).message, 'bzip2: block ends inside a run');
  });

  it('origPtr must lie inside the block; an empty block is refused', async () => {
    assert.equal(
      (await decodeError(buildStream({ used: [A], syms: [RUNA, RUNA, 2], origPtr: 3 }, 'aaa'))).message,
      'bzip2: origPtr out of range',
    );
    assert.equal((await decodeError(buildStream({ used: [A], syms: [2] }, ''))).message, 'bzip2: origPtr out of range');
  });

  it('runs may not overflow the block size of the stream header, nor weigh 2^21', async () => {
    // 17 RUNBs: a run of 2·(2^17 − 1) = 262142 bytes, more than level 1 allows (100000) but fine at level 9.
    const runb17 = Array<number>(17).fill(RUNB);
    const over = await decodeError(buildStream({ used: [A], syms: [...runb17, 2], level: 1, crc: 0 }));
    assert.equal(over.message, 'bzip2: block longer than the stream header allows');
    const ok = await decode(buildStream({ used: [A], syms: [...runb17, 2], level: 9, crc: 0 }), 7, { cap: 1 });
    assert.ok(ok.size > 0);
    const tooLong = await decodeError(buildStream({ used: [A], syms: [...Array<number>(21).fill(RUNA), 2], crc: 0 }));
    assert.equal(tooLong.message, 'bzip2: run too long');
  });

  it('plain symbols may not overflow the block either', async () => {
    // Two values alternate (MTF index 1 each time): 100001 bytes at level 1.
    const syms = [...Array<number>(100001).fill(2), 3];
    const err = await decodeError(buildStream({ used: [A, A + 1], syms, level: 1, codeLen: 2, crc: 0 }), 4096);
    assert.equal(err.message, 'bzip2: block longer than the stream header allows');
  });

  it('table and selector bounds', async () => {
    const base = { used: [A], syms: [RUNA, RUNA, 2] };
    const msg = async (spec: BlockSpec): Promise<string> => (await decodeError(buildStream(spec, 'aaa'))).message;
    assert.equal(await msg({ ...base, used: [] }), 'bzip2: no symbols in use');
    assert.equal(await msg({ ...base, nGroups: 1 }), 'bzip2: bad number of Huffman groups');
    assert.equal(await msg({ ...base, nGroups: 7 }), 'bzip2: bad number of Huffman groups');
    assert.equal(await msg({ ...base, nSelectors: 0 }), 'bzip2: no selectors');
    assert.equal(await msg({ ...base, selectorMtf: [2] }), 'bzip2: bad selector');
    assert.equal(await msg({ ...base, startLen: 0 }), 'bzip2: bad Huffman code length');
    assert.equal(await msg({ ...base, startLen: 21 }), 'bzip2: bad Huffman code length');
    // Two-bit codes for three symbols: "11" is no code.
    assert.equal(await msg({ ...base, codeLen: 2, syms: [3] }), 'bzip2: bad Huffman code');
    // 60 symbols but one selector (50 symbols).
    assert.equal(await msg({ used: [A, A + 1], syms: [...Array<number>(60).fill(2), 3], nSelectors: 1 }), 'bzip2: ran out of selectors');
  });

  it('selectors beyond 18002 are read and ignored, as libbzip2 1.0.8 does', async () => {
    assert.equal(await decodeText(buildStream({ used: [A], syms: [RUNA, RUNA, 2], nSelectors: 20000 }, 'aaa')), 'aaa');
  });
});
