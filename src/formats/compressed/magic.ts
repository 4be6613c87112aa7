import type { Codec } from '../../io/codecs/index.js';

export interface Wrapper {
  name: string;
  codec: Codec;
  /** The magic is short or loose enough that other data may match it: decoding decides. */
  weakMagic?: boolean;
}

const GZIP: Wrapper = { name: 'gzip', codec: 'gzip' };
const BZIP2: Wrapper = { name: 'bzip2', codec: 'bzip2' };
const ZLIB: Wrapper = { name: 'zlib', codec: 'zlib', weakMagic: true };

/** Which compression, if any, a stream starts with (by content: joblib writes `.pkl` names over any codec). */
export function sniffCompression(head: Buffer): Wrapper | undefined {
  if (head.length < 2) return undefined;
  if (head[0] === 0x1f && head[1] === 0x8b) return GZIP;
  // 'BZh' + level, then a block header or (for empty data) the end-of-stream marker.
  if (head.length >= 10 && head.toString('latin1', 0, 3) === 'BZh' && head[3] >= 0x31 && head[3] <= 0x39) {
    const next = head.toString('latin1', 4, 10);
    if (next === '1AY&SY' || next === '\x17rE8P\x90') return BZIP2;
  }
  // zlib as Python and joblib write it (deflate, 32 KiB window) with its header checksum; '(' and other
  // window sizes would collide with pickle opcodes.
  if (head[0] === 0x78 && ((head[0] << 8) | head[1]) % 31 === 0) return ZLIB;
  return undefined;
}
