/**
 * The pickle simulator (src/pickle/vm.ts) driven end to end: hand-built
 * opcode sequences go through scan() (as files in a temp dir) or straight
 * through runPickleStreams, and the findings are pinned exactly.
 *
 * Positions are byte offsets of the opcode that imported (or did) the thing;
 * they are computed from the assembled parts with layout() rather than
 * counted by hand.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exitCodeFor } from '../src/cli/exit-codes.js';
import { WindowReader } from '../src/io/bounded-reader.js';
import { BufferSource } from '../src/io/byte-source.js';
import { PickleJudge } from '../src/pickle/policy.js';
import { resolveGlobal } from '../src/pickle/resolve.js';
import { DEFAULT_LIMITS, PickleMachine } from '../src/pickle/vm.js';
import type { Issue } from '../src/scan/scan.js';
import {
  append,
  binbytes,
  binbytes8,
  binget,
  binput,
  binunicode8,
  bytearray8,
  dup,
  emptyDict,
  float,
  frame,
  get,
  global,
  inst,
  layout,
  list,
  longBinget,
  longBinput,
  mark,
  memoize,
  newobjEx,
  none,
  obj,
  p4,
  pk,
  pop,
  popMark,
  proto,
  put,
  reduce,
  sg,
  shortBinbytes,
  shortUnicode,
  stackGlobal,
  stop,
  string,
  tuple,
  tuple1,
  unicode,
} from './helpers/assembler.js';
import { type Pin, pin, runStreams, scanBytes, scanFiles } from './helpers/scan-bytes.js';

const ROOT = new URL('..', import.meta.url).pathname;

const sorted = (pins: Pin[]): Pin[] => [...pins].sort((a, b) => a.position - b.position || a.rule.localeCompare(b.rule));
const pinsOf = (issues: Issue[]): Pin[] => sorted(issues.map(pin));

const osSystem = (position: number): Pin => ({
  rule: 'pickle/unsafe-global',
  severity: 'CRITICAL',
  module: 'os',
  operator: 'system',
  position,
});

/** Scans bytes and checks the file was scanned as a pickle without errors. */
async function scanned(bytes: Buffer) {
  const r = await scanBytes(bytes);
  assert.deepEqual(r.errors, [], 'no scan errors');
  assert.deepEqual(r.scanned, ['payload.pkl'], 'scanned as a pickle');
  return r;
}

