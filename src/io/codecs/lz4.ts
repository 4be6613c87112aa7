/**
 * Streaming LZ4 frame decoder (format as written by the lz4 CLI, liblz4's
 * LZ4F API and Python's lz4.frame, which joblib compress='lz4' uses).
 *
 * Frames follow one another until the input ends; skippable frames
 * (magic 0x184D2A50–5F) are passed over. Every checksum the frame declares is
 * verified (header byte, block and content xxHash32) and a declared content
 * size must match. Empty input is an error, as for lz4.frame.decompress(b'').
 *
 * Limitations: the legacy format (lz4 -l, magic 0x184C2102) and frames that
 * name a dictionary are refused with an error.
 *
 * Memory: one compressed block (at most the declared maximum, ≤ 4 MiB, plus
 * its checksum) and one output buffer of 64 KiB history + 1 MiB. A block is
 * decoded in pieces so one huge match never builds more than 1 MiB unyielded.
 */

import { ChunkInput } from './chunk-input.js';

const MAGIC = 0x184d2204;
const LEGACY_MAGIC = 0x184c2102;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Linked blocks may reach this far back into earlier output. */
const WINDOW = 64 << 10;
const OUT_CHUNK = 1 << 20;
const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

const EMPTY = new Uint8Array(0);

function lz4Error(message: string): Error {
  return new Error(`lz4: ${message}`);
}

function u32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

/** Incremental xxHash32 (seed 0), the checksum of the LZ4 frame format. */
export class Xxh32 {
  private v1 = (P1 + P2) | 0;
  private v2 = P2 | 0;
  private v3 = 0;
  private v4 = -P1 | 0;
  private readonly mem = new Uint8Array(16);
  private memLen = 0;
  private total = 0;

  update(data: Uint8Array, start = 0, end = data.length): void {
    this.total += end - start;
    let p = start;
    if (this.memLen > 0) {
      const n = Math.min(16 - this.memLen, end - p);
      this.mem.set(data.subarray(p, p + n), this.memLen);
      this.memLen += n;
      p += n;
      if (this.memLen < 16) return;
      this.stripes(this.mem, 0, 16);
      this.memLen = 0;
    }
    const full = p + ((end - p) & ~15);
    if (full > p) this.stripes(data, p, full);
    if (full < end) {
      this.mem.set(data.subarray(full, end), 0);
      this.memLen = end - full;
    }
  }

  private stripes(d: Uint8Array, p: number, end: number): void {
    let v1 = this.v1;
    let v2 = this.v2;
    let v3 = this.v3;
    let v4 = this.v4;
    for (; p < end; p += 16) {
      v1 = round(v1, d[p] | (d[p + 1] << 8) | (d[p + 2] << 16) | (d[p + 3] << 24));
      v2 = round(v2, d[p + 4] | (d[p + 5] << 8) | (d[p + 6] << 16) | (d[p + 7] << 24));
      v3 = round(v3, d[p + 8] | (d[p + 9] << 8) | (d[p + 10] << 16) | (d[p + 11] << 24));
      v4 = round(v4, d[p + 12] | (d[p + 13] << 8) | (d[p + 14] << 16) | (d[p + 15] << 24));
    }
    this.v1 = v1;
    this.v2 = v2;
    this.v3 = v3;
    this.v4 = v4;
  }

  digest(): number {
    let h = this.total >= 16 ? (rotl(this.v1, 1) + rotl(this.v2, 7) + rotl(this.v3, 12) + rotl(this.v4, 18)) | 0 : P5 | 0;
    // The format adds the length modulo 2^32.
    h = (h + (this.total % 0x100000000)) | 0;
    const m = this.mem;
    let p = 0;
    for (; p + 4 <= this.memLen; p += 4) {
      h = (h + Math.imul(m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24), P3)) | 0;
      h = Math.imul(rotl(h, 17), P4);
    }
    for (; p < this.memLen; p++) {
      h = (h + Math.imul(m[p], P5)) | 0;
      h = Math.imul(rotl(h, 11), P1);
    }
    h = Math.imul(h ^ (h >>> 15), P2);
    h = Math.imul(h ^ (h >>> 13), P3);
    return (h ^ (h >>> 16)) >>> 0;
  }
}

export function xxh32(data: Uint8Array): number {
  const h = new Xxh32();
  h.update(data);
  return h.digest();
}

/**
 * Output buffer: [0, WINDOW) holds history carried over from the previous
 * buffer, decoded bytes go after it. A full buffer is handed out whole (its
 * unflushed part, ≤ 1 MiB) and replaced, so yielded chunks are never written again.
 */
