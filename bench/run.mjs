#!/usr/bin/env node

// modelscan benchmark harness (plain ESM, no dependencies, Node >= 20).
//
//   node bench/run.mjs [--only a|b|c|d|e[,..]] [--runs N] [--keep] [--timeout S]
//   node bench/run.mjs --validate-small      # check the generators against CPython
//   node bench/run.mjs --generate-only       # generate the files, run nothing
//   node bench/run.mjs --cli PATH            # bench another CLI entry point (default:
//                                            # package.json bin.modelscan)
//
// Generates three pickles in a fresh temp dir by writing raw opcodes (streamed,
// bounded memory), runs the built CLI on each as a whole process with a preload
// module (rss-probe.mjs) that records peak RSS, and prints a table plus
// PASS/FAIL per target. Targets are measurements: a missed target does not
// change the exit code. The exit code is non-zero only when the CLI could not
// be run or crashed (exit code other than 0/1/2/3, a signal, an uncaught
// exception, or a timeout), or when a generator or validation failed.
//
// Units: MB = 10^6 bytes everywhere (sizes, MB/s, RSS); MiB/GiB = 2^20/2^30.

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateGguf } from './gguf.mjs';
import { printHubResult, runHubBench } from './hub.mjs';
import { generateKeras } from './keras.mjs';
import { generateOnnx } from './onnx.mjs';
import { generateSafetensors } from './safetensors.mjs';
import { generateTokenizer } from './tokenizer.mjs';
import { writeSparseTorchZip } from './torch-zip.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.dirname(BENCH_DIR);
const PROBE = path.join(BENCH_DIR, 'rss-probe.mjs');
const PYTHON = '/usr/bin/python3';

const KiB = 1024;
const MiB = 1024 * KiB;
const MB = 1e6;

// ---------------------------------------------------------------------------
// Pickle opcodes used here.
const OP = {
  MARK: 0x28, // '('
  STOP: 0x2e, // '.'
  POP: 0x30, // '0'
  BINFLOAT: 0x47, // 'G'
  BININT: 0x4a, // 'J'
  BININT1: 0x4b, // 'K'
  BININT2: 0x4d, // 'M'
  REDUCE: 0x52, // 'R'
  EMPTY_LIST: 0x5d, // ']'
  APPEND: 0x61, // 'a'
  APPENDS: 0x65, // 'e'
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE3: 0x87,
  SHORT_BINUNICODE: 0x8c,
  BINBYTES8: 0x8e,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
};

// CPython's framing parameters (Lib/pickle.py _FRAME_SIZE_TARGET / _FRAME_SIZE_MIN,
// identical in Modules/_pickle.c).
const FRAME_SIZE_TARGET = 64 * KiB;
const FRAME_SIZE_MIN = 4;
// CPython's batch size for APPENDS/SETITEMS.
const BATCHSIZE = 1000;

// ---------------------------------------------------------------------------
// Buffered, bounded-memory file writer.

function writeFully(fd, buf) {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

class ChunkWriter {
  constructor(file, chunkSize = MiB) {
    this.fd = fs.openSync(file, 'w');
    this.buf = Buffer.allocUnsafe(chunkSize);
    this.len = 0;
    this.total = 0;
  }
  ensure(n) {
    if (this.len + n > this.buf.length) this.flush();
  }
  flush() {
    if (this.len > 0) writeFully(this.fd, this.buf.subarray(0, this.len));
    this.len = 0;
  }
  byte(b) {
    this.ensure(1);
    this.buf[this.len++] = b;
    this.total += 1;
  }
  bytes(src) {
    // Large buffers go straight to disk (no copy, no buffering).
    if (src.length >= this.buf.length / 2) {
      this.flush();
      writeFully(this.fd, src);
    } else {
      this.ensure(src.length);
      (Buffer.isBuffer(src) ? src : Buffer.from(src)).copy(this.buf, this.len);
      this.len += src.length;
    }
    this.total += src.length;
  }
  u64le(n) {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(n), this.len);
    this.len += 8;
    this.total += 8;
  }
  close() {
    this.flush();
    // Flushed to disk before timing starts: pending writeback would compete with the scans measured.
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}

// 1 MiB deterministic pseudo-random pattern (xorshift32), reused for all bytes objects.
function makePattern(size = MiB) {
  const buf = Buffer.allocUnsafe(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, i);
  }
  return buf;
}

// ---------------------------------------------------------------------------
// Generators (a) and (c): a list of `count` BINBYTES8 objects of `size` bytes each.
//
//   PROTO 4, EMPTY_LIST, MEMOIZE, MARK,
//   count × (BINBYTES8 <u64le size> <data>, MEMOIZE),
//   APPENDS,
//   [payload: POP, SHORT_BINUNICODE 'os', MEMOIZE, SHORT_BINUNICODE 'system', MEMOIZE,
//    STACK_GLOBAL, MEMOIZE, SHORT_BINUNICODE 'echo modelscan-bench', MEMOIZE,
//    TUPLE1, MEMOIZE, REDUCE, MEMOIZE,]
//   STOP
// No FRAME opcodes (framing is optional in protocol 4).
// Each object's data is the pattern repeated from offset 0, truncated to `size`.

