import { decodeBzip2 } from './bzip2.js';
import { decodeLz4Frame } from './lz4.js';
import { decodeLzmaAlone, decodeZipLzma } from './lzma.js';
import { decodeWithZlib } from './node-zlib.js';
import { decodeXz } from './xz.js';
import { decodeZstd } from './zstd.js';

/** A streaming decoder: pulls compressed chunks, yields decompressed ones (each ≤ 1 MiB). */
export type Decoder = (input: AsyncIterable<Uint8Array>) => AsyncIterable<Buffer>;

export const DECODERS = {
  'deflate-raw': decodeWithZlib('deflate-raw'),
  zlib: decodeWithZlib('zlib'),
  gzip: decodeWithZlib('gzip'),
  bzip2: decodeBzip2,
  xz: (input) => decodeXz(input),
  lzma: (input) => decodeLzmaAlone(input),
  'zip-lzma': (input) => decodeZipLzma(input),
  lz4: decodeLz4Frame,
  zstd: decodeZstd,
} satisfies Record<string, Decoder>;

export type Codec = keyof typeof DECODERS;
