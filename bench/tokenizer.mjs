// Tokenizer benchmark input: a tokenizer.json as Hugging Face tokenizers write it (BPE vocabulary and
// merges, a TemplateProcessing post-processor), the large text file next to most models. The scan must
// search it in chunks and parse nothing.
//
//   import { generateTokenizer } from './tokenizer.mjs';
//   const { bytes } = generateTokenizer('/tmp/tokenizer.json', { bytes: 32e6 });

import fs from 'node:fs';

/** Writes a tokenizer.json of about `bytes` bytes; returns its exact size. */
export function generateTokenizer(file, { bytes = 32e6 } = {}) {
  const fd = fs.openSync(file, 'w');
  let size = 0;
  const put = (s) => {
    const b = Buffer.from(s);
    fs.writeSync(fd, b);
    size += b.length;
  };
  try {
    put('{"version": "1.0", "added_tokens": [{"id": 0, "content": "<|endoftext|>", "special": true}], ');
    put('"post_processor": {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}}]}, ');
    put('"model": {"type": "BPE", "vocab": {');
    const words = [];
    for (let i = 0; size < bytes * 0.6; i++) {
      const w = `\u0120w${i.toString(36)}`;
      words.push(w);
      put(`${i ? ', ' : ''}"${w}": ${i}`);
    }
    put('}, "merges": [');
    for (let i = 0; size < bytes - 64 && i + 1 < words.length; i++) put(`${i ? ', ' : ''}"${words[i]} ${words[i + 1]}"`);
    put(']}}');
  } finally {
    fs.closeSync(fd);
  }
  return { bytes: size };
}
