import { btree2Records } from './btree2.js';
import { H5Error, type H5File, H5Unsupported, limitEncSize, log2floor, UNDEF } from './io.js';

const MAX_INDIRECT_LEVELS = 32;

/**
 * A fractal heap (where dense attribute storage keeps attribute
 * messages), opened far enough to find an object by its heap ID: managed
 * objects through the doubling table of direct and indirect blocks, tiny
 * objects inside the ID, huge objects directly or through their B-tree.
 * Heaps with I/O filters (compressed blocks) are not decoded.
 */
export class FractalHeap {
  private hugeIndex: Map<number, { addr: number; len: number }> | undefined;

  private constructor(
    private readonly file: H5File,
    private readonly f: {
      idLen: number;
      maxManaged: number;
      filtered: boolean;
      checksummed: boolean;
      hugeTree: number;
      width: number;
      startBlock: number;
      maxDirect: number;
      maxHeapBits: number;
      rootAddr: number;
      rootRows: number;
    },
  ) {}

  static async open(file: H5File, addr: number): Promise<FractalHeap> {
    const O = file.sizeOfOffsets;
    const L = file.sizeOfLengths;
    const c = file.cursor(await file.read(addr, 4 + 1 + 2 + 2 + 1 + 4 + L + O + L + O + 8 * L + 2 + L + L + 2 + 2 + O + 2));
    c.signature('FRHP');
    if (c.u8() !== 0) throw new H5Error('unknown fractal heap version');
    const idLen = c.u16();
    const filterLen = c.u16();
    const flags = c.u8();
    const maxManaged = c.u32();
    c.length(); // next huge ID
    const hugeTree = c.addr();
    c.length();
    c.addr();
    for (let i = 0; i < 8; i++) c.length();
    const width = c.u16();
    const startBlock = c.length();
    const maxDirect = c.length();
    const maxHeapBits = c.u16();
    c.u16(); // starting rows of the root indirect block
    const rootAddr = c.addr();
    const rootRows = c.u16();
    const pow2 = (n: number) => n > 0 && 2 ** log2floor(n) === n;
    if (!pow2(width) || !pow2(startBlock) || !pow2(maxDirect) || maxDirect < startBlock || maxHeapBits < 1 || maxHeapBits > 64) {
      throw new H5Error('fractal heap doubling table parameters are invalid');
    }
    if (idLen < 2 || idLen > 4096) throw new H5Error(`fractal heap ID length ${idLen}`);
    return new FractalHeap(file, {
      idLen,
      maxManaged,
      filtered: filterLen > 0,
      checksummed: (flags & 0x02) !== 0,
      hugeTree,
      width,
      startBlock,
      maxDirect,
      maxHeapBits,
      rootAddr,
      rootRows,
    });
  }

  get idLength(): number {
    return this.f.idLen;
  }

  /** The object's bytes and their address. */
  async get(id: Buffer, checkpoint: () => void): Promise<{ addr: number; bytes: Buffer }> {
    const f = this.f;
    if (id.length < f.idLen) throw new H5Error('heap ID shorter than the heap declares');
    const kind = (id[0] >> 4) & 0x03;
    if (id[0] >> 6 !== 0) throw new H5Error(`heap ID version ${id[0] >> 6}`);
    if (kind === 2) return this.tiny(id);
    if (kind === 1) return this.huge(id, checkpoint);
    if (kind !== 0) throw new H5Error(`heap ID type ${kind}`);
    if (f.filtered) throw new H5Unsupported('fractal heap with compressed (filtered) blocks');
    const offSize = Math.ceil(f.maxHeapBits / 8);
    // As H5HF__hdr_finish_init: the smaller of the direct-block offset width and what the largest managed object needs.
    const lenSize = Math.min(Math.ceil(log2floor(f.maxDirect) / 8), limitEncSize(f.maxManaged));
    const c = this.file.cursor(id, 1);
    const offset = c.uint(offSize);
    const length = c.uint(lenSize);
    const addr = await this.locate(offset, length, offSize, checkpoint);
    return { addr, bytes: await this.file.read(addr, length) };
  }

  private tiny(id: Buffer): { addr: number; bytes: Buffer } {
    const extended = this.f.idLen - 1 > 17;
    const len = extended ? (((id[0] & 0x0f) << 8) | id[1]) + 1 : (id[0] & 0x0f) + 1;
    const start = extended ? 2 : 1;
    if (start + len > id.length) throw new H5Error('tiny heap object longer than its ID');
    // Tiny objects live inside the ID, which lives in a B-tree record: no single file address to give.
    return { addr: UNDEF, bytes: Buffer.from(id.subarray(start, start + len)) };
  }

