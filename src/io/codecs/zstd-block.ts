/**
 * Zstandard frame content decoding (RFC 8878 §3.1.1.2–3.1.1.5): the history
 * window of a frame and its compressed blocks (literals section, sequences
 * section, sequence execution with the three repeat offsets).
 *
 * The history buffer grows with the output up to the window plus some slack
 * (so sliding it costs at most about one byte moved per byte produced, for
 * windows up to 32 MiB); decoded bytes not yet handed out are never dropped.
 */

import {
  bitsAt,
  type Fse,
  type Huffman,
  huffmanStream,
  LL_BASE,
  LL_BITS,
  LL_DEFAULT,
  ML_BASE,
  ML_BITS,
  ML_DEFAULT,
  msb,
  OF_DEFAULT,
  readFse,
  readHuffman,
  rleFse,
  zstdError,
} from './zstd-entropy.js';

export const BLOCK_MAX = 128 << 10;
/** Bytes of padding around a block's content in the buffer handed to `decodeCompressed`. */
export const BLOCK_PAD = 16;

const LL_MAX_LOG = 9;
const OF_MAX_LOG = 8;
const ML_MAX_LOG = 9;
const LL_MAX_CODE = 35;
const OF_MAX_CODE = 31;
const ML_MAX_CODE = 52;

/** The 32 bits of d from byte `at` (little-endian). */
function bitsWord(d: Uint8Array, at: number): number {
  return d[at] | (d[at + 1] << 8) | (d[at + 2] << 16) | (d[at + 3] << 24);
}

/** A buffer for one compressed block: content at BLOCK_PAD, padding after. */
export function blockBuffer(): Uint8Array {
  return new Uint8Array(BLOCK_PAD + BLOCK_MAX + BLOCK_PAD);
}

/** The decoding state of one frame. */
export class FrameDecoder {
  /** History and not-yet-flushed output; `pos` is where the next byte goes. */
  hist = new Uint8Array(0);
  pos = 0;
  /** Bytes of hist before this index have been handed out. */
  flushed = 0;
  /** Bytes the frame has produced so far. */
  produced = 0;
  /** Most a block may decode to. */
  readonly outMax: number;
  private readonly limit: number;
  private huffman: Huffman | null = null;
  private ll: Fse | null = null;
  private of: Fse | null = null;
  private ml: Fse | null = null;
  private r0 = 1;
  private r1 = 4;
  private r2 = 8;
  private readonly lit: Uint8Array;

  constructor(
    readonly window: number,
    lit: Uint8Array,
  ) {
    this.outMax = Math.min(BLOCK_MAX, window);
    this.limit = window + Math.max(BLOCK_MAX * 8, Math.min(window, 32 << 20));
    this.lit = lit;
  }

  /** Makes room for `n` ≤ outMax more bytes at `pos`, growing or sliding the history. */
  reserve(n: number): void {
    if (this.pos + n <= this.hist.length) return;
    if (this.pos + n > this.limit) {
      // Keep the window, and whatever has not been handed out yet.
      const keep = Math.min(this.pos, Math.max(this.window, this.pos - this.flushed));
      const drop = this.pos - keep;
      this.hist.copyWithin(0, drop, this.pos);
      this.pos = keep;
      this.flushed -= drop;
    }
    if (this.pos + n > this.hist.length) {
      const grown = new Uint8Array(Math.min(this.limit, Math.max(2 * this.hist.length, this.pos + n, 1 << 16)));
      grown.set(this.hist.subarray(0, this.pos));
      this.hist = grown;
    }
  }

  /** Copies out (and marks as handed out) everything decoded since the last call. */
  takeOutput(): Uint8Array {
    const out = this.hist.slice(this.flushed, this.pos);
    this.flushed = this.pos;
    return out;
  }

