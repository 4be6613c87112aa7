/**
 * The shared evaluation corpus (../shared/corpus next to the repository,
 * absent on most machines), for every format the scanner covers: every
 * entry marked 'unsafe' must get an issue >= MEDIUM, no entry marked 'safe'
 * may get one, and 'malformed' entries must never come out clean. Skips
 * when the corpus is not there.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type ScanResult, scan } from '../src/scan/scan.js';

const ROOT = new URL('..', import.meta.url).pathname;
// MODELSCAN_CORPUS overrides the location (e.g. to check that the suite skips cleanly without it).
const CORPUS = process.env.MODELSCAN_CORPUS ? resolve(process.env.MODELSCAN_CORPUS) : resolve(ROOT, '../shared/corpus');
const MANIFEST = resolve(CORPUS, 'manifest.json');

interface Entry {
  path: string;
  format: string;
  verdict: 'safe' | 'unsafe' | 'malformed' | 'suspicious';
  technique?: string | null;
}

/** Manifest formats the scanner handles; each new format scanner adds its names here. */
const COVERED = new Set([
  'pickle',
  'joblib',
  'dill',
  'cloudpickle',
  'pytorch',
  'pytorch_legacy',
  'pytorch_legacy_tar',
  'torchscript',
  'numpy',
  'numpy_npz',
  'zip',
  '7z',
  'safetensors',
  'gguf',
  'onnx',
  'onnx_external_data',
  'tensorflow_savedmodel',
  'keras_h5',
  'keras_v3',
  'chat_template_json',
  'chat_template_yaml',
  'jinja2',
  'json',
  'text',
  'csv',
  'xgboost_json',
  'xgboost_ubj',
  'skops',
]);

const atLeastMedium = (r: ScanResult) => r.issues.some((i) => i.severity !== 'LOW');

describe('shared corpus: every covered format', () => {
  const present = existsSync(MANIFEST);
  let results: Promise<{ entries: Entry[]; excluded: Entry[]; byPath: Map<string, ScanResult> }> | undefined;
  const load = () =>
    (results ??= (async () => {
      const all: Entry[] = JSON.parse(readFileSync(MANIFEST, 'utf8')).entries;
      const entries = all.filter((e) => COVERED.has(e.format));
      const excluded = all.filter((e) => !COVERED.has(e.format));
      const byPath = new Map<string, ScanResult>();
      for (const e of entries) byPath.set(e.path, await scan([resolve(CORPUS, e.path)]));
      return { entries, excluded, byPath };
    })());

  const skipIfAbsent = (t: TestContext): boolean => {
    if (present) return false;
    t.skip(`shared corpus not found at ${CORPUS}`);
    return true;
  };

  it('counts', async (t) => {
    if (skipIfAbsent(t)) return;
    const { entries, excluded } = await load();
    const count = (v: string) => entries.filter((e) => e.verdict === v).length;
    const msg = `covered entries: ${entries.length} (unsafe ${count('unsafe')}, safe ${count('safe')}, malformed ${count('malformed')}, suspicious ${count('suspicious')}); other formats not checked here: ${excluded.length}`;
    t.diagnostic(msg);
    assert.ok(entries.length > 0);
  });

  it("every 'unsafe' entry has an issue >= MEDIUM", async (t) => {
    if (skipIfAbsent(t)) return;
    const { entries, byPath } = await load();
    const unsafe = entries.filter((e) => e.verdict === 'unsafe');
    const missed = unsafe.filter((e) => !atLeastMedium(byPath.get(e.path)!)).map((e) => `${e.path} (${e.technique ?? '?'})`);
    const msg = `unsafe flagged: ${unsafe.length - missed.length}/${unsafe.length}`;
    t.diagnostic(msg);
    assert.deepEqual(missed, []);
  });

  it("no 'safe' entry has an issue >= MEDIUM", async (t) => {
    if (skipIfAbsent(t)) return;
    const { entries, byPath } = await load();
    const safe = entries.filter((e) => e.verdict === 'safe');
    const flagged = safe.flatMap((e) =>
      byPath
        .get(e.path)!
        .issues.filter((i) => i.severity !== 'LOW')
        .map((i) => `${e.path}: ${i.severity} ${i.rule} ${i.module}.${i.operator}`),
    );
    const msg = `safe clean (nothing >= MEDIUM): ${safe.length - new Set(flagged.map((f) => f.split(':')[0])).size}/${safe.length}`;
    t.diagnostic(msg);
    assert.deepEqual(flagged, []);
  });

  it("no 'malformed' entry comes out clean (an issue >= MEDIUM or an error)", async (t) => {
    if (skipIfAbsent(t)) return;
    const { entries, byPath } = await load();
    const clean = entries
      .filter((e) => e.verdict === 'malformed')
      .filter((e) => {
        const r = byPath.get(e.path)!;
        return !atLeastMedium(r) && r.errors.length === 0;
      })
      .map((e) => e.path);
    assert.deepEqual(clean, []);
  });

  it('no scan errors on entries that are not malformed', async (t) => {
    if (skipIfAbsent(t)) return;
    const { entries, byPath } = await load();
    const errs = entries
      .filter((e) => e.verdict !== 'malformed')
      .flatMap((e) => byPath.get(e.path)!.errors.map((x) => `${e.path}: ${x.category} ${x.description}`));
    assert.deepEqual(errs, []);
  });
});
