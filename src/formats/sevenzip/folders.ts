import type { HeaderReader } from './reader.js';

/** 7-Zip itself refuses folders with more coders or streams than this. */
const MAX_CODERS = 64;
const MAX_CODER_STREAMS = 64;
const MAX_PROPS = 1 << 16;

export interface Coder {
  /** Method id as hex, e.g. '030101' for LZMA. */
  id: string;
  numIn: number;
  numOut: number;
  props: Buffer;
}

/**
 * One folder: a graph of coders whose unbound inputs read packed streams and
 * whose one unbound output is the folder's data (the files it holds, back to
 * back). "In" and "out" are as the decoder sees them: ins are packed, outs unpacked.
 */
export interface Folder {
  coders: Coder[];
  bindPairs: { inIndex: number; outIndex: number }[];
  /** Folder in-stream indexes fed by the folder's packed streams, in pack order. */
  packedStreams: number[];
  /** One size per coder output stream, in coder order. */
  unpackSizes: number[];
  crc?: number;
}

export type MethodKind = 'copy' | 'lzma' | 'lzma2' | 'deflate' | 'bzip2' | 'bcj-x86' | 'delta' | 'aes';

interface Method {
  name: string;
  kind?: MethodKind;
}

const METHODS: Record<string, Method> = {
  '00': { name: 'Copy', kind: 'copy' },
  '03': { name: 'Delta', kind: 'delta' },
  '04': { name: 'BCJ', kind: 'bcj-x86' },
  '05': { name: 'PPC' },
  '06': { name: 'IA64' },
  '07': { name: 'ARM' },
  '08': { name: 'ARMT' },
  '09': { name: 'SPARC' },
  '0a': { name: 'ARM64' },
  '0b': { name: 'RISCV' },
  '21': { name: 'LZMA2', kind: 'lzma2' },
  '020302': { name: 'Swap2' },
  '020304': { name: 'Swap4' },
  '030101': { name: 'LZMA', kind: 'lzma' },
  '03030103': { name: 'BCJ', kind: 'bcj-x86' },
  '0303011b': { name: 'BCJ2' },
  '03030205': { name: 'PPC' },
  '03030301': { name: 'Alpha' },
  '03030401': { name: 'IA64' },
  '03030501': { name: 'ARM' },
  '03030605': { name: 'M68' },
  '03030701': { name: 'ARMT' },
  '03030805': { name: 'SPARC' },
  '030401': { name: 'PPMd' },
  '040108': { name: 'Deflate', kind: 'deflate' },
  '040109': { name: 'Deflate64' },
  '040202': { name: 'BZip2', kind: 'bzip2' },
  '04f71101': { name: 'ZSTD' },
  '04f71102': { name: 'Brotli' },
  '04f71104': { name: 'LZ4' },
  '04f71105': { name: 'LZ5' },
  '04f71106': { name: 'Lizard' },
  '06f10701': { name: '7zAES', kind: 'aes' },
};

export function methodName(id: string): string {
  return METHODS[id]?.name ?? `method 0x${id || '(empty)'}`;
}

export function methodKind(id: string): MethodKind | undefined {
  return METHODS[id]?.kind;
}

