import type { ByteSource } from '../../io/byte-source.js';
import { textMatches } from '../../io/text.js';
import type { FormatScanner } from '../types.js';
import { analyseConfig, KERAS_SCANNER, MAX_CONFIG_BYTES, structural } from './analyse.js';
import { isObject, JsonError, type ParsedJson, parseJson, toUtf8 } from './json.js';

const LOOKS_KERAS = /"(class_name|keras_version)"\s*:/;
const PEEK = 64 << 10;
/** Above this size a JSON file is searched in chunks for Keras keys before it is read whole. */
const LARGE = 1 << 20;
/** Keras keys, or an escaped ASCII character that could spell them. */
const KERAS_OR_ESCAPED = /"class_name"|"keras_version"|\\u00[3-7]/;

/**
 * Keras JSON, recognised by content wherever it sits: a `.keras` archive's
 * config.json (and metadata.json), or a Keras 2 `model.to_json()` file.
 * Decoded as `json.loads(bytes)` decodes (UTF-8/16/32 by BOM or NUL
 * pattern). A model config (`class_name` + `config`) is walked; a
 * metadata file (`keras_version`) holds nothing to judge; any other JSON
 * is left to other formats.
 */
export const kerasConfigFormat: FormatScanner = {
  name: 'keras-config',
  detect(head) {
    try {
      const { utf8 } = toUtf8(head.subarray(0, head.length - (head.length % 4)));
      let i = 0;
      while (i < utf8.length && (utf8[i] === 0x20 || utf8[i] === 0x09 || utf8[i] === 0x0a || utf8[i] === 0x0d)) i++;
      return utf8[i] === 0x7b;
    } catch {
      return false;
    }
  },
  async scan(source, ctx) {
    if (source.size > MAX_CONFIG_BYTES) {
      const peek = Buffer.from(await source.read(0, PEEK));
      if (!LOOKS_KERAS.test(decodeLoosely(peek))) return 'not-this-format';
      ctx.report(
        structural(
          KERAS_SCANNER,
          'MEDIUM',
          'keras/not-scanned',
          `Keras configuration of ${source.size} bytes is over the ${MAX_CONFIG_BYTES}-byte cap; it was not scanned`,
          0,
        ),
      );
      return 'scanned';
    }
    if (source.size > LARGE && (await looksUtf8(source)) && !(await textMatches(source, KERAS_OR_ESCAPED, () => ctx.checkpoint())))
      return 'not-this-format';
    const raw = Buffer.from(await source.read(0, source.size));
    let text: Buffer;
    let bom: number;
    try {
      const d = toUtf8(raw);
      text = d.utf8;
      bom = d.bomLength;
    } catch {
      return 'not-this-format';
    }
    // Every Keras config names a class or a Keras version (keys spelled with escapes are parsed to see what they
    // say); other JSON, such as a 20 MB tokenizer.json, is not parsed into a tree.
    if (!text.includes('"class_name"') && !text.includes('"keras_version"') && !hasEscapedAscii(text)) return 'not-this-format';
    let parsed: ParsedJson;
    try {
      parsed = parseJson(text);
    } catch (err) {
      if (!(err instanceof JsonError)) throw err;
      if (!LOOKS_KERAS.test(text.toString('utf8', 0, PEEK))) return 'not-this-format';
      ctx.report(
        structural(
          KERAS_SCANNER,
          'MEDIUM',
          'keras/malformed',
          `Keras configuration is not valid JSON (${err.message}); Keras cannot load it`,
          0,
        ),
      );
      return 'scanned';
    }
    const root = parsed.value;
    if (!isObject(root)) return 'not-this-format';
    if (typeof root.class_name === 'string' && 'config' in root) {
      await analyseConfig(text, bom, 'config', ctx, KERAS_SCANNER, parsed);
      return 'scanned';
    }
    return typeof root.keras_version === 'string' ? 'scanned' : 'not-this-format';
  },
};

function decodeLoosely(b: Buffer): string {
  try {
    return toUtf8(b.subarray(0, b.length - (b.length % 4))).utf8.toString('utf8');
  } catch {
    return b.toString('latin1');
  }
}

/** A `\u00XX` escape of an ASCII letter, digit or `_`: JSON writers escape only other characters, so a key spelled so is hiding. */
function hasEscapedAscii(text: Buffer): boolean {
  for (let i = text.indexOf('\\u00'); i >= 0; i = text.indexOf('\\u00', i + 4)) {
    const c = text[i + 4];
    if (c >= 0x33 && c <= 0x37) return true;
  }
  return false;
}

/** UTF-8 (or ASCII) as opposed to the UTF-16/32 that json.loads also reads: no NUL byte in the first ones. */
async function looksUtf8(source: ByteSource): Promise<boolean> {
  const head = await source.read(0, 4);
  return (
    head.length === 4 && head.every((b) => b !== 0) && !(head[0] === 0xff && head[1] === 0xfe) && !(head[0] === 0xfe && head[1] === 0xff)
  );
}
