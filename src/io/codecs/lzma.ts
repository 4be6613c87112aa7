/**
 * Streaming LZMA decoding: the LZMA1 range decoder, the LZMA2 chunk layer
 * (used by ./xz.ts) and the legacy "LZMA-alone" .lzma format, which is what
 * `lzma`/`xz --format=lzma`, Python's lzma.FORMAT_ALONE and joblib
 * compress='lzma' write.
 *
 * Written from the public LZMA specification (LZMA SDK's LzmaSpec reference
 * decoder) and the xz file format's description of LZMA2.
 *
 * Decoding is pausable over async input: the synchronous inner loop runs
 * packet by packet (literal, match, rep) while at least LOOKAHEAD input bytes
 * are buffered — a packet reads far fewer — and hands control back to the
 * async driver to fetch input, yield output, or move the window.
 *
 * Memory: the window starts small and doubles as output is produced, up to the
 * declared dictionary size (at least 4 KiB). Growing it past DICT_CAP (1 GiB)
 * throws. Probability tables are at most 0x300 << 4 entries (lc + lp ≤ 4, as
 * liblzma requires). At most OUT_FLUSH + 273 bytes of output are built before
 * they are yielded.
 */

/** Hard cap on the window: a declared dictionary may be larger only while the output stays smaller. */
export const DICT_CAP = 1 << 30;

export interface LzmaOptions {
  /** Lowers the window cap below DICT_CAP (it cannot raise it). */
  dictCap?: number;
}

function capOf(options: LzmaOptions | undefined): number {
  return Math.min(options?.dictCap ?? DICT_CAP, DICT_CAP);
}

