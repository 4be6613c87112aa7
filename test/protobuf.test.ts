/**
 * The protobuf wire walker (src/protobuf): varints and int64s, every way a
 * length or tag can be wrong, nesting bounds, messages spread over many
 * reads, payloads skipped without being read (counted on a source that only
 * pretends to hold a gigabyte), probing of serialized messages in strings,
 * and the header reader used to recognise formats.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ONNX_SCHEMA } from '../src/formats/onnx/schema.js';
import { OnnxVisitor } from '../src/formats/onnx/visitor.js';
import { BufferSource, type ByteSource } from '../src/io/byte-source.js';
import { readHeaders } from '../src/protobuf/headers.js';
import { type ProbeCheck, type ProtoVisitor, ProtoWalker, type Schema } from '../src/protobuf/walker.js';
import { DepthError, ProtoError } from '../src/protobuf/wire.js';
import type { Finding } from '../src/scan/findings.js';

function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const len = (field: number, body: Buffer) => Buffer.concat([tag(field, 2), varint(body.length), body]);
const str = (field: number, s: string) => len(field, Buffer.from(s, 'latin1'));
const int = (field: number, v: number | bigint) => Buffer.concat([tag(field, 0), varint(v)]);

/** Records every event as a line. */
class Recorder implements ProtoVisitor {
  readonly events: string[] = [];
  enter(type: string, at: number, n: number) {
    this.events.push(`enter ${type} ${at}+${n}`);
  }
  leave(type: string, end: number) {
    this.events.push(`leave ${type} ${end}`);
  }
  string(type: string, field: number, value: Buffer, at: number, n: number) {
    this.events.push(`string ${type}.${field} ${JSON.stringify(value.toString('latin1'))} ${at}+${n}`);
  }
  int(type: string, field: number, value: number, at: number) {
    this.events.push(`int ${type}.${field} ${value} ${at}`);
  }
  bytes(type: string, field: number, at: number, n: number) {
    this.events.push(`bytes ${type}.${field} ${at}+${n}`);
  }
}

const SCHEMA: Schema = {
  Root: {
    1: { kind: 'int' },
    2: { kind: 'string', max: 8 },
    3: { kind: 'message', type: 'Root' },
    4: { kind: 'bytes' },
    5: { kind: 'string', probe: 'Root' },
  },
};

async function walk(bytes: Buffer, schema: Schema = SCHEMA, opts = {}): Promise<string[]> {
  const r = new Recorder();
  await new ProtoWalker(new BufferSource('mem', bytes), schema, r, opts).walk('Root');
  return r.events;
}

async function failure(bytes: Buffer, schema: Schema = SCHEMA): Promise<ProtoError> {
  try {
    await walk(bytes, schema);
  } catch (err) {
    assert.ok(err instanceof ProtoError, String(err));
    return err;
  }
  assert.fail('expected a ProtoError');
}

describe('protobuf walker: values', () => {
  it('varints up to 64 bits, int64s negative past 2^63, packed or not', async () => {
    const bytes = Buffer.concat([int(1, 300), int(1, -1), int(1, -8), int(1, -(2 ** 40)), len(1, Buffer.concat([varint(7), varint(-2)]))]);
    assert.deepEqual(await walk(bytes), [
      `enter Root 0+${bytes.length}`,
      'int Root.1 300 1',
      'int Root.1 -1 4',
      'int Root.1 -8 15',
      `int Root.1 -${2 ** 40} 26`,
      'int Root.1 7 38',
      'int Root.1 -2 39',
      `leave Root ${bytes.length}`,
    ]);
  });

  it('strings are cut to their max but report their whole length; bytes fields give offset and length only', async () => {
    const bytes = Buffer.concat([str(2, 'abcdefghijkl'), len(4, Buffer.from('payload'))]);
    assert.deepEqual((await walk(bytes)).slice(1, -1), ['string Root.2 "abcdefgh" 2+12', 'bytes Root.4 16+7']);
  });

  it('unknown fields of every wire type are skipped; a known field with another wire type is skipped like protobuf does', async () => {
    const bytes = Buffer.concat([int(9, 5), tag(10, 1), Buffer.alloc(8), tag(11, 5), Buffer.alloc(4), str(12, 'x'), int(2, 4), int(1, 1)]);
    assert.deepEqual((await walk(bytes)).slice(1, -1), [`int Root.1 1 ${bytes.length - 1}`]);
  });
});

