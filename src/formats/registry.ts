import { compressedFormat } from './compressed/index.js';
import { numpyFormat } from './numpy/index.js';
import { pickleFormat } from './pickle/index.js';
import { sevenZipFormat } from './sevenzip/index.js';
import { tarFormat } from './tar/index.js';
import type { FormatScanner } from './types.js';
import { unsupportedFormat } from './unsupported/index.js';
import { zipByEndRecordFormat, zipFormat } from './zip/index.js';

/**
 * Every format the scanner understands, tried in order on each file's
 * content (never its name). A new format is one folder plus one line here.
 */
export const FORMATS: readonly FormatScanner[] = [
  zipFormat,
  compressedFormat,
  numpyFormat,
  tarFormat,
  sevenZipFormat,
  unsupportedFormat,
  pickleFormat,
  zipByEndRecordFormat,
];
