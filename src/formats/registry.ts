import { compressedFormat } from './compressed/index.js';
import { pickleFormat } from './pickle/index.js';
import type { FormatScanner } from './types.js';
import { unsupportedFormat } from './unsupported/index.js';
import { zipFormat } from './zip/index.js';

/**
 * Every format the scanner understands, tried in order on each file's
 * content (never its name). A new format is one folder plus one line here.
 */
export const FORMATS: readonly FormatScanner[] = [zipFormat, compressedFormat, unsupportedFormat, pickleFormat];
