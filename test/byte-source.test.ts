/**
 * src/io: random-access byte sources (file, buffer, slice) and the sliding
 * WindowReader the pickle VM reads through, exercised with tiny windows so
 * every refill, growth and skip path is crossed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WindowReader } from '../src/io/bounded-reader.js';
import { BufferSource, type ByteSource, FileSource, SliceSource } from '../src/io/byte-source.js';

const DATA = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7 + 3) & 0xff));

let dir: string;
let file: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modelscan-io-'));
  file = join(dir, 'data.bin');
  await writeFile(file, DATA);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Makes each kind of source over DATA (a slice covers DATA inside padding). */
const makers: Record<string, () => Promise<ByteSource>> = {
  BufferSource: async () => new BufferSource('buf', DATA),
  FileSource: () => FileSource.open(file),
  SliceSource: async () => {
    const padded = Buffer.concat([Buffer.alloc(10, 0xee), DATA, Buffer.alloc(5, 0xdd)]);
    return new SliceSource('slice', new BufferSource('padded', padded), 10, DATA.length);
  },
};

describe('ByteSource implementations', () => {
  for (const [kind, make] of Object.entries(makers)) {
    describe(kind, () => {
      it('reports its size and reads exact ranges', async () => {
        const s = await make();
        try {
          assert.equal(s.size, DATA.length);
          assert.deepEqual(await s.read(0, 256), DATA);
          assert.deepEqual(await s.read(17, 40), DATA.subarray(17, 57));
          assert.deepEqual(await s.read(255, 1), DATA.subarray(255));
          assert.equal((await s.read(3, 0)).length, 0);
        } finally {
          await s.close();
        }
      });

      it('clamps reads at the end', async () => {
        const s = await make();
        try {
          assert.deepEqual(await s.read(250, 100), DATA.subarray(250));
          assert.equal((await s.read(256, 10)).length, 0);
          assert.equal((await s.read(1000, 10)).length, 0);
        } finally {
          await s.close();
        }
      });

      it('fills the buffer it is given when it is big enough', async () => {
        const s = await make();
        try {
          const into = Buffer.alloc(64, 0xaa);
          const got = await s.read(100, 32, into);
          assert.deepEqual(got, DATA.subarray(100, 132));
          assert.equal(got.buffer, into.buffer, 'returned a view of `into`');
          assert.deepEqual(into.subarray(0, 32), DATA.subarray(100, 132));
          const small = Buffer.alloc(4);
          assert.deepEqual(await s.read(0, 16, small), DATA.subarray(0, 16), 'a too-small buffer is not overrun');
        } finally {
          await s.close();
        }
      });

      it('rejects invalid ranges', async () => {
        const s = await make();
        try {
          for (const [o, l] of [
            [-1, 4],
            [0, -1],
            [1.5, 2],
            [0, 2.5],
            [Number.NaN, 1],
            [0, Number.POSITIVE_INFINITY],
            [2 ** 53, 1],
          ]) {
            await assert.rejects(async () => s.read(o, l), RangeError, `read(${o}, ${l})`);
          }
        } finally {
          await s.close();
        }
      });
    });
  }

  it('FileSource names itself after the path unless told otherwise, and fails on a missing file', async () => {
    const a = await FileSource.open(file);
    const b = await FileSource.open(file, 'shown-name');
    assert.equal(a.name, file);
    assert.equal(b.name, 'shown-name');
    await a.close();
    await b.close();
    await assert.rejects(FileSource.open(join(dir, 'missing.bin')), /ENOENT/);
  });

  it('SliceSource: slices of slices map offsets through every level and never read past their own end', async () => {
    const parent = new BufferSource('p', DATA);
    const s1 = new SliceSource('s1', parent, 10, 200); // DATA[10, 210)
    const s2 = new SliceSource('s2', s1, 20, 100); // DATA[30, 130)
    const s3 = new SliceSource('s3', s2, 90, 10); // DATA[120, 130)
    assert.deepEqual(await s2.read(0, 5), DATA.subarray(30, 35));
    assert.deepEqual(await s3.read(0, 100), DATA.subarray(120, 130), 'clamped at the slice end, not the parent end');
    assert.deepEqual(await s3.read(8, 100), DATA.subarray(128, 130));
    assert.equal((await s3.read(10, 1)).length, 0);
    await s3.close();
    assert.deepEqual(await s1.read(0, 1), DATA.subarray(10, 11), 'closing a slice leaves its parent usable');
  });

  it('SliceSource rejects windows outside the parent', () => {
    const parent = new BufferSource('p', DATA);
    assert.throws(() => new SliceSource('x', parent, -1, 4), RangeError);
    assert.throws(() => new SliceSource('x', parent, 0, -4), RangeError);
    assert.throws(() => new SliceSource('x', parent, 200, 57), RangeError);
    assert.throws(() => new SliceSource('x', new SliceSource('y', parent, 0, 10), 5, 6), RangeError);
    assert.doesNotThrow(() => new SliceSource('x', parent, 256, 0));
    assert.doesNotThrow(() => new SliceSource('x', parent, 0, 256));
  });

  it('a slice of a FileSource reads the file', async () => {
    const f = await FileSource.open(file);
    try {
      const s = new SliceSource('s', f, 200, 56);
      assert.deepEqual(await s.read(50, 50), DATA.subarray(250, 256));
    } finally {
      await f.close();
    }
  });
});

