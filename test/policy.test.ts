/**
 * The pickle policy (src/pickle/policy.ts, policy-tables.ts, resolve.ts):
 * name resolution, the deny/allow/unknown tiers, structural evidence
 * (monkey-patching, call chains, computed imports, EXT), nested loaders and
 * static getattr. Each case is a hand-built pickle scanned as a file; the
 * findings are pinned exactly (sorted by position, then rule).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, DEFAULT_POLICY } from '../src/pickle/policy.js';
import { dottedReadings, resolveGlobal } from '../src/pickle/resolve.js';
import type { Issue } from '../src/scan/scan.js';
import {
  additems,
  append,
  appends,
  binbytes,
  binint1,
  binpersid,
  binunicode,
  build,
  emptyDict,
  emptySet,
  emptyTuple,
  ext1,
  ext2,
  ext4,
  global,
  inst,
  layout,
  mark,
  newobj,
  none,
  p4,
  persid,
  pk,
  proto,
  reduce,
  setitem,
  setitems,
  sg,
  shortBinbytes,
  shortUnicode,
  stackGlobal,
  stop,
  string,
  tuple,
  tuple1,
  tuple2,
  tuple3,
} from './helpers/assembler.js';
import { type Pin, pin, runStreams, scanBytes } from './helpers/scan-bytes.js';

const sorted = (pins: Pin[]): Pin[] => [...pins].sort((a, b) => a.position - b.position || a.rule.localeCompare(b.rule));
const pinsOf = (issues: Issue[]): Pin[] => sorted(issues.map(pin));
const P = (rule: string, severity: Pin['severity'], module: string, operator: string, position: number): Pin => ({
  rule,
  severity,
  module,
  operator,
  position,
});

async function scanned(bytes: Buffer) {
  const r = await scanBytes(bytes);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.scanned, ['payload.pkl']);
  return r;
}

const byRule = (issues: Issue[], rule: string) => issues.filter((i) => i.rule === rule);

describe('name resolution', () => {
  it('nt.system resolves to os.system (reported under the name written in the stream)', async () => {
    const L = layout(proto(4), sg('nt', 'system'), shortUnicode('echo hi'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [P('pickle/unsafe-global', 'CRITICAL', 'nt', 'system', L.last(1))]);
    assert.equal(r.issues[0].details?.resolved, 'os.system');
    assert.equal(r.issues[0].call, "os.system('echo hi')");
    assert.match(r.issues[0].description, /from module 'nt': os\.system /);
  });

  it('posix.system resolves to os.system', async () => {
    const L = layout(global('posix', 'system'), string('echo hi'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [P('pickle/unsafe-global', 'CRITICAL', 'posix', 'system', 0)]);
    assert.equal(r.issues[0].details?.resolved, 'os.system');
  });

  it('protocol 2 __builtin__.eval resolves to builtins.eval through _compat_pickle', async () => {
    const L = layout(proto(2), global('__builtin__', 'eval'), binunicode('1+1'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [P('pickle/unsafe-global', 'CRITICAL', '__builtin__', 'eval', 2)]);
    assert.equal(r.issues[0].details?.resolved, 'builtins.eval');
    assert.equal(r.issues[0].call, "builtins.eval('1+1')");
  });

  it('protocol 2 __builtin__.xrange is builtins.range (allowlisted): nothing to report', async () => {
    const r = await scanned(pk(proto(2), global('__builtin__', 'xrange'), binint1(3), tuple1(), reduce(), stop()));
    assert.deepEqual(r.issues, []);
    assert.deepEqual(resolveGlobal('__builtin__', 'xrange', 2), { module: 'builtins', name: 'range' });
  });

  it('_compat_pickle applies below protocol 3 only', async () => {
    assert.deepEqual(resolveGlobal('copy_reg', '_reconstructor', 2), { module: 'copyreg', name: '_reconstructor' });
    assert.deepEqual(resolveGlobal('copy_reg', '_reconstructor', 4), { module: 'copy_reg', name: '_reconstructor' });
    const p2 = await scanned(pk(proto(2), global('copy_reg', '_reconstructor'), stop()));
    assert.deepEqual(p2.issues, []);
    const L = layout(proto(4), sg('copy_reg', '_reconstructor'), stop());
    const p4r = await scanned(L.buf);
    assert.deepEqual(pinsOf(p4r.issues), [P('pickle/unknown-global', 'LOW', 'copy_reg', '_reconstructor', L.last(1))]);
  });

  it("a dotted name ('pathlib', 'os.system') at protocol 4 is os.system", async () => {
    const L = layout(proto(4), sg('pathlib', 'os.system'), shortUnicode('echo hi'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [P('pickle/unsafe-global', 'CRITICAL', 'pathlib', 'os.system', L.last(1))]);
    assert.match(r.issues[0].description, /os\.system runs commands/);
    assert.equal(r.issues[0].call, "pathlib.os.system('echo hi')");
    const v = classify(DEFAULT_POLICY, 'pathlib', 'os.system');
    assert.equal(v.tier, 'deny');
    assert.deepEqual(v.tier === 'deny' && [v.module, v.name], ['os', 'system']);
    assert.ok(dottedReadings('pathlib', 'os.system').some((x) => x.module === 'os' && x.name === 'system'));
  });

  it('an unknown dotted name is pickle/dotted-global MEDIUM', async () => {
    const L = layout(proto(4), sg('mylib', 'a.b'), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/dotted-global', 'MEDIUM', 'mylib', 'a.b', L.last(1)),
      P('pickle/unknown-global', 'LOW', 'mylib', 'a.b', L.last(1)),
    ]);
  });

  it('a name reaching an interpreter internal is pickle/dunder-global HIGH', async () => {
    const L = layout(proto(4), sg('mylib', '__globals__'), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/dunder-global', 'HIGH', 'mylib', '__globals__', L.last(1)),
      P('pickle/unknown-global', 'LOW', 'mylib', '__globals__', L.last(1)),
    ]);
  });

  it('allowlisted classes called the way pickles call them are silent', async () => {
    const r = await scanned(p4(sg('collections', 'OrderedDict'), emptyTuple(), reduce()));
    assert.deepEqual(r.issues, []);
  });
});

describe('structural evidence', () => {
  it("calling a call's result is pickle/call-of-call-result HIGH", async () => {
    const L = layout(proto(4), sg('mylib', 'factory'), emptyTuple(), reduce(), shortUnicode('x'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/unknown-global', 'MEDIUM', 'mylib', 'factory', L.last(1)),
      P('pickle/call-of-call-result', 'HIGH', 'mylib', 'factory', L.at(6)),
    ]);
    assert.equal(byRule(r.issues, 'pickle/call-of-call-result')[0].call, "mylib.factory()('x')");
  });

  it('BUILD on an imported (unknown) global is pickle/build-on-global HIGH', async () => {
    const L = layout(proto(4), sg('mylib', 'Config'), emptyDict(), build(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/unknown-global', 'LOW', 'mylib', 'Config', L.last(1)),
      P('pickle/build-on-global', 'HIGH', 'mylib', 'Config', L.at(3)),
    ]);
    assert.equal(byRule(r.issues, 'pickle/build-on-global')[0].call, 'mylib.Config.__setstate__({})');
  });

  it('BUILD on a denylisted global is pickle/build-on-global CRITICAL', async () => {
    const L = layout(proto(4), sg('os', 'environ'), emptyDict(), build(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/unsafe-global', 'CRITICAL', 'os', 'environ', L.last(1)),
      P('pickle/build-on-global', 'CRITICAL', 'os', 'environ', L.at(3)),
    ]);
  });

  for (const [name, ops, idx] of [
    ['SETITEM', [shortUnicode('k'), shortUnicode('v'), setitem()], 3],
    ['SETITEMS', [mark(), shortUnicode('k'), shortUnicode('v'), setitems()], 4],
    ['APPEND', [shortUnicode('v'), append()], 2],
    ['APPENDS', [mark(), shortUnicode('v'), appends()], 3],
  ] as const) {
    it(`${name} on an imported global is pickle/mutate-global HIGH`, async () => {
      const L = layout(proto(4), sg('mylib', 'REGISTRY'), ...ops, stop());
      const r = await scanned(L.buf);
      assert.deepEqual(pinsOf(r.issues), [
        P('pickle/unknown-global', 'LOW', 'mylib', 'REGISTRY', L.last(1)),
        P('pickle/mutate-global', 'HIGH', 'mylib', 'REGISTRY', L.at(1 + idx)),
      ]);
      assert.match(
        byRule(r.issues, 'pickle/mutate-global')[0].description,
        new RegExp(`^${name} modifies the imported object mylib\\.REGISTRY`),
      );
    });
  }

  it('ADDITEMS into a set the stream built is plain data', async () => {
    const r = await scanned(p4(emptySet(), mark(), binint1(1), binint1(2), additems()));
    assert.deepEqual(r.issues, []);
  });

  it('EXT1 is pickle/ext-opcode MEDIUM', async () => {
    const r = await scanned(p4(ext1(7)));
    assert.deepEqual(pinsOf(r.issues), [P('pickle/ext-opcode', 'MEDIUM', 'copyreg', 'extension 7', 2)]);
  });

  it('EXT2 and EXT4 too; calling the extension object adds pickle/call-of-opaque', async () => {
    assert.deepEqual(pinsOf((await scanned(p4(ext2(300)))).issues), [P('pickle/ext-opcode', 'MEDIUM', 'copyreg', 'extension 300', 2)]);
    assert.deepEqual(pinsOf((await scanned(p4(ext4(70000)))).issues), [P('pickle/ext-opcode', 'MEDIUM', 'copyreg', 'extension 70000', 2)]);
    const L = layout(proto(4), ext1(7), emptyTuple(), reduce(), stop());
    assert.deepEqual(pinsOf((await scanned(L.buf)).issues), [
      P('pickle/ext-opcode', 'MEDIUM', 'copyreg', 'extension 7', 2),
      P('pickle/call-of-opaque', 'MEDIUM', '', '', L.at(3)),
    ]);
  });

  it('STACK_GLOBAL with a call result as an operand is pickle/dynamic-global CRITICAL', async () => {
    const L = layout(
      proto(4),
      sg('mylib', 'name'),
      emptyTuple(),
      reduce(),
      shortUnicode('system'),
      stackGlobal(),
      shortUnicode('echo hi'),
      tuple1(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/unknown-global', 'MEDIUM', 'mylib', 'name', L.last(1)),
      P('pickle/dynamic-global', 'CRITICAL', '?', 'system', L.at(5)),
      P('pickle/call-of-opaque', 'MEDIUM', '', '', L.at(8)),
    ]);
    assert.match(byRule(r.issues, 'pickle/dynamic-global')[0].description, /\(mylib\.name\(\), 'system'\)/);
  });

  it('a repeated PROTO is a LOW oddity', async () => {
    const r = await scanned(pk(proto(4), proto(4), none(), stop()));
    assert.deepEqual(pinsOf(r.issues), [P('pickle/repeated-proto', 'LOW', '', '', 2)]);
  });

  it('a PROTO that is not the first opcode is a LOW oddity', async () => {
    const r = await scanned(pk(none(), [0x30], proto(4), none(), stop()));
    assert.deepEqual(pinsOf(r.issues), [P('pickle/late-proto', 'LOW', '', '', 2)]);
  });

  it('persistent ids alone are not findings (plain pickle.load refuses them)', async () => {
    assert.deepEqual((await scanned(pk(persid('abc'), stop()))).issues, []);
    assert.deepEqual((await scanned(p4(shortUnicode('k'), binpersid()))).issues, []);
  });
});

describe('nested payloads', () => {
  const inner = p4(sg('os', 'system'), shortUnicode('echo hi'), tuple1(), reduce());

  it("pickle.loads(b'<os.system pickle>') gives the loader finding and the nested os.system finding", async () => {
    const L = layout(proto(4), sg('pickle', 'loads'), binbytes(inner), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    const payloadStart = L.at(2) + 5;
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/unsafe-global', 'CRITICAL', 'pickle', 'loads', L.last(1)),
      P('pickle/unsafe-global', 'CRITICAL', 'os', 'system', payloadStart + 14),
    ]);
    const outer = r.issues.find((i) => i.operator === 'loads')!;
    assert.match(outer.call!, /^pickle\.loads\(b'\\x80\\x04\\x8c\\x02os/);
    const nested = r.issues.find((i) => i.operator === 'system')!;
    assert.ok(nested.description.startsWith('['), nested.description);
    assert.equal(
      nested.description,
      `[pickle.loads payload at offset ${L.at(4)}] Use of unsafe operator 'system' from module 'os': os.system runs commands or touches the system`,
    );
    assert.ok(nested.position >= payloadStart && nested.position < payloadStart + inner.length, 'offset inside the outer file');
    assert.equal(nested.call, "os.system('echo hi')");
    assert.equal(nested.details?.embedded, `pickle.loads payload at offset ${L.at(4)}`);
  });

  it('_pickle.loads with SHORT_BINBYTES is pickle.loads', async () => {
    const L = layout(proto(4), sg('_pickle', 'loads'), shortBinbytes(inner), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/unsafe-global', 'CRITICAL', '_pickle', 'loads', L.last(1)),
      P('pickle/unsafe-global', 'CRITICAL', 'os', 'system', L.at(2) + 2 + 14),
    ]);
    assert.equal(r.issues.find((i) => i.module === '_pickle')!.details?.resolved, 'pickle.loads');
  });

  it('a loader imported but never called is still CRITICAL', async () => {
    const L = layout(proto(4), sg('dill', 'loads'), stop());
    assert.deepEqual(pinsOf((await scanned(L.buf)).issues), [P('pickle/unsafe-global', 'CRITICAL', 'dill', 'loads', L.last(1))]);
  });

  it('a payload nested through runPickleStreams is left for the format scanner (judge.nested)', async () => {
    const L = layout(proto(4), sg('pickle', 'loads'), binbytes(inner), tuple1(), reduce(), stop());
    const { findings, outcome } = await runStreams(L.buf);
    assert.deepEqual(
      findings.map((f) => [f.rule, f.operator]),
      [['pickle/unsafe-global', 'loads']],
    );
    assert.equal(outcome.judge.nested.length, 1);
    assert.deepEqual(outcome.judge.nested[0].span, { offset: L.at(2) + 5, length: inner.length });
    assert.equal(outcome.judge.nested[0].loader, 'pickle.loads');
  });
});

describe('unknown globals are graded by use', () => {
  it('an unknown class instantiated via NEWOBJ is LOW', async () => {
    const L = layout(proto(4), sg('mylib', 'Model'), emptyTuple(), newobj(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [P('pickle/unknown-global', 'LOW', 'mylib', 'Model', L.last(1))]);
    assert.equal(r.issues[0].details?.usage, 'instantiated (NEWOBJ)');
  });

  it('an unknown function called with a string is HIGH', async () => {
    const L = layout(proto(4), sg('mylib', 'run'), shortUnicode('rm -rf'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [P('pickle/unknown-global', 'HIGH', 'mylib', 'run', L.last(1))]);
    assert.equal(r.issues[0].call, "mylib.run('rm -rf')");
    assert.equal(r.issues[0].details?.usage, 'called with string arguments');
  });

  it('an unknown class called with a string is MEDIUM', async () => {
    const L = layout(proto(4), sg('mylib', 'Model'), shortUnicode('x'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [P('pickle/unknown-global', 'MEDIUM', 'mylib', 'Model', L.last(1))]);
    assert.equal(r.issues[0].details?.usage, 'instantiated with string arguments');
  });

  it('an unknown class instantiated by INST with a string is MEDIUM', async () => {
    const L = layout(mark(), string('x'), inst('mylib', 'Model'), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [P('pickle/unknown-global', 'MEDIUM', 'mylib', 'Model', L.at(2))]);
  });

  it('an unknown class called with plain data is LOW; an unknown function with plain data is MEDIUM', async () => {
    const cls = layout(proto(4), sg('mylib', 'Model'), binint1(3), tuple1(), reduce(), stop());
    assert.deepEqual(pinsOf((await scanned(cls.buf)).issues), [P('pickle/unknown-global', 'LOW', 'mylib', 'Model', cls.last(1))]);
    const fn = layout(proto(4), sg('mylib', 'run'), binint1(3), tuple1(), reduce(), stop());
    assert.deepEqual(pinsOf((await scanned(fn.buf)).issues), [P('pickle/unknown-global', 'MEDIUM', 'mylib', 'run', fn.last(1))]);
  });

  it('an unknown function called with another global is MEDIUM', async () => {
    const L = layout(proto(4), sg('mylib', 'run'), sg('mylib', 'Other'), tuple1(), reduce(), stop());
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/unknown-global', 'MEDIUM', 'mylib', 'run', L.last(1)),
      P('pickle/unknown-global', 'LOW', 'mylib', 'Other', L.last(2)),
    ]);
  });

  it('an unknown global that is only imported is LOW', async () => {
    const L = layout(proto(4), sg('mylib', 'thing'), stop());
    assert.deepEqual(pinsOf((await scanned(L.buf)).issues), [P('pickle/unknown-global', 'LOW', 'mylib', 'thing', L.last(1))]);
  });
});

describe('static getattr', () => {
  it('getattr(<GLOBAL pathlib os>, "system")("echo hi") is os.system CRITICAL', async () => {
    const L = layout(
      global('builtins', 'getattr'),
      mark(),
      global('pathlib', 'os'),
      string('system'),
      tuple(),
      reduce(),
      mark(),
      string('echo hi'),
      tuple(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    // One finding for the gadget, at the lookup, showing the call that would run.
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/unknown-global', 'LOW', 'pathlib', 'os', L.at(2)),
      P('pickle/unsafe-global', 'CRITICAL', 'os', 'system', L.at(5)),
    ]);
    const [lookup] = byRule(r.issues, 'pickle/unsafe-global');
    assert.match(lookup.description, /reached through getattr\(pathlib\.os, …\)/);
    assert.equal(lookup.call, "builtins.getattr(pathlib.os, 'system')('echo hi')");
  });

  it('getattr(<module global codecs.builtins>, "eval")("1+1") is builtins.eval CRITICAL', async () => {
    const L = layout(
      proto(4),
      sg('builtins', 'getattr'),
      sg('codecs', 'builtins'),
      shortUnicode('eval'),
      tuple2(),
      reduce(),
      shortUnicode('1+1'),
      tuple1(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/unknown-global', 'LOW', 'codecs', 'builtins', L.last(2)),
      P('pickle/unsafe-global', 'CRITICAL', 'builtins', 'eval', L.at(5)),
    ]);
  });

  it('getattr with a computed attribute name is builtins.getattr CRITICAL', async () => {
    const L = layout(
      proto(4),
      sg('builtins', 'getattr'),
      sg('pathlib', 'os'),
      sg('mylib', 'name'),
      emptyTuple(),
      reduce(),
      tuple2(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.deepEqual(pinsOf(r.issues), [
      P('pickle/unknown-global', 'LOW', 'pathlib', 'os', L.last(2)),
      P('pickle/unknown-global', 'MEDIUM', 'mylib', 'name', L.last(3)),
      P('pickle/unsafe-global', 'CRITICAL', 'builtins', 'getattr', L.at(7)),
    ]);
  });

  it('getattr imported and never called is CRITICAL', async () => {
    const L = layout(proto(4), sg('builtins', 'getattr'), stop());
    assert.deepEqual(pinsOf((await scanned(L.buf)).issues), [P('pickle/unsafe-global', 'CRITICAL', 'builtins', 'getattr', L.last(1))]);
  });

  it('getattr(X, "missing", builtins.setattr)(target, name, value) calls setattr: CRITICAL', async () => {
    const L = layout(
      proto(4),
      sg('builtins', 'getattr'),
      sg('collections', 'OrderedDict'),
      shortUnicode('missing'),
      sg('builtins', 'setattr'),
      tuple3(),
      reduce(),
      sg('mylib', 'Target'),
      shortUnicode('attr'),
      sg('mylib', 'evil'),
      tuple3(),
      reduce(),
      stop(),
    );
    const r = await scanned(L.buf);
    assert.ok(
      r.issues.some((i) => i.severity === 'CRITICAL'),
      JSON.stringify(r.issues.map(pin)),
    );
  });
});
