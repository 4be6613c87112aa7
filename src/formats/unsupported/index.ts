import type { FormatScanner } from '../types.js';

/**
 * Containers and formats recognised by their magic numbers but not scanned
 * yet. They are reported as skipped with their name rather than guessed at
 * as pickles. Each entry leaves when its own scanner lands.
 */
const MAGIC: readonly { name: string; test: (h: Buffer) => boolean }[] = [
  { name: 'GGUF', test: (h) => h.toString('latin1', 0, 4) === 'GGUF' },
  { name: 'HDF5', test: (h) => h.toString('latin1', 0, 8) === '\x89HDF\r\n\x1a\n' },
  { name: 'xz', test: (h) => h.toString('latin1', 0, 6) === '\xfd7zXZ\x00' },
  { name: 'zstd', test: (h) => h.readUInt32LE(0) === 0xfd2fb528 },
  { name: 'lz4', test: (h) => h.readUInt32LE(0) === 0x184d2204 },
  { name: 'PNG image', test: (h) => h.toString('latin1', 0, 8) === '\x89PNG\r\n\x1a\n' },
];

export function unsupportedName(head: Buffer): string | undefined {
  if (head.length < 8) return undefined;
  return MAGIC.find((m) => m.test(head))?.name;
}

export const unsupportedFormat: FormatScanner = {
  name: 'unsupported',
  detect: (head) => unsupportedName(head) !== undefined,
  async scan() {
    return 'unsupported';
  },
};