const PAYLOAD_MODULE = 'os';
const PAYLOAD_NAME = 'system';
const PAYLOAD_ARG = 'echo modelscan-bench';

function shortBinUnicode(w, s) {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 255) throw new Error('string too long for SHORT_BINUNICODE');
  w.byte(OP.SHORT_BINUNICODE);
  w.byte(b.length);
  w.bytes(b);
}

function generateLargeBytes(file, { count, size, payload, pattern }) {
  const w = new ChunkWriter(file);
  let opcodes = 0;
  try {
    w.byte(OP.PROTO);
    w.byte(4);
    w.byte(OP.EMPTY_LIST);
    w.byte(OP.MEMOIZE);
    w.byte(OP.MARK);
    opcodes += 4;
    for (let k = 0; k < count; k++) {
      w.byte(OP.BINBYTES8);
      w.u64le(size);
      for (let left = size; left > 0; ) {
        const n = Math.min(left, pattern.length);
        w.bytes(n === pattern.length ? pattern : pattern.subarray(0, n));
        left -= n;
      }
      w.byte(OP.MEMOIZE);
      opcodes += 2;
    }
    w.byte(OP.APPENDS);
    opcodes += 1;
    if (payload) {
      w.byte(OP.POP);
      shortBinUnicode(w, PAYLOAD_MODULE);
      w.byte(OP.MEMOIZE);
      shortBinUnicode(w, PAYLOAD_NAME);
      w.byte(OP.MEMOIZE);
      w.byte(OP.STACK_GLOBAL);
      w.byte(OP.MEMOIZE);
      shortBinUnicode(w, PAYLOAD_ARG);
      w.byte(OP.MEMOIZE);
      w.byte(OP.TUPLE1);
      w.byte(OP.MEMOIZE);
      w.byte(OP.REDUCE);
      w.byte(OP.MEMOIZE);
      opcodes += 13;
    }
    w.byte(OP.STOP);
    opcodes += 1;
  } finally {
    w.close();
  }
  return { bytes: w.total, opcodes };
}

function expectedLargeBytesSize(count, size, payload) {
  const payloadBytes = payload ? 1 + (2 + 2) + 1 + (2 + 6) + 1 + 1 + 1 + (2 + PAYLOAD_ARG.length) + 1 + 1 + 1 + 1 + 1 : 0;
  return 2 + 3 + count * (9 + size + 1) + 1 + payloadBytes + 1;
}

// ---------------------------------------------------------------------------
// Generator (b): byte-for-byte what CPython writes for
//   pickle.dumps([(i, float(i) * 0.5, 'token-%08d' % i) for i in range(n)], protocol=4)
//
//   PROTO 4
//   frames: FRAME <u64le len> <len bytes of opcodes>; CPython checks at the start
//     of every save() call whether the current frame holds >= 64 KiB and, if so,
//     commits it; the last frame (ending with STOP) is committed at the end and
//     gets no FRAME header if it is shorter than 4 bytes.
//   EMPTY_LIST, MEMOIZE,
//   per batch of 1000: MARK, items, APPENDS   (a 1-item list uses a single APPEND)
//   item: BININT1|BININT2|BININT i, BINFLOAT i*0.5 (big-endian double),
//         SHORT_BINUNICODE 'token-%08d', MEMOIZE, TUPLE3, MEMOIZE
//   STOP

