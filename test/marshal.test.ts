/**
 * The marshal reader summarises code objects without building them: real
 * CPython 3.11 blobs (test/fixtures/keras/*.marshal, written by
 * scripts/make-keras-fixtures.py), hand-built 3.8–3.10 and 3.0–3.7 layouts,
 * and broken input that must degrade to a best-effort summary, never a crash.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pickStrings, summarizeMarshal } from '../src/formats/keras/marshal.js';

const DIR = join(new URL('..', import.meta.url).pathname, 'test/fixtures/keras');
const blob = (name: string) => readFileSync(join(DIR, name));

// Hand-assembled marshal records (CPython Python/marshal.c type codes).
const FLAG_REF = 0x80;
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const cat = (...parts: (Buffer | number[])[]) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
const shortAscii = (s: string, ref = false) => cat([0x7a | (ref ? FLAG_REF : 0), s.length], Buffer.from(s, 'latin1'));
const unicode = (s: string) => cat([0x75], i32(Buffer.byteLength(s)), Buffer.from(s));
const bytes = (b: Buffer) => cat([0x73], i32(b.length), b);
const tuple = (...items: Buffer[]) => cat([0x29, items.length], ...items);
const ref = (n: number) => cat([0x72], i32(n));
const NONE = Buffer.from([0x4e]);
const int = (n: number) => cat([0x69], i32(n));

/**
 * A code object in the 3.8–3.10 layout (six ints, varnames/freevars/cellvars, lnotab), or with `py37` the
 * 3.0–3.7 one: five ints (no posonlyargcount).
 */
function code(name: string, consts: Buffer[], names: Buffer[], py37 = false): Buffer {
  return cat(
    [0x63],
    i32(1),
    ...(py37 ? [] : [i32(0)]),
    i32(0),
    i32(1),
    i32(2),
    i32(0x43),
    bytes(Buffer.from([0x64, 0x00, 0x53, 0x00])),
    tuple(...consts),
    tuple(...names),
    tuple(shortAscii('x')),
    tuple(),
    tuple(),
    shortAscii('<stdin>'),
    shortAscii(name),
    i32(1),
    bytes(Buffer.alloc(0)),
  );
}
const code38 = (name: string, consts: Buffer[], names: Buffer[]): Buffer => code(name, consts, names);
const code37 = (name: string, consts: Buffer[], names: Buffer[]): Buffer => code(name, consts, names, true);

describe('marshal reader: real CPython 3.11 code objects', () => {
  it('reads names and constants of a lambda calling os.system', () => {
    const s = summarizeMarshal(blob('marshal_os_system.marshal'));
    assert.equal(s.layout, '3.11+');
    assert.equal(s.partial, false);
    assert.equal(s.codeObjects, 1);
    assert.deepEqual(s.functions, ['<lambda>']);
    assert.deepEqual(s.names, ['__import__', 'system']);
    assert.deepEqual(s.strings, ['os', 'echo modelscan-fixture']);
  });

  it('follows nested code objects in co_consts', () => {
    const s = summarizeMarshal(blob('marshal_nested_def.marshal'));
    assert.equal(s.layout, '3.11+');
    assert.equal(s.codeObjects, 2);
    assert.deepEqual(s.functions, ['outer', 'inner']);
    assert.deepEqual(s.names.sort(), ['open', 'read']);
    assert.ok(s.strings.includes('/etc/hostname'));
  });

  it('keeps base64 payload constants of an exec lambda', () => {
    const s = summarizeMarshal(blob('marshal_exec_b64.marshal'));
    assert.deepEqual(s.names, ['exec', '__import__', 'b64decode']);
    assert.ok(s.strings.includes('base64'));
    assert.ok(s.strings.some((x) => x.startsWith('aW1wb3J0IG9z')));
  });

  it('finds nothing to name in a lambda doing arithmetic', () => {
    const s = summarizeMarshal(blob('marshal_benign.marshal'));
    assert.equal(s.codeObjects, 1);
    assert.deepEqual(s.names, []);
    assert.deepEqual(s.strings, []);
  });
});

