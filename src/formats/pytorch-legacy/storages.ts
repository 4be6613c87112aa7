import type { ByteSource } from '../../io/byte-source.js';
import { isObj, type PyPersistent, type PyValue, strOf } from '../../pickle/values.js';

/** LONG value of torch's legacy magic number, the first of its five pickles. */
export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** Bytes per element of each storage type torch's legacy writer names. */
const ELEMENT_SIZE: Readonly<Record<string, number>> = {
  DoubleStorage: 8,
  FloatStorage: 4,
  HalfStorage: 2,
  BFloat16Storage: 2,
  LongStorage: 8,
  IntStorage: 4,
  ShortStorage: 2,
  CharStorage: 1,
  ByteStorage: 1,
  BoolStorage: 1,
  ComplexFloatStorage: 8,
  ComplexDoubleStorage: 16,
  QInt8Storage: 1,
  QUInt8Storage: 1,
  QInt32Storage: 4,
  QUInt4x2Storage: 1,
  QUInt2x4Storage: 1,
  UntypedStorage: 1,
};

export interface StorageRef {
  key: string;
  elementSize: number | undefined;
  typeName: string;
}

/** ('storage', StorageType, key, location, numel, view) persistent ids of the object pickle. */
export function storageRefs(pids: readonly PyPersistent[]): Map<string, StorageRef> {
  const out = new Map<string, StorageRef>();
  for (const p of pids) {
    const t = p.pid;
    if (!isObj(t) || t.t !== 'container' || t.kind !== 'tuple' || t.items[0] !== 'storage') continue;
    const type = t.items[1];
    const key = strOf(t.items[2]);
    if (key === undefined) continue;
    const typeName = isObj(type) && type.t === 'global' ? type.name : '?';
    out.set(key, { key, typeName, elementSize: ELEMENT_SIZE[typeName] });
  }
  return out;
}

/** Storage keys listed by the fifth pickle, in file order. */
export function storageKeys(value: PyValue | undefined): string[] | undefined {
  if (!isObj(value) || value.t !== 'container' || value.kind !== 'list') return undefined;
  if (value.count !== value.items.length) return undefined;
  const keys: string[] = [];
  for (const k of value.items) {
    const s = strOf(k);
    if (s === undefined) return undefined;
    keys.push(s);
  }
  return keys;
}

/**
 * Walks the raw storages after the key list: per key an int64 element count
 * then count × element size bytes, as torch's _legacy_load reads them.
 * Returns the offset after the last storage, or a reason it can't.
 */
export async function skipStorages(
  source: ByteSource,
  offset: number,
  keys: readonly string[],
  refs: ReadonlyMap<string, StorageRef>,
): Promise<{ end: number } | { error: string; offset: number }> {
  const hdr = Buffer.alloc(8);
  for (const key of keys) {
    const ref = refs.get(key);
    if (!ref) return { error: `storage key '${key}' is not referenced by the object pickle`, offset };
    if (!ref.elementSize) return { error: `storage '${key}' has unknown type ${ref.typeName}`, offset };
    const got = await source.read(offset, 8, hdr);
    if (got.length < 8) return { error: `storage '${key}' is truncated`, offset };
    const count = got.readBigInt64LE(0);
    const bytes = count * BigInt(ref.elementSize);
    if (count < 0n || bytes > BigInt(source.size - offset - 8)) {
      return { error: `storage '${key}' declares ${count} elements, more than the file holds`, offset };
    }
    offset += 8 + Number(bytes);
  }
  return { end: offset };
}