function formatBytes(n: number): string {
  if (n % (1 << 30) === 0) return `${n / (1 << 30)} GiB`;
  if (n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  return `${n} bytes`;
}

/** Input bytes buffered before each packet; the worst-case packet reads about 50. */
const LOOKAHEAD = 64;
/** Pending output yielded once it reaches this size. */
const OUT_FLUSH = 256 << 10;
const INITIAL_WINDOW = 64 << 10;
const MIN_DICT = 4096;
/** Flipping the sign bit turns an unsigned 32-bit comparison into a signed one (range and code are kept as int32). */
const SIGN = 0x80000000 | 0;
const PROB_INIT = 1024;
const END_MARKER_DIST = 0xffffffff;
/** Length coder layout: choice, choice2, 16 low trees of 8, 16 mid trees of 8, one high tree of 256. */
const LEN_LOW = 2;
const LEN_MID = LEN_LOW + 16 * 8;
const LEN_HIGH = LEN_MID + 16 * 8;
const LEN_SIZE = LEN_HIGH + 256;

const EMPTY = new Uint8Array(0);

/**
 * Buffered pull-based input. Bytes before `pos` are consumed; `base` is the
 * absolute offset of buf[0], so callers can measure consumed sizes across refills.
 */
export class ByteInput {
  buf: Uint8Array = EMPTY;
  pos = 0;
  private base = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(
    input: AsyncIterable<Uint8Array>,
    private readonly codec: string,
  ) {
    this.it = input[Symbol.asyncIterator]();
  }

  get available(): number {
    return this.buf.length - this.pos;
  }

  /** Absolute input offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Buffers at least n unread bytes; false if the input ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buf.length - this.pos < n) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      // A plain Uint8Array view (not a Buffer subclass) keeps the decoder's byte loads monomorphic.
      const chunk = new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      if (chunk.length === 0) continue;
      const rest = this.buf.length - this.pos;
      this.base += this.pos;
      if (rest === 0) {
        this.buf = chunk;
      } else {
        // Only the small unread tail is carried over, so packets always see contiguous bytes.
        const joined = new Uint8Array(rest + chunk.length);
        joined.set(this.buf.subarray(this.pos));
        joined.set(chunk, rest);
        this.buf = joined;
      }
      this.pos = 0;
    }
    return true;
  }

  async need(n: number): Promise<void> {
    if (!(await this.fill(n))) throw new Error(`${this.codec}: truncated input`);
  }

  async byte(): Promise<number> {
    if (this.pos >= this.buf.length) await this.need(1);
    return this.buf[this.pos++];
  }

  /** Tells the source we are done with it (the consumer stopped early, or we failed). */
  async close(): Promise<void> {
    this.done = true;
    this.buf = EMPTY;
    this.pos = 0;
    try {
      await this.it.return?.();
    } catch {
      // The source's own cleanup failing must not hide why we stopped.
    }
  }
}

/** The LZMA1 decoder proper: range decoder, probability model and window. */
export class LzmaDecoder {
  // Input, lent by the driver for one run().
  buf: Uint8Array = EMPTY;
  pos = 0;
  range = 0;
  code = 0;

  // Window: linear while it grows, circular once it has reached dictLimit.
  private win: Uint8Array;
  private cap: number;
  private wpos = 0;
  /** Start of output not yet handed out. */
  private flushPos = 0;
  /**
   * Bytes produced since the last dictionary reset: its low bits select the literal and position states, and
   * min(total, cap) is the history a match may reach.
   */
  private total = 0;
  private readonly dictLimit: number;

  private lc = 0;
  private lpMask = 0;
  private pbMask = 0;
  private literal = new Uint16Array(0x300);
  private readonly isMatch = new Uint16Array(12 << 4);
  private readonly isRep = new Uint16Array(12);
  private readonly isRepG0 = new Uint16Array(12);
  private readonly isRepG1 = new Uint16Array(12);
  private readonly isRepG2 = new Uint16Array(12);
  private readonly isRep0Long = new Uint16Array(12 << 4);
  private readonly posSlot = new Uint16Array(4 << 6);
  private readonly posSpecial = new Uint16Array(115);
  private readonly align = new Uint16Array(16);
  private readonly lenCoder = new Uint16Array(LEN_SIZE);
  private readonly repLenCoder = new Uint16Array(LEN_SIZE);

  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  /** Bytes of the current match still to copy (the window edge or the output limit cut it short). */
  pendingLen = 0;
  /** Set when the end-of-payload marker has been decoded. */
  ended = false;

  constructor(
    private readonly name: string,
    private readonly dictSize: number,
    private readonly dictCap = DICT_CAP,
  ) {
    this.dictLimit = Math.max(dictSize, MIN_DICT);
    this.cap = Math.min(this.dictLimit, INITIAL_WINDOW, dictCap);
    this.win = new Uint8Array(this.cap);
  }

  error(message: string): Error {
    return new Error(`${this.name}: ${message}`);
  }

  /** Sets lc/lp/pb from the packed properties byte ((pb * 5 + lp) * 9 + lc). */
  setProps(props: number): void {
    if (props >= 9 * 5 * 5) throw this.error(`invalid properties byte 0x${props.toString(16)}`);
    const lc = props % 9;
    const lp = Math.floor(props / 9) % 5;
    const pb = Math.floor(props / 45);
    if (lc + lp > 4) throw this.error(`lc + lp = ${lc + lp} exceeds 4 (not supported)`);
    this.lc = lc;
    this.lpMask = (1 << lp) - 1;
    this.pbMask = (1 << pb) - 1;
    const size = 0x300 << (lc + lp);
    if (this.literal.length !== size) this.literal = new Uint16Array(size);
  }

  resetState(): void {
    this.literal.fill(PROB_INIT);
    this.isMatch.fill(PROB_INIT);
    this.isRep.fill(PROB_INIT);
    this.isRepG0.fill(PROB_INIT);
    this.isRepG1.fill(PROB_INIT);
    this.isRepG2.fill(PROB_INIT);
    this.isRep0Long.fill(PROB_INIT);
    this.posSlot.fill(PROB_INIT);
    this.posSpecial.fill(PROB_INIT);
    this.align.fill(PROB_INIT);
    this.lenCoder.fill(PROB_INIT);
    this.repLenCoder.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
    this.pendingLen = 0;
  }

  /** Forgets all history: later matches may not reach before this point. */
  resetDict(): void {
    this.total = 0;
  }

  /** Starts the range decoder on 5 buffered bytes at buf[pos]. */
  initRange(buf: Uint8Array, pos: number): void {
    if (buf[pos] !== 0) throw this.error('corrupt data (range coder must start with a zero byte)');
    const code = (buf[pos + 1] << 24) | (buf[pos + 2] << 16) | (buf[pos + 3] << 8) | buf[pos + 4];
    if (code === -1) throw this.error('corrupt data (range coder start)');
    this.code = code;
    this.range = -1;
  }

  get pendingOutput(): number {
    return this.wpos - this.flushPos;
  }

  get atWindowEnd(): boolean {
    return this.wpos === this.cap;
  }

  /** Copies out the output produced since the last call (null if none). */
  takeOutput(): Buffer | null {
    if (this.wpos === this.flushPos) return null;
    const out = Buffer.from(this.win.subarray(this.flushPos, this.wpos));
    this.flushPos = this.wpos;
    return out;
  }

  /** At the window's end, with all output taken: grow the window or wrap around. */
  makeRoom(): void {
    if (this.cap < this.dictLimit) {
      const next = Math.min(this.cap * 2, this.dictLimit);
      if (next > this.dictCap) {
        throw this.error(`dictionary of ${this.dictSize} bytes exceeds the ${formatBytes(this.dictCap)} cap`);
      }
      const win = new Uint8Array(next);
      win.set(this.win);
      this.win = win;
      this.cap = next;
    } else {
      this.wpos = 0;
      this.flushPos = 0;
    }
  }

  /** Appends stored bytes (an LZMA2 uncompressed chunk); returns how many fit before the window's end. */
  putBytes(src: Uint8Array, start: number, n: number): number {
    n = Math.min(n, this.cap - this.wpos);
    this.win.set(src.subarray(start, start + n), this.wpos);
    this.wpos += n;
    this.total += n;
    return n;
  }

  /**
   * Decodes packets until `limit` bytes are produced, the window's end is
   * reached, OUT_FLUSH bytes are pending, the end marker is seen, or fewer than
   * LOOKAHEAD bytes remain before inEnd while more input may still come
   * (inFinal false). Returns the bytes produced. Reading past inEnd is not
   * prevented inside a packet (it reads as zeros past the buffer); the caller
   * compares pos with inEnd afterwards. With markerOnly, exactly one packet is
   * decoded and it must be the end marker.
   *
   * Speed matters here, so the range decoder is inlined and all state lives in
   * locals (range and code as int32, compared unsigned by flipping the sign bit).
   * Each inlined bit is: bound = (range >>> 11) * prob; 0 if code < bound,
   * adapting prob toward 0 (range = bound) or toward 1 (range -= bound,
   * code -= bound); then one normalisation step.
   */
  run(limit: number, inEnd: number, inFinal: boolean, markerOnly = false): number {
    const buf = this.buf;
    const win = this.win;
    const cap = this.cap;
    const lc = this.lc;
    const lpMask = this.lpMask;
    const pbMask = this.pbMask;
    const literal = this.literal;
    const isMatch = this.isMatch;
    const isRep = this.isRep;
    const isRepG0 = this.isRepG0;
    const isRepG1 = this.isRepG1;
    const isRepG2 = this.isRepG2;
    const isRep0Long = this.isRep0Long;
    const posSlot = this.posSlot;
    const posSpecial = this.posSpecial;
    const align = this.align;
    let pos = this.pos;
    let range = this.range;
    let code = this.code;
    let wpos = this.wpos;
    let total = this.total;
    let state = this.state;
    let rep0 = this.rep0;
    let rep1 = this.rep1;
    let rep2 = this.rep2;
    let rep3 = this.rep3;
    let pendingLen = this.pendingLen;
    let left = limit;
    const outStop = Math.min(cap, this.flushPos + OUT_FLUSH);
    const inStop = inFinal ? inEnd : inEnd - LOOKAHEAD;
    let p = 0;
    let bound = 0;
    let i = 0;

    for (let force = markerOnly; ; force = false) {
      if (pendingLen > 0) {
        // Finish a match the window's end or the output limit cut short.
        const n = Math.min(pendingLen, left, cap - wpos);
        let src = wpos - rep0 - 1;
        if (src < 0) src += cap;
        for (let k = 0; k < n; k++) {
          win[wpos++] = win[src++];
          if (src === cap) src = 0;
        }
        total += n;
        left -= n;
        pendingLen -= n;
        if (pendingLen > 0) break;
      }
      if (!force && (left === 0 || wpos >= outStop || pos > inStop)) break;
      const posState = total & pbMask;

      i = (state << 4) | posState;
      p = isMatch[i];
      bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound;
        isMatch[i] = p + ((2048 - p) >> 5);
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | buf[pos++];
        }
        // Literal.
        if (left === 0) throw this.error('corrupt data (data continues past the declared uncompressed size)');
        const prev = total > 0 ? win[(wpos === 0 ? cap : wpos) - 1] : 0;
        const base = 0x300 * (((total & lpMask) << lc) + (prev >> (8 - lc)));
        let sym = 1;
        if (state >= 7) {
          // After a match the literal is coded relative to the byte at rep0, until the first differing bit.
          let mi = wpos - rep0 - 1;
          if (mi < 0) mi += cap;
          let matchByte = win[mi];
          do {
            const matchBit = (matchByte >> 7) & 1;
            matchByte <<= 1;
            i = base + ((1 + matchBit) << 8) + sym;
            p = literal[i];
            bound = Math.imul(range >>> 11, p);
            let b: number;
            if ((code ^ SIGN) < (bound ^ SIGN)) {
              range = bound;
              literal[i] = p + ((2048 - p) >> 5);
              b = 0;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              literal[i] = p - (p >> 5);
              b = 1;
            }
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | buf[pos++];
            }
            sym = (sym << 1) | b;
            if (b !== matchBit) break;
          } while (sym < 0x100);
        }
        while (sym < 0x100) {
          i = base + sym;
          p = literal[i];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) {
            range = bound;
            literal[i] = p + ((2048 - p) >> 5);
            sym <<= 1;
          } else {
            range = (range - bound) | 0;
            code = (code - bound) | 0;
            literal[i] = p - (p >> 5);
            sym = (sym << 1) | 1;
          }
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | buf[pos++];
          }
        }
        win[wpos++] = sym;
        total++;
        left--;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      range = (range - bound) | 0;
      code = (code - bound) | 0;
      isMatch[i] = p - (p >> 5);
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | buf[pos++];
      }

      let lenProbs: Uint16Array;
      let isRepMatch: boolean;
      p = isRep[state];
      bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound;
        isRep[state] = p + ((2048 - p) >> 5);
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | buf[pos++];
        }
        // Simple match: length, then a new distance.
        lenProbs = this.lenCoder;
        isRepMatch = false;
        state = state < 7 ? 7 : 10;
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        isRep[state] = p - (p >> 5);
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | buf[pos++];
        }
        // Repeated match: one of the last four distances.
        p = isRepG0[state];
        bound = Math.imul(range >>> 11, p);
        if ((code ^ SIGN) < (bound ^ SIGN)) {
          range = bound;
          isRepG0[state] = p + ((2048 - p) >> 5);
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | buf[pos++];
          }
          i = (state << 4) | posState;
          p = isRep0Long[i];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) {
            range = bound;
            isRep0Long[i] = p + ((2048 - p) >> 5);
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | buf[pos++];
            }
            // Short rep: the single byte at rep0.
            if (rep0 >= total || rep0 >= cap) throw this.error('corrupt data (match distance beyond the dictionary)');
            if (left === 0) throw this.error('corrupt data (data continues past the declared uncompressed size)');
            let src = wpos - rep0 - 1;
            if (src < 0) src += cap;
            win[wpos++] = win[src];
            total++;
            left--;
            state = state < 7 ? 9 : 11;
            continue;
          }
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          isRep0Long[i] = p - (p >> 5);
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | buf[pos++];
          }
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          isRepG0[state] = p - (p >> 5);
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | buf[pos++];
          }
          let dist: number;
          p = isRepG1[state];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) {
            range = bound;
            isRepG1[state] = p + ((2048 - p) >> 5);
            dist = rep1;
          } else {
            range = (range - bound) | 0;
            code = (code - bound) | 0;
            isRepG1[state] = p - (p >> 5);
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | buf[pos++];
            }
            p = isRepG2[state];
            bound = Math.imul(range >>> 11, p);
            if ((code ^ SIGN) < (bound ^ SIGN)) {
              range = bound;
              isRepG2[state] = p + ((2048 - p) >> 5);
              dist = rep2;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              isRepG2[state] = p - (p >> 5);
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | buf[pos++];
          }
          rep1 = rep0;
          rep0 = dist;
        }
        lenProbs = this.repLenCoder;
        isRepMatch = true;
        state = state < 7 ? 8 : 11;
      }

      // Length: choice bits pick the low (3 bits, per posState), mid (3 bits, per posState) or high (8 bits) tree.
      let treeBase: number;
      let treeBits: number;
      let len: number;
      p = lenProbs[0];
      bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound;
        lenProbs[0] = p + ((2048 - p) >> 5);
        treeBase = LEN_LOW + (posState << 3);
        treeBits = 3;
        len = 0;
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        lenProbs[0] = p - (p >> 5);
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | buf[pos++];
        }
        p = lenProbs[1];
        bound = Math.imul(range >>> 11, p);
        if ((code ^ SIGN) < (bound ^ SIGN)) {
          range = bound;
          lenProbs[1] = p + ((2048 - p) >> 5);
          treeBase = LEN_MID + (posState << 3);
          treeBits = 3;
          len = 8;
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          lenProbs[1] = p - (p >> 5);
          treeBase = LEN_HIGH;
          treeBits = 8;
          len = 16;
        }
      }
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | buf[pos++];
      }
      let m = 1;
      for (let k = 0; k < treeBits; k++) {
        i = treeBase + m;
        p = lenProbs[i];
        bound = Math.imul(range >>> 11, p);
        if ((code ^ SIGN) < (bound ^ SIGN)) {
          range = bound;
          lenProbs[i] = p + ((2048 - p) >> 5);
          m <<= 1;
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          lenProbs[i] = p - (p >> 5);
          m = (m << 1) | 1;
        }
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | buf[pos++];
        }
      }
      len += m - (1 << treeBits);

      if (!isRepMatch) {
        // Distance: a 6-bit slot (by length state), then reverse-coded or direct low bits.
        const slotBase = (len < 3 ? len : 3) << 6;
        m = 1;
        for (let k = 0; k < 6; k++) {
          i = slotBase + m;
          p = posSlot[i];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) {
            range = bound;
            posSlot[i] = p + ((2048 - p) >> 5);
            m <<= 1;
          } else {
            range = (range - bound) | 0;
            code = (code - bound) | 0;
            posSlot[i] = p - (p >> 5);
            m = (m << 1) | 1;
          }
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | buf[pos++];
          }
        }
        const slot = m - 64;
        let dist = slot;
        if (slot >= 4) {
          let numBits = (slot >> 1) - 1;
          dist = (2 | (slot & 1)) << numBits;
          let probs = posSpecial;
          let rbase = dist - slot;
          if (slot >= 14) {
            // Direct bits (probability 1/2) above 4 reverse-coded align bits.
            let direct = 0;
            for (let k = numBits - 4; k > 0; k--) {
              range >>>= 1;
              if (code >>> 0 >= range) {
                code = (code - range) | 0;
                direct = (direct << 1) | 1;
              } else {
                direct <<= 1;
              }
              if (range >>> 24 === 0) {
                range <<= 8;
                code = (code << 8) | buf[pos++];
              }
            }
            dist |= direct << 4;
            probs = align;
            rbase = 0;
            numBits = 4;
          }
          m = 1;
          for (let k = 0; k < numBits; k++) {
            i = rbase + m;
            p = probs[i];
            bound = Math.imul(range >>> 11, p);
            if ((code ^ SIGN) < (bound ^ SIGN)) {
              range = bound;
              probs[i] = p + ((2048 - p) >> 5);
              m <<= 1;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              probs[i] = p - (p >> 5);
              m = (m << 1) | 1;
              dist |= 1 << k;
            }
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | buf[pos++];
            }
          }
          dist >>>= 0;
        }
        if (dist === END_MARKER_DIST) {
          // A marker leaves the range coder finished (code 0); anything else is damage.
          if (code !== 0) throw this.error('corrupt data (end marker with unfinished range coder)');
          this.ended = true;
          break;
        }
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        rep0 = dist;
      }

      if (rep0 >= total || rep0 >= cap) {
        throw this.error(`corrupt data (match distance ${rep0 + 1} exceeds the ${Math.min(total, cap)} bytes of history)`);
      }
      if (left === 0) throw this.error('corrupt data (data continues past the declared uncompressed size)');
      len += 2;
      const n = Math.min(len, left, cap - wpos);
      let src = wpos - rep0 - 1;
      if (src < 0) src += cap;
      if (src + n <= cap) {
        if (n >= 64 && (src > wpos || src + n <= wpos)) {
          // No overlap a forward copy would read back: memmove gives the same bytes.
          win.copyWithin(wpos, src, src + n);
          wpos += n;
        } else {
          for (let k = 0; k < n; k++) win[wpos++] = win[src++];
        }
      } else {
        for (let k = 0; k < n; k++) {
          win[wpos++] = win[src++];
          if (src === cap) src = 0;
        }
      }
      total += n;
      left -= n;
      pendingLen = len - n;
    }

    this.pos = pos;
    this.range = range;
    this.code = code;
    this.wpos = wpos;
    this.total = total;
    this.state = state;
    this.rep0 = rep0;
    this.rep1 = rep1;
    this.rep2 = rep2;
    this.rep3 = rep3;
    this.pendingLen = pendingLen;
    return limit - left;
  }

  /**
   * Decodes what follows the last byte of a known-size LZMA1 stream: nothing
   * if the range coder is already finished, else it must be the end marker.
   */
  finishKnownSize(inEnd: number): void {
    if (this.pendingLen > 0) throw this.error('corrupt data (a match runs past the declared uncompressed size)');
    if (this.code === 0) return;
    this.run(0, inEnd, true, true);
    if (!this.ended) throw this.error('corrupt data (data continues past the declared uncompressed size)');
  }
}

