#!/usr/bin/env node
/**
 * pre-commit hook (see .pre-commit-hooks.yaml): pre-commit runs `entry + args + staged file names`, and this
 * runs the built CLI as `modelscan scan ARGS… FILES…`. The CLI takes positional paths after its options, so the
 * names go through as they are (rewriting them to -p would mean guessing which hook args take a value); `scan`
 * first keeps a file named `scan` or `create-settings-file` a path, and a name that starts with '-' is passed
 * as ./NAME so it is never read as a flag.
 *
 * Exit codes are the CLI's, except 3 ("nothing scanned"): files that are only named like models (a text .pb,
 * a non-Keras .h5) leave nothing to check, which must not block a commit. Plain ESM for Node 20, no dependencies.
 *
 * pre-commit installs a node hook with `npm pack` + `npm install -g`, so this file ships in the package
 * ("files" in package.json) and the hook's entry loads it from NODE_PATH (pre-commit's global node_modules).
 * Run directly: node action/pre-commit.mjs [ARGS…] FILE…
 */
import { spawnSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const NOTHING_SCANNED = 3;

function isFile(name) {
  try {
    lstatSync(name);
    return true;
  } catch {
    return false;
  }
}

/** Runs the scan over pre-commit's arguments; returns the hook's exit code. */
export function main(args) {
  const cliArgs = ['scan', ...args.map((a) => (a.startsWith('-') && isFile(a) ? `./${a}` : a))];
  const r = spawnSync(process.execPath, [CLI, ...cliArgs], { stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`modelscan pre-commit: could not run ${CLI}: ${r.error.message}\n`);
    return 2;
  }
  const code = r.status ?? 2;
  if (code === NOTHING_SCANNED) {
    process.stderr.write('modelscan pre-commit: none of these files is in a model format: nothing to check\n');
    return 0;
  }
  return code;
}

// Run as a script (node action/pre-commit.mjs …); the hook's entry imports it and calls main itself.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
