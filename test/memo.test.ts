import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferSource } from '../src/io/byte-source.js';
import { ELIDED, Memo } from '../src/pickle/memo.js';
import { runPickleStreams } from '../src/pickle/streams.js';
import { newContainer } from '../src/pickle/values.js';
import type { Finding } from '../src/scan/findings.js';
import { DEFAULT_SCAN_LIMITS } from '../src/scan/limits.js';
import { binget, memoize, none, pk, pop, proto, shortUnicode, stop } from './helpers/assembler.js';

describe('Memo', () => {
  it('MEMOIZE keys follow the number of distinct keys, as _pickle.c memo_len', () => {
    const m = new Memo();
    m.put(m.length, 'a');
    m.put(m.length, 'b');
    assert.equal(m.length, 2);
    m.put(1, 'B'); // overwriting keeps the count
    assert.equal(m.length, 2);
    m.put(7, 'x'); // a PUT far ahead still counts once
    assert.equal(m.length, 3);
    m.put(m.length, 'c'); // key 3
    assert.deepEqual([m.get(0), m.get(1), m.get(3), m.get(7), m.get(2)], ['a', 'B', 'c', 'x', undefined]);
  });

  it('keys across chunk boundaries and far-away keys', () => {
    const m = new Memo();
    for (let k = 0; k < 70_000; k++) assert.ok(m.put(k, k));
    assert.equal(m.get(65_535), 65_535);
    assert.equal(m.get(65_536), 65_536);
    assert.ok(m.put(4_000_000_000, 'far'));
    assert.equal(m.get(4_000_000_000), 'far');
    assert.equal(m.length, 70_001);
    assert.equal(m.get(-1), undefined);
  });

  it('a key first stored far away and later reached densely is counted once', () => {
    const m = new Memo();
    m.put(2_000_000, 'sparse');
    for (let k = 0; k < 20; k++) m.put(k, k);
    const before = m.length;
    m.put(2_000_000, 'again');
    assert.equal(m.length, before);
    assert.equal(m.get(2_000_000), 'again');
  });

  it('refuses entries past its cap', () => {
    const m = new Memo(1 << 20, 3);
    assert.ok(m.put(0, 1) && m.put(1, 2) && m.put(2, 3));
    assert.equal(m.put(3, 4), false);
    assert.ok(m.put(1, 5), 'overwriting an existing key is not a new entry');
  });

  it('past its budget drops containers and non-name strings but keeps names and globals', () => {
    const m = new Memo(200);
    const big = newContainer('list', [1, 2, 3]);
    m.put(0, big); // 64 + 24 bytes: kept
    m.put(1, 'x'.repeat(200)); // over budget, not a name: dropped
    m.put(2, 'torch._utils'); // a name: kept whatever the budget
    m.put(3, newContainer('tuple', [1, 2, 3, 4, 5, 6])); // 112 more bytes: over budget
    const g = { t: 'global', rawModule: 'os', rawName: 'system', module: 'os', name: 'system', offset: 0 } as const;
    m.put(4, g);
    assert.equal(m.get(0), big, 'lists are kept by identity (APPENDs may follow)');
    assert.equal(m.elidedRead, false, 'nothing summarised has been read back yet');
    assert.equal(m.get(1), ELIDED);
    assert.equal(m.elidedRead, true);
    assert.equal(m.get(2), 'torch._utils');
    assert.equal(m.get(3), ELIDED);
    assert.equal(m.get(4), g);
    assert.equal(m.budgetHit, true);
  });

  it('keeps a copy of tuples, equal in content', () => {
    const m = new Memo();
    const t = newContainer('tuple', [1, 'a']);
    m.put(0, t);
    assert.deepEqual(m.get(0), t);
  });
});

describe('memo budget in a stream', () => {
  const run = async (bytes: Buffer) => {
    const findings: Finding[] = [];
    await runPickleStreams(new BufferSource('mem', bytes), (f) => findings.push(f), {
      limits: { ...DEFAULT_SCAN_LIMITS.pickle, memoBudgetBytes: 2048 },
      maxStreams: 1,
    });
    return findings.map((f) => `${f.severity} ${f.rule}`);
  };
  const filler = Array.from({ length: 40 }, (_, i) => [shortUnicode(`some text ${i} `.repeat(4)), memoize(), pop()]).flat();

  it('summarised entries nobody reads back are not reported', async () => {
    assert.deepEqual(await run(pk(proto(4), ...filler, none(), stop())), []);
  });

  it('reading a summarised entry back is reported (LOW)', async () => {
    assert.deepEqual(await run(pk(proto(4), ...filler, binget(39), stop())), ['LOW pickle/memo-budget']);
  });
});