  private async huge(id: Buffer, checkpoint: () => void): Promise<{ addr: number; bytes: Buffer }> {
    const f = this.f;
    if (f.filtered) throw new H5Unsupported('huge objects in a filtered fractal heap');
    const O = this.file.sizeOfOffsets;
    const L = this.file.sizeOfLengths;
    if (f.idLen >= 1 + O + L) {
      const c = this.file.cursor(id, 1);
      const addr = c.addr();
      const len = c.length();
      return { addr, bytes: await this.file.read(addr, len) };
    }
    if (f.hugeTree === UNDEF) throw new H5Error('huge heap object without a huge-object B-tree');
    const idSize = Math.min(f.idLen - 1, 8);
    const key = this.file.cursor(id, 1).uint(idSize);
    if (!this.hugeIndex) {
      // Records of an unfiltered, indirectly addressed huge object: address, length, ID.
      this.hugeIndex = new Map();
      for (const rec of await btree2Records(this.file, f.hugeTree, checkpoint)) {
        const c = this.file.cursor(rec);
        const addr = c.addr();
        const len = c.length();
        this.hugeIndex.set(c.length(), { addr, len });
      }
    }
    const hit = this.hugeIndex.get(key);
    if (!hit) throw new H5Error(`huge heap object ${key} is not in its B-tree`);
    return { addr: hit.addr, bytes: await this.file.read(hit.addr, hit.len) };
  }

  /** Follows the doubling table from the root block down to the direct block holding `offset`. */
  private async locate(offset: number, length: number, offSize: number, checkpoint: () => void): Promise<number> {
    const f = this.f;
    const O = this.file.sizeOfOffsets;
    const startBits = log2floor(f.startBlock);
    const firstRowBits = startBits + log2floor(f.width);
    const maxDirectRows = log2floor(f.maxDirect) - startBits + 2;
    const rowSize = (row: number) => (row === 0 ? f.startBlock : f.startBlock * 2 ** (row - 1));
    const lookup = (off: number): { row: number; col: number } => {
      if (off < f.startBlock * f.width) return { row: 0, col: Math.floor(off / f.startBlock) };
      const high = log2floor(off);
      const row = high - firstRowBits + 1;
      return { row, col: Math.floor((off - 2 ** high) / rowSize(row)) };
    };
    const directOverhead = 4 + 1 + O + offSize + (f.checksummed ? 4 : 0);
    if (f.rootAddr === UNDEF) throw new H5Error('fractal heap has no root block');
    if (f.rootRows === 0) {
      if (offset < directOverhead || offset + length > f.startBlock) throw new H5Error('heap object outside the root direct block');
      return f.rootAddr + offset;
    }
    let blockAddr = f.rootAddr;
    let rows = f.rootRows;
    let rel = offset;
    for (let level = 0; level < MAX_INDIRECT_LEVELS; level++) {
      checkpoint();
      const { row, col } = lookup(rel);
      if (row >= rows || col >= f.width) throw new H5Error(`heap offset ${offset} is outside its indirect block`);
      const directRows = Math.min(rows, maxDirectRows);
      const entrySize = O;
      const header = 4 + 1 + O + offSize;
      const entry = row * f.width + col;
      const ib = this.file.cursor(await this.file.read(blockAddr, header + rows * f.width * entrySize));
      ib.signature('FHIB');
      ib.skip(1 + O);
      const ibOffset = ib.uint(offSize);
      if (level > 0 && ibOffset > offset) throw new H5Error('indirect block offset is beyond the object');
      ib.skip(entry * entrySize);
      const child = ib.addr();
      if (child === UNDEF) throw new H5Error(`heap offset ${offset} falls in an unallocated block`);
      const blockStart = ibOffset + (row === 0 ? col * f.startBlock : f.startBlock * f.width * 2 ** (row - 1) + col * rowSize(row));
      if (row < directRows) {
        const within = offset - blockStart;
        if (within < directOverhead || within + length > rowSize(row)) throw new H5Error('heap object outside its direct block');
        const db = this.file.cursor(await this.file.read(child, 4));
        db.signature('FHDB');
        return child + within;
      }
      blockAddr = child;
      rows = log2floor(rowSize(row)) - firstRowBits + 1;
      rel = offset - blockStart;
    }
    throw new H5Error('fractal heap indirect blocks nest too deep');
  }
}