/**
 * Runs the decoder over LZMA1 data until `size` bytes are produced (when
 * known) or the end marker. Used for each .lzma stream.
 */
async function* pumpLzma1(dec: LzmaDecoder, inp: ByteInput, size: number | null): AsyncGenerator<Buffer> {
  let remaining = size ?? Number.MAX_SAFE_INTEGER;
  while (!dec.ended) {
    if (size !== null && remaining === 0) {
      await inp.fill(LOOKAHEAD);
      dec.buf = inp.buf;
      dec.pos = inp.pos;
      dec.finishKnownSize(inp.buf.length);
      inp.pos = dec.pos;
      if (dec.pos > inp.buf.length) throw dec.error('truncated input');
      break;
    }
    if (dec.atWindowEnd) {
      const out = dec.takeOutput();
      if (out) yield out;
      dec.makeRoom();
    }
    const inFinal = !(await inp.fill(LOOKAHEAD));
    dec.buf = inp.buf;
    dec.pos = inp.pos;
    // A small int limit keeps the hot loop's counter an int32 (run() stops far sooner anyway, at OUT_FLUSH).
    const n = dec.run(Math.min(remaining, 1 << 30), inp.buf.length, inFinal);
    inp.pos = dec.pos;
    if (dec.pos > inp.buf.length) throw dec.error('truncated input');
    remaining -= n;
    if (dec.pendingOutput >= OUT_FLUSH) yield dec.takeOutput()!;
  }
  if (dec.ended && size !== null && remaining !== 0) throw dec.error('corrupt data (end marker before the declared uncompressed size)');
  const out = dec.takeOutput();
  if (out) yield out;
}

