// ONNX benchmark input: a valid ModelProto whose initializers carry their
// weights inline as raw_data, `bytes` in total (default 1 GiB). Only the
// protobuf framing is written; every raw_data payload is left as a hole, so
// the file is sparse and costs no disk. A scan must skip the payloads by
// offset: reading them would take seconds and the memory would show it.
//
//   import { generateOnnx } from './onnx.mjs';
//   const { bytes } = await generateOnnx('/tmp/big.onnx', { bytes: 2 ** 30 });
//
// The graph is x -> Add(w0) -> Add(w1) -> ... -> y over [rows, 1024] float
// tensors, which onnx.checker accepts (checked at small sizes).
import fs from 'node:fs';

const GiB = 2 ** 30;

function varint(n) {
  const out = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

const tag = (field, wire) => varint(field * 8 + wire);
const int = (field, v) => Buffer.concat([tag(field, 0), varint(v)]);
const len = (field, body) => Buffer.concat([tag(field, 2), varint(body.length), body]);
const str = (field, s) => len(field, Buffer.from(s, 'utf8'));
/** A length-delimited field whose value (`n` bytes) is not part of the buffer: its header only. */
const lenHeader = (field, n) => Buffer.concat([tag(field, 2), varint(n)]);

function valueInfo(name, rows, cols) {
  const dim = (v) => len(1, int(1, v));
  const shape = len(2, Buffer.concat([dim(rows), dim(cols)]));
  const tensorType = len(1, Buffer.concat([int(1, 1), shape]));
  return Buffer.concat([str(1, name), len(2, tensorType)]);
}

/**
 * Writes the model to `file` and returns its size. `opts.bytes` is the total
 * of the raw_data payloads; `opts.tensors` how many initializers share it
 * (default: 4 MiB each, at least one, as in a mid-sized transformer).
 */
export async function generateOnnx(file, opts = {}) {
  const total = opts.bytes ?? GiB;
  const cols = 1024;
  const tensors = Math.max(1, opts.tensors ?? Math.ceil(total / (4 * 2 ** 20)));
  const rows = Math.max(1, Math.floor(total / tensors / (cols * 4)));
  const raw = rows * cols * 4;

  const nodes = [];
  const inits = [];
  for (let i = 0; i < tensors; i++) {
    const input = i === 0 ? 'x' : `h${i - 1}`;
    const output = i === tensors - 1 ? 'y' : `h${i}`;
    nodes.push(len(1, Buffer.concat([str(1, input), str(1, `w${i}`), str(2, output), str(3, `add${i}`), str(4, 'Add')])));
    // TensorProto: dims, data_type FLOAT, name, then raw_data (header only; its bytes are the hole).
    const head = Buffer.concat([int(1, rows), int(1, cols), int(2, 1), str(8, `w${i}`), lenHeader(9, raw)]);
    inits.push({ head, size: head.length + raw });
  }
  const graphHead = Buffer.concat([...nodes, str(2, 'bench')]);
  const graphTail = Buffer.concat([len(11, valueInfo('x', rows, cols)), len(12, valueInfo('y', rows, cols))]);
  const initRecords = inits.map((t) => ({ prefix: lenHeader(5, t.size), ...t }));
  const graphSize = graphHead.length + initRecords.reduce((s, t) => s + t.prefix.length + t.size, 0) + graphTail.length;
  if (graphSize >= 2 ** 31) throw new Error('protobuf messages stop at 2 GiB: use fewer bytes');
  const modelHead = Buffer.concat([int(1, 8), str(2, 'modelscan-bench'), lenHeader(7, graphSize)]);
  const opset = len(8, int(2, 13));

  const fd = fs.openSync(file, 'w');
  try {
    let pos = 0;
    const put = (buf) => {
      fs.writeSync(fd, buf, 0, buf.length, pos);
      pos += buf.length;
    };
    put(modelHead);
    put(graphHead);
    for (const t of initRecords) {
      put(t.prefix);
      put(t.head);
      pos += t.size - t.head.length;
    }
    put(graphTail);
    put(opset);
    fs.ftruncateSync(fd, pos);
    return { bytes: pos };
  } finally {
    fs.closeSync(fd);
  }
}