function generateDense(file, n) {
  const out = new ChunkWriter(file);
  const frame = Buffer.allocUnsafe(FRAME_SIZE_TARGET + 4 * KiB);
  let fl = 0; // bytes in the current frame
  let opcodes = 0;
  let frames = 0;
  const hdr = Buffer.alloc(9);
  hdr[0] = OP.FRAME;

  const commit = (force) => {
    if (fl >= FRAME_SIZE_TARGET || (force && fl > 0)) {
      if (fl >= FRAME_SIZE_MIN) {
        hdr.writeBigUInt64LE(BigInt(fl), 1);
        out.bytes(hdr);
        opcodes++;
        frames++;
      }
      out.bytes(frame.subarray(0, fl));
      fl = 0;
    }
  };

  const saveItem = (i) => {
    commit(false); // save(tuple)
    commit(false); // save(int)
    if (i >= 0 && i <= 0xff) {
      frame[fl++] = OP.BININT1;
      frame[fl++] = i;
    } else if (i >= 0 && i <= 0xffff) {
      frame[fl++] = OP.BININT2;
      frame.writeUInt16LE(i, fl);
      fl += 2;
    } else if (i >= -0x80000000 && i <= 0x7fffffff) {
      frame[fl++] = OP.BININT;
      frame.writeInt32LE(i, fl);
      fl += 4;
    } else {
      throw new Error('index out of BININT range');
    }
    commit(false); // save(float)
    frame[fl++] = OP.BINFLOAT;
    frame.writeDoubleBE(i * 0.5, fl);
    fl += 8;
    commit(false); // save(str)
    const digits = String(i).padStart(8, '0');
    frame[fl++] = OP.SHORT_BINUNICODE;
    frame[fl++] = 6 + digits.length;
    frame[fl++] = 0x74; // t
    frame[fl++] = 0x6f; // o
    frame[fl++] = 0x6b; // k
    frame[fl++] = 0x65; // e
    frame[fl++] = 0x6e; // n
    frame[fl++] = 0x2d; // -
    for (let k = 0; k < digits.length; k++) frame[fl++] = digits.charCodeAt(k);
    frame[fl++] = OP.MEMOIZE;
    frame[fl++] = OP.TUPLE3;
    frame[fl++] = OP.MEMOIZE;
    opcodes += 6;
  };

  try {
    out.byte(OP.PROTO);
    out.byte(4);
    opcodes++;
    commit(false); // save(list)
    frame[fl++] = OP.EMPTY_LIST;
    frame[fl++] = OP.MEMOIZE;
    opcodes += 2;
    if (n === 1) {
      saveItem(0);
      frame[fl++] = OP.APPEND;
      opcodes++;
    } else if (n > 1) {
      let i = 0;
      while (i < n) {
        frame[fl++] = OP.MARK;
        opcodes++;
        const end = Math.min(n, i + BATCHSIZE);
        for (; i < end; i++) saveItem(i);
        frame[fl++] = OP.APPENDS;
        opcodes++;
      }
    }
    frame[fl++] = OP.STOP;
    opcodes++;
    commit(true);
  } finally {
    out.close();
  }
  return { bytes: out.total, opcodes, frames };
}

// ---------------------------------------------------------------------------
// Containers: a torch zip checkpoint and a joblib file with one big inline
// array. The tensor bytes are zeros left as holes (sparse files): the scanner
// must skip them by offset, so their content is irrelevant and generation is
// fast; the CRCs in the zip are still the real ones.

/**
 * joblib.dump({'w': float32 array}) as joblib 1.2 writes it: the pickle of a
 * NumpyArrayWrapper, alignment padding, the raw array bytes, then the rest
 * of the pickle (SETITEM, STOP). Byte-for-byte what joblib writes for the
 * same array (checked with --validate-small against a real joblib file).
 */
function generateJoblibArray(file, { count }) {
  const head = (hexParts) => Buffer.from(hexParts.join(''), 'hex');
  const shape = Buffer.alloc(5);
  shape[0] = 0x4a; // BININT
  shape.writeInt32LE(count, 1);
  const body = Buffer.concat([
    head([
      '7d948c0177948c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c05736861706594',
    ]),
    shape,
    head([
      '85948c056f72646572948c0143948c056474797065946808680f93948c02663494898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f61727261795f616c69676e6d656e745f6279746573944b107562',
    ]),
  ]);
  // joblib ends the frame at the wrapper's BUILD: the array bytes are not framed.
  const frameBody = body;
  const frame = Buffer.alloc(11);
  frame[0] = 0x80;
  frame[1] = 4;
  frame[2] = 0x95;
  frame.writeBigUInt64LE(BigInt(frameBody.length), 3);
  const prefix = Buffer.concat([frame, frameBody]);
  const padLen = 16 - ((prefix.length + 1) % 16);
  const pad = Buffer.concat([Buffer.from([padLen]), Buffer.alloc(padLen, 0xff)]);
  const fd = fs.openSync(file, 'w');
  writeFully(fd, Buffer.concat([prefix, pad]));
  const dataStart = prefix.length + pad.length;
  const dataEnd = dataStart + count * 4;
  fs.writeSync(fd, Buffer.from([0x73, 0x2e]), 0, 2, dataEnd); // SETITEM STOP after a hole of zeros
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  return { bytes: dataEnd + 2, opcodes: 0 };
}

// ---------------------------------------------------------------------------
// Cases.

const FULL = {
  bytesCount: 4,
  bytesSize: 256 * MiB,
  denseN: 3_000_000,
};

