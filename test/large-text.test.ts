/**
 * Large JSON next to models (a tokenizer.json of tens of MB) is searched in
 * chunks before any text format reads or parses it whole; these tests check
 * that the shortcuts never hide what the full analyses find: a template or
 * auto_map deep in a large file, and keys spelled with escapes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BufferSource } from '../src/io/byte-source.js';
import { textMatches } from '../src/io/text.js';
import { routeBytes, scanBytes } from './helpers/scan-bytes.js';

/** A tokenizer.json-like document of about `mb` MB whose vocabulary pushes `tail` to the end. */
function bigJson(mb: number, tail: string): string {
  const vocab: string[] = [];
  for (let i = 0, size = 0; size < mb * 1e6; i++) {
    const entry = `"tok\u0120${i.toString(36)}": ${i}`;
    vocab.push(entry);
    size += entry.length + 2;
  }
  return `{"version": "1.0", "post_processor": {"type": "TemplateProcessing"}, "model": {"type": "BPE", "vocab": {${vocab.join(', ')}}}${tail}}`;
}

describe('large text files', () => {
  it('a 20 MB tokenizer.json that mentions TemplateProcessing is no model format, and nothing is reported', async () => {
    const r = await scanBytes(Buffer.from(bigJson(20, '')), 'tokenizer.json');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.scanned, []);
  });

  it('a chat template at the end of an 18 MB config is found and judged', async () => {
    const r = await scanBytes(
      Buffer.from(bigJson(18, `, "chat_template": "{{ ''.__class__.__mro__[1].__subclasses__() }}"`)),
      'tokenizer_config.json',
    );
    assert.ok(
      r.issues.some((i) => i.severity === 'CRITICAL' && i.scanner === 'modelscan.scanners.ChatTemplateScan'),
      JSON.stringify(r.issues.map((i) => [i.severity, i.rule])),
    );
  });

  it('auto_map at the end of a config over the parse cap is still reported', async () => {
    const r = await scanBytes(Buffer.from(bigJson(18, `, "auto_map": {"AutoModel": "modeling_evil.EvilModel"}`)), 'config.json');
    assert.deepEqual(
      r.issues.map((i) => [i.severity, i.rule]),
      [['MEDIUM', 'config/too-large']],
    );
  });

  it('a Keras config whose keys are spelled with escapes is analysed like the plain one', async () => {
    const plain = readFileSync(new URL('./fixtures/keras/lambda_architecture.json', import.meta.url), 'utf8');
    const hidden = plain.replaceAll('"class_name"', '"cl\\u0061ss_name"');
    assert.notEqual(hidden, plain);
    const a = await routeBytes('model.json', plain);
    const b = await routeBytes('model.json', hidden);
    assert.equal(b.format, 'keras-config');
    assert.deepEqual(
      b.findings.map((f) => [f.severity, f.rule]),
      a.findings.map((f) => [f.severity, f.rule]),
    );
  });

  it('textMatches sees a match across a chunk boundary and none where there is none', async () => {
    const filler = Buffer.alloc((1 << 20) - 3, 0x61);
    const src = new BufferSource('t', Buffer.concat([filler, Buffer.from('auto_map'), filler]));
    assert.equal(await textMatches(src, /auto_map/), true);
    assert.equal(await textMatches(src, /_target_/), false);
  });
});
