/**
 * src/io/codecs/lz4: the streaming LZ4 frame decoder. Fixtures come from
 * scripts/make-codec-fixtures-lz4.sh (lz4 CLI, Python's lz4.frame, joblib);
 * their expected output is pinned by size and SHA-256. Hostile frames are
 * built here byte by byte, with the header checksum recomputed so that each
 * reaches the check it is aimed at.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLz4Frame, Xxh32, xxh32 } from '../src/io/codecs/lz4.js';
import { assertRoundTrip, codecFixture, decodeRejects, decodeWith } from './helpers/codec-io.js';

const MiB = 1 << 20;

/** fixture → [decompressed size, SHA-256], as printed by the fixture script. */
const EXPECTED: Record<string, [number, string]> = {
  'lz4-big-B6-size.lz4': [2105600, '897933487b88af843b651a84aa035fb6d3692efa2fb92ff23fcda2a19a0a0863'],
  'lz4-big-B7-BD.lz4': [2105600, '897933487b88af843b651a84aa035fb6d3692efa2fb92ff23fcda2a19a0a0863'],
  'lz4-concat.lz4': [300811, 'f86694b47a49a8a9a6258bf20c0e4737da62fdeb16954136224721192198b28f'],
  'lz4-empty.lz4': [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  'lz4-joblib.pkl.lz4': [8805, 'a6e8f82c47c8378de4ae71dd0e84e11a8eea2266aa0c5cef7d5aac8987520e3d'],
  'lz4-periodic-B4-BD.lz4': [300800, 'f22a075860d1b096aafd1514b2148c5aa849c4c38020b8701bd0442ef1369ae9'],
  'lz4-periodic-B4-BX.lz4': [300800, 'f22a075860d1b096aafd1514b2148c5aa849c4c38020b8701bd0442ef1369ae9'],
  'lz4-periodic-B5-nocrc.lz4': [300800, 'f22a075860d1b096aafd1514b2148c5aa849c4c38020b8701bd0442ef1369ae9'],
  'lz4-pylz4-checksums.lz4': [600000, '03e8640d357d1c8d4bfb4ada2e147f72ffe40d2541bccd2b4e486844e1317679'],
  'lz4-random-BX.lz4': [12000, 'f0eddbfd39c24ba28d5a14262800fb1bc56b942ed044da86050065aaefdeca9d'],
  'lz4-skippable.lz4': [11, '5fe7b1eb95927f00dea9b0ae0d4a04c6fb6eb2f4e2b9ae76c5d64ec81f1d65da'],
  'lz4-text.lz4': [40000, '236bcb706f0539d532325fd4cb7b24b16e1e97bcc35605533f4a1f7b9e3406ab'],
  'lz4-tiny.lz4': [11, '5fe7b1eb95927f00dea9b0ae0d4a04c6fb6eb2f4e2b9ae76c5d64ec81f1d65da'],
  'lz4-zeros.lz4': [4194304, 'bb9f8df61474d25e71fa00722318cd387396ca1736605e1248821cc0de3d3af8'],
};

const fixture = codecFixture;
const decode = async (data: Uint8Array, chunk?: number) => {
  const r = await decodeWith(decodeLz4Frame, data, chunk, { keep: true });
  return { ...r, bytes: r.bytes ?? Buffer.alloc(0) };
};

const rejects = (data: Uint8Array, re: RegExp, chunk?: number) => decodeRejects(decodeLz4Frame, data, re, chunk);

const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

/** A frame with the given descriptor, its header checksum computed, blocks as given (already sized). */
function frame(flg: number, bd: number, body: number[], extra: number[] = []): Uint8Array {
  const desc = [flg, bd, ...extra];
  const hc = (xxh32(Uint8Array.from(desc)) >>> 8) & 0xff;
  return Uint8Array.from([0x04, 0x22, 0x4d, 0x18, ...desc, hc, ...body]);
}

/** A compressed block: its 4-byte size, then the bytes. */
const block = (bytes: number[]): number[] => [...le32(bytes.length), ...bytes];
const END = le32(0);

describe('lz4: xxHash32', () => {
  it('matches the reference values', () => {
    assert.equal(xxh32(new Uint8Array(0)), 0x02cc5d05);
    assert.equal(xxh32(Buffer.from('abc')), 0x32d153ff);
    const data = Buffer.from('Nobody inspects the spammish repetition, nobody at all, not one bit'.repeat(5));
    // Fed in odd pieces, the incremental hash agrees with the one-shot one.
    for (const piece of [1, 3, 7, 16, 17, 100]) {
      const h = new Xxh32();
      for (let i = 0; i < data.length; i += piece) h.update(data, i, Math.min(i + piece, data.length));
      assert.equal(h.digest(), xxh32(data));
    }
  });
});

describe('lz4: fixtures round-trip', () => {
  for (const [name, [size, sha]] of Object.entries(EXPECTED)) {
    it(name, async () => {
      const data = fixture(name);
      await assertRoundTrip(decodeLz4Frame, data, size, sha, 9000);
    });
  }

  it('1-byte input chunks on a multi-block linked frame', async () => {
    const r = await decode(fixture('lz4-big-B7-BD.lz4'), 1);
    assert.equal(r.sha, EXPECTED['lz4-big-B7-BD.lz4'][1]);
  });

  it('yields big outputs in 1 MiB chunks, not per block or per sequence', async () => {
    const r = await decode(fixture('lz4-zeros.lz4'));
    assert.deepEqual(r.chunks, [MiB, MiB, MiB, MiB]);
    assert.ok(r.bytes.every((b) => b === 0));
  });
});

describe('lz4: refusals', () => {
  it('empty input', async () => {
    await rejects(new Uint8Array(0), /^lz4: empty input/);
  });

  it('the legacy format, clearly', async () => {
    await rejects(fixture('lz4-legacy.lz4'), /^lz4: legacy frame format \(lz4 -l\) is not supported/);
  });

  it('garbage header', async () => {
    await rejects(Buffer.from('PK\x03\x04 this is not lz4'), /^lz4: not an LZ4 frame \(magic 0x04034b50\)/);
    await rejects(Buffer.from([0x04, 0x22]), /^lz4: truncated input/);
  });

  it('garbage after a complete frame', async () => {
    await rejects(Buffer.concat([fixture('lz4-tiny.lz4'), Buffer.from('trailing junk')]), /^lz4: not an LZ4 frame/);
  });

  it('header checksum mismatch', async () => {
    const data = Buffer.from(fixture('lz4-tiny.lz4'));
    data[6] ^= 1;
    await rejects(data, /^lz4: frame header checksum mismatch/);
  });

  it('unsupported version, reserved bits, block size id, dictionary', async () => {
    await rejects(frame(0x80, 0x40, END), /^lz4: unsupported frame version 2/);
    await rejects(frame(0x42, 0x40, END), /^lz4: reserved bits set/);
    await rejects(frame(0x40, 0x41, END), /^lz4: reserved bits set/);
    await rejects(frame(0x40, 0x30, END), /^lz4: invalid block maximum size id 3/);
    await rejects(frame(0x41, 0x40, END, le32(1234)), /^lz4: frames that need a dictionary are not supported/);
  });

  it('a block larger than the declared maximum', async () => {
    await rejects(frame(0x60, 0x40, [...le32((64 << 10) + 1), 0]), /^lz4: block of 65537 bytes exceeds the frame's maximum of 65536/);
  });

  it('block checksum mismatch', async () => {
    const data = Buffer.from(fixture('lz4-random-BX.lz4'));
    data[20] ^= 0x40;
    await rejects(data, /^lz4: block checksum mismatch/);
  });

  it('content checksum mismatch', async () => {
    const data = Buffer.from(fixture('lz4-random-BX.lz4'));
    // Uncompressed block, no checksum: the damage shows only in the content checksum.
    const raw = frame(0x64, 0x40, [...le32(0x80000003), 1, 2, 3, ...END, 0, 0, 0, 0]);
    await rejects(raw, /^lz4: content checksum mismatch/);
    data[data.length - 1] ^= 1;
    await rejects(data, /^lz4: content checksum mismatch/);
  });

  it('content size mismatch', async () => {
    const size = [...le32(4), 0, 0, 0, 0];
    await rejects(
      frame(0x68, 0x40, [...le32(0x80000003), 1, 2, 3, ...END], size),
      /^lz4: content size mismatch \(header says 4, frame holds 3\)/,
    );
    const ok = await decode(frame(0x68, 0x40, [...le32(0x80000004), 1, 2, 3, 4, ...END], size));
    assert.deepEqual([...ok.bytes], [1, 2, 3, 4]);
  });
});

describe('lz4: hand-built blocks', () => {
  // Token 0x3F: 3 literals, then a match of 15+ext+4 at the given offset; token 0x50: 5 final literals.
  const seq = (off: number, ext: number) => [0x3f, 0x61, 0x62, 0x63, off & 0xff, off >> 8, ext, 0x50, 0x76, 0x77, 0x78, 0x79, 0x7a];

  it('overlapping matches repeat their period', async () => {
    const r = await decode(frame(0x60, 0x40, [...block(seq(3, 11)), ...END]));
    assert.equal(r.bytes.toString(), `${'abc'.repeat(11)}vwxyz`);
  });

  it('linked blocks reach into the previous block; independent ones may not', async () => {
    const first = block([0x50, 0x61, 0x62, 0x63, 0x64, 0x65]);
    // Offset 5 from the start of the second block lands in the first.
    const second = block([0x0f, 5, 0, 1, 0x50, 0x76, 0x77, 0x78, 0x79, 0x7a]);
    const linked = await decode(frame(0x40, 0x40, [...first, ...second, ...END]));
    assert.equal(linked.bytes.toString(), `abcde${'abcde'.repeat(4)}vwxyz`);
    await rejects(
      frame(0x60, 0x40, [...first, ...second, ...END]),
      /^lz4: corrupt block \(match offset 5 reaches before the available history\)/,
    );
  });

  it('matches may not reach before the frame, nor use offset 0', async () => {
    await rejects(frame(0x40, 0x40, [...block(seq(4, 0)), ...END]), /^lz4: corrupt block \(match offset 4 reaches before/);
    await rejects(frame(0x40, 0x40, [...block(seq(0, 0)), ...END]), /^lz4: corrupt block \(match offset 0\)/);
    // Frames are independent of each other.
    const one = frame(0x40, 0x40, [...block([0x50, 1, 2, 3, 4, 5]), ...END]);
    const two = frame(0x40, 0x40, [...block([0x0f, 5, 0, 0, 0x50, 1, 2, 3, 4, 5]), ...END]);
    await rejects(Buffer.concat([one, two]), /^lz4: corrupt block \(match offset 5 reaches before/);
  });

  it('a block that decodes past its maximum size', async () => {
    // 64 KiB maximum; the match alone is 15 + 255·257 + 4 bytes.
    const big = [0x1f, 0x61, 1, 0, ...new Array(257).fill(255), 0, 0x50, 1, 2, 3, 4, 5];
    await rejects(frame(0x60, 0x40, [...block(big), ...END]), /^lz4: corrupt block \(decodes past the maximum block size\)/);
    // The same block is fine under a 256 KiB maximum.
    const r = await decode(frame(0x60, 0x50, [...block(big), ...END]));
    assert.equal(r.size, 1 + 15 + 255 * 257 + 4 + 5);
  });

  it('blocks that stop inside a sequence', async () => {
    await rejects(frame(0x60, 0x40, [...block([0x3f, 0x61, 0x62, 0x63, 3]), ...END]), /^lz4: corrupt block \(ends inside a match offset\)/);
    await rejects(
      frame(0x60, 0x40, [...block([0x3f, 0x61, 0x62, 0x63, 3, 0]), ...END]),
      /^lz4: corrupt block \(ends inside a match length\)/,
    );
    await rejects(frame(0x60, 0x40, [...block([0xf0]), ...END]), /^lz4: corrupt block \(ends inside a literal length\)/);
    await rejects(frame(0x60, 0x40, [...block([0x50, 1, 2]), ...END]), /^lz4: corrupt block \(literals run past its end\)/);
    await rejects(frame(0x60, 0x40, [...block([0x30, 0x61, 0x62, 0x63, 3, 0]), ...END]), /^lz4: corrupt block \(ends after a match/);
  });

  it('an end mark with the uncompressed bit set ends the frame, as in liblz4', async () => {
    const r = await decode(frame(0x60, 0x40, [...block([0x30, 0x61, 0x62, 0x63]), ...le32(0x80000000)]));
    assert.equal(r.bytes.toString(), 'abc');
  });
});

describe('lz4: truncation and damage', () => {
  it('every truncation of small frames throws', async () => {
    // Cuts between whole frames are complete streams: the skippable fixture is a 13-byte frame, a 30-byte one, then 8 bytes.
    const boundaries: Record<string, number[]> = { 'lz4-skippable.lz4': [13, 43] };
    for (const name of ['lz4-tiny.lz4', 'lz4-empty.lz4', 'lz4-skippable.lz4', 'lz4-joblib.pkl.lz4']) {
      const data = fixture(name);
      const step = Math.max(1, Math.floor(data.length / 300));
      for (let n = 1; n < data.length; n += step) {
        if (boundaries[name]?.includes(n)) continue;
        await rejects(data.subarray(0, n), /^lz4: truncated input/);
      }
    }
    assert.equal((await decode(fixture('lz4-skippable.lz4').subarray(0, 13))).size, 0);
  });

  it('truncations of multi-block frames throw, whatever the chunking', async () => {
    const data = fixture('lz4-periodic-B4-BD.lz4');
    for (const n of [5, 7, 11, 100, 3000, data.length - 5, data.length - 4, data.length - 1])
      for (const chunk of [7, 4096]) await rejects(data.subarray(0, n), /^lz4: truncated input/, chunk);
  });

  it('flipped bytes throw an lz4 error or decode, never hang or crash', async () => {
    for (const name of ['lz4-periodic-B5-nocrc.lz4', 'lz4-text.lz4', 'lz4-joblib.pkl.lz4', 'lz4-big-B7-BD.lz4']) {
      const base = fixture(name);
      let state = 12345;
      for (let k = 0; k < 150; k++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        const data = Buffer.from(base);
        const at = state % data.length;
        data[at] ^= 1 << (k % 8);
        try {
          await decode(data, 4096);
        } catch (err) {
          assert.ok(err instanceof Error);
          assert.match(err.message, /^lz4: /);
        }
      }
    }
  });

  it('checksummed frames catch flipped bytes in their blocks', async () => {
    const base = fixture('lz4-pylz4-checksums.lz4');
    for (const at of [30, 1000, 5000, base.length - 10]) {
      const data = Buffer.from(base);
      data[at] ^= 0x10;
      await rejects(data, /^lz4: (block|content) checksum mismatch/);
    }
  });
});

describe('lz4: bombs and early stops', () => {
  /** A frame of 4 MiB linked blocks of zeros, ~16 KB each, repeated forever. */
  function bomb(): { input: AsyncGenerator<Uint8Array>; pulled: () => number } {
    const ml = (4 << 20) - 1 - 5;
    const ext = ml - 4 - 15;
    const body = [0x1f, 0, 1, 0, ...new Array(Math.floor(ext / 255)).fill(255), ext % 255, 0x50, 0, 0, 0, 0, 0];
    const blk = Uint8Array.from(block(body));
    let pulled = 0;
    async function* input(): AsyncGenerator<Uint8Array> {
      pulled++;
      yield frame(0x40, 0x70, []);
      for (;;) {
        pulled++;
        yield blk;
      }
    }
    return { input: input(), pulled: () => pulled };
  }

  it('an endless bomb: 2 MiB taken, then the consumer stops; little input read, nothing more done', async () => {
    const { input, pulled } = bomb();
    const t = Date.now();
    let got = 0;
    const sizes: number[] = [];
    for await (const c of decodeLz4Frame(input)) {
      sizes.push(c.length);
      got += c.length;
      if (got >= 2 * MiB) break;
    }
    assert.equal(got, 2 * MiB);
    assert.ok(sizes.every((n) => n <= MiB));
    assert.ok(pulled() <= 2, `pulled ${pulled()} input chunks`);
    assert.ok(Date.now() - t < 2000);
  });

  it('the decoder closes its input when the consumer stops', async () => {
    let closed = false;
    async function* input(): AsyncGenerator<Uint8Array> {
      try {
        yield fixture('lz4-zeros.lz4');
      } finally {
        closed = true;
      }
    }
    for await (const c of decodeLz4Frame(input())) {
      assert.equal(c.length, MiB);
      break;
    }
    assert.ok(closed);
  });
});
