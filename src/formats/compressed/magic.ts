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
const XZ: Wrapper = { name: 'xz', codec: 'xz' };
const LZ4: Wrapper = { name: 'lz4', codec: 'lz4' };
const ZSTD: Wrapper = { name: 'zstd', codec: 'zstd' };
const LZMA: Wrapper = { name: 'lzma', codec: 'lzma', weakMagic: true };

/** Largest dictionary a legacy .lzma header plausibly declares (xz -9e uses 64 MiB; lzma allows up to 1.5 GiB). */
const LZMA_DICT_MAX = 1536 << 20;

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
  if (head.length >= 6 && head.toString('latin1', 0, 6) === '\xfd7zXZ\x00') return XZ;
  if (head.length >= 4 && head.readUInt32LE(0) === 0x184d2204) return LZ4;
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return ZSTD;
  if (looksLikeLzmaAlone(head)) return LZMA;
  return undefined;
}

/**
 * Legacy .lzma has no magic: a properties byte, a dictionary size and a size
 * that is either known or all 0xFF. Python and joblib write lc=3 lp=0 pb=2
 * (0x5D) with a power-of-two-ish dictionary; anything loose enough to match a
 * pickle (which starts 0x80 or an ASCII opcode) is refused, and decoding decides.
 */
function looksLikeLzmaAlone(head: Buffer): boolean {
  if (head.length < 14) return false;
  const props = head[0];
  if (props >= 225 || (props % 9) + (Math.floor(props / 9) % 5) > 4) return false;
  const dict = head.readUInt32LE(1);
  if (dict < 4096 || dict > LZMA_DICT_MAX) return false;
  // liblzma writes 2^n or 2^n + 2^(n-1) dictionaries; others are not produced by real tools.
  const pow = 2 ** Math.floor(Math.log2(dict));
  if (dict !== pow && dict !== pow + pow / 2) return false;
  const lo = head.readUInt32LE(5);
  const hi = head.readUInt32LE(9);
  const unknown = lo === 0xffffffff && hi === 0xffffffff;
  // The range coder's first byte is always 0.
  return (unknown || hi < 1 << 16) && head[13] === 0;
}