  /**
   * Decodes a compressed block whose content is d[BLOCK_PAD, end) onto the
   * history (room for outMax bytes must have been reserved). Returns its size.
   */
  decodeCompressed(d: Uint8Array, end: number): number {
    const start = BLOCK_PAD;
    if (end <= start) throw zstdError('corrupt block (empty compressed block)');
    const outMax = this.outMax;
    // Literals section header.
    const b0 = d[start];
    const type = b0 & 3;
    const sf = (b0 >> 2) & 3;
    let lits: number;
    let hdr: number;
    let payload: number;
    let streams = 1;
    if (type < 2) {
      if (sf === 1) {
        hdr = 2;
        lits = (b0 >> 4) | (d[start + 1] << 4);
      } else if (sf === 3) {
        hdr = 3;
        lits = (b0 >> 4) | (d[start + 1] << 4) | (d[start + 2] << 12);
      } else {
        hdr = 1;
        lits = b0 >> 3;
      }
      payload = type === 0 ? lits : 1;
    } else {
      if (sf < 2) {
        hdr = 3;
        lits = (b0 >> 4) | ((d[start + 1] & 63) << 4);
        payload = (d[start + 1] >> 6) | (d[start + 2] << 2);
        if (sf === 1) streams = 4;
      } else if (sf === 2) {
        hdr = 4;
        lits = (b0 >> 4) | (d[start + 1] << 4) | ((d[start + 2] & 3) << 12);
        payload = (d[start + 2] >> 2) | (d[start + 3] << 6);
        streams = 4;
      } else {
        hdr = 5;
        lits = (b0 >> 4) | (d[start + 1] << 4) | ((d[start + 2] & 63) << 12);
        payload = (d[start + 2] >> 6) | (d[start + 3] << 2) | (d[start + 4] << 10);
        streams = 4;
      }
    }
    const ls = start + hdr;
    const le = ls + payload;
    if (le > end) throw zstdError('corrupt block (literals run past its end)');
    if (lits > outMax) throw zstdError(`corrupt block (${lits} literals exceed the block maximum of ${outMax})`);
    let lit = this.lit;
    let lp = 0;
    if (type === 0) {
      lit = d;
      lp = ls;
    } else if (type === 1) lit.fill(d[ls], 0, lits);
    else {
      let p = ls;
      if (type === 2) {
        const [h, next] = readHuffman(d, ls, le);
        this.huffman = h;
        p = next;
      } else if (!this.huffman) throw zstdError('corrupt block (literals reuse a Huffman table never defined)');
      const h = this.huffman!;
      if (streams === 1) huffmanStream(d, p, le, h, lit, 0, lits);
      else {
        if (p + 6 > le) throw zstdError('corrupt block (Huffman jump table past the literals)');
        const e1 = p + 6 + (d[p] | (d[p + 1] << 8));
        const e2 = e1 + (d[p + 2] | (d[p + 3] << 8));
        const e3 = e2 + (d[p + 4] | (d[p + 5] << 8));
        if (e3 > le) throw zstdError('corrupt block (Huffman streams run past the literals)');
        const seg = (lits + 3) >> 2;
        if (3 * seg > lits) throw zstdError(`corrupt block (${lits} literals are too few for 4 Huffman streams)`);
        huffmanStream(d, p + 6, e1, h, lit, 0, seg);
        huffmanStream(d, e1, e2, h, lit, seg, seg);
        huffmanStream(d, e2, e3, h, lit, 2 * seg, seg);
        huffmanStream(d, e3, le, h, lit, 3 * seg, lits - 3 * seg);
      }
    }

    // Sequences section header.
    let p = le;
    if (p >= end) throw zstdError('corrupt block (no sequences section)');
    let ns = d[p++];
    if (ns === 0) {
      if (p !== end) throw zstdError('corrupt block (bytes after an empty sequences section)');
      this.emitLiterals(lit, lp, lits);
      return lits;
    }
    if (ns === 255) {
      ns = d[p] + (d[p + 1] << 8) + 0x7f00;
      p += 2;
    } else if (ns > 127) ns = ((ns - 128) << 8) | d[p++];
    if (p >= end) throw zstdError('corrupt block (sequences section cut short)');
    const modes = d[p++];
    if (modes & 3) throw zstdError('corrupt block (reserved sequence mode bits set)');
    [this.ll, p] = this.table(d, p, end, modes >> 6, this.ll, LL_DEFAULT, LL_MAX_LOG, LL_MAX_CODE);
    [this.of, p] = this.table(d, p, end, (modes >> 4) & 3, this.of, OF_DEFAULT, OF_MAX_LOG, OF_MAX_CODE);
    [this.ml, p] = this.table(d, p, end, (modes >> 2) & 3, this.ml, ML_DEFAULT, ML_MAX_LOG, ML_MAX_CODE);
    if (p >= end) throw zstdError('corrupt block (no sequence bit stream)');
    const lastByte = d[end - 1];
    if (lastByte === 0) throw zstdError('corrupt block (sequence bit stream lacks its end mark)');
    return this.sequences(d, p * 8, (end - 1) * 8 + msb(lastByte), ns, lit, lp, lits);
  }

