/**
 * Streaming bzip2 decoder (format as written by bzip2 ≥ 0.9.5 / libbzip2, e.g.
 * Python's bz2 module, joblib compress='bz2', pandas compression='bz2').
 *
 * Pipeline per block: Huffman → MTF/RLE2 → inverse BWT → RLE1 → output.
 * Decoding checks mirror libbzip2 1.0.8 so that hostile input is accepted or
 * refused the same way the Python loaders do it.
 *
 * Concatenated streams follow Python's bz2.decompress / BZ2File: after a
 * complete stream, trailing bytes are decoded as another stream; if they turn
 * out not to be valid bzip2 (wrong magic, bad CRC, bad tables…) they are
 * ignored and output just ends, but if they run out mid-stream (even "B" or
 * "BZh9" alone) that is a truncated-input error. Output of a damaged later
 * stream that was decoded before the damage showed is still yielded (BZ2File
 * hands those bytes to a loader too), so the output is a superset of what a
 * Python loader can see. Empty input yields nothing (bz2.decompress(b'') == b'').
 *
 * Randomised blocks (written only by bzip2 0.9.0, 1998) are decoded too, since
 * libbzip2 still accepts them: a refusal would hide content a loader reads.
 *
 * Memory: one block's tt array, at most 900 000 × 4 bytes, grown as the block
 * fills; one output chunk (≤ 1 MiB); a small input window.
 */

const OUT_CHUNK = 1 << 20;
/** A decode never consumes more than this many bytes between input checks. */
const GROUP_BYTES = 160;
const GROUP_SIZE = 50;
const MAX_GROUPS = 6;
const MAX_CODE_LEN = 20;
const MAX_SELECTORS = 18002;
const FAST_BITS = 10;
/** A run of RUNA/RUNB symbols may not weigh 2^21 or more (libbzip2's limit). */
const MAX_RUN_WEIGHT = 2 * 1024 * 1024;

type ErrorKind = 'data' | 'truncated';

class Bzip2Error extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(`bzip2: ${message}`);
  }
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c;
  }
  return t;
})();

/**
 * Gaps between the bytes a randomised block flips (bzip2's BZ2_rNums table):
 * 0.9.0 XORed them into repetitive blocks to dodge its slow sorting cases.
 */
