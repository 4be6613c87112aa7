#!/usr/bin/env node

// hf:// benchmark: a 2 GiB torch zip checkpoint (8 × 256 MiB storages, a
// sparse file) served by the loopback Hub of the tests
// (test/helpers/hub-server.ts, 127.0.0.1 only), scanned by the built CLI as a
// whole process with `-p hf://org/repo`. Reports wall time, bytes transferred
// (the CLI's own count, checked against what the server sent), peak RSS, and
// a second run that reuses the result cache.
//
//   node bench/hub.mjs [--runs N] [--cli PATH] [--keep]
//
// Targets: < 1 MB transferred, < 1 s wall. Like run.mjs, a missed target does
// not change the exit code; a CLI that crashes or cannot be run does.
// Units: MB = 10^6 bytes; MiB/GiB = 2^20/2^30.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeSparseTorchZip } from './torch-zip.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.dirname(BENCH_DIR);
const PROBE = path.join(BENCH_DIR, 'rss-probe.mjs');
const MiB = 1024 * 1024;
const MB = 1e6;

export const HUB_TARGETS = { maxWall: 1, maxTransferred: MB };

/** The test helper is TypeScript: loaded through tsx (a dev dependency, like everything the benchmark needs). */
async function loadHubServer() {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(pathToFileURL(path.join(REPO_ROOT, 'test/helpers/hub-server.ts')).href, import.meta.url);
}

function defaultCli() {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  return path.resolve(REPO_ROOT, typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.modelscan);
}

function runCli(cli, args, env, rssFile, timeoutSec) {
  return new Promise((resolve) => {
    fs.rmSync(rssFile, { force: true });
    const t0 = performance.now();
    let t1 = null;
    const child = spawn(process.execPath, ['--import', pathToFileURL(PROBE).href, cli, ...args], {
      env: { ...env, MODELSCAN_BENCH_RSS_FILE: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSec * 1000);
    child.on('exit', () => (t1 = performance.now()));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let probe = null;
      try {
        probe = JSON.parse(fs.readFileSync(rssFile, 'utf8'));
      } catch {}
      resolve({ wall: ((t1 ?? performance.now()) - t0) / 1000, code, signal, stdout, stderr, maxRssKiB: probe?.maxRSS ?? null });
    });
    child.on('error', (e) => resolve({ wall: 0, code: null, signal: null, stdout, stderr: String(e), maxRssKiB: null }));
  });
}

/**
 * Generates the checkpoint in a temp dir, serves it, and scans it `runs`
 * times with --no-cache (best wall time kept), then once with the cache warm.
 * Returns the measurements; `ok` is false when the CLI failed to run.
 */
export async function runHubBench({ cli = defaultCli(), runs = 3, keep = false, timeoutSec = 120, log = console.log } = {}) {
  const { startHubServer } = await loadHubServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelscan-bench-hub-'));
  let server;
  try {
    const file = path.join(dir, 'pytorch_model.bin');
    const t0 = performance.now();
    const size = writeSparseTorchZip(file, Array(8).fill(64 * MiB));
    log(
      `  hub: ${path.basename(file)} ${size} bytes (${(size / MB).toFixed(1)} MB, sparse), generated in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
    server = await startHubServer({
      repos: [{ id: 'org/repo', sha: 'c0ffee'.padEnd(40, '0'), files: [{ path: 'pytorch_model.bin', file, lfs: true }] }],
    });
    const env = { PATH: process.env.PATH ?? '', HF_ENDPOINT: server.endpoint, XDG_CACHE_HOME: path.join(dir, 'cache'), NO_COLOR: '1' };
    const rssFile = path.join(dir, 'rss.json');
    const measure = async (extra) => {
      const before = server.contentBytes();
      const r = await runCli(cli, ['-p', 'hf://org/repo', '-r', 'json', ...extra], env, rssFile, timeoutSec);
      let remote = null;
      try {
        remote = JSON.parse(r.stdout).summary.remote;
      } catch {}
      return { ...r, remote, served: server.contentBytes() - before };
    };
    const cold = [];
    for (let i = 0; i < runs; i++) cold.push(await measure(['--no-cache']));
    // Fills the cache, then the measured warm run.
    await measure([]);
    const warm = await measure([]);
    const best = cold.reduce((a, b) => (b.wall < a.wall ? b : a));
    const ok = [...cold, warm].every((r) => (r.code === 0 || r.code === 1) && r.remote);
    const result = {
      ok,
      size,
      wall: best.wall,
      walls: cold.map((r) => r.wall),
      transferred: best.remote?.bytes_transferred ?? null,
      served: best.served,
      metadata: best.remote?.metadata_bytes ?? null,
      maxRssMB: best.maxRssKiB ? (best.maxRssKiB * 1024) / MB : null,
      warm: { wall: warm.wall, transferred: warm.remote?.bytes_transferred ?? null, fromCache: warm.remote?.files_from_cache ?? null },
      pass: {
        transferred: (best.remote?.bytes_transferred ?? Infinity) < HUB_TARGETS.maxTransferred,
        wall: best.wall < HUB_TARGETS.maxWall,
      },
      failure: ok ? null : [...cold, warm].find((r) => !(r.code === 0 || r.code === 1) || !r.remote)?.stderr.slice(0, 2000),
    };
    return result;
  } finally {
    await server?.close();
    if (keep) log(`  hub: kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

function printResult(r) {
  const kb = (n) => (n === null ? '-' : `${(n / 1000).toFixed(1)} kB`);
  console.log(
    `hub  2 GiB torch zip over hf://  wall ${r.wall.toFixed(3)} s (runs: ${r.walls.map((w) => w.toFixed(3)).join(', ')})  ` +
      `transferred ${kb(r.transferred)} of ${(r.size / MB).toFixed(1)} MB (server sent ${kb(r.served)}; listings ${kb(r.metadata)})  ` +
      `peak RSS ${r.maxRssMB === null ? '-' : `${r.maxRssMB.toFixed(1)} MB`}`,
  );
  console.log(
    `     cached rescan: wall ${r.warm.wall.toFixed(3)} s, transferred ${kb(r.warm.transferred)}, ${r.warm.fromCache} file(s) from the cache`,
  );
  console.log(
    `     targets: transferred < ${HUB_TARGETS.maxTransferred / MB} MB ${r.pass.transferred ? 'PASS' : 'FAIL'}, ` +
      `wall < ${HUB_TARGETS.maxWall} s ${r.pass.wall ? 'PASS' : 'FAIL'}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const opts = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--runs') opts.runs = Number(args[++i]);
    else if (args[i] === '--cli') opts.cli = path.resolve(args[++i]);
    else if (args[i] === '--keep') opts.keep = true;
    else {
      console.error('usage: node bench/hub.mjs [--runs N] [--cli PATH] [--keep]');
      process.exit(2);
    }
  }
  const r = await runHubBench(opts);
  printResult(r);
  if (!r.ok) {
    console.error(`hub: the CLI failed:\n${r.failure ?? ''}`);
    process.exitCode = 1;
  }
}

export { printResult as printHubResult };