describe('marshal reader: other CPython layouts', () => {
  it('reads the 3.8–3.10 layout', () => {
    const s = summarizeMarshal(
      code38('<lambda>', [NONE, shortAscii('os'), unicode('echo hi')], [shortAscii('__import__'), shortAscii('system')]),
    );
    assert.equal(s.layout, '3.8-3.10');
    assert.deepEqual(s.names, ['__import__', 'system']);
    assert.deepEqual(s.strings, ['os', 'echo hi']);
    assert.equal(s.partial, false);
  });

  it('reads the 3.0–3.7 layout, with a nested code object', () => {
    const inner = code37('inner', [NONE, shortAscii('/etc/passwd')], [shortAscii('open')]);
    const s = summarizeMarshal(code37('outer', [NONE, inner, shortAscii('outer.<locals>.inner')], [shortAscii('print')]));
    assert.equal(s.layout, '3.0-3.7');
    assert.deepEqual(s.functions, ['outer', 'inner']);
    assert.deepEqual(s.names.sort(), ['open', 'print']);
    assert.ok(s.strings.includes('/etc/passwd'));
  });

  it('resolves back-references (FLAG_REF / TYPE_REF) in the order CPython assigns them', () => {
    // The code object takes ref slot 0 before its fields; 'system' (flagged) then takes slot 1.
    const raw = code38('<lambda>', [NONE], [shortAscii('system', true), ref(1)]);
    raw[0] |= FLAG_REF;
    const s = summarizeMarshal(raw);
    assert.equal(s.layout, '3.8-3.10');
    assert.deepEqual(s.names, ['system']);
  });

  it('summarises a non-code object without a layout', () => {
    const s = summarizeMarshal(tuple(shortAscii('eval'), int(3), unicode('payload')));
    assert.equal(s.codeObjects, 0);
    assert.equal(s.layout, undefined);
    assert.deepEqual(s.strings, ['eval', 'payload']);
  });

  it('survives a container that refers to itself', () => {
    // A flagged tuple takes its slot before its items, so an item may point back at it.
    const s = summarizeMarshal(cat([0x28 | FLAG_REF], i32(2), shortAscii('a'), ref(0)));
    assert.deepEqual(s.strings, ['a']);
  });
});

describe('marshal reader: broken input never crashes', () => {
  it('falls back to picking strings out of a truncated code object', () => {
    const full = blob('marshal_os_system.marshal');
    const cut = full.subarray(0, full.length - 40);
    const s = summarizeMarshal(cut);
    assert.equal(s.partial, true);
    assert.equal(s.layout, undefined);
    assert.ok(s.names.includes('system'), `names: ${s.names}`);
  });

  it('every prefix of a real blob gives a summary', () => {
    const full = blob('marshal_nested_def.marshal');
    for (let n = 0; n <= full.length; n++) {
      const s = summarizeMarshal(full.subarray(0, n));
      assert.ok(Array.isArray(s.names));
      if (n === full.length) assert.equal(s.partial, false);
    }
  });

  it('rejects unknown type codes, bad references and absurd sizes without throwing', () => {
    for (const raw of [
      Buffer.from([0x3f]),
      cat([0x72], i32(5)),
      cat([0x28], i32(0x7fffffff)),
      cat([0x73], i32(-1)),
      cat([0x6c], i32(0x7fffffff)),
      Buffer.alloc(0),
    ]) {
      const s = summarizeMarshal(raw);
      assert.equal(s.partial, true);
      assert.equal(s.codeObjects, 0);
    }
  });

  it('stops at a nesting bound', () => {
    const deep = Buffer.concat([Buffer.alloc(100_000, 0x29).fill(Buffer.from([0x29, 0x01])), NONE]);
    const s = summarizeMarshal(deep);
    assert.equal(s.partial, true);
  });

  it('picks length-prefixed printable strings only', () => {
    assert.deepEqual(pickStrings(cat(shortAscii('system'), [0x7a, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05], unicode('os.popen'))), [
      'system',
      'os.popen',
    ]);
  });
});
