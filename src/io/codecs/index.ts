import { decodeBzip2 } from './bzip2.js';
import { decodeWithZlib } from './node-zlib.js';

/** A streaming decoder: pulls compressed chunks, yields decompressed ones (each ≤ 1 MiB). */
export type Decoder = (input: AsyncIterable<Uint8Array>) => AsyncIterable<Buffer>;

export const DECODERS = {
  'deflate-raw': decodeWithZlib('deflate-raw'),
  zlib: decodeWithZlib('zlib'),
  gzip: decodeWithZlib('gzip'),
  bzip2: decodeBzip2,
} satisfies Record<string, Decoder>;

export type Codec = keyof typeof DECODERS;