describe('protobuf walker: malformed input throws at the bad bytes, after the events before them', () => {
  const cases: [string, Buffer, number, RegExp][] = [
    [
      'a varint longer than 10 bytes',
      Buffer.concat([tag(1, 0), Buffer.alloc(10, 0xff), Buffer.from([0x01])]),
      1,
      /varint longer than 64 bits|10 bytes/,
    ],
    ['a 10-byte varint with more than bit 63', Buffer.concat([tag(1, 0), Buffer.alloc(9, 0xff), Buffer.from([0x02])]), 1, /64 bits/],
    ['a varint cut by the end of the message', Buffer.concat([tag(1, 0), Buffer.from([0x80])]), 1, /varint runs past/],
    ['a length past the end of the message', Buffer.concat([tag(2, 2), varint(50), Buffer.from('short')]), 0, /declares 50 bytes/],
    [
      'a length past a nested message',
      len(3, Buffer.concat([tag(2, 2), varint(9), Buffer.from('abc')])),
      2,
      /declares 9 bytes but its message has 3 left/,
    ],
    ['a start-group tag', Buffer.concat([int(1, 1), tag(6, 3), tag(6, 4)]), 2, /groups/],
    ['wire type 7', Buffer.concat([int(1, 1), tag(6, 7)]), 2, /wire type 7/],
    ['field number 0', Buffer.from([0x02, 0x00]), 0, /field number 0/],
    ['a fixed64 cut short', Buffer.concat([tag(1, 1), Buffer.alloc(3)]), 0, /fixed-size value/],
  ];
  for (const [name, bytes, offset, message] of cases) {
    it(name, async () => {
      const err = await failure(bytes);
      assert.equal(err.offset, offset);
      assert.match(err.message, message);
    });
  }

  it('events before the error were delivered', async () => {
    const r = new Recorder();
    const bytes = Buffer.concat([str(2, 'seen'), tag(6, 3)]);
    await assert.rejects(new ProtoWalker(new BufferSource('mem', bytes), SCHEMA, r).walk('Root'), ProtoError);
    assert.deepEqual(r.events, [`enter Root 0+${bytes.length}`, 'string Root.2 "seen" 2+4']);
  });

  it('nesting is bounded (64 by default, configurable): DepthError', async () => {
    let m = int(1, 1);
    for (let i = 0; i < 70; i++) m = len(3, m);
    await assert.rejects(walk(m), (e) => e instanceof DepthError && /nested more than 64 deep/.test(e.message));
    await assert.rejects(walk(len(3, len(3, len(3, int(1, 1)))), SCHEMA, { maxDepth: 2 }), DepthError);
    assert.equal((await walk(len(3, len(3, int(1, 1))), SCHEMA, { maxDepth: 2 })).length, 7);
  });
});

/** A source that pretends to be `size` bytes: zeros except for the given pieces. It counts what is read. */
class SparseSource implements ByteSource {
  readonly name = 'sparse';
  bytesRead = 0;
  reads = 0;
  constructor(
    readonly size: number,
    private readonly pieces: { at: number; bytes: Buffer }[],
  ) {}
  async read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    this.bytesRead += n;
    this.reads++;
    const out = Buffer.alloc(n);
    for (const p of this.pieces) {
      const from = Math.max(offset, p.at);
      const to = Math.min(offset + n, p.at + p.bytes.length);
      if (from < to) p.bytes.copy(out, from - offset, from - p.at, to - p.at);
    }
    return out;
  }
  async close() {}
}

