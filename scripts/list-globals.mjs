#!/usr/bin/env node
// Dev tool: lists every global a pickle imports and how each is used, with the
// policy tier, across files or folders. Used to grow the allowlist from benign
// files:  npm run build && node scripts/list-globals.mjs ../shared/corpus/benign
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WindowReader } from '../dist/io/bounded-reader.js';
import { FileSource } from '../dist/io/byte-source.js';
import { classify, DEFAULT_POLICY } from '../dist/pickle/policy.js';
import { renderCall } from '../dist/pickle/render.js';
import { resolveGlobal } from '../dist/pickle/resolve.js';
import { DEFAULT_LIMITS, PickleMachine } from '../dist/pickle/vm.js';

const files = [];
function walk(p) {
  if (!statSync(p).isDirectory()) files.push(p);
  else for (const n of readdirSync(p).sort()) walk(join(p, n));
}
process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .forEach(walk);
const verbose = process.argv.includes('--calls');
const seen = new Map();
for (const f of files) {
  const src = await FileSource.open(f);
  const log = (key, how) => {
    if (!seen.has(key)) seen.set(key, new Map());
    const m = seen.get(key);
    m.set(how, (m.get(how) ?? 0) + 1);
  };
  const ev = {
    onImport: (g, op) => log(`${g.module}:${g.name}`, op),
    onDynamicImport: () => log('<dynamic>', 'STACK_GLOBAL'),
    onCall: (c) => {
      const g = c.callee?.t === 'global' ? c.callee : null;
      log(g ? `${g.module}:${g.name}` : `<${c.callee?.t}>`, c.op);
      if (verbose) console.log(f, c.offset, renderCall(c.callee, c.args).slice(0, 200));
    },
    onBuild: () => {},
    onMutate: () => {},
    onExt: () => {},
    onPersistent: () => {},
    onOddity: () => {},
  };
  let off = 0;
  try {
    while (off < src.size) {
      const r = new WindowReader(src, off);
      const res = await new PickleMachine(r, ev, { resolve: resolveGlobal, limits: DEFAULT_LIMITS }).run();
      if (!res.ok) break;
      off = res.end;
    }
  } finally {
    await src.close();
  }
}
for (const [key, hows] of [...seen].sort()) {
  const [m, n] = key.split(':');
  const tier = n ? classify(DEFAULT_POLICY, m, n).tier : '-';
  console.log(`${tier.padEnd(8)} ${key.padEnd(70)} ${[...hows].map(([h, c]) => `${h}×${c}`).join(' ')}`);
}
