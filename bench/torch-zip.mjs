// A sparse torch zip checkpoint, shared by npm run bench (case d), the Hub
// benchmark and the Hub tests.

import fs from 'node:fs';
import zlib from 'node:zlib';

const MiB = 1024 * 1024;

function crc32Zeros(n) {
  const zeros = Buffer.alloc(MiB);
  let crc = 0;
  for (let left = n; left > 0; left -= MiB) crc = zlib.crc32(left >= MiB ? zeros : zeros.subarray(0, left), crc);
  return crc >>> 0;
}

/** torch.save's pickle for {name: float32 tensor} with storages named 0..n-1. */
function torchDataPkl(tensors) {
  const parts = [];
  const op = (...b) => parts.push(Buffer.from(b));
  const str = (s) => {
    const b = Buffer.from(s);
    const h = Buffer.alloc(5);
    h[0] = 0x58; // BINUNICODE
    h.writeUInt32LE(b.length, 1);
    parts.push(h, b);
  };
  const int = (n) => {
    const h = Buffer.alloc(5);
    h[0] = 0x4a; // BININT
    h.writeInt32LE(n, 1);
    parts.push(h);
  };
  const global = (m, n) => parts.push(Buffer.from(`c${m}\n${n}\n`));
  op(0x80, 2);
  global('collections', 'OrderedDict');
  op(0x29, 0x52, 0x28); // EMPTY_TUPLE REDUCE MARK
  tensors.forEach((numel, i) => {
    str(`layer${i}.weight`);
    global('torch._utils', '_rebuild_tensor_v2');
    op(0x28, 0x28); // MARK (args) MARK (persistent id)
    str('storage');
    global('torch', 'FloatStorage');
    str(String(i));
    str('cpu');
    int(numel);
    op(0x74, 0x51); // TUPLE BINPERSID
    int(0);
    op(0x28);
    int(numel);
    op(0x74, 0x28);
    int(1);
    op(0x74, 0x89); // TUPLE NEWFALSE
    global('collections', 'OrderedDict');
    op(0x29, 0x52, 0x74, 0x52); // EMPTY_TUPLE REDUCE TUPLE REDUCE
  });
  op(0x75, 0x2e); // SETITEMS STOP
  return Buffer.concat(parts);
}

/**
 * A stored-only zip64-free zip as torch writes it (archive/data.pkl, archive/data/N, version, byteorder),
 * one float32 storage per entry of `tensors` (element counts), left as holes of zeros with real CRCs:
 * GiBs on paper, nothing on disk. Returns the file size.
 */
export function writeSparseTorchZip(file, tensors) {
  const fd = fs.openSync(file, 'w');
  let pos = 0;
  const central = [];
  const add = (name, size, crc, data) => {
    const n = Buffer.from(name);
    // torch pads local headers so data starts on a 64-byte boundary (an extra field).
    const pad = (64 - ((pos + 30 + n.length + 4) % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x1234, 0);
    extra.writeUInt16LE(pad, 2);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt32LE(crc, 14);
    h.writeUInt32LE(size, 18);
    h.writeUInt32LE(size, 22);
    h.writeUInt16LE(n.length, 26);
    h.writeUInt16LE(extra.length, 28);
    const head = Buffer.concat([h, n, extra]);
    fs.writeSync(fd, head, 0, head.length, pos);
    central.push({ n, size, crc, offset: pos });
    pos += head.length;
    if (data) fs.writeSync(fd, data, 0, data.length, pos);
    else fs.ftruncateSync(fd, pos + size); // a hole of zeros
    pos += size;
  };
  const pkl = torchDataPkl(tensors);
  add('archive/data.pkl', pkl.length, zlib.crc32(pkl) >>> 0, pkl);
  add('archive/byteorder', 6, zlib.crc32(Buffer.from('little')) >>> 0, Buffer.from('little'));
  const crcs = new Map();
  tensors.forEach((numel, i) => {
    const size = numel * 4;
    if (!crcs.has(size)) crcs.set(size, crc32Zeros(size));
    add(`archive/data/${i}`, size, crcs.get(size), null);
  });
  add('archive/version', 2, zlib.crc32(Buffer.from('3\n')) >>> 0, Buffer.from('3\n'));
  const cd = [];
  for (const e of central) {
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt32LE(e.crc, 16);
    c.writeUInt32LE(e.size, 20);
    c.writeUInt32LE(e.size, 24);
    c.writeUInt16LE(e.n.length, 28);
    c.writeUInt32LE(e.offset, 42);
    cd.push(c, e.n);
  }
  const cdBuf = Buffer.concat(cd);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length, 8);
  end.writeUInt16LE(central.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(pos, 16);
  fs.writeSync(fd, Buffer.concat([cdBuf, end]), 0, cdBuf.length + 22, pos);
  pos += cdBuf.length + 22;
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  return pos;
}
