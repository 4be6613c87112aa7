/**
 * Real-world fixtures (test/fixtures/pickle, see MANIFEST.md) and the demo
 * files in examples/: benign files stay below MEDIUM with their exact
 * (rule, severity, module, operator) list pinned; malicious files give
 * exactly the CRITICAL/HIGH findings the manifest describes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { joblibInlineData } from '../src/formats/joblib/inline-arrays.js';
import { FileSource } from '../src/io/byte-source.js';
import { runPickleStreams } from '../src/pickle/streams.js';
import { dictGet, isObj } from '../src/pickle/values.js';
import { DEFAULT_LIMITS } from '../src/pickle/vm.js';
import { type Issue, type ScanResult, scan } from '../src/scan/scan.js';

const ROOT = new URL('..', import.meta.url).pathname;
const REAL = join(ROOT, 'test/fixtures/pickle/real');
const MALICIOUS = join(ROOT, 'test/fixtures/pickle/malicious');
const EXAMPLES = join(ROOT, 'examples');

type Row = [rule: string, severity: string, module: string, operator: string];
const rows = (issues: Issue[]): Row[] =>
  issues.map((i) => [i.rule, i.severity, i.module, i.operator] as Row).sort((a, b) => a.join('\0').localeCompare(b.join('\0')));
const atLeastMedium = (i: Issue) => i.severity !== 'LOW';

/** The exact findings of each benign fixture. */
const REAL_EXPECTED: Record<string, Row[]> = {
  'cloudpickle_lambda.pkl': [['pickle/code-by-value', 'LOW', '', '']],
  'collections_p4.pkl': [],
  'data_p0.pkl': [],
  'data_p1.pkl': [],
  'data_p2.pkl': [],
  'data_p3.pkl': [],
  'data_p4.pkl': [],
  'data_p5.pkl': [],
  'dill_lambda.pkl': [
    ['pickle/code-by-value', 'LOW', '', ''],
    ['pickle/unknown-global', 'LOW', '__builtin__', '__main__'],
  ],
  'dill_plain.pkl': [],
  'joblib_arrays.joblib': [],
  'joblib_plain.pkl': [],
  'numpy_array_p2.pkl': [],
  'numpy_array_p4.pkl': [],
  'numpy_array_p5.pkl': [],
  'numpy_object_array_p4.pkl': [],
  'pandas_df_p2.pkl': [],
  'pandas_df_p4.pkl': [],
  'sklearn_logreg_p2.pkl': [],
  'sklearn_logreg_p4.pkl': [],
  'sklearn_logreg_p5.pkl': [],
  'sklearn_pipeline_p4.pkl': [],
  'sklearn_random_forest_p4.pkl': [],
  'torch_module_legacy.pt': [],
  'torch_state_dict_legacy.pt': [],
  // Each storage's legacy torch.save bytes go through torch.storage._load_from_bytes, scanned as nested pickles.
  'torch_state_dict_pickle_p2.pkl': [
    ['pickle/nested-load', 'LOW', 'torch.storage', '_load_from_bytes'],
    ['pickle/nested-load', 'LOW', 'torch.storage', '_load_from_bytes'],
  ],
  'torch_state_dict_zip.pt': [],
};

/** Files the scanner can't open yet: skipped with a reason, never reported clean as scanned. */
const REAL_SKIPPED: Record<string, string> = {};

interface Expect {
  rule: string;
  severity: 'CRITICAL' | 'HIGH';
  module: string;
  operator: string;
  position: number;
  /** Substrings of the rendered call. */
  call?: string[];
  resolved?: string;
  nested?: boolean;
}