const R_NUMS = new Uint16Array([
  619, 720, 127, 481, 931, 816, 813, 233, 566, 247, 985, 724, 205, 454, 863, 491, 741, 242, 949, 214, 733, 859, 335, 708, 621, 574, 73, 654,
  730, 472, 419, 436, 278, 496, 867, 210, 399, 680, 480, 51, 878, 465, 811, 169, 869, 675, 611, 697, 867, 561, 862, 687, 507, 283, 482, 129,
  807, 591, 733, 623, 150, 238, 59, 379, 684, 877, 625, 169, 643, 105, 170, 607, 520, 932, 727, 476, 693, 425, 174, 647, 73, 122, 335, 530,
  442, 853, 695, 249, 445, 515, 909, 545, 703, 919, 874, 474, 882, 500, 594, 612, 641, 801, 220, 162, 819, 984, 589, 513, 495, 799, 161,
  604, 958, 533, 221, 400, 386, 867, 600, 782, 382, 596, 414, 171, 516, 375, 682, 485, 911, 276, 98, 553, 163, 354, 666, 933, 424, 341, 533,
  870, 227, 730, 475, 186, 263, 647, 537, 686, 600, 224, 469, 68, 770, 919, 190, 373, 294, 822, 808, 206, 184, 943, 795, 384, 383, 461, 404,
  758, 839, 887, 715, 67, 618, 276, 204, 918, 873, 777, 604, 560, 951, 160, 578, 722, 79, 804, 96, 409, 713, 940, 652, 934, 970, 447, 318,
  353, 859, 672, 112, 785, 645, 863, 803, 350, 139, 93, 354, 99, 820, 908, 609, 772, 154, 274, 580, 184, 79, 626, 630, 742, 653, 282, 762,
  623, 680, 81, 927, 626, 789, 125, 411, 521, 938, 300, 821, 78, 343, 175, 128, 250, 170, 774, 972, 275, 999, 639, 495, 78, 352, 126, 857,
  956, 358, 619, 580, 124, 737, 594, 701, 612, 669, 112, 134, 694, 363, 992, 809, 743, 168, 974, 944, 375, 748, 52, 600, 747, 642, 182, 862,
  81, 344, 805, 988, 739, 511, 655, 814, 334, 249, 515, 897, 955, 664, 981, 649, 113, 974, 459, 893, 228, 433, 837, 553, 268, 926, 240, 102,
  654, 459, 51, 686, 754, 806, 760, 493, 403, 415, 394, 687, 700, 946, 670, 656, 610, 738, 392, 760, 799, 887, 653, 978, 321, 576, 617, 626,
  502, 894, 679, 243, 440, 680, 879, 194, 572, 640, 724, 926, 56, 204, 700, 707, 151, 457, 449, 797, 195, 791, 558, 945, 679, 297, 59, 87,
  824, 713, 663, 412, 693, 342, 606, 134, 108, 571, 364, 631, 212, 174, 643, 304, 329, 343, 97, 430, 751, 497, 314, 983, 374, 822, 928, 140,
  206, 73, 263, 980, 736, 876, 478, 430, 305, 170, 514, 364, 692, 829, 82, 855, 953, 676, 246, 369, 970, 294, 750, 807, 827, 150, 790, 288,
  923, 804, 378, 215, 828, 592, 281, 565, 555, 710, 82, 896, 831, 547, 261, 524, 462, 293, 465, 502, 56, 661, 821, 976, 991, 658, 869, 905,
  758, 745, 193, 768, 550, 608, 933, 378, 286, 215, 979, 792, 961, 61, 688, 793, 644, 986, 403, 106, 366, 905, 644, 372, 567, 466, 434, 645,
  210, 389, 550, 919, 135, 780, 773, 635, 389, 707, 100, 626, 958, 165, 504, 920, 176, 193, 713, 857, 265, 203, 50, 668, 108, 645, 990, 626,
  197, 510, 357, 358, 850, 858, 364, 936, 638,
]);

const EMPTY = new Uint8Array(0);

/** MSB-first bit reader over an async chunk source; sync reads need a prior `ensure`. */
class BitReader {
  buf: Uint8Array = EMPTY;
  pos = 0;
  bitBuf = 0;
  bitCount = 0;
  /** Zero bits appended past the end of input so lookups near the end can peek; consuming them is truncation. */
  pad = 0;
  eof = false;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  /** Makes `n` bytes readable without awaiting, unless the input ends first. */
  async ensure(n: number): Promise<void> {
    if (this.buf.length - this.pos >= n || this.eof) return;
    const parts: Uint8Array[] = [];
    let have = this.buf.length - this.pos;
    if (have > 0) parts.push(this.buf.subarray(this.pos));
    while (have < n) {
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        break;
      }
      if (!(r.value instanceof Uint8Array)) throw new TypeError('bzip2: input chunks must be Uint8Array');
      if (r.value.length === 0) continue;
      parts.push(r.value);
      have += r.value.length;
    }
    this.buf = parts.length === 1 ? parts[0] : parts.length === 0 ? EMPTY : Buffer.concat(parts);
    this.pos = 0;
  }

  /** A byte for the bit buffer; past the end of input, a zero that counts as padding. */
  nextByte(): number {
    return this.pos < this.buf.length ? this.buf[this.pos++] : this.padByte();
  }

  padByte(): number {
    if (!this.eof) throw new Error('bzip2: internal error: read past the ensured input');
    this.pad += 8;
    return 0;
  }

  /** Reads n ≤ 24 bits. */
  bits(n: number): number {
    while (this.bitCount < n) {
      this.bitBuf = (this.bitBuf << 8) | this.nextByte();
      this.bitCount += 8;
    }
    this.bitCount -= n;
    if (this.bitCount < this.pad) throw new Bzip2Error('truncated', 'truncated input');
    return (this.bitBuf >>> this.bitCount) & ((1 << n) - 1);
  }

  bits32(): number {
    return ((this.bits(16) << 16) | this.bits(16)) >>> 0;
  }

  alignToByte(): void {
    this.bitCount -= this.bitCount & 7;
  }

  async hasMore(): Promise<boolean> {
    if (this.bitCount > this.pad) return true;
    await this.ensure(1);
    return this.pos < this.buf.length;
  }
}