describe('os.system is found whatever feeds the import', () => {
  it('GLOBAL + REDUCE, protocol 0', async () => {
    const L = layout(global('os', 'system'), mark(), string('echo hi'), tuple(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(0))]);
    assert.equal(r.issues[0].call, "os.system('echo hi')");
    assert.equal(r.issues[0].details?.opcode, 'GLOBAL');
    assert.equal(r.issues[0].details?.calls, 1);
  });

  it('STACK_GLOBAL with SHORT_BINUNICODE operands', async () => {
    const L = layout(
      proto(4),
      shortUnicode('os'),
      shortUnicode('system'),
      stackGlobal(),
      shortUnicode('echo hi'),
      tuple1(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(3))]);
    assert.equal(L.at(3), 14);
    assert.equal(r.issues[0].call, "os.system('echo hi')");
    assert.equal(r.issues[0].details?.opcode, 'STACK_GLOBAL');
  });

  it('STACK_GLOBAL with operands read back from the memo (BINPUT/BINGET)', async () => {
    const L = layout(
      proto(4),
      shortUnicode('os'),
      binput(0),
      pop(),
      shortUnicode('system'),
      binput(1),
      pop(),
      binget(0),
      binget(1),
      stackGlobal(),
      shortUnicode('echo hi'),
      tuple1(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(9))]);
    assert.equal(r.issues[0].call, "os.system('echo hi')");
  });

  it('STACK_GLOBAL with operands memoized by MEMOIZE', async () => {
    const L = layout(
      proto(4),
      shortUnicode('os'),
      memoize(),
      shortUnicode('system'),
      memoize(),
      pop(),
      pop(),
      binget(0),
      binget(1),
      stackGlobal(),
      shortUnicode('echo hi'),
      tuple1(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(9))]);
  });

  it('STACK_GLOBAL with operands from LONG_BINPUT/LONG_BINGET (sparse memo key)', async () => {
    const L = layout(
      proto(4),
      shortUnicode('os'),
      longBinput(70000),
      pop(),
      shortUnicode('system'),
      longBinput(1),
      longBinget(70000),
      longBinget(1),
      stackGlobal(),
      shortUnicode('echo hi'),
      tuple1(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(8))]);
  });

  it('STACK_GLOBAL with a DUP-ed operand', async () => {
    const L = layout(
      proto(4),
      shortUnicode('os'),
      dup(),
      pop(),
      shortUnicode('system'),
      stackGlobal(),
      shortUnicode('echo hi'),
      tuple1(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(5))]);
  });

  it('STACK_GLOBAL with DUP leaving an extra copy below (stack not emptied at STOP)', async () => {
    const L = layout(
      proto(4),
      shortUnicode('os'),
      dup(),
      shortUnicode('system'),
      stackGlobal(),
      shortUnicode('echo hi'),
      tuple1(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(4))]);
  });

  it('STACK_GLOBAL with protocol-0 STRING operands', async () => {
    const L = layout(proto(4), string('os'), string('system'), stackGlobal(), string('echo hi'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(3))]);
    assert.equal(r.issues[0].call, "os.system('echo hi')");
  });

  it('STACK_GLOBAL with protocol-0 UNICODE operands and text PUT/GET memo', async () => {
    const L = layout(
      unicode('os'),
      put(0),
      pop(),
      string('system'),
      put(1),
      pop(),
      get(0),
      get(1),
      stackGlobal(),
      unicode('echo hi'),
      tuple1(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(8))]);
  });

  it('INST imports and calls in one opcode', async () => {
    const L = layout(mark(), string('echo hi'), inst('os', 'system'), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(2))]);
    assert.equal(r.issues[0].call, "os.system('echo hi')");
    assert.equal(r.issues[0].details?.opcode, 'INST');
  });

  it('OBJ calls the first marked item with the rest', async () => {
    const L = layout(mark(), global('os', 'system'), string('echo hi'), obj(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(1))]);
    assert.equal(r.issues[0].call, "os.system('echo hi')");
    assert.equal(r.issues[0].details?.calls, 1);
  });

  it('NEWOBJ_EX', async () => {
    const L = layout(proto(4), sg('os', 'system'), shortUnicode('echo hi'), tuple1(), emptyDict(), newobjEx(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.last(1))]);
    assert.equal(r.issues[0].call, "os.system('echo hi')");
  });

  it('a call whose result is POPped is still reported', async () => {
    const L = layout(proto(4), sg('os', 'system'), shortUnicode('echo hi'), tuple1(), reduce(), pop(), none(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.last(1))]);
    assert.equal(r.issues[0].call, "os.system('echo hi')");
  });

  it('a call discarded by POP_MARK is still reported', async () => {
    const L = layout(proto(4), mark(), sg('os', 'system'), shortUnicode('echo hi'), tuple1(), reduce(), popMark(), none(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.last(2))]);
  });

  it('inside a FRAME', async () => {
    const body = pk(sg('os', 'system'), shortUnicode('echo hi'), tuple1(), reduce(), stop());
    const L = layout(proto(4), frame(body.length), body);
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(2) + 12)]);
  });

  it('a FRAME announcing more bytes than the file has is an oddity, and scanning goes on', async () => {
    const L = layout(proto(4), frame(1000), sg('os', 'system'), shortUnicode('echo hi'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      { rule: 'pickle/frame-truncated', severity: 'LOW', module: '', operator: '', position: 2 },
      osSystem(L.last(2)),
    ]);
  });
});