/** Reads one folder's coder graph (not its unpack sizes, which come later in the header). */
export function readFolder(r: HeaderReader): Folder {
  const numCoders = r.count('coder', 1, MAX_CODERS);
  if (numCoders === 0) r.fail('folder without coders');
  const coders: Coder[] = [];
  let totalIn = 0;
  let totalOut = 0;
  for (let i = 0; i < numCoders; i++) {
    const flags = r.byte();
    // 0x80 announced alternative methods, dropped from the format long ago; 7-Zip refuses it too.
    if (flags & 0xc0) r.fail(`coder flags 0x${flags.toString(16)} are not supported`);
    const idSize = flags & 0x0f;
    if (idSize > 8) r.fail(`method id of ${idSize} bytes`);
    const id = r.bytes(idSize).toString('hex');
    let numIn = 1;
    let numOut = 1;
    if (flags & 0x10) {
      numIn = r.count('coder input', 0, MAX_CODER_STREAMS);
      numOut = r.count('coder output', 0, MAX_CODER_STREAMS);
    }
    const props = flags & 0x20 ? r.bytes(r.count('properties byte', 1, MAX_PROPS)) : Buffer.alloc(0);
    coders.push({ id, numIn, numOut, props });
    totalIn += numIn;
    totalOut += numOut;
  }
  if (totalOut === 0) r.fail('folder without outputs');
  if (totalIn > MAX_CODER_STREAMS || totalOut > MAX_CODER_STREAMS) r.fail(`folder with ${totalIn} inputs and ${totalOut} outputs`);
  const bindPairs: Folder['bindPairs'] = [];
  for (let i = 0; i < totalOut - 1; i++) {
    const inIndex = r.number();
    const outIndex = r.number();
    if (inIndex >= totalIn || outIndex >= totalOut) r.fail('bind pair out of range');
    if (bindPairs.some((b) => b.inIndex === inIndex || b.outIndex === outIndex)) r.fail('stream bound twice');
    bindPairs.push({ inIndex, outIndex });
  }
  const numPacked = totalIn - bindPairs.length;
  if (numPacked < 1) r.fail('folder without packed streams');
  const packedStreams: number[] = [];
  if (numPacked === 1) {
    for (let i = 0; i < totalIn; i++) {
      if (!bindPairs.some((b) => b.inIndex === i)) {
        packedStreams.push(i);
        break;
      }
    }
  } else {
    for (let i = 0; i < numPacked; i++) {
      const index = r.number();
      if (index >= totalIn || bindPairs.some((b) => b.inIndex === index) || packedStreams.includes(index))
        r.fail('packed stream index out of range');
      packedStreams.push(index);
    }
  }
  return { coders, bindPairs, packedStreams, unpackSizes: [], crc: undefined };
}

export function totalOutputs(f: Folder): number {
  return f.coders.reduce((n, c) => n + c.numOut, 0);
}

/** Index of the folder's one unbound output stream: its data. */
export function mainOutput(f: Folder): number {
  const total = totalOutputs(f);
  for (let i = 0; i < total; i++) if (!f.bindPairs.some((b) => b.outIndex === i)) return i;
  return -1;
}

/** The folder's decoded size, as declared. */
export function folderSize(f: Folder): number {
  return f.unpackSizes[mainOutput(f)] ?? 0;
}

/** One step of a linear decode: a coder, the size it must produce, in the order data flows (packed first). */
export interface ChainStep {
  coder: Coder;
  kind: MethodKind;
  name: string;
  unpackSize: number;
}

export type Chain = { ok: true; steps: ChainStep[] } | { ok: false; encrypted: boolean; reason: string };

/**
 * Resolves a folder into the straight pipeline the scanner can run: one
 * packed stream through single-input, single-output coders to the folder's
 * output. Multi-stream coders (BCJ2) and methods without a decoder here are
 * refused with the reason, encryption told apart.
 */
export function resolveChain(f: Folder): Chain {
  const names = f.coders.map((c) => methodName(c.id));
  const encrypted = f.coders.some((c) => methodKind(c.id) === 'aes');
  const label = names.join(' + ');
  if (encrypted) return { ok: false, encrypted, reason: `encrypted (${label})` };
  const missing = f.coders.filter((c) => methodKind(c.id) === undefined).map((c) => methodName(c.id));
  if (missing.length) return { ok: false, encrypted, reason: `compressed with ${label}; the scanner cannot decode ${missing.join(', ')}` };
  if (f.coders.some((c) => c.numIn !== 1 || c.numOut !== 1) || f.packedStreams.length !== 1)
    return { ok: false, encrypted, reason: `coded with a multi-stream graph (${label}) the scanner cannot decode` };
  // With one in and one out per coder, coder i reads in-stream i and writes out-stream i.
  const steps: ChainStep[] = [];
  let coder = f.packedStreams[0];
  const seen = new Set<number>();
  for (;;) {
    if (seen.has(coder)) return { ok: false, encrypted, reason: 'coder graph has a cycle' };
    seen.add(coder);
    const c = f.coders[coder];
    steps.push({ coder: c, kind: methodKind(c.id)!, name: names[coder], unpackSize: f.unpackSizes[coder] ?? 0 });
    const next = f.bindPairs.find((b) => b.outIndex === coder);
    if (!next) break;
    coder = next.inIndex;
  }
  if (steps.length !== f.coders.length) return { ok: false, encrypted, reason: 'coder graph leaves coders unused' };
  return { ok: true, steps };
}
