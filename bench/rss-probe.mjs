// Preload module for the modelscan benchmark (loaded with `node --import`).
//
// When MODELSCAN_BENCH_RSS_FILE is set, it records the process's peak resident
// set size at exit as JSON: {"maxRSS": <KiB>, "exitCode": <n>, "crash": null|{...}}.
// `maxRSS` comes from process.resourceUsage().maxRSS (getrusage ru_maxrss, KiB).
// `crash` is set when an uncaught exception / unhandled rejection ended the
// process (observed via 'uncaughtExceptionMonitor', which changes no behaviour).
// Without the env var this module does nothing.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const outFile = process.env.MODELSCAN_BENCH_RSS_FILE;

if (outFile && isMainThread) {
  // Do not let any process the CLI might spawn overwrite our result.
  delete process.env.MODELSCAN_BENCH_RSS_FILE;

  let crash = null;
  process.on('uncaughtExceptionMonitor', (err, origin) => {
    let message;
    try {
      message = String(err?.stack || err);
    } catch {
      message = '<unprintable error>';
    }
    crash = { origin, message: message.slice(0, 4000) };
  });

  process.on('exit', (code) => {
    try {
      fs.writeFileSync(outFile, JSON.stringify({ maxRSS: process.resourceUsage().maxRSS, exitCode: code, crash }));
    } catch {
      // Nothing sensible to do while exiting; run.mjs reports the missing value.
    }
  });
}
