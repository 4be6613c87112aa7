/**
 * What every codec test does to a decoder: feed it input in chunks of a
 * chosen size, hash and measure what comes out, stop early on request, and
 * check the error it throws.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type Decode = (input: AsyncIterable<Uint8Array>) => AsyncIterable<Buffer>;

export const codecFixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/codecs/${name}`, import.meta.url));

export async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

export interface Decoded {
  size: number;
  sha: string;
  /** The size of each output chunk, in order. */
  chunks: number[];
  bytes?: Buffer;
}

/** Decodes fully (keeping the bytes when asked); `cap` stops early so bombs stay cheap. */
export async function decodeWith(
  decoder: Decode,
  data: Uint8Array,
  chunk = data.length || 1,
  opts: { keep?: boolean; cap?: number } = {},
): Promise<Decoded> {
  const hash = createHash('sha256');
  const chunks: number[] = [];
  const kept: Buffer[] = [];
  let size = 0;
  for await (const c of decoder(chunked(data, chunk))) {
    assert.ok(Buffer.isBuffer(c));
    hash.update(c);
    chunks.push(c.length);
    if (opts.keep) kept.push(c);
    size += c.length;
    if (opts.cap !== undefined && size >= opts.cap) break;
  }
  return { size, sha: hash.digest('hex'), chunks, bytes: opts.keep ? Buffer.concat(kept) : undefined };
}

/** Asserts that decoding throws an Error whose message matches. */
export async function decodeRejects(decoder: Decode, data: Uint8Array, re: RegExp, chunk?: number): Promise<void> {
  await assert.rejects(decodeWith(decoder, data, chunk), (err: unknown) => {
    assert.ok(err instanceof Error, 'throws an Error');
    assert.match(err.message, re);
    return true;
  });
}

/** Asserts that a fixture decodes to its pinned size and SHA-256 whatever the input chunking (1, 7, whole). */
export async function assertRoundTrip(decoder: Decode, data: Uint8Array, size: number, sha: string, oneByteUpTo = Infinity): Promise<void> {
  for (const chunk of [1, 7, data.length || 1]) {
    if (chunk === 1 && data.length > oneByteUpTo) continue;
    const r = await decodeWith(decoder, data, chunk);
    assert.equal(r.size, size, `size with ${chunk}-byte chunks`);
    assert.equal(r.sha, sha, `sha256 with ${chunk}-byte chunks`);
    assert.ok(
      r.chunks.every((n) => n > 0 && n <= 1 << 20),
      'chunks are non-empty and ≤ 1 MiB',
    );
  }
}