class Output {
  buf = Buffer.allocUnsafe(WINDOW + OUT_CHUNK);
  pos = WINDOW;
  private flushed = WINDOW;
  /** Matches may not reach below this position (frame start, or block start for independent blocks). */
  low = WINDOW;
  private hash: Xxh32 | null = null;
  private hashed = 0;

  get full(): boolean {
    return this.pos === this.buf.length;
  }

  /** Unflushed output, after which the buffer may be rotated. */
  drain(): Buffer {
    this.hashUpTo();
    const chunk = this.buf.subarray(this.flushed, this.pos);
    this.flushed = this.pos;
    if (this.full) {
      const next = Buffer.allocUnsafe(WINDOW + OUT_CHUNK);
      this.buf.copy(next, 0, this.pos - WINDOW, this.pos);
      this.low = Math.max(0, this.low - (this.pos - WINDOW));
      this.buf = next;
      this.pos = this.flushed = this.hashed = WINDOW;
    }
    return chunk;
  }

  get pending(): number {
    return this.pos - this.flushed;
  }

  startFrame(checksum: boolean): void {
    this.low = this.pos;
    this.hash = checksum ? new Xxh32() : null;
    this.hashed = this.pos;
  }

  /** Content checksum of the frame that just ended. */
  frameDigest(): number {
    this.hashUpTo();
    return this.hash!.digest();
  }

  private hashUpTo(): void {
    if (this.hash && this.hashed < this.pos) this.hash.update(this.buf, this.hashed, this.pos);
    this.hashed = this.pos;
  }
}

/**
 * One compressed block, decoded in resumable steps: `run` stops when the
 * output buffer is full (mid literal run or mid match) and carries on after
 * the caller has drained it.
 */
class BlockDecoder {
  private src: Uint8Array = EMPTY;
  private ip = 0;
  /** Literal bytes of the current sequence still to copy. */
  private lit = 0;
  /** Match nibble of the current token, or -1 between sequences. */
  private nib = -1;
  private match = 0;
  private off = 0;
  private produced = 0;
  private max = 0;

  start(src: Uint8Array, max: number): void {
    this.src = src;
    this.ip = 0;
    this.lit = 0;
    this.nib = -1;
    this.match = 0;
    this.produced = 0;
    this.max = max;
  }

  /** Returns true at the block's end, false when `out` is full. */
  run(out: Output): boolean {
    const src = this.src;
    const end = src.length;
    const buf = out.buf;
    const cap = buf.length;
    let pos = out.pos;
    let ip = this.ip;
    let lit = this.lit;
    let nib = this.nib;
    let match = this.match;
    let off = this.off;
    let done = false;
    for (;;) {
      if (lit > 0) {
        const n = Math.min(lit, cap - pos);
        if (n < 32) for (let i = 0; i < n; i++) buf[pos + i] = src[ip + i];
        else buf.set(src.subarray(ip, ip + n), pos);
        ip += n;
        pos += n;
        lit -= n;
        if (lit > 0) break;
      }
      if (match > 0) {
        const n = Math.min(match, cap - pos);
        if (n <= 32) {
          for (let i = 0; i < n; i++) buf[pos + i] = buf[pos - off + i];
        } else {
          // Overlapping copies repeat a period of `off` bytes: copy from its
          // start with lengths that double, each a whole number of periods.
          const from = pos - off;
          for (let copied = 0; copied < n; ) {
            const k = Math.min(n - copied, pos + copied - from);
            buf.copyWithin(pos + copied, from, from + k);
            copied += k;
          }
        }
        pos += n;
        match -= n;
        if (match > 0) break;
      }
      if (nib >= 0) {
        // The literals of a sequence are done: the block ends here or a match follows.
        if (ip === end) {
          done = true;
          break;
        }
        if (ip + 2 > end) throw lz4Error('corrupt block (ends inside a match offset)');
        off = src[ip] | (src[ip + 1] << 8);
        ip += 2;
        if (off === 0) throw lz4Error('corrupt block (match offset 0)');
        if (off > pos - out.low) throw lz4Error(`corrupt block (match offset ${off} reaches before the available history)`);
        let len = nib;
        nib = -1;
        if (len === 15) {
          let b: number;
          do {
            if (ip >= end) throw lz4Error('corrupt block (ends inside a match length)');
            b = src[ip++];
            len += b;
          } while (b === 255);
        }
        len += 4;
        this.produced += len;
        if (this.produced > this.max) throw lz4Error('corrupt block (decodes past the maximum block size)');
        match = len;
        continue;
      }
      if (ip >= end) throw lz4Error('corrupt block (ends after a match instead of literals)');
      const token = src[ip++];
      let len = token >>> 4;
      if (len === 15) {
        let b: number;
        do {
          if (ip >= end) throw lz4Error('corrupt block (ends inside a literal length)');
          b = src[ip++];
          len += b;
        } while (b === 255);
      }
      if (len > end - ip) throw lz4Error('corrupt block (literals run past its end)');
      this.produced += len;
      if (this.produced > this.max) throw lz4Error('corrupt block (decodes past the maximum block size)');
      lit = len;
      nib = token & 15;
    }
    out.pos = pos;
    this.ip = ip;
    this.lit = lit;
    this.nib = nib;
    this.match = match;
    this.off = off;
    return done;
  }
}

