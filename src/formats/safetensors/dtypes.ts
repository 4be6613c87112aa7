/**
 * Element sizes in bits of every dtype the safetensors crate (0.8) knows.
 * Its `Dtype` enum is deserialized from these exact, case-sensitive names;
 * anything else makes the loader refuse the file.
 */
const DTYPE_BITS: ReadonlyMap<string, number> = new Map([
  ['BOOL', 8],
  ['F4', 4],
  ['F6_E2M3', 6],
  ['F6_E3M2', 6],
  ['U8', 8],
  ['I8', 8],
  ['F8_E5M2', 8],
  ['F8_E4M3', 8],
  ['F8_E8M0', 8],
  ['F8_E4M3FNUZ', 8],
  ['F8_E5M2FNUZ', 8],
  ['I16', 16],
  ['U16', 16],
  ['F16', 16],
  ['BF16', 16],
  ['I32', 32],
  ['U32', 32],
  ['F32', 32],
  ['C64', 64],
  ['F64', 64],
  ['I64', 64],
  ['U64', 64],
]);

export function dtypeBits(name: string): number | undefined {
  return DTYPE_BITS.get(name);
}

/** A u64 read from the header: a number while exact, a bigint beyond 2^53. */
export type U64 = number | bigint;

const U64_MAX = (1n << 64n) - 1n;

export type TensorBytes = { bytes: U64 } | { error: 'overflow' | 'misaligned' };

/**
 * Byte size of a tensor as the crate computes it: the element count folded
 * with checked u64 multiplication in shape order (so [2^32, 2^32, 2^32, 0]
 * overflows before reaching the 0), times the element bits, which must make
 * whole bytes.
 */
export function tensorBytes(bits: number, shape: readonly U64[]): TensorBytes {
  let n: U64 = 1;
  for (const d of shape) {
    if (typeof n === 'number' && typeof d === 'number') {
      const p: number = n * d;
      if (Number.isSafeInteger(p)) {
        n = p;
        continue;
      }
    }
    const big: bigint = BigInt(n) * BigInt(d);
    if (big > U64_MAX) return { error: 'overflow' };
    n = big;
  }
  if (typeof n === 'number' && Number.isSafeInteger(n * bits)) {
    const small = n * bits;
    return small % 8 === 0 ? { bytes: small / 8 } : { error: 'misaligned' };
  }
  const nbits = BigInt(n) * BigInt(bits);
  if (nbits > U64_MAX) return { error: 'overflow' };
  if (nbits % 8n !== 0n) return { error: 'misaligned' };
  const bytes = nbits / 8n;
  return { bytes: bytes <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(bytes) : bytes };
}