describe('protobuf walker: streaming', () => {
  it('a message far larger than one read, its fields straddling read boundaries, gives the same events as one read would', async () => {
    const children: Buffer[] = [];
    for (let i = 0; i < 40_000; i++) children.push(len(3, Buffer.concat([str(2, `n${i}`), int(1, i)])));
    const bytes = Buffer.concat(children);
    const events = await walk(bytes);
    assert.equal(events.filter((e) => e.startsWith('string')).length, 40_000);
    // Every child at its real offset: recompute them from the encoding.
    let at = 0;
    const expected: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      const body = children[i].length - 2;
      expected.push(`enter Root ${at + 2}+${body}`);
      at += children[i].length;
    }
    assert.deepEqual(
      events.filter((e) => e.startsWith('enter Root') && !e.startsWith('enter Root 0+')),
      expected,
    );
  });

  it('payloads are skipped without being read: 16 x 64 MiB of bytes fields cost a few KiB of reads', async () => {
    const pieces: { at: number; bytes: Buffer }[] = [];
    let at = 0;
    const payload = 64 * 2 ** 20;
    for (let i = 0; i < 16; i++) {
      const body = Buffer.concat([int(1, i), tag(4, 2), varint(payload)]);
      const head = Buffer.concat([tag(3, 2), varint(body.length + payload), body]);
      pieces.push({ at, bytes: head });
      at += head.length + payload;
    }
    const src = new SparseSource(at, pieces);
    const r = new Recorder();
    await new ProtoWalker(src, SCHEMA, r).walk('Root');
    assert.equal(r.events.filter((e) => e.startsWith('bytes Root.4')).length, 16);
    assert.ok(src.bytesRead < 256 << 10, `read ${src.bytesRead} bytes`);
  });

  it('a 1 GiB ONNX model (inline raw_data) is walked reading about a thousandth of it', async () => {
    const cols = 1024;
    const rows = 1024;
    const raw = rows * cols * 4;
    const tensors: Buffer[] = [];
    for (let i = 0; i < 256; i++)
      tensors.push(Buffer.concat([int(1, rows), int(1, cols), int(2, 1), str(8, `w${i}`), tag(9, 2), varint(raw)]));
    const graphLen = tensors.reduce((s, t) => s + 1 + varint(t.length + raw).length + t.length + raw, 0);
    const pieces: { at: number; bytes: Buffer }[] = [];
    const head = Buffer.concat([int(1, 8), tag(7, 2), varint(graphLen)]);
    pieces.push({ at: 0, bytes: head });
    let at = head.length;
    for (const t of tensors) {
      const rec = Buffer.concat([tag(5, 2), varint(t.length + raw), t]);
      pieces.push({ at, bytes: rec });
      at += rec.length + raw;
    }
    const src = new SparseSource(at, pieces);
    const findings: Finding[] = [];
    const started = performance.now();
    await new ProtoWalker(src, ONNX_SCHEMA, new OnnxVisitor((f) => findings.push(f))).walk('ModelProto');
    assert.deepEqual(findings, []);
    assert.ok(src.size > 2 ** 30, 'the model is over 1 GiB');
    // One small read per tensor (its header) after each skipped payload: a thousandth of the file.
    assert.ok(src.bytesRead <= 256 * 4096 + 65536, `read ${src.bytesRead} bytes`);
    assert.ok(performance.now() - started < 2000, 'walked in under 2 s');
  });
});

describe('protobuf walker: probing serialized messages in strings', () => {
  const probe = (): ProbeCheck => {
    let ints = 0;
    return {
      visitor: { ...new Recorder(), enter() {}, leave() {}, string() {}, bytes() {}, int: () => void ints++ },
      accepted: () => ints > 0,
    };
  };

  it('bytes that parse as the probed message are walked as one; others are left as strings', async () => {
    const inner = Buffer.concat([int(1, 42), str(2, 'in')]);
    const bytes = Buffer.concat([len(5, inner), str(5, 'plain text, no')]);
    const events = await walk(bytes, SCHEMA, { probe, minProbe: 2 });
    assert.ok(events.includes(`enter Root 2+${inner.length}`), 'the probed bytes were entered as a message');
    assert.ok(events.includes('int Root.1 42 3'), 'and walked');
    assert.equal(events.filter((e) => e.startsWith('enter Root')).length, 2);
  });

  it('a probed message larger than one read is checked and walked through the source', async () => {
    const inner = Buffer.concat([len(4, Buffer.alloc(300_000)), int(1, 7)]);
    const events = await walk(len(5, inner), SCHEMA, { probe });
    assert.ok(events.includes(`int Root.1 7 ${4 + inner.length - 1}`), 'the probed message was walked past its skipped payload');
  });

  it('a probe too deep to check is an error, not "not a message"', async () => {
    let m = int(1, 1);
    for (let i = 0; i < 70; i++) m = len(3, m);
    await assert.rejects(walk(len(5, m), SCHEMA, { probe }), DepthError);
  });
});

describe('protobuf field headers (format recognition)', () => {
  it('reads headers without values, stops when told, and marks a field cut by the end of the file', async () => {
    const bytes = Buffer.concat([int(1, 3), str(2, 'ab'), tag(7, 2), varint(1000), Buffer.from('cut')]);
    const src = new BufferSource('mem', bytes);
    const all = await readHeaders(src, 0, src.size, 10);
    assert.deepEqual(
      all.headers.map((h) => [h.field, h.wire, h.at, h.start, h.len, h.value, h.truncated]),
      [
        [1, 0, 0, 1, 0, 3, false],
        [2, 2, 2, 4, 2, 0, false],
        [7, 2, 6, 9, 1000, 0, true],
      ],
    );
    assert.match(all.error!.message, /file ends/);
    const first = await readHeaders(src, 0, src.size, 10, (h) => h.field === 2);
    assert.equal(first.headers.length, 2);
    assert.equal(first.error, undefined);
  });

  it('a length past a message that ends inside the file is an error, not a truncation', async () => {
    const bytes = Buffer.concat([len(3, Buffer.concat([tag(2, 2), varint(20)])), Buffer.alloc(40)]);
    const src = new BufferSource('mem', bytes);
    const r = await readHeaders(src, 2, 2 + bytes[1], 10);
    assert.deepEqual(r.headers, []);
    assert.match(r.error!.message, /declares 20 bytes/);
  });
});