describe('stream boundaries and malformed input', () => {
  it('two stacked pickles with the payload in the second', async () => {
    const first = p4(none());
    const L = layout(first, proto(4), sg('os', 'system'), shortUnicode('echo hi'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.last(2))]);
    assert.equal(L.last(2), 18);
    const { outcome } = await runStreams(L.buf);
    assert.equal(outcome.streams.length, 2);
    assert.ok(outcome.streams.every((s) => s.ok));
    assert.deepEqual(
      outcome.streams.map((s) => [s.start, s.end]),
      [
        [0, 4],
        [4, L.buf.length],
      ],
    );
  });

  it('trailing garbage after STOP is pickle/trailing-data LOW', async () => {
    const bytes = pk(p4(none()), 'garbage!!');
    const r = await scanned(bytes);
    assert.deepEqual(pinsOf(r.issues), [{ rule: 'pickle/trailing-data', severity: 'LOW', module: '', operator: '', position: 4 }]);
    assert.match(r.issues[0].description, /^9 bytes after the last pickle/);
  });

  it('a stream truncated after the payload keeps the payload finding and adds pickle/malformed', async () => {
    const L = layout(proto(4), sg('os', 'system'), shortUnicode('echo hi'), tuple1(), reduce());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      osSystem(L.last(1)),
      { rule: 'pickle/malformed', severity: 'MEDIUM', module: '', operator: '', position: L.buf.length },
    ]);
    const m = r.issues.find((i) => i.rule === 'pickle/malformed')!;
    assert.match(m.description, /truncated \(no STOP opcode\)/);
    assert.equal(r.issues.find((i) => i.rule === 'pickle/unsafe-global')!.call, "os.system('echo hi')");
  });

  it('a missing memo key is pickle/malformed at the GET', async () => {
    const L = layout(proto(4), none(), pop(), binget(5), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [{ rule: 'pickle/malformed', severity: 'MEDIUM', module: '', operator: '', position: L.at(3) }]);
    assert.match(r.issues[0].description, /Memo value not found at index 5/);
  });

  it('a missing memo key after an import keeps the import finding', async () => {
    const L = layout(proto(4), sg('os', 'system'), binget(5), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      osSystem(L.last(1)),
      { rule: 'pickle/malformed', severity: 'MEDIUM', module: '', operator: '', position: L.at(2) },
    ]);
  });

  it('PROTO then an immediate memo miss is not taken for a pickle, but a .pkl is never reported clean', async () => {
    // Fewer than three opcodes before the failure and nothing imported: routed as "not a pickle".
    const r = await scanBytes(p4(binget(5)));
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.scanned, []);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].category, 'MODEL_SCAN');
    assert.notEqual(exitCodeFor(r), 0);
  });

  it('an unknown opcode is pickle/malformed', async () => {
    const L = layout(proto(4), none(), [0xff], stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [{ rule: 'pickle/malformed', severity: 'MEDIUM', module: '', operator: '', position: 3 }]);
    assert.match(r.issues[0].description, /invalid load key, '\\xff'/);
  });

  it('an unknown opcode after an import keeps the import finding', async () => {
    const L = layout(proto(4), sg('os', 'system'), [0xff], stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      osSystem(L.last(1)),
      { rule: 'pickle/malformed', severity: 'MEDIUM', module: '', operator: '', position: L.at(2) },
    ]);
  });

  for (const [name, opcode, message] of [
    ['BINBYTES declaring 2^31 bytes', binbytes('abc', { declaredLength: 2 ** 31 }), /BINBYTES declares 2147483648 bytes but only 4 remain/],
    ['BINBYTES8 declaring 2^62 bytes', binbytes8('abc', { declaredLength: 2n ** 62n }), /BINBYTES8 declares \d+ bytes but only 4 remain/],
    ['BYTEARRAY8 declaring 2^40 bytes', bytearray8('abc', { declaredLength: 2n ** 40n }), /BYTEARRAY8 declares 1099511627776 bytes/],
    ['BINUNICODE8 declaring 2^40 bytes', binunicode8('abc', { declaredLength: 2n ** 40n }), /BINUNICODE8 declares 1099511627776 bytes/],
  ] as const) {
    it(`${name} in a tiny file is truncated/malformed, without allocating`, async () => {
      const L = layout(proto(4), none(), pop(), opcode, stop());
      const before = process.memoryUsage().arrayBuffers;
      const { findings, outcome } = await runStreams(L.buf);
      const grown = process.memoryUsage().arrayBuffers - before;
      assert.ok(grown < 32 << 20, `arrayBuffers grew by ${grown} bytes`);
      assert.equal(outcome.isPickle, true);
      assert.equal(outcome.streams.length, 1);
      assert.equal(outcome.streams[0].ok, false);
      assert.equal(outcome.streams[0].error?.kind, 'truncated');
      assert.deepEqual(
        findings.map((f) => ({ rule: f.rule, severity: f.severity, offset: f.offset })),
        [{ rule: 'pickle/malformed', severity: 'MEDIUM', offset: L.at(3) }],
      );
      assert.match(findings[0].description, message);
    });
  }

  it('a lying BINBYTES length right after an import keeps the import finding', async () => {
    const L = layout(proto(4), sg('os', 'system'), binbytes('abc', { declaredLength: 2 ** 31 }), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      osSystem(L.last(1)),
      { rule: 'pickle/malformed', severity: 'MEDIUM', module: '', operator: '', position: L.at(2) },
    ]);
  });

  it('a SHORT_BINBYTES running off the end is truncated inside SHORT_BINBYTES', async () => {
    const L = layout(proto(4), none(), pop(), shortBinbytes('abc', { declaredLength: 200 }));
    const { findings, outcome } = await runStreams(L.buf);
    assert.equal(outcome.streams[0].error?.kind, 'truncated');
    assert.equal(findings.length, 1);
    assert.equal(findings[0].rule, 'pickle/malformed');
    assert.equal(findings[0].offset, L.at(3));
    assert.match(findings[0].description, /truncated inside SHORT_BINBYTES/);
  });

  it('a bare PROTO + huge BINBYTES is not taken for a pickle, but a .pkl is never reported clean', async () => {
    const r = await scanBytes(pk(proto(4), binbytes('abc', { declaredLength: 2 ** 31 }), stop()));
    assert.deepEqual(r.issues, []);
    assert.deepEqual(
      r.errors.map((e) => e.category),
      ['MODEL_SCAN'],
    );
    assert.notEqual(exitCodeFor(r), 0);
  });

  it('an unsupported protocol (PROTO 6) is rejected', async () => {
    const { outcome } = await runStreams(pk(proto(6), none(), stop()));
    assert.equal(outcome.streams[0].ok, false);
    assert.match(outcome.streams[0].error!.message, /unsupported pickle protocol: 6/);
  });
});