  /** The table for one kind of code in the given mode; returns it and the byte after its description. */
  private table(
    d: Uint8Array,
    p: number,
    end: number,
    mode: number,
    prev: Fse | null,
    def: Fse,
    maxLog: number,
    maxCode: number,
  ): [Fse, number] {
    if (mode === 0) return [def, p];
    if (mode === 1) {
      if (p >= end) throw zstdError('corrupt block (sequences section cut short)');
      const s = d[p];
      if (s > maxCode) throw zstdError(`corrupt block (code ${s} above ${maxCode})`);
      return [rleFse(s), p + 1];
    }
    if (mode === 2) return readFse(d, p, end, maxLog, maxCode);
    if (!prev) throw zstdError('corrupt block (sequence tables reused before any were defined)');
    return [prev, p];
  }

  private emitLiterals(lit: Uint8Array, lp: number, n: number): void {
    this.hist.set(lit.subarray(lp, lp + n), this.pos);
    this.pos += n;
    this.produced += n;
  }

  /** Decodes and executes `ns` sequences from the bit stream d[stop, pos) (read backwards). Returns the block's size. */
  private sequences(d: Uint8Array, stop: number, pos: number, ns: number, lit: Uint8Array, lp: number, lits: number): number {
    const { sym: llSym, nbits: llBits, base: llBase, log: llLog } = this.ll!;
    const { sym: ofSym, nbits: ofBits, base: ofBase, log: ofLog } = this.of!;
    const { sym: mlSym, nbits: mlBits, base: mlBase, log: mlLog } = this.ml!;
    const hist = this.hist;
    const window = this.window;
    const outMax = this.outMax;
    const blockStart = this.pos;
    // History available at output index op is op - histStart bytes.
    const histStart = blockStart - this.produced;
    const litEnd = lp + lits;
    let op = blockStart;
    let r0 = this.r0;
    let r1 = this.r1;
    let r2 = this.r2;
    pos -= llLog + ofLog + mlLog;
    if (pos < stop) throw zstdError('corrupt block (sequence bit stream overrun)');
    let sl = bitsAt(d, pos + ofLog + mlLog, llLog);
    let so = bitsAt(d, pos + mlLog, ofLog);
    let sm = bitsAt(d, pos, mlLog);
    // Bit container: `word` holds bits [low, low + 32) of d; each field of ≤ 25 bits below `pos` is taken from it,
    // after reloading it (ending at the field's top byte) when the field starts below `low`.
    let low = ((pos >> 3) - 3) << 3;
    let word = bitsWord(d, low >> 3);
    const lastSeq = ns - 1;
    for (let i = 0; i < ns; i++) {
      const lc = llSym[sl];
      const oc = ofSym[so];
      const mc = mlSym[sm];
      let off: number;
      if (oc === 0) off = 1;
      else {
        // Offset values of 2^29 and more exceed any window accepted (MAX_WINDOW is 2^28); below that they stay small integers.
        if (oc > 28) throw zstdError(`corrupt block (offset code ${oc} beyond the largest window)`);
        if (oc <= 24) {
          pos -= oc;
          if (pos < low) {
            low = ((pos + oc - 1) >> 3) - 3;
            word = bitsWord(d, low);
            low <<= 3;
          }
          off = (1 << oc) + ((word >>> (pos - low)) & ((1 << oc) - 1));
        } else {
          pos -= oc;
          off = (1 << oc) + ((bitsAt(d, pos + 24, oc - 24) << 24) | bitsAt(d, pos, 24));
        }
      }
      let nb = ML_BITS[mc];
      let mlen = ML_BASE[mc];
      if (nb !== 0) {
        pos -= nb;
        if (pos < low) {
          low = ((pos + nb - 1) >> 3) - 3;
          word = bitsWord(d, low);
          low <<= 3;
        }
        mlen += (word >>> (pos - low)) & ((1 << nb) - 1);
      }
      nb = LL_BITS[lc];
      let llen = LL_BASE[lc];
      if (nb !== 0) {
        pos -= nb;
        if (pos < low) {
          low = ((pos + nb - 1) >> 3) - 3;
          word = bitsWord(d, low);
          low <<= 3;
        }
        llen += (word >>> (pos - low)) & ((1 << nb) - 1);
      }
      // The bit reads stay written out in this loop, which runs once per sequence: a helper would have to
      // return both the value and the refilled window, an allocation or closure per read.
      if (i < lastSeq) {
        nb = llBits[sl];
        pos -= nb;
        if (pos < low) {
          low = ((pos + nb - 1) >> 3) - 3;
          word = bitsWord(d, low);
          low <<= 3;
        }
        sl = llBase[sl] + ((word >>> (pos - low)) & ((1 << nb) - 1));
        nb = mlBits[sm];
        pos -= nb;
        if (pos < low) {
          low = ((pos + nb - 1) >> 3) - 3;
          word = bitsWord(d, low);
          low <<= 3;
        }
        sm = mlBase[sm] + ((word >>> (pos - low)) & ((1 << nb) - 1));
        nb = ofBits[so];
        pos -= nb;
        if (pos < low) {
          low = ((pos + nb - 1) >> 3) - 3;
          word = bitsWord(d, low);
          low <<= 3;
        }
        so = ofBase[so] + ((word >>> (pos - low)) & ((1 << nb) - 1));
      }
      if (pos < stop) throw zstdError('corrupt block (sequence bit stream overrun)');
      // Offset values 1–3 name the repeat offsets (shifted by one when there are no literals).
      if (off > 3) {
        r2 = r1;
        r1 = r0;
        r0 = off -= 3;
      } else {
        const idx = llen === 0 ? off : off - 1;
        if (idx === 0) off = r0;
        else {
          off = idx === 1 ? r1 : idx === 2 ? r2 : r0 - 1;
          if (idx > 1) r2 = r1;
          r1 = r0;
          r0 = off;
        }
      }
      if (llen > litEnd - lp) throw zstdError('corrupt block (literal lengths exceed the literals)');
      if (off < 1 || off > op + llen - histStart || off > window)
        throw zstdError(`corrupt block (match offset ${off} reaches before the window or the data)`);
      if (op - blockStart + litEnd - lp + mlen > outMax) throw zstdError(`corrupt block (decodes past the block maximum of ${outMax})`);
      if (llen < 32) for (let k = 0; k < llen; k++) hist[op++] = lit[lp++];
      else {
        hist.set(lit.subarray(lp, lp + llen), op);
        op += llen;
        lp += llen;
      }
      const src = op - off;
      if (mlen < 32) for (let k = 0; k < mlen; k++, op++) hist[op] = hist[op - off];
      else if (off >= mlen) {
        hist.copyWithin(op, src, src + mlen);
        op += mlen;
      } else {
        // Overlapping: the copied run doubles each time.
        let left = mlen;
        while (left > 0) {
          const c = Math.min(left, op - src);
          hist.copyWithin(op, src, src + c);
          op += c;
          left -= c;
        }
      }
    }
    if (pos !== stop) throw zstdError('corrupt block (sequence bit stream not consumed exactly)');
    this.r0 = r0;
    this.r1 = r1;
    this.r2 = r2;
    this.produced += op - blockStart;
    this.pos = op;
    this.emitLiterals(lit, lp, litEnd - lp);
    return this.pos - blockStart;
  }
}
