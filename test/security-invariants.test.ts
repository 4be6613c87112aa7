/**
 * The scanner must never run what it scans: no eval, no Function
 * constructor, no vm module, no child processes, no dynamic import anywhere
 * under src/. Comments are stripped first (by TypeScript's own parser and
 * printer, so strings and regex literals can't confuse the stripping), then
 * the code text is checked; dynamic import() is also looked for in the AST.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = new URL('..', import.meta.url).pathname;
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return sourceFiles(p);
      return /\.(ts|mts|cts|tsx|js|mjs|cjs)$/.test(name) ? [p] : [];
    });
}

/** The code without comments (TypeScript's printer drops them; literals are printed verbatim). */
export function stripComments(text: string, fileName = 'x.ts'): string {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  return ts.createPrinter({ removeComments: true }).printFile(sf);
}

const RULES: { name: string; re: RegExp }[] = [
  // A bare eval( call; `x.eval(` (a method, or text like 'builtins.eval(' in a message) is not the global eval.
  { name: 'eval(', re: /(^|[^.\w$])eval\s*\(/m },
  { name: 'globalThis.eval', re: /\b(globalThis|global|window|self)\s*(\.\s*eval|\[\s*['"`]eval['"`]\s*\])/ },
  { name: 'new Function', re: /\bnew\s+Function\b/ },
  { name: "from 'node:vm'", re: /\bfrom\s*['"](node:)?vm['"]/ },
  { name: "import 'vm'", re: /\bimport\s*['"](node:)?vm['"]/ },
  { name: "require('vm')", re: /\brequire\s*\(\s*['"`](node:)?vm['"`]\s*\)/ },
  { name: 'child_process', re: /child_process/ },
  { name: 'dynamic import(', re: /(^|[^.\w$])import\s*\(/m },
];

/** Violations in one file's text: rule names (text rules on comment-free code, plus AST dynamic imports). */
export function violations(text: string, fileName = 'x.ts'): string[] {
  const code = stripComments(text, fileName);
  const found = RULES.filter((r) => r.re.test(code)).map((r) => r.name);
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) found.push('dynamic import() (AST)');
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'eval') found.push('eval call (AST)');
    if ((ts.isNewExpression(n) || ts.isCallExpression(n)) && ts.isIdentifier(n.expression) && n.expression.text === 'Function')
      found.push('Function constructor (AST)');
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return [...new Set(found)];
}

describe('security invariants of src/', () => {
  const files = sourceFiles(SRC);

  it('finds the sources', () => {
    assert.ok(files.length >= 20, `only ${files.length} files under src/`);
    assert.ok(files.some((f) => f.endsWith('pickle/vm.ts')));
  });

  it('no eval, Function constructor, vm, child_process or dynamic import in any file under src/', () => {
    const bad: string[] = [];
    for (const f of files) {
      const v = violations(readFileSync(f, 'utf8'), f);
      if (v.length) bad.push(`${relative(ROOT, f)}: ${v.join(', ')}`);
    }
    assert.deepEqual(bad, []);
  });

  describe('the checker itself', () => {
    const cases: [string, string[]][] = [
      ["const x = eval('1');", ['eval(', 'eval call (AST)']],
      ['const x = globalThis.eval("1");', ['globalThis.eval']],
      ["const f = new Function('return 1');", ['new Function', 'Function constructor (AST)']],
      ["import vm from 'node:vm';", ["from 'node:vm'"]],
      ["import { runInNewContext } from 'vm';", ["from 'node:vm'"]],
      ["const vm = require('vm');", ["require('vm')"]],
      ["import { spawn } from 'node:child_process';", ['child_process']],
      ["const m = await import('./x.js');", ['dynamic import(', 'dynamic import() (AST)']],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample source text itself holds a template
      ['const m = import(`./${name}.js`);', ['dynamic import(', 'dynamic import() (AST)']],
    ];
    for (const [code, want] of cases) {
      it(`flags ${JSON.stringify(code)}`, () => assert.deepEqual(violations(code), want));
    }

    const clean = [
      "import { readFile } from 'node:fs/promises';",
      "import type { Finding } from './findings.js';",
      "export { scan } from './scan.js';",
      '// eval(x) and child_process in a line comment',
      '/* new Function(), import("vm"), require(\'vm\') in a block comment */',
      '/** JSDoc: never use eval( or import( here */ export const a = 1;',
      'const why = `builtins.eval(...) can execute arbitrary code`;',
      'const call = obj.eval(1); const imp = meta.import(2);',
      'const re = /\\/\\/ not a comment eval/;',
      'const evaluate = (x: number) => x; evaluate(1);',
    ];
    for (const code of clean) {
      it(`accepts ${JSON.stringify(code)}`, () => assert.deepEqual(violations(code), []));
    }
  });
});