/** A source that returns at most `chunk` bytes per read in a buffer of its own (it ignores `into`). */
class TricklingSource implements ByteSource {
  readonly size: number;
  reads = 0;
  constructor(
    readonly name: string,
    private readonly bytes: Buffer,
    private readonly chunk: number,
  ) {
    this.size = bytes.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    this.reads++;
    return Buffer.from(this.bytes.subarray(offset, offset + Math.min(length, this.chunk)));
  }
  async close(): Promise<void> {}
}

describe('WindowReader', () => {
  /** Bytes available at pos, as the reader sees them. */
  const view = (r: WindowReader, n: number) => r.buf.subarray(r.pos, r.pos + n);

  for (const [kind, make] of Object.entries({ ...makers, TricklingSource: async () => new TricklingSource('t', DATA, 2) })) {
    it(`${kind}: a byte-by-byte walk with a 3-byte window sees every byte once`, async () => {
      const s = await make();
      try {
        const r = new WindowReader(s, 0, 3);
        const seen: number[] = [];
        while (await r.ensure(1)) seen.push(r.buf[r.pos++]);
        assert.deepEqual(Buffer.from(seen), DATA);
        assert.equal(r.offset, DATA.length);
        assert.ok(r.atEnd);
        assert.equal(r.remainingInSource, 0);
      } finally {
        await s.close();
      }
    });
  }

  it('ensure(n) across window boundaries, growing the window when n exceeds it', async () => {
    const r = new WindowReader(new BufferSource('b', DATA), 5, 4);
    assert.equal(r.offset, 5);
    assert.ok(await r.ensure(4));
    assert.deepEqual(view(r, 4), DATA.subarray(5, 9));
    r.pos += 3; // offset 8: one byte left in the window
    assert.equal(r.offset, 8);
    assert.ok(await r.ensure(4), 'refills, keeping the unread byte');
    assert.deepEqual(view(r, 4), DATA.subarray(8, 12));
    assert.ok(await r.ensure(10), 'grows past the window size');
    assert.ok(r.buf.length >= 10);
    assert.deepEqual(view(r, 10), DATA.subarray(8, 18));
    assert.equal(r.offset, 8, 'ensure never moves the offset');
  });

  it('ensure(n) is false when the source ends first, and leaves the offset alone', async () => {
    const r = new WindowReader(new BufferSource('b', DATA), 250, 4);
    assert.ok(await r.ensure(6));
    assert.equal(await r.ensure(7), false);
    assert.equal(r.offset, 250);
    assert.deepEqual(view(r, 6), DATA.subarray(250, 256));
    assert.equal(r.remainingInSource, 6);
  });

  it('skip() inside the window moves pos; beyond it, only the offset', async () => {
    const src = new TricklingSource('t', DATA, 64);
    const r = new WindowReader(src, 0, 8);
    assert.ok(await r.ensure(8));
    r.skip(5);
    assert.equal(r.offset, 5);
    assert.deepEqual(view(r, 3), DATA.subarray(5, 8));
    const reads = src.reads;
    r.skip(100); // far past the window: nothing is read
    assert.equal(src.reads, reads);
    assert.equal(r.offset, 105);
    assert.equal(r.end - r.pos, 0, 'window dropped');
    assert.ok(await r.ensure(3));
    assert.deepEqual(view(r, 3), DATA.subarray(105, 108));
    r.skip(1000);
    assert.ok(r.atEnd);
    assert.equal(await r.ensure(1), false);
  });

  it('seek() back and forth, inside and outside the window', async () => {
    const r = new WindowReader(new BufferSource('b', DATA), 0, 16);
    assert.ok(await r.ensure(16));
    r.seek(10);
    assert.equal(r.offset, 10);
    assert.equal(r.end, 16, 'a seek inside the window keeps it');
    assert.deepEqual(view(r, 6), DATA.subarray(10, 16));
    r.seek(200);
    assert.equal(r.offset, 200);
    assert.equal(r.end - r.pos, 0);
    assert.ok(await r.ensure(16));
    assert.deepEqual(view(r, 16), DATA.subarray(200, 216));
    r.seek(3); // backwards, outside the window
    assert.equal(r.offset, 3);
    assert.ok(await r.ensure(5));
    assert.deepEqual(view(r, 5), DATA.subarray(3, 8));
    r.seek(256);
    assert.ok(r.atEnd);
  });

  it('a scripted mix of ensure/skip/seek with a 5-byte window always shows the right bytes', async () => {
    const r = new WindowReader(new TricklingSource('t', DATA, 3), 0, 5);
    let state = 7;
    const rnd = (n: number) => (state = (Math.imul(state, 48271) + 11) >>> 0) % n;
    let expected = 0;
    for (let step = 0; step < 2000; step++) {
      const op = rnd(4);
      if (op === 0) {
        const n = 1 + rnd(12);
        const ok = await r.ensure(n);
        assert.equal(ok, expected + n <= DATA.length, `ensure(${n}) at ${expected}`);
        if (ok) assert.deepEqual(view(r, n), DATA.subarray(expected, expected + n));
      } else if (op === 1) {
        const n = rnd(20);
        r.skip(n);
        expected += n;
      } else if (op === 2) {
        const to = rnd(DATA.length + 1);
        r.seek(to);
        expected = to;
      } else if (r.end > r.pos) {
        r.pos++;
        expected++;
      }
      assert.equal(r.offset, expected, `step ${step}`);
      if (expected > DATA.length) {
        r.seek(0);
        expected = 0;
      }
    }
  });
});
