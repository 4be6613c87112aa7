import type { FormatScanner } from '../types.js';

/**
 * Files recognised by their magic numbers as something other than a model
 * (images…). They are reported as skipped with their name rather than
 * guessed at as pickles.
 */
const MAGIC: readonly { name: string; test: (h: Buffer) => boolean }[] = [
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