/** Decodes a sequence of LZ4 frames. Pulls input lazily; yields output in chunks of at most 1 MiB. */
export async function* decodeLz4Frame(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const inp = new ChunkInput(input, 'lz4');
  const out = new Output();
  const block = new BlockDecoder();
  try {
    if (!(await inp.more())) throw lz4Error('empty input (no frame)');
    while (await inp.more()) {
      const magic = u32(await inp.take(4, 'a frame magic number'), 0);
      if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
        await inp.skip(u32(await inp.take(4, 'a skippable frame header'), 0), 'a skippable frame');
        continue;
      }
      if (magic === LEGACY_MAGIC) throw lz4Error('legacy frame format (lz4 -l) is not supported');
      if (magic !== MAGIC) throw lz4Error(`not an LZ4 frame (magic 0x${magic.toString(16).padStart(8, '0')})`);

      const fd = await inp.take(2, 'the frame descriptor');
      const flg = fd[0];
      const bd = fd[1];
      if (flg >>> 6 !== 1) throw lz4Error(`unsupported frame version ${flg >>> 6}`);
      if (flg & 0x02 || bd & 0x8f) throw lz4Error('reserved bits set in the frame descriptor');
      const independent = (flg & 0x20) !== 0;
      const blockChecksum = (flg & 0x10) !== 0;
      const hasSize = (flg & 0x08) !== 0;
      const contentChecksum = (flg & 0x04) !== 0;
      const hasDict = (flg & 0x01) !== 0;
      const blockMax = BLOCK_MAX[(bd >>> 4) & 7];
      if (blockMax === 0) throw lz4Error(`invalid block maximum size id ${(bd >>> 4) & 7}`);
      const rest = await inp.take((hasSize ? 8 : 0) + (hasDict ? 4 : 0) + 1, 'the frame descriptor');
      const desc = new Uint8Array(2 + rest.length - 1);
      desc.set(fd, 0);
      desc.set(rest.subarray(0, rest.length - 1), 2);
      if (((xxh32(desc) >>> 8) & 0xff) !== rest[rest.length - 1]) throw lz4Error('frame header checksum mismatch');
      if (hasDict) throw lz4Error('frames that need a dictionary are not supported');
      // Exact below 2^53; anything larger cannot match what a scan can decode anyway.
      const declared = hasSize ? u32(rest, 0) + u32(rest, 4) * 0x100000000 : -1;

      out.startFrame(contentChecksum);
      let frameSize = 0;
      for (;;) {
        const word = u32(await inp.take(4, 'a block header'), 0);
        const raw = word >= 0x80000000;
        const size = word & 0x7fffffff;
        // liblz4 reads the end mark from the size alone, whatever the high bit says.
        if (size === 0) break;
        if (size > blockMax) throw lz4Error(`block of ${size} bytes exceeds the frame's maximum of ${blockMax}`);
        const data = await inp.take(size + (blockChecksum ? 4 : 0), 'a block');
        const body = data.subarray(0, size);
        if (blockChecksum && xxh32(body) !== u32(data, size)) throw lz4Error('block checksum mismatch');
        if (independent) out.low = out.pos;
        if (raw) {
          for (let p = 0; p < size; ) {
            const n = Math.min(size - p, out.buf.length - out.pos);
            out.buf.set(body.subarray(p, p + n), out.pos);
            out.pos += n;
            p += n;
            if (out.full) yield out.drain();
          }
          frameSize += size;
        } else {
          block.start(body, blockMax);
          let posBefore = out.pos;
          for (;;) {
            const finished = block.run(out);
            frameSize += out.pos - posBefore;
            if (finished) break;
            yield out.drain();
            posBefore = out.pos;
          }
        }
        if (out.full) yield out.drain();
      }
      if (contentChecksum) {
        const sum = u32(await inp.take(4, 'the content checksum'), 0);
        if (out.frameDigest() !== sum) throw lz4Error('content checksum mismatch');
      }
      if (declared >= 0 && declared !== frameSize)
        throw lz4Error(`content size mismatch (header says ${declared}, frame holds ${frameSize})`);
    }
    if (out.pending > 0) yield out.drain();
  } finally {
    inp.close();
  }
}