const CASES = {
  a: {
    file: 'large-bytes.pkl',
    desc: '1 GiB: list of 4 x 256 MiB BINBYTES8',
    gen: (f, p) => generateLargeBytes(f, { count: FULL.bytesCount, size: FULL.bytesSize, payload: false, pattern: p }),
    expectedSize: expectedLargeBytesSize(FULL.bytesCount, FULL.bytesSize, false),
    targets: { maxWall: 0.2, maxRssMB: 100 },
  },
  b: {
    file: 'dense.pkl',
    desc: '~100 MB: 3M (int, float, str) tuples, framed',
    gen: (f) => generateDense(f, FULL.denseN),
    targets: { minOpsPerSec: 20e6, maxRssMB: 150 },
  },
  d: {
    file: 'checkpoint-2g.pt',
    desc: '2 GiB torch zip checkpoint: 8 x 256 MiB float32 storages',
    gen: (f) => ({ bytes: writeSparseTorchZip(f, Array(8).fill(64 * MiB)), opcodes: 0 }),
    targets: { maxWall: 0.2, maxRssMB: 100 },
  },
  e: {
    file: 'array-1g.joblib',
    desc: '1 GiB joblib file: one float32 array inline',
    gen: (f) => generateJoblibArray(f, { count: 256 * MiB }),
    targets: { maxWall: 0.2, maxRssMB: 100 },
  },
  f: {
    file: 'model-2g.safetensors',
    desc: '2 GiB safetensors: 64 F32 tensors (sparse)',
    gen: (f) => generateSafetensors(f, { bytes: 2 * 1024 * MiB }),
    targets: { maxWall: 0.2, maxRssMB: 100 },
  },
  g: {
    file: 'model-1g.onnx',
    desc: '1 GiB ONNX: 256 initializers with raw_data (sparse)',
    gen: (f) => generateOnnx(f, { bytes: 1024 * MiB }),
    targets: { maxWall: 0.2, maxRssMB: 100 },
  },
  k: {
    file: 'model-4g.h5',
    desc: '4 GiB Keras .h5 (real h5py file grown with a hole)',
    gen: (f) => generateKeras(f, { bytes: 4 * 1024 * MiB }),
    targets: { maxWall: 0.2, maxRssMB: 100 },
  },
  u: {
    file: 'model-2g.gguf',
    desc: '2 GiB llama-style GGUF v3, 150k-token vocabulary, chat template (sparse)',
    gen: (f) => generateGguf(f, { bytes: 2 * 1024 * MiB }),
    targets: { maxWall: 0.5, maxRssMB: 150 },
  },
  t: {
    file: 'tokenizer.json',
    desc: '32 MB tokenizer.json (BPE vocabulary and merges)',
    gen: (f) => generateTokenizer(f, { bytes: 32e6 }),
    targets: { maxWall: 0.5, maxRssMB: 150 },
    // Not a model: nothing is scanned.
    exit: 3,
  },
  c: {
    file: 'large-bytes-payload.pkl',
    desc: '1 GiB + os.system REDUCE at the very end',
    gen: (f, p) => generateLargeBytes(f, { count: FULL.bytesCount, size: FULL.bytesSize, payload: true, pattern: p }),
    expectedSize: expectedLargeBytesSize(FULL.bytesCount, FULL.bytesSize, true),
    targets: { maxWall: 0.2, maxRssMB: 100, mustReport: 'system' },
  },
};

// ---------------------------------------------------------------------------
// CLI options.

function usage(msg) {
  if (msg) console.error(`run.mjs: ${msg}`);
  console.error(
    'usage: node bench/run.mjs [--only a|b|c|d|e[,..]] [--runs N] [--keep] [--timeout SECONDS]\n' +
      '                          [--cli PATH] [--validate-small] [--generate-only]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    only: null,
    runs: 3,
    keep: false,
    validateSmall: false,
    generateOnly: false,
    timeout: 600,
    cli: null,
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let val;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      val = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const next = () => {
      if (val !== undefined) return val;
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--only': {
        opts.only ??= [];
        for (const c of next()
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean)) {
          if (!(c in CASES) && c !== 'h') usage(`unknown case '${c}' (expected one of ${Object.keys(CASES).join(', ')}, h)`);
          if (!opts.only.includes(c)) opts.only.push(c);
        }
        break;
      }
      case '--runs': {
        const n = Number(next());
        if (!Number.isInteger(n) || n < 1) usage('--runs must be a positive integer');
        opts.runs = n;
        break;
      }
      case '--timeout': {
        const s = Number(next());
        if (!(s > 0)) usage('--timeout must be a positive number of seconds');
        opts.timeout = s;
        break;
      }
      case '--cli':
        opts.cli = path.resolve(next());
        break;
      case '--keep':
        opts.keep = true;
        break;
      case '--validate-small':
        opts.validateSmall = true;
        break;
      case '--generate-only':
        opts.generateOnly = true;
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown argument '${argv[i]}'`);
    }
  }
  if (opts.only) opts.only.sort();
  return opts;
}

// ---------------------------------------------------------------------------
// Temp dir lifecycle (removed on normal exit, on failure, and on SIGINT/SIGTERM).

let tmpDir = null;
let keepTmp = false;
const liveChildren = new Set();

function cleanup() {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
  if (tmpDir && !keepTmp) {
    try {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    } catch (e) {
      console.error(`warning: could not remove ${tmpDir}: ${e.message}`);
    }
    tmpDir = null;
  }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig} received, cleaning up`);
    cleanup();
    process.exit(128 + os.constants.signals[sig]);
  });
}