/** One Huffman table, decoded exactly as libbzip2's limit/base/perm scheme does (so odd code sets behave alike). */
class HuffmanGroup {
  readonly limit = new Int32Array(MAX_CODE_LEN + 3);
  readonly base = new Int32Array(MAX_CODE_LEN + 3);
  readonly perm = new Uint16Array(258);
  nPerm = 0;
  minLen = 0;
  /** (len << 16) | symbol for codes of ≤ FAST_BITS bits, indexed by the next FAST_BITS bits; 0 = use the slow path. */
  readonly fast = new Int32Array(1 << FAST_BITS);

  build(lengths: Uint8Array, alphaSize: number): void {
    let minLen = 32;
    let maxLen = 0;
    for (let i = 0; i < alphaSize; i++) {
      if (lengths[i] > maxLen) maxLen = lengths[i];
      if (lengths[i] < minLen) minLen = lengths[i];
    }
    const { limit, base, perm } = this;
    let pp = 0;
    for (let len = minLen; len <= maxLen; len++) for (let s = 0; s < alphaSize; s++) if (lengths[s] === len) perm[pp++] = s;
    this.nPerm = pp;
    base.fill(0);
    limit.fill(0);
    for (let s = 0; s < alphaSize; s++) base[lengths[s] + 1]++;
    for (let i = 1; i < base.length; i++) base[i] += base[i - 1];
    let vec = 0;
    for (let len = minLen; len <= maxLen; len++) {
      vec += base[len + 1] - base[len];
      limit[len] = vec - 1;
      vec <<= 1;
    }
    for (let len = minLen + 1; len <= maxLen; len++) base[len] = ((limit[len - 1] + 1) << 1) - base[len];
    this.minLen = minLen;
    for (let v = 0; v < 1 << FAST_BITS; v++) {
      const e = this.slow(v << (MAX_CODE_LEN - FAST_BITS));
      this.fast[v] = e >= 0 && e >>> 16 <= FAST_BITS ? e : 0;
    }
  }

  /** Decodes from the next 20 bits (MSB first): (len << 16) | symbol, or -1 for no valid code. */
  slow(peek: number): number {
    let zn = this.minLen;
    for (;;) {
      if (zn > MAX_CODE_LEN) return -1;
      if (peek >>> (MAX_CODE_LEN - zn) <= this.limit[zn]) break;
      zn++;
    }
    const idx = (peek >>> (MAX_CODE_LEN - zn)) - this.base[zn];
    if (idx < 0 || idx >= this.nPerm) return -1;
    return (zn << 16) | this.perm[idx];
  }
}

interface SymbolState {
  nblock: number;
  runLen: number;
  runWeight: number;
  groupLeft: number;
  sel: number;
  group: number;
}

class Decoder {
  private readonly r: BitReader;
  private tt: Uint32Array = new Uint32Array(0);
  private readonly groups = Array.from({ length: MAX_GROUPS }, () => new HuffmanGroup());
  private readonly selectors = new Uint8Array(MAX_SELECTORS);
  private readonly lengths = new Uint8Array(258);
  private readonly mtf = new Uint8Array(256);
  private readonly seqToUnseq = new Uint8Array(256);
  private readonly counts = new Int32Array(256);

  // Current block, and where RLE1 output stands (kept between yields).
  private nblock = 0;
  private origPtr = 0;
  private tPos = 0;
  private used = 0;
  private k0 = 0;
  private same = 0;
  private runLeft = 0;
  private crc = -1;
  private randomised = false;
  /** Randomised blocks: bytes until the next flipped one, and the next table entry. */
  private rNToGo = 0;
  private rTPos = 0;

  constructor(it: AsyncIterator<Uint8Array>) {
    this.r = new BitReader(it);
  }

