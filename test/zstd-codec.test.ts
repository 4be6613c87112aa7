/**
 * src/io/codecs/zstd: the hand-written Zstandard decoder. Fixtures come from
 * scripts/make-codec-fixtures-zstd.sh (zstd CLI); their expected output is
 * pinned by size and SHA-256. Hostile frames are built here byte by byte,
 * among them inputs of a few bytes that made the former dependency (fzstd
 * 0.1.1) loop for minutes or forever: they must be refused at once. Blocks
 * using Huffman literals (4 streams, treeless), FSE sequence tables and repeat
 * modes are built by hand too, with the bit-stream helpers below.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeZstd, MAX_WINDOW, Xxh64, xxh64Low32 } from '../src/io/codecs/zstd.js';
import { assertRoundTrip, chunked, codecFixture, decodeRejects, decodeWith } from './helpers/codec-io.js';

const MiB = 1 << 20;

/** fixture → [decompressed size, SHA-256], as printed by the fixture script. */
const EXPECTED: Record<string, [number, string]> = {
  'zstd-big-1-nocheck.zst': [2105600, '897933487b88af843b651a84aa035fb6d3692efa2fb92ff23fcda2a19a0a0863'],
  'zstd-big-19.zst': [2105600, '897933487b88af843b651a84aa035fb6d3692efa2fb92ff23fcda2a19a0a0863'],
  'zstd-concat.zst': [40012, '102f88c5d76841225178b5551b032d3134c291b57f75af082735f2d6e98a55c2'],
  'zstd-empty.zst': [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  'zstd-long-stdin.zst': [300800, 'f22a075860d1b096aafd1514b2148c5aa849c4c38020b8701bd0442ef1369ae9'],
  'zstd-periodic-1.zst': [300800, 'f22a075860d1b096aafd1514b2148c5aa849c4c38020b8701bd0442ef1369ae9'],
  'zstd-random.zst': [12000, 'f0eddbfd39c24ba28d5a14262800fb1bc56b942ed044da86050065aaefdeca9d'],
  'zstd-skippable.zst': [12, '7a7c5e8d4ca612fd27d2bd63dca6d85cb759b6366abf6556cbcd483db9416aac'],
  'zstd-text-1-nocheck.zst': [40000, '236bcb706f0539d532325fd4cb7b24b16e1e97bcc35605533f4a1f7b9e3406ab'],
  'zstd-text-19.zst': [40000, '236bcb706f0539d532325fd4cb7b24b16e1e97bcc35605533f4a1f7b9e3406ab'],
  'zstd-tiny.zst': [12, '7a7c5e8d4ca612fd27d2bd63dca6d85cb759b6366abf6556cbcd483db9416aac'],
  'zstd-zeros-19.zst': [209715200, '72abf2ca8f36943ebe2e49ca3a51d409ca5f0bfcffab6c9d25643c17c32889da'],
};

const fixture = codecFixture;
const decode = (data: Uint8Array, chunk?: number, opts?: { keep?: boolean; cap?: number }) => decodeWith(decodeZstd, data, chunk, opts);

const rejects = (data: Uint8Array, re: RegExp, chunk?: number) => decodeRejects(decodeZstd, data, re, chunk);

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const RAW = 0;
const RLE = 1;
const COMPRESSED = 2;

/** A block: 3-byte header (size is the content length, or the run length for RLE), then its content. */
function block(type: number, content: number[], last = true, size = content.length): number[] {
  const h = (size << 3) | (type << 1) | (last ? 1 : 0);
  return [h & 0xff, (h >> 8) & 0xff, h >> 16, ...content];
}

/** A frame with a plain header (FHD 0: window descriptor, no content size, no checksum) unless given. */
function frame(blocks: number[], header: number[] = [0x00, 0x38]): Uint8Array {
  return Uint8Array.from([...MAGIC, ...header, ...blocks]);
}

/** Sequences section with one sequence, every table in RLE mode, then the given bit stream. */
function oneSequence(literals: number[], llCode: number, ofCode: number, mlCode: number, bits: number[]): number[] {
  return [literals.length << 3, ...literals, 1, 0x54, llCode, ofCode, mlCode, ...bits];
}

/** A backward bit stream as zstd's entropy streams are read: `fields` ([value, bits]) in reading order below an end mark. */
function backward(fields: [number, number][]): number[] {
  let bits = '1';
  for (const [v, n] of fields) if (n > 0) bits += v.toString(2).padStart(n, '0');
  bits = bits.padStart(Math.ceil(bits.length / 8) * 8, '0');
  const out: number[] = [];
  for (let e = bits.length; e > 0; e -= 8) out.push(Number.parseInt(bits.slice(e - 8, e), 2));
  return out;
}

/** An FSE table description (RFC 8878 §4.1.1) of normalized counts (none 0; -1 is "less than one"). */
function fseDescription(log: number, counts: number[]): number[] {
  const bits: number[] = [];
  const put = (v: number, n: number) => {
    for (let i = 0; i < n; i++) bits.push((v >> i) & 1);
  };
  put(log - 5, 4);
  let remaining = (1 << log) + 1;
  let threshold = 1 << log;
  let width = log + 1;
  for (const c of counts) {
    const v = c + 1;
    const max = 2 * threshold - 1 - remaining;
    if (v < max) put(v, width - 1);
    else put(v >= threshold ? v + max : v, width);
    remaining -= Math.abs(c);
    while (remaining < threshold) {
      width--;
      threshold >>= 1;
    }
  }
  assert.equal(remaining, 1);
  const out: number[] = [];
  for (let i = 0; i < bits.length; i += 8) out.push(bits.slice(i, i + 8).reduce((a, b, k) => a | (b << k), 0));
  return out;
}

/** 32 codes of probability "less than one" at accuracy 5: state 31 - c decodes code c, and every state reads 5 bits for the next. */
const UNIFORM = fseDescription(5, new Array(32).fill(-1));
const state = (code: number): [number, number] => [31 - code, 5];

/** Huffman codes of the direct weights [2, 1, 1] (+ implied 3): 0 → 01, 1 → 000, 2 → 001, 3 → 1. */
const HUFFMAN_WEIGHTS = [127 + 3, 0x21, 0x10];
const HUFFMAN_CODES: [number, number][] = [
  [1, 2],
  [0, 3],
  [1, 3],
  [1, 1],
];
const huffmanStream = (symbols: number[]) => backward(symbols.map((s) => HUFFMAN_CODES[s]));

/** Compressed literals header (type 2 or 3, size format 0 or 1: 10-bit sizes). */
function compressedLiterals(type: number, streams: 1 | 4, regenerated: number, payload: number[]): number[] {
  const h = type | ((streams === 4 ? 1 : 0) << 2) | (regenerated << 4) | (payload.length << 14);
  return [h & 0xff, (h >> 8) & 0xff, h >> 16, ...payload];
}

/** Four Huffman streams behind their jump table. */
function fourStreams(streams: number[][]): number[] {
  const jump = streams.slice(0, 3).flatMap((b) => [b.length & 0xff, b.length >> 8]);
  return [...jump, ...streams.flat()];
}

describe('zstd: XXH64', () => {
  it('matches the reference values (low 32 bits)', () => {
    assert.equal(xxh64Low32(new Uint8Array(0)), 0x51d8e999);
    assert.equal(xxh64Low32(Buffer.from('abc')), 0xad770999);
  });

  it('fed in odd pieces, agrees with the one-shot hash', () => {
    const data = Buffer.from('Nobody inspects the spammish repetition, nobody at all, not one bit'.repeat(9));
    for (const piece of [1, 5, 31, 32, 33, 100]) {
      const h = new Xxh64();
      for (let i = 0; i < data.length; i += piece) h.update(data.subarray(i, i + piece));
      assert.equal(h.digest32(), xxh64Low32(data));
    }
  });
});

describe('zstd: fixtures round-trip', () => {
  for (const [name, [size, sha]] of Object.entries(EXPECTED)) {
    if (name === 'zstd-zeros-19.zst') continue;
    it(name, async () => {
      const data = fixture(name);
      await assertRoundTrip(decodeZstd, data, size, sha, 3000);
    });
  }

  it('1-byte input chunks on multi-block frames', async () => {
    for (const name of ['zstd-big-19.zst', 'zstd-text-1-nocheck.zst'])
      assert.equal((await decode(fixture(name), 1)).sha, EXPECTED[name][1]);
  });

  it('a 200 MB bomb decodes whole in chunks of 512 KiB–1 MiB', async () => {
    const [size, sha] = EXPECTED['zstd-zeros-19.zst'];
    const r = await decode(fixture('zstd-zeros-19.zst'), 4096);
    assert.equal(r.size, size);
    assert.equal(r.sha, sha);
    assert.ok(r.chunks.slice(0, -1).every((n) => n >= 512 << 10 && n <= MiB));
  });
});

describe('zstd: frame headers', () => {
  it('empty input and garbage are refused', async () => {
    await rejects(new Uint8Array(0), /^zstd: empty input/);
    await rejects(Buffer.from('PK\x03\x04 not zstd'), /^zstd: not a zstd frame \(magic 0x04034b50\)/);
    await rejects(Buffer.concat([fixture('zstd-tiny.zst'), Buffer.from('junk')]), /^zstd: not a zstd frame/);
    await rejects(Uint8Array.from([0x28, 0xb5]), /^zstd: truncated input/);
  });

  it('skippable frames alone decode to nothing', async () => {
    const r = await decode(fixture('zstd-skippable.zst').subarray(0, 13));
    assert.equal(r.size, 0);
    await rejects(fixture('zstd-skippable.zst').subarray(0, 12), /^zstd: truncated input \(in a skippable frame\)/);
  });

  it(`windows above ${MAX_WINDOW} bytes are refused`, async () => {
    // Window descriptor exponent 19: 2^29 bytes.
    await rejects(frame(block(RAW, [1]), [0x00, 0x98]), /^zstd: window of 536870912 bytes exceeds the cap/);
    // 256 MiB + 1/8: just over.
    await rejects(frame(block(RAW, [1]), [0x00, 0x91]), /^zstd: window of 301989888 bytes exceeds the cap/);
    // Single segment: the content size is the window (8-byte field, 300 MB).
    const fcs = [0x00, 0xa3, 0xe1, 0x11, 0, 0, 0, 0];
    await rejects(frame(block(RAW, [1]), [0xe0, ...fcs]), /^zstd: window of 300000000 bytes exceeds the cap/);
    // Exactly 256 MiB is accepted.
    const ok = await decode(frame(block(RAW, [1, 2]), [0x00, 0x90]), undefined, { keep: true });
    assert.deepEqual([...ok.bytes!], [1, 2]);
  });

  it('a huge declared window with a small content size costs only the content size', async () => {
    // 1 GiB window descriptor, 2-byte content size field (+256): 300 bytes of content.
    const content = new Array(300).fill(7);
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for await (const c of decodeZstd(chunked(frame(block(RAW, content), [0x40, 0xa0, 44, 0]), 64))) {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      assert.equal(c.length, 300);
    }
    assert.ok(peak < 64 * MiB, `array buffers grew by ${peak}`);
  });

  it('dictionaries and the reserved bit are refused', async () => {
    await rejects(frame(block(RAW, [1]), [0x01, 0x38, 42]), /^zstd: frames that need a dictionary are not supported \(dictionary id 42\)/);
    await rejects(frame(block(RAW, [1]), [0x08, 0x38]), /^zstd: reserved bit set in the frame header/);
    // A dictionary id field holding 0 means "no dictionary".
    assert.equal((await decode(frame(block(RAW, [1]), [0x03, 0x38, 0, 0, 0, 0]))).size, 1);
  });

  it('content size and content checksum are checked', async () => {
    // Single segment, 1-byte content size.
    await rejects(frame(block(RAW, [1, 2, 3]), [0x20, 4]), /^zstd: frame content size mismatch \(header says 4, frame holds 3\)/);
    await rejects(frame(block(RAW, [1, 2, 3, 4, 5]), [0x20, 4]), /^zstd: block of 5 bytes exceeds the maximum of 4/);
    const data = Buffer.from(fixture('zstd-tiny.zst'));
    data[data.length - 1] ^= 1;
    await rejects(data, /^zstd: content checksum mismatch/);
  });
});

describe('zstd: blocks', () => {
  it('raw, RLE and compressed blocks, several per frame', async () => {
    const blocks = [
      ...block(RAW, [0x61, 0x62], false),
      ...block(RLE, [0x7a], false, 5),
      // Literals "hello", then a match of 3 at offset 5 (offset code 3: 8 + 0 - 3; 3 bits + end mark).
      ...block(COMPRESSED, oneSequence([0x68, 0x65, 0x6c, 0x6c, 0x6f], 5, 3, 0, [0x08])),
    ];
    const r = await decode(frame(blocks), undefined, { keep: true });
    assert.equal(r.bytes!.toString(), 'abzzzzzhellohel');
  });

  it('reserved block types and oversized blocks are refused', async () => {
    await rejects(frame(block(3, [0])), /^zstd: corrupt block \(reserved block type\)/);
    // 1 KiB window: blocks up to 1 KiB.
    await rejects(frame(block(RAW, new Array(1025).fill(0)), [0x00, 0x00]), /^zstd: block of 1025 bytes exceeds the maximum of 1024/);
    await rejects(frame(block(RLE, [0], true, 1025), [0x00, 0x00]), /^zstd: block decodes to 1025 bytes, past the maximum of 1024/);
    // fzstd itself would let one RLE block expand to 2 MiB.
    await rejects(
      frame(block(RLE, [0], true, (128 << 10) + 1), [0x00, 0x50]),
      /^zstd: block decodes to 131073 bytes, past the maximum of 131072/,
    );
  });

  it('an 18-byte block that would keep fzstd busy for minutes is refused at once', async () => {
    // 98047 sequences of the longest codes, from a 1-byte bit stream.
    const t = Date.now();
    await rejects(
      frame(block(COMPRESSED, [0x00, 0xff, 0xff, 0xff, 0x54, 35, 1, 52, 0x01]), [0x00, 0x00]),
      /^zstd: corrupt block \(sequence bit stream overrun\)/,
    );
    assert.ok(Date.now() - t < 1000);
  });

  it('a 27-byte Huffman table that would make fzstd loop forever is refused at once', async () => {
    // FSE-coded weights whose one symbol takes every state: transitions read no bits.
    const content = [0xa2, 0x80, 0x02, 0x04, 0xf0, 0x03, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const t = Date.now();
    await rejects(frame(block(COMPRESSED, content), [0x00, 0x00]), /^zstd: corrupt block \(more than 255 Huffman weights\)/);
    assert.ok(Date.now() - t < 1000);
  });

  it('sequences must stay within the literals, the data and the block', async () => {
    // Literal length code 5 with only 3 literals.
    await rejects(
      frame(block(COMPRESSED, oneSequence([1, 2, 3], 5, 3, 0, [0x08]))),
      /^zstd: corrupt block \(literal lengths exceed the literals\)/,
    );
    // Offset code 3 with extra bits 7: offset 12, with 5 bytes decoded.
    await rejects(
      frame(block(COMPRESSED, oneSequence([1, 2, 3, 4, 5], 5, 3, 0, [0x0f]))),
      /^zstd: corrupt block \(match offset 12 reaches before/,
    );
    // Match length code 52 (65539+) in a 1 KiB window.
    await rejects(
      frame(block(COMPRESSED, oneSequence([1, 2, 3, 4, 5], 5, 0, 52, [0, 0, 1])), [0x00, 0x00]),
      /^zstd: corrupt block \(decodes past the block maximum of 1024\)/,
    );
    // Bits left over.
    await rejects(
      frame(block(COMPRESSED, oneSequence([1, 2, 3, 4, 5], 5, 3, 0, [0x10]))),
      /^zstd: corrupt block \(sequence bit stream not consumed exactly\)/,
    );
    // Repeat mode before any table, codes out of range.
    await rejects(
      frame(block(COMPRESSED, [0x00, 1, 0xfc, 0x01])),
      /^zstd: corrupt block \(sequence tables reused before any were defined\)/,
    );
    await rejects(frame(block(COMPRESSED, oneSequence([1], 36, 3, 0, [0x08]))), /^zstd: corrupt block \(code 36 above 35\)/);
  });

  it('offsets of 64 MiB and more are read whole (all 26 bits, across a 32-bit boundary), then checked against the history', async () => {
    // Offset code 26 read at bit 7: its top bit lies past a 32-bit load from there. Match length code 43: 7 bits.
    // 2^26 + 2^25 - 3, with nothing decoded yet: refused as out of history, not decoded wrong.
    await rejects(
      frame(block(COMPRESSED, oneSequence([], 0, 26, 43, [0, 0, 0, 0, 3]))),
      /^zstd: corrupt block \(match offset 100663293 reaches before the window or the data\)/,
    );
  });

  it('streams of tiny blocks under a big window decode at once (the history grows with the output, not the window)', async () => {
    // 64 MiB window, no content size, 40 blocks of 1 byte.
    const tiny: number[] = [];
    for (let i = 0; i < 40; i++) tiny.push(...block(RAW, [i], i === 39));
    const t = Date.now();
    const before = process.memoryUsage().arrayBuffers;
    const r = await decode(frame(tiny, [0x00, 0x80]), undefined, { keep: true });
    assert.deepEqual(
      [...r.bytes!],
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * MiB);
    assert.ok(Date.now() - t < 10_000);
  });
});

describe('zstd: entropy-coded blocks built by hand', () => {
  it('Huffman literals in 4 streams (direct weights), then treeless literals in 1 stream', async () => {
    const streams = [
      [3, 0, 1],
      [2, 3, 3],
      [0, 0, 2],
      [1, 3, 0],
    ];
    const first = compressedLiterals(2, 4, 12, [...HUFFMAN_WEIGHTS, ...fourStreams(streams.map(huffmanStream))]);
    const second = compressedLiterals(3, 1, 4, huffmanStream([3, 2, 1, 0]));
    const r = await decode(frame([...block(COMPRESSED, [...first, 0], false), ...block(COMPRESSED, [...second, 0])]), undefined, {
      keep: true,
    });
    assert.deepEqual([...r.bytes!], [...streams.flat(), 3, 2, 1, 0]);
  });

  it('FSE-compressed sequence tables, reused (repeat mode) by the next block, with repeat offsets', async () => {
    // Block 1: literals "abcdefgh"; (4 literals, offset 4, match 5), (2 literals, repeat offset 1, match 3), then "gh".
    const seqs1 = backward([state(4), state(2), state(2), [3, 2], state(2), state(0), state(0)]);
    const block1 = [8 << 3, ...Buffer.from('abcdefgh'), 2, 0xa8, ...UNIFORM, ...UNIFORM, ...UNIFORM, ...seqs1];
    // Block 2: the same tables (modes 0xfc); no literals before the match, so offset code 0 is the second repeat offset (1).
    const block2 = [2 << 3, ...Buffer.from('XY'), 1, 0xfc, ...backward([state(0), state(0), state(1)])];
    const data = frame([...block(COMPRESSED, block1, false), ...block(COMPRESSED, block2)]);
    const r = await decode(data, 5, { keep: true });
    assert.equal(r.bytes!.toString(), 'abcdabcdaefdaeghhhhhXY');
    // Tables do not outlive their frame.
    await rejects(
      Buffer.concat([data, frame(block(COMPRESSED, block2))]),
      /^zstd: corrupt block \(sequence tables reused before any were defined\)/,
    );
  });

  it('corrupt FSE table descriptions are refused', async () => {
    const seq = (desc: number[]) => frame(block(COMPRESSED, [0, 1, 0x80, ...desc, 0x01]));
    // Accuracy log 10 for literal lengths (at most 9).
    await rejects(seq([0x05, 0, 0]), /^zstd: corrupt block \(FSE accuracy 10 above 9\)/);
    // The description runs out before the probabilities are handed out.
    await rejects(seq(UNIFORM.slice(0, 5)), /^zstd: corrupt block \(FSE table description past the end\)/);
    // Offsets at accuracy 6: 32 codes of "less than one" and a 33rd, code 32 (at most 31).
    await rejects(
      frame(block(COMPRESSED, [0, 1, 0x20, ...fseDescription(6, [...new Array(32).fill(-1), 32]), 0x01])),
      /^zstd: corrupt block \(FSE symbol 32 above 31\)/,
    );
    // Offset table given a code above 31 by its RLE byte.
    await rejects(frame(block(COMPRESSED, [0, 1, 0x14, 32, 0x01])), /^zstd: corrupt block \(code 32 above 31\)/);
  });

  it('corrupt Huffman table descriptions are refused', async () => {
    const lits = (desc: number[]) =>
      frame(block(COMPRESSED, [...compressedLiterals(2, 1, 4, [...desc, ...huffmanStream([0, 1, 2, 3])]), 0]));
    // Weights 2, 2, 1: 5 of 8, and the rest (3) is no power of two.
    await rejects(lits([127 + 3, 0x22, 0x10]), /^zstd: corrupt block \(Huffman weights do not form a complete tree\)/);
    await rejects(lits([127 + 1, 0xc0]), /^zstd: corrupt block \(Huffman weight 12 above 11\)/);
    await rejects(lits([127 + 2, 0x00]), /^zstd: corrupt block \(Huffman weights all zero\)/);
    // FSE-compressed weights with accuracy 7 (at most 6).
    await rejects(lits([2, 0x02, 0x01]), /^zstd: corrupt block \(FSE accuracy 7 above 6\)/);
    // Stream sizes past the literals, stream not consumed exactly, treeless literals first.
    const streams = fourStreams([[3], [2], [1], [0]].map(huffmanStream));
    streams[4] = 200;
    await rejects(
      frame(block(COMPRESSED, [...compressedLiterals(2, 4, 4, [...HUFFMAN_WEIGHTS, ...streams]), 0])),
      /^zstd: corrupt block \(Huffman streams run past the literals\)/,
    );
    await rejects(
      frame(block(COMPRESSED, [...compressedLiterals(2, 1, 3, [...HUFFMAN_WEIGHTS, ...huffmanStream([0, 1, 2, 3])]), 0])),
      /^zstd: corrupt block \(Huffman stream not consumed exactly\)/,
    );
    await rejects(
      frame(block(COMPRESSED, [...compressedLiterals(3, 1, 4, huffmanStream([0, 1, 2, 3])), 0])),
      /^zstd: corrupt block \(literals reuse a Huffman table never defined\)/,
    );
  });

  it('matches reach back across blocks up to the window, not beyond it or the history', async () => {
    const a = Array.from({ length: 1024 }, (_, i) => i & 0xff);
    const b = Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff);
    // 1 KiB window: offset 1024 (offset code 10, extra 3) reaches the start of the second block.
    const match = (ofCode: number, extra: number, header: number[]) =>
      frame(
        [
          ...block(RAW, a, false),
          ...block(RAW, b, false),
          ...block(COMPRESSED, oneSequence([], 0, ofCode, 0, backward([[extra, ofCode]]))),
        ],
        header,
      );
    const r = await decode(match(10, 3, [0x00, 0x00]), 100, { keep: true });
    assert.deepEqual([...r.bytes!.subarray(2048)], [0, 7, 14]);
    await rejects(match(10, 4, [0x00, 0x00]), /^zstd: corrupt block \(match offset 1025 reaches before the window or the data\)/);
    // 128 KiB window, 2048 bytes of history: offset 2048 is fine, 2049 is not.
    assert.deepEqual([...(await decode(match(11, 3, [0x00, 0x38]), 100, { keep: true })).bytes!.subarray(2048)], [0, 1, 2]);
    await rejects(match(11, 4, [0x00, 0x38]), /^zstd: corrupt block \(match offset 2049 reaches before the window or the data\)/);
  });
});

describe('zstd: truncation and damage', () => {
  it('every truncation of small frames throws', async () => {
    const boundaries: Record<string, number[]> = { 'zstd-skippable.zst': [13, 38] };
    for (const name of ['zstd-tiny.zst', 'zstd-empty.zst', 'zstd-skippable.zst', 'zstd-periodic-1.zst']) {
      const data = fixture(name);
      const step = Math.max(1, Math.floor(data.length / 300));
      for (let n = 1; n < data.length; n += step) {
        if (boundaries[name]?.includes(n)) continue;
        await rejects(data.subarray(0, n), /^zstd: truncated input/);
      }
    }
  });

  it('truncations of multi-frame and multi-block streams throw, whatever the chunking', async () => {
    for (const name of ['zstd-concat.zst', 'zstd-big-19.zst']) {
      const data = fixture(name);
      for (const n of [3, 5, 9, 100, 1000, data.length - 5, data.length - 1])
        for (const chunk of [7, 4096]) await rejects(data.subarray(0, n), /^zstd: truncated input/, chunk);
    }
  });

  it('flipped bytes throw a zstd error or decode, never hang or crash', async () => {
    const runs: [string, number][] = [
      ['zstd-text-1-nocheck.zst', 120],
      ['zstd-big-1-nocheck.zst', 120],
      ['zstd-text-19.zst', 120],
      ['zstd-periodic-1.zst', 120],
      ['zstd-zeros-19.zst', 40],
    ];
    for (const [name, count] of runs) {
      const base = fixture(name);
      let state = 12345;
      for (let k = 0; k < count; k++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        const data = Buffer.from(base);
        data[state % data.length] ^= 1 << (k % 8);
        try {
          await decode(data, 4096, { cap: 2 * MiB });
        } catch (err) {
          assert.ok(err instanceof Error);
          assert.match(err.message, /^zstd: /);
        }
      }
    }
  });

  it('a byte-flip sweep over two multi-mode fixtures throws only zstd errors, quickly', async () => {
    for (const [name, stride] of [
      ['zstd-big-19.zst', 3],
      ['zstd-text-19.zst', 7],
    ] as const) {
      const base = fixture(name);
      const t = Date.now();
      let failed = 0;
      for (let at = 0; at < base.length; at += stride) {
        const data = Buffer.from(base);
        data[at] ^= [0xff, 0x01, 0x80, 0x10][at % 4];
        try {
          await decode(data, 1024);
        } catch (err) {
          failed++;
          assert.ok(err instanceof Error, `flip at ${at}: threw a non-Error`);
          assert.match(err.message, /^zstd: /, `flip at ${at}`);
        }
      }
      assert.ok(failed > 0);
      assert.ok(Date.now() - t < 30_000, `${name}: ${Date.now() - t} ms`);
    }
  });

  it('checksummed frames catch flipped bytes in raw data', async () => {
    const base = fixture('zstd-random.zst');
    for (const at of [20, 5000, base.length - 10]) {
      const data = Buffer.from(base);
      data[at] ^= 0x10;
      await rejects(data, /^zstd: content checksum mismatch/);
    }
  });
});

describe('zstd: early stops', () => {
  it('a 200 MB bomb: 2 MiB taken, then the consumer stops; little input read', async () => {
    const data = fixture('zstd-zeros-19.zst');
    let pulled = 0;
    async function* input(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < data.length; i += 256) {
        pulled += 256;
        yield data.subarray(i, i + 256);
      }
    }
    const t = Date.now();
    let got = 0;
    for await (const c of decodeZstd(input())) {
      assert.ok(c.length <= MiB);
      got += c.length;
      if (got >= 2 * MiB) break;
    }
    assert.ok(got >= 2 * MiB && got < 3 * MiB);
    assert.ok(pulled < 1024, `pulled ${pulled} bytes`);
    assert.ok(Date.now() - t < 2000);
  });

  it('the decoder closes its input when the consumer stops', async () => {
    let closed = false;
    async function* input(): AsyncGenerator<Uint8Array> {
      try {
        yield fixture('zstd-zeros-19.zst');
      } finally {
        closed = true;
      }
    }
    for await (const _ of decodeZstd(input())) break;
    assert.ok(closed);
  });
});