describe('protocol-0 FLOAT spellings that CPython accepts', () => {
  // _pickle.c load_float uses PyOS_string_to_double, which accepts inf/nan/infinity in any case;
  // the simulator uses Number(), which does not, and gives up on the stream before the payload.
  const payloadAfter = (spelling: string) =>
    layout(mark(), list(), float(spelling), append(), pop(), global('os', 'system'), mark(), string('echo hi'), tuple(), reduce(), stop());

  for (const spelling of ['nan', '-nan', 'Infinity', '-Infinity']) {
    it(`F${spelling} before os.system is parsed and the payload found`, async () => {
      const L = payloadAfter(spelling);
      const r = await scanned(L.buf);
      assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(5))]);
    });
  }

  for (const spelling of ['inf', '-inf', '+inf', 'infinity', 'INF']) {
    it(`F${spelling} before os.system does not hide the payload`, async () => {
      const L = payloadAfter(spelling);
      const r = await scanBytes(L.buf);
      assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(5))]);
    });
  }

  it('a .txt holding such a pickle next to a clean model does not make the folder pass', async () => {
    const evil = pk(
      mark(),
      list(),
      float('inf'),
      append(),
      pop(),
      global('os', 'system'),
      mark(),
      string('echo hi'),
      tuple(),
      reduce(),
      stop(),
    );
    const r = await scanFiles({ 'clean.pkl': p4(none()), 'notes.txt': evil });
    assert.notEqual(exitCodeFor(r), 0);
    assert.ok(r.issues.some((i) => i.severity === 'CRITICAL' && i.source === 'notes.txt'));
  });

  it('a second stacked stream that starts with Finf does not hide its payload as trailing data', async () => {
    const L = layout(
      p4(none()),
      mark(),
      list(),
      float('inf'),
      append(),
      pop(),
      global('os', 'system'),
      mark(),
      string('echo hi'),
      tuple(),
      reduce(),
      stop(),
    );
    const r = await scanBytes(L.buf);
    assert.deepEqual(pinsOf(r.issues), [osSystem(L.at(6))]);
  });

  it('ordinary protocol-0 floats parse', async () => {
    const r = await scanned(pk(mark(), list(), float('0.5'), append(), float('-1.25'), append(), float('1e5'), append(), stop()));
    assert.deepEqual(r.issues, []);
  });
});