function makeTmpDir() {
  tmpDir = fs.mkdtempSync(os.tmpdir() + '/modelscan-bench-');
  return tmpDir;
}

// ---------------------------------------------------------------------------
// Formatting helpers.

const fmtMB = (bytes) => (bytes / MB).toFixed(1);
const fmtSecs = (s) => s.toFixed(3);
function fmtRate(x) {
  if (!Number.isFinite(x)) return '-';
  if (x >= 1e9) return (x / 1e9).toFixed(2) + 'G';
  if (x >= 1e6) return (x / 1e6).toFixed(2) + 'M';
  if (x >= 1e3) return (x / 1e3).toFixed(2) + 'k';
  return x.toFixed(0);
}

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function excerpt(text, maxLines = 8, maxChars = 800) {
  let s = text.split('\n').slice(0, maxLines).join('\n');
  if (s.length > maxChars) s = s.slice(0, maxChars) + '…';
  return s.replace(/\s+$/, '');
}

// ---------------------------------------------------------------------------
// Running the CLI.

function resolveCli() {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.modelscan;
  if (!rel) throw new Error('package.json has no bin.modelscan');
  return path.resolve(REPO_ROOT, rel);
}

const CAPTURE_LIMIT = MiB; // per stream

function capture(stream) {
  const st = { chunks: [], kept: 0, total: 0 };
  stream.on('data', (chunk) => {
    st.total += chunk.length;
    if (st.kept < CAPTURE_LIMIT) {
      const part = chunk.subarray(0, CAPTURE_LIMIT - st.kept);
      st.chunks.push(part);
      st.kept += part.length;
    }
  });
  return st;
}

function runOnce(cli, file, rssFile, timeoutSec) {
  return new Promise((resolve) => {
    try {
      fs.rmSync(rssFile, { force: true });
    } catch {}
    const env = { ...process.env, MODELSCAN_BENCH_RSS_FILE: rssFile };
    const args = ['--import', pathToFileURL(PROBE).href, cli, '-p', file];
    let t1 = null;
    let timedOut = false;
    let spawnError = null;
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    liveChildren.add(child);
    const out = capture(child.stdout);
    const err = capture(child.stderr);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSec * 1000);
    child.on('exit', () => {
      t1 = performance.now();
    });
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      if (t1 === null) t1 = performance.now();
      clearTimeout(timer);
      liveChildren.delete(child);
      let probe = null;
      try {
        probe = JSON.parse(fs.readFileSync(rssFile, 'utf8'));
      } catch {}
      resolve({
        wall: (t1 - t0) / 1000,
        code,
        signal,
        timedOut,
        spawnError,
        probe,
        maxRssKiB: probe && Number.isFinite(probe.maxRSS) ? probe.maxRSS : null,
        stdout: Buffer.concat(out.chunks).toString('utf8'),
        stderr: Buffer.concat(err.chunks).toString('utf8'),
        stdoutTotal: out.total,
        stderrTotal: err.total,
      });
    });
  });
}

function crashReason(r) {
  if (r.spawnError) return `could not spawn: ${r.spawnError.message}`;
  if (r.timedOut) return 'timed out (killed)';
  if (r.signal) return `killed by signal ${r.signal}`;
  if (r.probe?.crash) return `uncaught exception (${r.probe.crash.origin})`;
  // 3 is "nothing scanned": the answer for a file that is no model (case t's tokenizer.json).
  if (![0, 1, 2, 3].includes(r.code)) return `exit code ${r.code}`;
  return null;
}

// ---------------------------------------------------------------------------
// Generation.

async function generateCases(dir, keys) {
  const pattern = makePattern();
  const gen = {};
  for (const k of keys) {
    const c = CASES[k];
    const file = path.join(dir, c.file);
    const t0 = performance.now();
    const res = await c.gen(file, pattern);
    const secs = (performance.now() - t0) / 1000;
    const size = fs.statSync(file).size;
    if (size !== res.bytes) throw new Error(`${c.file}: wrote ${res.bytes} bytes but file has ${size}`);
    if (c.expectedSize !== undefined && size !== c.expectedSize) throw new Error(`${c.file}: size ${size} != expected ${c.expectedSize}`);
    gen[k] = { file, size, opcodes: res.opcodes, frames: res.frames, secs };
    console.log(
      `  (${k}) ${c.file.padEnd(24)} ${String(size).padStart(11)} bytes (${fmtMB(size)} MB), ` +
        `${(res.opcodes ?? 0).toLocaleString('en-US')} opcodes` +
        (res.frames !== undefined ? ` in ${res.frames.toLocaleString('en-US')} frames` : '') +
        `, generated in ${secs.toFixed(2)} s`,
    );
  }
  return gen;
}