/** Starts one LZMA1 stream (properties byte, dictionary, range coder init) and decodes it to `size` or its end marker. */
async function* lzma1Stream(
  inp: ByteInput,
  name: string,
  props: number,
  dictSize: number,
  size: number | null,
  options?: LzmaOptions,
): AsyncGenerator<Buffer> {
  const dec = new LzmaDecoder(name, dictSize, capOf(options));
  dec.setProps(props);
  dec.resetState();
  await inp.need(5);
  dec.initRange(inp.buf, inp.pos);
  inp.pos += 5;
  yield* pumpLzma1(dec, inp, size);
}

function u32le(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** A valid .lzma header's properties byte, as liblzma accepts it (lc + lp ≤ 4). */
function isValidProps(props: number): boolean {
  return props < 225 && (props % 9) + (Math.floor(props / 9) % 5) <= 4;
}

/**
 * Decodes a legacy .lzma ("LZMA-alone") file: a 13-byte header (properties
 * byte, 4-byte LE dictionary size, 8-byte LE uncompressed size or all 0xFF
 * for "unknown, ends with the end marker") and LZMA1 data. A stream of known
 * size may still end with a marker.
 *
 * As Python's lzma module (and so joblib) reads them, streams may follow one
 * another; trailing bytes that cannot start a stream (invalid properties byte)
 * are ignored, while a trailing stream that starts validly must decode.
 */
export async function* decodeLzmaAlone(input: AsyncIterable<Uint8Array>, options?: LzmaOptions): AsyncGenerator<Buffer> {
  const inp = new ByteInput(input, 'lzma');
  try {
    for (let first = true; ; first = false) {
      if (!first) {
        if (!(await inp.fill(1))) return;
        if (!isValidProps(inp.buf[inp.pos])) return;
      }
      await inp.need(13);
      const h = inp.buf.subarray(inp.pos, inp.pos + 13);
      inp.pos += 13;
      const dictSize = u32le(h, 1);
      const lo = u32le(h, 5);
      const hi = u32le(h, 9);
      let size: number | null = null;
      if (lo !== 0xffffffff || hi !== 0xffffffff) {
        if (hi >= 1 << 21) throw new Error('lzma: declared uncompressed size too large');
        size = hi * 2 ** 32 + lo;
      }
      yield* lzma1Stream(inp, 'lzma', h[0], dictSize, size, options);
    }
  } finally {
    await inp.close();
  }
}

/**
 * Decodes LZMA2 data (a sequence of chunks ended by a 0x00 control byte) from
 * inp, leaving inp just after the end byte. `name` prefixes error messages.
 */
export async function* decodeLzma2(inp: ByteInput, dictSize: number, name: string, options?: LzmaOptions): AsyncGenerator<Buffer> {
  const dec = new LzmaDecoder(name, dictSize, capOf(options));
  let needDictReset = true;
  let needProps = true;
  for (;;) {
    const control = await inp.byte();
    if (control === 0x00) break;
    if (control > 0x02 && control < 0x80) throw dec.error(`corrupt data (invalid LZMA2 control byte 0x${control.toString(16)})`);
    if (control === 0x01 || control >= 0xe0) {
      dec.resetDict();
      needDictReset = false;
      needProps = true;
    } else if (needDictReset) {
      throw dec.error('corrupt data (LZMA2 data must start with a dictionary reset)');
    }
    if (control >= 0x80) {
      const hasProps = control >= 0xc0;
      await inp.need(hasProps ? 5 : 4);
      const b = inp.buf;
      const p = inp.pos;
      const unpacked = (control & 0x1f) * 65536 + ((b[p] << 8) | b[p + 1]) + 1;
      const packed = ((b[p + 2] << 8) | b[p + 3]) + 1;
      inp.pos += 4;
      if (hasProps) {
        dec.setProps(inp.buf[inp.pos++]);
        needProps = false;
        dec.resetState();
      } else if (needProps) {
        throw dec.error('corrupt data (LZMA2 chunk without properties)');
      } else if (control >= 0xa0) {
        dec.resetState();
      }
      if (packed < 5) throw dec.error('corrupt data (LZMA2 chunk too short)');
      await inp.need(5);
      dec.initRange(inp.buf, inp.pos);
      inp.pos += 5;
      yield* lzma2Chunk(dec, inp, unpacked, inp.offset + packed - 5);
    } else {
      await inp.need(2);
      const size = ((inp.buf[inp.pos] << 8) | inp.buf[inp.pos + 1]) + 1;
      inp.pos += 2;
      yield* storedChunk(dec, inp, size);
    }
  }
  const out = dec.takeOutput();
  if (out) yield out;
}

async function* lzma2Chunk(dec: LzmaDecoder, inp: ByteInput, unpacked: number, end: number): AsyncGenerator<Buffer> {
  let remaining = unpacked;
  while (remaining > 0) {
    if (dec.atWindowEnd) {
      const out = dec.takeOutput();
      if (out) yield out;
      dec.makeRoom();
    }
    const left = end - inp.offset;
    if (left < 0) break;
    await inp.need(Math.min(LOOKAHEAD, left));
    const inEnd = Math.min(inp.buf.length, inp.pos + left);
    dec.buf = inp.buf;
    dec.pos = inp.pos;
    const n = dec.run(remaining, inEnd, inp.pos + left <= inp.buf.length);
    inp.pos = Math.min(dec.pos, inp.buf.length);
    if (dec.pos > inEnd) throw dec.error('corrupt data (LZMA2 chunk reads past its compressed size)');
    if (dec.ended) throw dec.error('corrupt data (end marker inside LZMA2)');
    remaining -= n;
    if (dec.pendingOutput >= OUT_FLUSH) yield dec.takeOutput()!;
  }
  if (dec.pendingLen > 0) throw dec.error('corrupt data (a match crosses the LZMA2 chunk end)');
  if (inp.offset !== end || dec.code !== 0) throw dec.error('corrupt data (LZMA2 chunk does not end at its compressed size)');
}

async function* storedChunk(dec: LzmaDecoder, inp: ByteInput, size: number): AsyncGenerator<Buffer> {
  let left = size;
  while (left > 0) {
    if (dec.atWindowEnd) {
      const out = dec.takeOutput();
      if (out) yield out;
      dec.makeRoom();
    }
    if (inp.available === 0) await inp.need(1);
    const n = dec.putBytes(inp.buf, inp.pos, Math.min(left, inp.available));
    inp.pos += n;
    left -= n;
    if (dec.pendingOutput >= OUT_FLUSH) yield dec.takeOutput()!;
  }
}

/**
 * Decodes a zip member compressed with method 14: a 2-byte LZMA SDK version,
 * a 2-byte properties length (5), the properties (byte + dictionary size) and
 * raw LZMA1 data ended by the end marker (zip flag bit 1, which Python's
 * zipfile and 7-Zip set). Data without the marker is refused by the caller.
 */
export async function* decodeZipLzma(input: AsyncIterable<Uint8Array>, options?: LzmaOptions): AsyncGenerator<Buffer> {
  const inp = new ByteInput(input, 'zip-lzma');
  try {
    await inp.need(9);
    const h = inp.buf.subarray(inp.pos, inp.pos + 9);
    if ((h[2] | (h[3] << 8)) !== 5) throw new Error('zip-lzma: properties length is not 5');
    inp.pos += 9;
    yield* lzma1Stream(inp, 'zip-lzma', h[4], u32le(h, 5), null, options);
  } finally {
    await inp.close();
  }
}

/**
 * Decodes raw LZMA1 data whose properties travel apart from it (7z's LZMA
 * coder: a 5-byte properties blob in the folder header, the size in the
 * folder's unpack sizes). With `size` null the data must end with the marker;
 * with a size it may still end with one.
 */
export async function* decodeRawLzma(
  input: AsyncIterable<Uint8Array>,
  props: number,
  dictSize: number,
  size: number | null,
  options?: LzmaOptions,
): AsyncGenerator<Buffer> {
  const inp = new ByteInput(input, 'lzma');
  try {
    yield* lzma1Stream(inp, 'lzma', props, dictSize, size, options);
  } finally {
    await inp.close();
  }
}

/** The dictionary size an LZMA2 properties byte stands for (0..40; 40 means 4 GiB - 1). */
export function lzma2DictSize(prop: number): number {
  if (!Number.isInteger(prop) || prop < 0 || prop > 40) throw new Error(`lzma2: invalid dictionary size property ${prop}`);
  return prop === 40 ? 0xffffffff : (2 | (prop & 1)) * 2 ** ((prop >> 1) + 11);
}

/** Decodes raw LZMA2 chunks up to their end byte, the dictionary size given as its properties byte (7z's LZMA2 coder). */
export async function* decodeRawLzma2(input: AsyncIterable<Uint8Array>, dictProp: number, options?: LzmaOptions): AsyncGenerator<Buffer> {
  const dictSize = lzma2DictSize(dictProp);
  const inp = new ByteInput(input, 'lzma2');
  try {
    yield* decodeLzma2(inp, dictSize, 'lzma2', options);
  } finally {
    await inp.close();
  }
}