/** Exact CRITICAL/HIGH findings of each malicious fixture (there are no lower ones either). */
const MALICIOUS_EXPECTED: Record<string, Expect[]> = {
  'os_system_p0.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: 'posix',
      operator: 'system',
      position: 0,
      call: ['os.system(', 'echo modelscan-fixture'],
      resolved: 'os.system',
    },
  ],
  'os_system_p2.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: 'posix',
      operator: 'system',
      position: 2,
      call: ['os.system(', 'echo modelscan-fixture'],
      resolved: 'os.system',
    },
  ],
  'os_system_p4.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: 'posix',
      operator: 'system',
      position: 28,
      call: ['os.system(', 'echo modelscan-fixture'],
      resolved: 'os.system',
    },
  ],
  'subprocess_popen_p4.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: 'subprocess',
      operator: 'Popen',
      position: 32,
      call: ["subprocess.Popen(['echo', 'modelscan-fixture'])"],
    },
  ],
  'builtins_eval_p2.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: '__builtin__',
      operator: 'eval',
      position: 2,
      call: ['builtins.eval(', "print('modelscan-fixture')"],
      resolved: 'builtins.eval',
    },
  ],
  'builtins_exec_p4.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: 'builtins',
      operator: 'exec',
      position: 29,
      call: ["builtins.exec('import os')"],
    },
  ],
  'nested_loads_p4.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: '_pickle',
      operator: 'loads',
      position: 29,
      call: ["pickle.loads(b'\\x80\\x04"],
      resolved: 'pickle.loads',
    },
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: 'posix',
      operator: 'system',
      position: 61,
      call: ['os.system(', 'echo modelscan-fixture'],
      nested: true,
    },
  ],
  'webbrowser_open_p3.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'HIGH',
      module: 'webbrowser',
      operator: 'open',
      position: 2,
      call: ["webbrowser.open('http://127.0.0.1:9/')"],
    },
  ],
  'socket_create_connection_p4.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: 'socket',
      operator: 'create_connection',
      position: 40,
      call: ["socket.create_connection(('127.0.0.1', 9))"],
    },
  ],
  // Not on modelscan's default denylist, but on ours (importlib is an import gadget).
  'unknown_call_with_string_p4.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: 'importlib',
      operator: 'import_module',
      position: 39,
      call: ["importlib.import_module('os')"],
    },
  ],
  'model_with_payload_p4.pkl': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: 'posix',
      operator: 'system',
      position: 963,
      call: ['os.system(', 'echo modelscan-fixture'],
    },
  ],
  // After a float32 array's inline bytes and an object array's nested pickle.
  'joblib_arrays_then_payload.joblib': [
    {
      rule: 'pickle/unsafe-global',
      severity: 'CRITICAL',
      module: 'posix',
      operator: 'system',
      position: 798,
      call: ['os.system(', 'echo modelscan-fixture'],
    },
  ],
};

const results = new Map<string, Promise<ScanResult>>();
const scanOnce = (path: string) => {
  if (!results.has(path)) results.set(path, scan([path]));
  return results.get(path)!;
};

describe('benign fixtures (test/fixtures/pickle/real)', () => {
  const files = readdirSync(REAL).sort();

  it('every file has a pinned expectation', () => {
    assert.deepEqual(files, Object.keys(REAL_EXPECTED).sort());
  });

  for (const f of files) {
    it(`${f}: nothing >= MEDIUM, exact findings pinned`, async () => {
      const r = await scanOnce(join(REAL, f));
      assert.deepEqual(r.errors, [], 'no errors');
      assert.deepEqual(
        r.issues.filter(atLeastMedium).map((i) => `${i.severity} ${i.rule} ${i.module}.${i.operator}`),
        [],
      );
      assert.deepEqual(rows(r.issues), REAL_EXPECTED[f]);
      if (REAL_SKIPPED[f]) {
        assert.deepEqual(r.scanned, []);
        assert.deepEqual(
          r.skipped.map((s) => [s.source, s.description]),
          [[f, REAL_SKIPPED[f]]],
        );
      } else {
        assert.deepEqual(r.scanned, [f]);
        assert.deepEqual(r.skipped, []);
      }
    });
  }

  it('joblib_arrays.joblib is read to its last key, past every inline array', async () => {
    const src = await FileSource.open(join(REAL, 'joblib_arrays.joblib'));
    try {
      const out = await runPickleStreams(src, () => undefined, { limits: DEFAULT_LIMITS, maxStreams: 10, inlineHook: joblibInlineData });
      assert.equal(out.streams.length, 1);
      assert.ok(out.streams[0].ok);
      assert.equal(out.end, src.size, 'the whole file was consumed');
      const value = out.streams[0].value;
      assert.ok(isObj(value) && value.t === 'container' && value.kind === 'dict');
      assert.equal(dictGet(value, 'after'), 'tail');
    } finally {
      await src.close();
    }
  });

  it('data_p0.pkl (protocol 0, with FLOAT inf) is scanned as a pickle', async () => {
    const r = await scanOnce(join(REAL, 'data_p0.pkl'));
    assert.deepEqual(r.scanned, ['data_p0.pkl']);
  });

  it('code carried by value (dill/cloudpickle lambdas) is LOW pickle/code-by-value naming its builders', async () => {
    const cp = (await scanOnce(join(REAL, 'cloudpickle_lambda.pkl'))).issues.find((i) => i.rule === 'pickle/code-by-value')!;
    assert.match(cp.description, /cloudpickle\.cloudpickle\._make_function/);
    const dl = (await scanOnce(join(REAL, 'dill_lambda.pkl'))).issues.find((i) => i.rule === 'pickle/code-by-value')!;
    assert.match(dl.description, /dill\._dill\._create_code, dill\._dill\._create_function/);
  });
});