// ---------------------------------------------------------------------------
// --validate-small: reduced generators checked against CPython.

const PY_CHECK = `
import sys, json, hashlib, pickle, pickletools
kind, path = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
res = {'opcodes': sum(1 for _ in pickletools.genops(data)),
       'frames': sum(1 for op, _, _ in pickletools.genops(data) if op.name == 'FRAME')}
if kind == 'bytes':
    obj = pickle.loads(data)
    res['type'] = type(obj).__name__
    res['len'] = len(obj)
    res['item_types'] = sorted(set(type(x).__name__ for x in obj))
    res['item_lens'] = [len(x) for x in obj]
    res['sha256'] = hashlib.sha256(b''.join(obj)).hexdigest()
elif kind == 'dense':
    n = int(sys.argv[3])
    obj = pickle.loads(data)
    expected = [(i, float(i) * 0.5, 'token-%08d' % i) for i in range(n)]
    res['type'] = type(obj).__name__
    res['len'] = len(obj)
    res['first'] = repr(obj[0]) if obj else None
    res['last'] = repr(obj[-1]) if obj else None
    res['equal_values'] = obj == expected
    res['identical_to_cpython_dumps'] = data == pickle.dumps(expected, protocol=4)
# kind == 'payload': never unpickled, only disassembled (genops above)
print(json.dumps(res))
`;

function validateSmall() {
  const dir = makeTmpDir();
  console.log(`validate-small: temp dir ${dir}`);
  const havePython = fs.existsSync(PYTHON);
  if (!havePython) console.log(`  ${PYTHON} not found: generating only, CPython checks skipped`);
  const pattern = makePattern();
  const SMALL_SIZE = 1 * KiB;
  const SMALL_COUNT = 4;
  const variants = [
    {
      name: '(a) small large-bytes',
      file: 'small-large-bytes.pkl',
      kind: 'bytes',
      gen: (f) => generateLargeBytes(f, { count: SMALL_COUNT, size: SMALL_SIZE, payload: false, pattern }),
      expect: (r, info) =>
        r.type === 'list' &&
        r.len === SMALL_COUNT &&
        r.item_types.join() === 'bytes' &&
        r.item_lens.every((l) => l === SMALL_SIZE) &&
        r.sha256 === info.sha256 &&
        r.opcodes === info.opcodes,
      info: () => ({
        sha256: crypto
          .createHash('sha256')
          .update(Buffer.concat(Array.from({ length: SMALL_COUNT }, () => pattern.subarray(0, SMALL_SIZE))))
          .digest('hex'),
      }),
    },
    ...[3000, 20000].map((n) => ({
      name: `(b) small dense n=${n}`,
      file: `small-dense-${n}.pkl`,
      kind: 'dense',
      n,
      gen: (f) => generateDense(f, n),
      expect: (r, info) =>
        r.type === 'list' &&
        r.len === n &&
        r.equal_values === true &&
        r.identical_to_cpython_dumps === true &&
        r.opcodes === info.opcodes &&
        r.frames === info.frames,
    })),
    {
      name: '(c) small large-bytes + payload',
      file: 'small-large-bytes-payload.pkl',
      kind: 'payload',
      gen: (f) => generateLargeBytes(f, { count: SMALL_COUNT, size: SMALL_SIZE, payload: true, pattern }),
      expect: (r, info) => r.opcodes === info.opcodes,
    },
  ];

  let ok = true;
  for (const v of variants) {
    const file = path.join(dir, v.file);
    const t0 = performance.now();
    const res = v.gen(file);
    const secs = (performance.now() - t0) / 1000;
    const info = { ...res, ...(v.info ? v.info() : {}) };
    console.log(
      `\n${v.name}: ${file}\n  ${res.bytes} bytes, ${res.opcodes} opcodes` +
        (res.frames !== undefined ? `, ${res.frames} frames` : '') +
        `, generated in ${(secs * 1000).toFixed(1)} ms`,
    );
    if (!havePython) continue;

    // 1. pickletools disassembly (never unpickles).
    const dis = spawnSync(PYTHON, ['-m', 'pickletools', file], { encoding: 'utf8', maxBuffer: 256 * MiB });
    const lines = (dis.stdout || '').trimEnd().split('\n');
    const disOk = dis.status === 0 && /highest protocol among opcodes = 4/.test(lines.at(-1) || '');
    ok &&= disOk;
    console.log(
      `  pickletools: exit ${dis.status}, ${lines.length} lines -> ${disOk ? 'OK' : 'FAILED'}` +
        (dis.stderr ? `\n  stderr: ${excerpt(dis.stderr)}` : ''),
    );
    const tail = v.kind === 'dense' ? lines.slice(0, 6).concat(['    ...'], lines.slice(-4)) : lines.slice(-16);
    if (v.kind === 'bytes') {
      // Elide the long bytes reprs.
      console.log(lines.map((l) => '    | ' + (l.length > 110 ? l.slice(0, 107) + '...' : l)).join('\n'));
    } else {
      console.log(tail.map((l) => '    | ' + (l.length > 110 ? l.slice(0, 107) + '...' : l)).join('\n'));
    }

    // 2. opcode count (genops) for all; pickle.load only for the benign ones.
    const pyArgs = ['-c', PY_CHECK, v.kind, file];
    if (v.kind === 'dense') pyArgs.push(String(v.n));
    const chk = spawnSync(PYTHON, pyArgs, { encoding: 'utf8', maxBuffer: 16 * MiB });
    let r = null;
    try {
      r = JSON.parse(chk.stdout);
    } catch {}
    const good = chk.status === 0 && r !== null && v.expect(r, info);
    ok &&= good;
    console.log(
      `  python check${v.kind === 'payload' ? ' (genops only, NOT loaded)' : ''}: ${JSON.stringify(r)}` +
        (chk.status !== 0 ? `\n  exit ${chk.status}: ${excerpt(chk.stderr || '')}` : '') +
        `\n  expected opcodes=${info.opcodes}` +
        (info.frames !== undefined ? ` frames=${info.frames}` : '') +
        (info.sha256 ? ` sha256=${info.sha256}` : '') +
        ` -> ${good ? 'OK' : 'FAILED'}`,
    );
  }
  console.log(`\nvalidate-small: ${havePython ? (ok ? 'ALL OK' : 'FAILED') : 'generated (no python3)'}`);
  return ok;
}

