import { chatTemplateFormat } from './chat-template/index.js';
import { compressedFormat } from './compressed/index.js';
import { configFormat } from './config/index.js';
import { ggufFormat } from './gguf/index.js';
import { kerasConfigFormat, kerasH5Format } from './keras/index.js';
import { numpyFormat } from './numpy/index.js';
import { onnxFormat } from './onnx/index.js';
import { pickleFormat } from './pickle/index.js';
import { pythonSourceFormat } from './python-source/index.js';
import { safetensorsFormat } from './safetensors/index.js';
import { sevenZipFormat } from './sevenzip/index.js';
import { tarFormat } from './tar/index.js';
import { tfSavedModelFormat } from './tf-savedmodel/index.js';
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
  kerasH5Format,
  safetensorsFormat,
  onnxFormat,
  tfSavedModelFormat,
  kerasConfigFormat,
  ggufFormat,
  unsupportedFormat,
  pickleFormat,
  zipByEndRecordFormat,
  // Text last, once every binary and archive reading has declined it: configs, then templates, then Python source.
  configFormat,
  chatTemplateFormat,
  pythonSourceFormat,
];