describe('malicious fixtures (test/fixtures/pickle/malicious)', () => {
  const files = readdirSync(MALICIOUS).sort();
  const manifest = readFileSync(join(ROOT, 'test/fixtures/pickle/MANIFEST.md'), 'utf8');

  it('every file has a pinned expectation and a MANIFEST row marked malicious', () => {
    assert.deepEqual(files, Object.keys(MALICIOUS_EXPECTED).sort());
    for (const f of files) assert.match(manifest, new RegExp(`\\| \`malicious/${f.replace('.', '\\.')}\` \\|.*\\| malicious`), f);
  });

  for (const f of files) {
    it(`${f}: exact CRITICAL/HIGH findings`, async () => {
      const r = await scanOnce(join(MALICIOUS, f));
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.scanned, [f]);
      const want = MALICIOUS_EXPECTED[f];
      const got = [...r.issues].sort((a, b) => a.position - b.position);
      assert.deepEqual(
        got.map((i) => ({ rule: i.rule, severity: i.severity, module: i.module, operator: i.operator, position: i.position })),
        want.map(({ rule, severity, module, operator, position }) => ({ rule, severity, module, operator, position })),
      );
      const size = statSync(join(MALICIOUS, f)).size;
      got.forEach((i, k) => {
        const w = want[k];
        for (const s of w.call ?? []) assert.ok(i.call?.includes(s), `${f}: call ${i.call} should contain ${s}`);
        if (w.resolved) assert.equal(i.details?.resolved, w.resolved);
        assert.ok(i.position >= 0 && i.position < size, 'position inside the file');
        assert.equal(i.description.startsWith('['), !!w.nested, 'nested findings are labelled with their payload');
        assert.equal(i.scanner, 'modelscan.scanners.PickleUnsafeOpScan');
      });
    });
  }

  it('os_system_* pickle as posix.system on Linux: CRITICAL with the harmless echo in the call', async () => {
    for (const p of [0, 2, 4]) {
      const r = await scanOnce(join(MALICIOUS, `os_system_p${p}.pkl`));
      const crit = r.issues.filter((i) => i.severity === 'CRITICAL');
      assert.equal(crit.length, 1);
      assert.equal(`${crit[0].module}.${crit[0].operator}`, 'posix.system');
      assert.match(crit[0].call!, /echo modelscan-fixture/);
    }
  });

  it('nested_loads_p4.pkl: the inner os.system lies inside the embedded bytes of the outer file', async () => {
    const bytes = readFileSync(join(MALICIOUS, 'nested_loads_p4.pkl'));
    const inner = readFileSync(join(MALICIOUS, 'os_system_p4.pkl'));
    const at = bytes.indexOf(inner);
    assert.ok(at > 0, 'os_system_p4 bytes are embedded verbatim');
    const r = await scanOnce(join(MALICIOUS, 'nested_loads_p4.pkl'));
    const nested = r.issues.find((i) => i.description.startsWith('['))!;
    const direct = (await scanOnce(join(MALICIOUS, 'os_system_p4.pkl'))).issues[0];
    assert.equal(nested.position, at + direct.position);
  });
});

describe('examples/', () => {
  it('malicious_model.pkl has exactly one finding: CRITICAL os.system', async () => {
    const r = await scanOnce(join(EXAMPLES, 'malicious_model.pkl'));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.issues.map((i) => [i.rule, i.severity, i.module, i.operator, i.position]),
      [['pickle/unsafe-global', 'CRITICAL', 'posix', 'system', 28]],
    );
    assert.equal(r.issues[0].call, `os.system('echo "this model would run code on load"')`);
  });

  for (const f of ['benign_sklearn_model.pkl', 'benign_state_dict.pt']) {
    it(`${f} has nothing >= MEDIUM (no findings at all)`, async () => {
      const r = await scanOnce(join(EXAMPLES, f));
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.scanned, [f]);
      assert.deepEqual(r.issues.filter(atLeastMedium), []);
      assert.deepEqual(r.issues, []);
    });
  }

  it('scanning the folder: one CRITICAL, README.md skipped', async () => {
    const r = await scan([EXAMPLES]);
    assert.deepEqual(r.scanned.sort(), ['benign_sklearn_model.pkl', 'benign_state_dict.pt', 'malicious_model.pkl']);
    assert.deepEqual(
      r.skipped.map((s) => s.source),
      ['README.md'],
    );
    assert.deepEqual(
      r.issues.map((i) => [i.source, i.severity]),
      [['malicious_model.pkl', 'CRITICAL']],
    );
  });
});
