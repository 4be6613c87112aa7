import { Readable } from 'node:stream';
import zlib from 'node:zlib';

type ZlibKind = 'deflate-raw' | 'zlib' | 'gzip';

function codecStream(kind: ZlibKind): zlib.Inflate | zlib.InflateRaw | zlib.Gunzip {
  return kind === 'deflate-raw' ? zlib.createInflateRaw() : kind === 'zlib' ? zlib.createInflate() : zlib.createGunzip();
}

/** Deflate family through Node's own zlib (multi-member gzip included, as Python's gzip reads it). */
export function decodeWithZlib(kind: ZlibKind): (input: AsyncIterable<Uint8Array>) => AsyncIterable<Buffer> {
  return (input) => Readable.from(input).pipe(codecStream(kind));
}