  /** Errors found where the input ran out are reported as truncation, as libbzip2 would still be waiting for bytes there. */
  private fail(message: string): never {
    if (this.r.pad > 0) throw new Bzip2Error('truncated', 'truncated input');
    throw new Bzip2Error('data', message);
  }

  async *run(): AsyncGenerator<Buffer> {
    const r = this.r;
    for (let stream = 0; await r.hasMore(); stream++) {
      try {
        yield* this.stream();
      } catch (err) {
        // Like bz2.decompress: a later stream that is not valid bzip2 is ignored.
        if (stream > 0 && err instanceof Bzip2Error && err.kind === 'data') return;
        throw err;
      }
    }
  }

  private async *stream(): AsyncGenerator<Buffer> {
    const r = this.r;
    await r.ensure(4);
    if (r.bits(8) !== 0x42 || r.bits(8) !== 0x5a || r.bits(8) !== 0x68) this.fail('bad stream header (not "BZh")');
    const level = r.bits(8) - 0x30;
    if (level < 1 || level > 9) this.fail('bad block size in stream header');
    const maxBlock = level * 100000;
    let combined = 0;
    for (;;) {
      await r.ensure(16);
      const m = r.bits(8);
      if (m === 0x17) {
        this.expectMagic([0x72, 0x45, 0x38, 0x50, 0x90]);
        if (r.bits32() !== combined >>> 0) this.fail('stream CRC mismatch');
        r.alignToByte();
        return;
      }
      if (m !== 0x31) this.fail('bad block magic');
      this.expectMagic([0x41, 0x59, 0x26, 0x53, 0x59]);
      const storedCrc = r.bits32();
      await this.readBlock(maxBlock);
      this.startOutput();
      for (;;) {
        let out = Buffer.allocUnsafe(OUT_CHUNK);
        const n = this.fill(out);
        if (n < OUT_CHUNK) out = Buffer.from(out.subarray(0, n));
        if (n > 0) yield out;
        if (n < OUT_CHUNK) break;
      }
      // The block's bytes are out before its CRC is judged, as with libbzip2: loaders may act on them.
      const crc = ~this.crc >>> 0;
      if (crc !== storedCrc) this.fail('block CRC mismatch');
      combined = ((combined << 1) | (combined >>> 31)) ^ crc;
    }
  }

  /** Compared byte by byte so a mismatch is told from a cut-off exactly as libbzip2 tells them. */
  private expectMagic(rest: number[]): void {
    for (const b of rest) if (this.r.bits(8) !== b) this.fail('bad block magic');
  }

  private async readBlock(maxBlock: number): Promise<void> {
    const r = this.r;
    await r.ensure(GROUP_BYTES);
    this.randomised = r.bits(1) === 1;
    this.origPtr = r.bits(24);

    const used16 = r.bits(16);
    let nInUse = 0;
    for (let i = 0; i < 16; i++) {
      if (!(used16 & (0x8000 >>> i))) continue;
      const bits = r.bits(16);
      for (let j = 0; j < 16; j++) if (bits & (0x8000 >>> j)) this.seqToUnseq[nInUse++] = i * 16 + j;
    }
    if (nInUse === 0) this.fail('no symbols in use');
    const alphaSize = nInUse + 2;

    const nGroups = r.bits(3);
    if (nGroups < 2 || nGroups > MAX_GROUPS) this.fail('bad number of Huffman groups');
    let nSelectors = r.bits(15);
    if (nSelectors < 1) this.fail('no selectors');
    // Selectors are MTF-coded; extras beyond 18002 can never be used and are skipped, as libbzip2 1.0.8 does.
    const order = [0, 1, 2, 3, 4, 5];
    for (let i = 0; i < nSelectors; i++) {
      if ((i & 63) === 0) await r.ensure(GROUP_BYTES);
      let j = 0;
      while (r.bits(1)) if (++j >= nGroups) this.fail('bad selector');
      const g = order[j];
      for (; j > 0; j--) order[j] = order[j - 1];
      order[0] = g;
      if (i < MAX_SELECTORS) this.selectors[i] = g;
    }
    if (nSelectors > MAX_SELECTORS) nSelectors = MAX_SELECTORS;

    for (let t = 0; t < nGroups; t++) {
      await r.ensure(GROUP_BYTES);
      let len = r.bits(5);
      for (let s = 0; s < alphaSize; s++) {
        for (;;) {
          if (len < 1 || len > MAX_CODE_LEN) this.fail('bad Huffman code length');
          if (r.buf.length - r.pos < 4) await r.ensure(GROUP_BYTES);
          if (!r.bits(1)) break;
          len += r.bits(1) ? -1 : 1;
        }
        this.lengths[s] = len;
      }
      this.groups[t].build(this.lengths, alphaSize);
    }

    await this.readSymbols(nInUse, nSelectors, maxBlock);
    if (this.origPtr >= this.nblock) this.fail('origPtr out of range');
  }