// ---------------------------------------------------------------------------
// Main benchmark.

async function bench(opts) {
  // h: the Hub bench (bench/hub.mjs) runs after the file cases, with its own server and report.
  const withHub = !opts.only || opts.only.includes('h');
  const keys = (opts.only ?? Object.keys(CASES)).filter((k) => k !== 'h');
  let cli = null;
  if (!opts.generateOnly) {
    cli = opts.cli ?? resolveCli();
    if (!fs.existsSync(cli)) {
      console.error(`CLI not found at ${cli} (run \`npm run build\` first)`);
      return 2;
    }
  }

  console.log(
    `modelscan bench — node ${process.version}, ${os.platform()} ${os.arch()}, ` +
      `${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
  );
  if (cli) console.log(`CLI: node --import ${PROBE} ${cli} -p FILE  (${opts.runs} run(s) per case; best wall, max RSS)`);
  const dir = makeTmpDir();
  console.log(`temp dir: ${dir}`);
  console.log('\ngenerating:');
  const tg = performance.now();
  const gen = await generateCases(dir, keys);
  console.log(`  total generation time ${((performance.now() - tg) / 1000).toFixed(2)} s`);
  if (opts.generateOnly) return 0;

  let hardFailure = false;
  const results = {};
  console.log('\nrunning:');
  for (const k of keys) {
    const g = gen[k];
    const runs = [];
    for (let r = 0; r < opts.runs; r++) {
      const res = await runOnce(cli, g.file, path.join(dir, `rss-${k}-${r}.json`), opts.timeout);
      runs.push(res);
      const crash = crashReason(res);
      console.log(
        `  (${k}) run ${r + 1}/${opts.runs}: wall ${fmtSecs(res.wall)} s, ` +
          `peak RSS ${res.maxRssKiB === null ? '?' : fmtMB(res.maxRssKiB * KiB) + ' MB'}, ` +
          `exit ${res.code ?? res.signal}` +
          (crash ? `  <-- CRASH: ${crash}` : ''),
      );
      if (crash) {
        hardFailure = true;
        if (res.probe?.crash?.message) console.log('      ' + excerpt(res.probe.crash.message).replace(/\n/g, '\n      '));
        else if (res.stderr) console.log('      stderr: ' + excerpt(res.stderr).replace(/\n/g, '\n      '));
        break; // no point repeating a crash
      }
    }
    const ok = runs.filter((x) => !crashReason(x));
    const best = ok.length ? Math.min(...ok.map((x) => x.wall)) : NaN;
    const rssVals = runs.map((x) => x.maxRssKiB).filter((x) => x !== null);
    const maxRss = rssVals.length === runs.length && rssVals.length ? Math.max(...rssVals) * KiB : NaN;
    const codes = [...new Set(runs.map((x) => (x.code === null ? x.signal : x.code)))];
    const last = runs.at(-1);
    results[k] = {
      best,
      maxRss,
      codes,
      crashed: ok.length !== runs.length,
      reported: ok.length > 0 && ok.every((x) => x.code === 1 && x.stdout.includes('system')),
      mentionsSystem: ok.length > 0 && ok.every((x) => x.stdout.includes('system')),
      last,
    };
    if (k === 'c' || codes.some((c) => c === 2)) {
      if (last.stdout) console.log(`      stdout: ${excerpt(last.stdout).replace(/\n/g, '\n              ')}`);
      if (last.stderr) console.log(`      stderr: ${excerpt(last.stderr).replace(/\n/g, '\n              ')}`);
    }
  }

  // Results table.
  console.log('\nresults (MB = 10^6 bytes):');
  const rows = keys.map((k) => {
    const g = gen[k];
    const r = results[k];
    return [
      `(${k}) ${CASES[k].file}`,
      `${fmtMB(g.size)} MB`,
      Number.isFinite(r.best) ? fmtSecs(r.best) : '-',
      Number.isFinite(r.best) ? (g.size / MB / r.best).toFixed(0) : '-',
      k === 'b' && Number.isFinite(r.best) ? fmtRate(g.opcodes / r.best) : '-',
      Number.isFinite(r.maxRss) ? fmtMB(r.maxRss) : '?',
      r.codes.join('/'),
      k === 'c' ? (r.mentionsSystem ? 'yes' : 'no') : '-',
    ];
  });
  table(['case', 'file size', 'wall s', 'MB/s', 'opcodes/s', 'peak RSS MB', 'exit', "stdout has 'system'"], rows);

  // Targets.
  console.log('\ntargets:');
  const checks = [];
  const check = (k, name, measured, pass) => {
    checks.push({ k, name, pass });
    console.log(`  (${k}) ${name.padEnd(40)} measured ${String(measured).padEnd(30)} ${pass ? 'PASS' : 'FAIL'}`);
  };
  for (const k of keys) {
    const t = CASES[k].targets;
    const r = results[k];
    const g = gen[k];
    if (t.maxWall !== undefined)
      check(k, `wall < ${t.maxWall} s`, Number.isFinite(r.best) ? `${fmtSecs(r.best)} s` : 'n/a', r.best < t.maxWall);
    if (t.minOpsPerSec !== undefined) {
      const ops = g.opcodes / r.best;
      check(
        k,
        `>= ${fmtRate(t.minOpsPerSec)} opcodes/s`,
        Number.isFinite(ops) ? `${fmtRate(ops)} opcodes/s` : 'n/a',
        ops >= t.minOpsPerSec,
      );
    }
    if (t.maxRssMB !== undefined)
      check(k, `peak RSS < ${t.maxRssMB} MB`, Number.isFinite(r.maxRss) ? `${fmtMB(r.maxRss)} MB` : 'n/a', r.maxRss < t.maxRssMB * MB);
    if (t.mustReport !== undefined)
      check(
        k,
        `reports payload (exit 1 + '${t.mustReport}')`,
        `exit ${r.codes.join('/')}, ${r.mentionsSystem ? 'mentions' : 'no'} '${t.mustReport}'`,
        r.reported,
      );
  }
  // Not counted as targets: a benign file should come back clean.
  for (const k of keys.filter((x) => x !== 'c')) {
    const want = CASES[k].exit ?? 0;
    const clean = results[k].codes.length === 1 && results[k].codes[0] === want;
    console.log(`  (${k}) [info] benign file scans clean (exit ${want}): ${clean ? 'yes' : `no (exit ${results[k].codes.join('/')})`}`);
  }

  if (withHub) {
    console.log('\n(h) Hugging Face Hub over loopback:');
    const hub = await runHubBench({ cli, runs: opts.runs });
    printHubResult(hub);
    checks.push({ k: 'h', name: 'hub transferred < 1 MB', pass: hub.pass.transferred });
    checks.push({ k: 'h', name: 'hub wall < 1 s', pass: hub.pass.wall });
    if (!hub.ok) hardFailure = true;
  }

  const passed = checks.filter((c) => c.pass).length;
  const failed = checks.filter((c) => !c.pass).map((c) => `(${c.k}) ${c.name}`);
  console.log(
    `\nSUMMARY: ${passed}/${checks.length} targets passed` +
      (failed.length ? `; FAILED: ${failed.join(', ')}` : '') +
      (hardFailure ? '; CLI CRASHED (see above)' : ''),
  );
  return hardFailure ? 1 : 0;
}

// ---------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  keepTmp = opts.keep;
  let code = 0;
  try {
    if (opts.validateSmall) code = validateSmall() ? 0 : 1;
    else code = await bench(opts);
  } catch (e) {
    console.error(`bench failed: ${e?.stack ? e.stack : e}`);
    code = 2;
  } finally {
    if (keepTmp && tmpDir) console.log(`kept temp dir: ${tmpDir}`);
    cleanup();
  }
  process.exitCode = code;
}

main();