describe('reader window size does not change the result', () => {
  const files = ['test/fixtures/pickle/real', 'test/fixtures/pickle/malicious', 'examples'].flatMap((d) =>
    readdirSync(join(ROOT, d))
      .filter((f) => !f.endsWith('.md'))
      .map((f) => join(d, f)),
  );
  const handBuilt: Record<string, Buffer> = {
    'protocol-0 memo operands': pk(
      unicode('os'),
      put(0),
      pop(),
      string('system'),
      put(1),
      pop(),
      get(0),
      get(1),
      stackGlobal(),
      unicode('echo hi'),
      tuple1(),
      reduce(),
      stop(),
    ),
    'lying FRAME': pk(proto(4), frame(1000), sg('os', 'system'), shortUnicode('echo hi'), tuple1(), reduce(), stop()),
    truncated: pk(proto(4), sg('os', 'system'), shortUnicode('echo hi'), tuple1(), reduce()),
  };

  async function fingerprint(bytes: Buffer, window: number): Promise<string> {
    const judge = new PickleJudge();
    const res = await new PickleMachine(new WindowReader(new BufferSource('mem', bytes), 0, window), judge, {
      resolve: resolveGlobal,
      limits: DEFAULT_LIMITS,
    }).run();
    judge.flush();
    return JSON.stringify({
      ok: res.ok,
      end: res.ok ? res.end : undefined,
      opcodes: res.opcodes,
      actions: res.actions,
      protocol: res.protocol,
      error: res.error,
      findings: judge.findings.map((f) => [f.rule, f.severity, f.module, f.operator, f.offset, f.call]),
    });
  }

  it('windows of 1, 2, 3, 7, 64 bytes and 1 MiB agree on every fixture and on hand-built streams', async () => {
    const inputs: [string, Buffer][] = [
      ...files.map((f) => [f, readFileSync(join(ROOT, f))] as [string, Buffer]),
      ...Object.entries(handBuilt),
    ];
    for (const [name, bytes] of inputs) {
      const ref = await fingerprint(bytes, 1 << 20);
      for (const w of [1, 2, 3, 7, 64]) assert.equal(await fingerprint(bytes, w), ref, `${name} with a ${w}-byte window`);
    }
  });
});

describe('never crashes', () => {
  it('mutated fixtures always resolve (findings or malformed, never an exception)', async () => {
    const dirs = ['test/fixtures/pickle/real', 'test/fixtures/pickle/malicious'];
    const seeds = dirs.flatMap((d) => readdirSync(join(ROOT, d)).map((f) => readFileSync(join(ROOT, d, f)))).filter((b) => b.length < 8192);
    let state = 12345;
    const rnd = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const interesting = [0x80, 0x93, 0x52, 0x81, 0x92, 0x62, 0x73, 0x28, 0x30, 0x31, 0x32, 0x94, 0x68, 0x71, 0x95, 0x8c, 0x2e, 0x8e, 0x42];
    for (let it = 0; it < 600; it++) {
      const b = Buffer.from(seeds[Math.floor(rnd() * seeds.length)]);
      for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
        const p = Math.floor(rnd() * b.length);
        const m = rnd();
        if (m < 0.5) b[p] = Math.floor(rnd() * 256);
        else if (m < 0.8) b[p] = interesting[Math.floor(rnd() * interesting.length)];
        else if (b.length >= 4) b.writeUInt32LE(Math.floor(rnd() * 2 ** 32), Math.min(p, b.length - 4));
      }
      const input = rnd() < 0.2 ? b.subarray(0, Math.floor(rnd() * b.length)) : b;
      await assert.doesNotReject(runStreams(input), `iteration ${it}: ${input.toString('hex').slice(0, 200)}`);
    }
  });
});