  /** Huffman + MTF/RLE2 decode into tt (low byte of each entry), awaiting input between calls of the sync hot loop. */
  private async readSymbols(nInUse: number, nSelectors: number, maxBlock: number): Promise<void> {
    for (let i = 0; i < 256; i++) this.mtf[i] = i;
    this.counts.fill(0);
    const st: SymbolState = { nblock: 0, runLen: 0, runWeight: 1, groupLeft: 0, sel: 0, group: 0 };
    while (!this.decodeSymbols(st, nInUse + 1, nSelectors, maxBlock)) await this.r.ensure(GROUP_BYTES);
    this.nblock = st.nblock;
  }

  /**
   * Decodes symbols until end of block (true) or until a group of 50 might
   * need more input than is buffered (false: await input, call again). Kept
   * synchronous and closure-free so the loop runs on plain locals.
   */
  private decodeSymbols(st: SymbolState, eob: number, nSelectors: number, maxBlock: number): boolean {
    const r = this.r;
    const { mtf, seqToUnseq, counts, selectors, groups } = this;
    const buf = r.buf;
    let { pos, bitBuf, bitCount } = r;
    let { nblock, runLen, runWeight, groupLeft, sel } = st;
    let group = groups[st.group];
    let fast = group.fast;
    let tt: Uint32Array = this.tt;
    // tt may be longer than this stream's blocks may be (an earlier stream had a larger level).
    let cap = Math.min(tt.length, maxBlock);
    let done = false;
    let error = '';

    for (;;) {
      if (groupLeft === 0) {
        if (buf.length - pos < GROUP_BYTES && !r.eof) break;
        if (sel >= nSelectors) {
          error = 'ran out of selectors';
          break;
        }
        st.group = selectors[sel++];
        group = groups[st.group];
        fast = group.fast;
        groupLeft = GROUP_SIZE;
      }
      groupLeft--;

      while (bitCount < MAX_CODE_LEN) {
        bitBuf = (bitBuf << 8) | (pos < buf.length ? buf[pos++] : r.padByte());
        bitCount += 8;
      }
      const peek = (bitBuf >>> (bitCount - MAX_CODE_LEN)) & 0xfffff;
      let e = fast[peek >>> (MAX_CODE_LEN - FAST_BITS)];
      if (e === 0) {
        e = group.slow(peek);
        if (e < 0) {
          error = 'bad Huffman code';
          break;
        }
      }
      bitCount -= e >>> 16;
      if (bitCount < r.pad) throw new Bzip2Error('truncated', 'truncated input');
      const sym = e & 0xffff;

      if (sym <= 1) {
        // RUNA/RUNB: bijective base-2 digits of a repeat count of the front MTF symbol.
        runLen += (sym + 1) * runWeight;
        runWeight <<= 1;
        if (runWeight >= MAX_RUN_WEIGHT) {
          error = 'run too long';
          break;
        }
        continue;
      }
      if (runLen > 0) {
        if (nblock + runLen > cap) {
          if (nblock + runLen > maxBlock) {
            error = 'block longer than the stream header allows';
            break;
          }
          tt = this.grow(nblock, nblock + runLen, maxBlock);
          cap = tt.length;
        }
        const uc = seqToUnseq[mtf[0]];
        tt.fill(uc, nblock, nblock + runLen);
        counts[uc] += runLen;
        nblock += runLen;
        runLen = 0;
        runWeight = 1;
      }
      if (sym === eob) {
        done = true;
        break;
      }
      if (nblock >= cap) {
        if (nblock >= maxBlock) {
          error = 'block longer than the stream header allows';
          break;
        }
        tt = this.grow(nblock, nblock + 1, maxBlock);
        cap = tt.length;
      }
      let nn = sym - 1;
      const v = mtf[nn];
      if (nn < 16) for (; nn > 0; nn--) mtf[nn] = mtf[nn - 1];
      else mtf.copyWithin(1, 0, nn);
      mtf[0] = v;
      const uc = seqToUnseq[v];
      tt[nblock++] = uc;
      counts[uc]++;
    }
    r.pos = pos;
    r.bitBuf = bitBuf;
    r.bitCount = bitCount;
    if (error) this.fail(error);
    Object.assign(st, { nblock, runLen, runWeight, groupLeft, sel });
    return done;
  }

