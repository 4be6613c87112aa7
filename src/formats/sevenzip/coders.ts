import type { ByteSource } from '../../io/byte-source.js';
import { decodeBzip2 } from '../../io/codecs/bzip2.js';
import { DECODERS } from '../../io/codecs/index.js';
import { decodeRawLzma, decodeRawLzma2 } from '../../io/codecs/lzma.js';
import { bcjX86, delta } from './filters.js';
import type { ChainStep } from './folders.js';

const IN_CHUNK = 64 << 10;

/**
 * The packed bytes [start, start+length) of the archive, read forward in
 * chunks; short at the end of the file. A failing read (the archive itself
 * inside a damaged compressed stream) ends the input and is kept for the
 * caller: thrown into Node's zlib pipe it would leave the decoder waiting.
 */
async function* packedChunks(source: ByteSource, start: number, length: number, failure: { error?: unknown }): AsyncGenerator<Buffer> {
  const end = Math.min(start + length, source.size);
  for (let pos = start; pos < end; ) {
    let got: Buffer;
    try {
      got = await source.read(pos, Math.min(IN_CHUNK, end - pos));
    } catch (err) {
      failure.error = err;
      return;
    }
    if (got.length === 0) return;
    yield Buffer.from(got);
    pos += got.length;
  }
}

/**
 * Holds a coder to the size the header declares for its output: more is an
 * error at once (a bomb behind a small declared size never runs on), less is
 * an error at the end (the data was cut or damaged).
 */
async function* exactly(stream: AsyncIterable<Buffer>, size: number, name: string): AsyncGenerator<Buffer> {
  let produced = 0;
  for await (const chunk of stream) {
    if (produced + chunk.length > size) {
      const fits = size - produced;
      if (fits > 0) yield chunk.subarray(0, fits);
      throw new Error(`${name} data decodes to more than its declared ${size} bytes`);
    }
    produced += chunk.length;
    if (chunk.length) yield chunk;
  }
  if (produced < size) throw new Error(`${name} data ends after ${produced} of its declared ${size} bytes`);
}

function step(input: AsyncIterable<Buffer>, s: ChainStep): AsyncIterable<Buffer> {
  const props = s.coder.props;
  switch (s.kind) {
    case 'copy':
      return input;
    case 'lzma':
      if (props.length < 5) throw new Error(`LZMA properties are ${props.length} bytes, not 5`);
      return decodeRawLzma(input, props[0], props.readUInt32LE(1), s.unpackSize);
    case 'lzma2':
      if (props.length < 1) throw new Error('LZMA2 properties missing');
      return decodeRawLzma2(input, props[0]);
    case 'deflate':
      return DECODERS['deflate-raw'](input);
    case 'bzip2':
      return decodeBzip2(input);
    case 'bcj-x86':
      if (props.length !== 0 && props.length !== 4) throw new Error(`BCJ properties are ${props.length} bytes`);
      return bcjX86(input, props.length === 4 ? props.readUInt32LE(0) : 0);
    case 'delta':
      if (props.length !== 1) throw new Error(`Delta properties are ${props.length} bytes, not 1`);
      return delta(input, props[0] + 1);
    case 'aes':
      throw new Error('encrypted data cannot be decoded');
  }
}

/**
 * A folder's decoded data as a stream: its packed bytes through each coder in
 * turn, each held to its declared size. Nothing is decoded before it is pulled.
 */
export async function* decodeChain(source: ByteSource, packStart: number, packSize: number, steps: ChainStep[]): AsyncGenerator<Buffer> {
  const failure: { error?: unknown } = {};
  let stream: AsyncIterable<Buffer> = packedChunks(source, packStart, packSize, failure);
  for (const s of steps) stream = exactly(step(stream, s), s.unpackSize, s.name);
  try {
    yield* stream;
  } catch (err) {
    // The decoder's complaint about its input running out is the read failure's doing.
    throw failure.error ?? err;
  }
  if (failure.error) throw failure.error;
}