  /** Enlarges tt (keeping `keep` entries) to hold `need`, never past `maxBlock`: small blocks don't pay for 3.6 MB. */
  private grow(keep: number, need: number, maxBlock: number): Uint32Array {
    if (need <= this.tt.length) return this.tt;
    const next = new Uint32Array(Math.min(maxBlock, Math.max(need, this.tt.length * 2, 1 << 16)));
    next.set(this.tt.subarray(0, keep));
    this.tt = next;
    return next;
  }

  /** Inverse BWT: links every tt entry to its successor (index in the high 24 bits). */
  private startOutput(): void {
    const { tt, nblock, counts } = this;
    let sum = 0;
    for (let i = 0; i < 256; i++) {
      const c = counts[i];
      counts[i] = sum;
      sum += c;
    }
    for (let i = 0; i < nblock; i++) tt[counts[tt[i] & 0xff]++] |= i << 8;
    this.tPos = tt[this.origPtr] >>> 8;
    this.used = 0;
    this.same = 0;
    this.runLeft = 0;
    this.crc = -1;
    this.rNToGo = 0;
    this.rTPos = 0;
  }

  /** Undoes RLE1 (4 equal bytes then a count of more) into `out`; returns the bytes written, < out.length once the block is done. */
  private fill(out: Buffer): number {
    const { tt, nblock } = this;
    let { tPos, used, k0, same, runLeft, crc, rNToGo, rTPos } = this;
    const randomised = this.randomised;
    const end = out.length;
    let o = 0;
    while (o < end) {
      if (runLeft > 0) {
        const n = Math.min(runLeft, end - o);
        out.fill(k0, o, o + n);
        const idx = k0;
        for (let i = 0; i < n; i++) crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ idx) & 0xff];
        o += n;
        runLeft -= n;
        continue;
      }
      if (used === nblock) break;
      // A tight inner loop for the common case: plain bytes while there is room.
      while (used < nblock && o < end) {
        tPos = tt[tPos];
        let b = tPos & 0xff;
        tPos >>>= 8;
        used++;
        if (randomised) {
          if (rNToGo === 0) {
            rNToGo = R_NUMS[rTPos];
            rTPos = (rTPos + 1) & 511;
          }
          if (--rNToGo === 1) b ^= 1;
        }
        if (same === 4) {
          runLeft = b;
          same = 0;
          break;
        }
        if (same > 0 && b === k0) same++;
        else {
          k0 = b;
          same = 1;
        }
        out[o++] = b;
        crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff];
      }
    }
    this.tPos = tPos;
    this.used = used;
    this.k0 = k0;
    this.same = same;
    this.runLeft = runLeft;
    this.crc = crc;
    this.rNToGo = rNToGo;
    this.rTPos = rTPos;
    if (o < end && same === 4) this.fail('block ends inside a run');
    return o;
  }
}

/** Decodes a bzip2 file (one stream or several concatenated). Pulls input lazily; yields output chunks of ≤ 1 MiB. */
export async function* decodeBzip2(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  try {
    yield* new Decoder(it).run();
  } finally {
    await it.return?.();
  }
}
