/**
 * CI integration: the GitHub Action's entry (action/entry.mjs, run the way action.yml runs it, with the runner's
 * files in a temp dir) and the pre-commit hook (its entry from .pre-commit-hooks.yaml, run the way pre-commit
 * runs a node hook), both over the built CLI: `npm test` builds dist/ before the tests.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Ajv, Options } from 'ajv';
import addFormats from 'ajv-formats';
import { global, p4 } from './helpers/assembler.js';
import { assertBuilt, ROOT } from './helpers/cli.js';

const ENTRY = join(ROOT, 'action/entry.mjs');
const BENIGN = 'test/fixtures/pickle/real/data_p4.pkl';
const MALICIOUS = 'examples/malicious_model.pkl';

// The SARIF 2.1.0 schema (draft-04), as test/cli-e2e.test.ts validates the CLI's own SARIF.
const require = createRequire(import.meta.url);
const AjvDraft04 = require('ajv-draft-04') as new (opts: Options) => Ajv;
const sarifAjv = new AjvDraft04({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats.default(sarifAjv);
const validateSarif = sarifAjv.compile(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'));

type Yaml = string | boolean | Yaml[] | { [key: string]: Yaml };

/** The YAML these two files use: block maps and lists, plain and quoted scalars, flow lists, comments. */
function parseYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((raw) => stripComment(raw).trimEnd())
    .filter((l) => l.trim() !== '')
    .map((l) => ({ indent: l.search(/\S/), text: l.trimStart() }));
  let i = 0;
  const isItem = (t: string) => t === '-' || t.startsWith('- ');
  const block = (): Yaml => (isItem(lines[i].text) ? list(lines[i].indent) : map(lines[i].indent));
  function list(indent: number): Yaml[] {
    const out: Yaml[] = [];
    while (i < lines.length && lines[i].indent === indent && isItem(lines[i].text)) {
      const rest = lines[i].text.slice(1).trimStart();
      if (!rest) {
        i++;
        out.push(block());
      } else if (/^[^'"[\s][^:]*:(\s|$)/.test(rest)) {
        lines[i] = { indent: indent + lines[i].text.length - rest.length, text: rest };
        out.push(map(lines[i].indent));
      } else {
        out.push(scalar(rest));
        i++;
      }
    }
    return out;
  }
  function map(indent: number): { [key: string]: Yaml } {
    const out: { [key: string]: Yaml } = {};
    while (i < lines.length && lines[i].indent === indent && !isItem(lines[i].text)) {
      const m = /^([^\s:][^:]*?):(?:\s+(.*))?$/.exec(lines[i].text);
      assert.ok(m, `not a YAML map entry: ${lines[i].text}`);
      i++;
      out[m[1]] = m[2] !== undefined ? scalar(m[2]) : i < lines.length && lines[i].indent > indent ? block() : '';
    }
    return out;
  }
  const result = block();
  assert.equal(i, lines.length, `YAML left unread from: ${lines[i]?.text}`);
  return result;
}

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

function scalar(v: string): Yaml {
  if (v.startsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  if (v.startsWith('"')) return JSON.parse(v);
  if (v.startsWith('['))
    return v
      .slice(1, -1)
      .split(',')
      .map((s) => scalar(s.trim()));
  if (v === 'true' || v === 'false') return v === 'true';
  return v;
}

/** POSIX shell words, as Python's shlex.split (pre-commit splits `entry` with it). */
function shlexSplit(text: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = '';
      else word = `${word}${c}`;
    } else if (quote === '"') {
      if (c === '"') quote = '';
      else word = `${word}${c === '\\' && /["\\$`]/.test(text[i + 1] ?? '') ? text[++i] : c}`;
    } else if (/\s/.test(c)) {
      if (word !== null) out.push(word);
      word = null;
    } else {
      word ??= '';
      if (c === "'" || c === '"') quote = c;
      else word += c === '\\' ? (text[++i] ?? '') : c;
    }
  }
  if (word !== null) out.push(word);
  return out;
}

/** A GitHub expression as YAML holds it. */
const gh = (expression: string) => `\${{ ${expression} }}`;

const get = (y: Yaml, ...keys: string[]): Yaml => {
  let v = y;
  for (const k of keys) {
    assert.ok(v && typeof v === 'object' && !Array.isArray(v) && k in v, `missing key ${keys.join('.')}`);
    v = (v as { [key: string]: Yaml })[k];
  }
  return v;
};

interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** GITHUB_OUTPUT's two forms: name=value, and name<<DELIMITER … DELIMITER. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1);
      out[heredoc[1]] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (lines[i].includes('=')) out[lines[i].slice(0, lines[i].indexOf('='))] = lines[i].slice(lines[i].indexOf('=') + 1);
  }
  return out;
}

describe('CI integration', () => {
  let tmp: string;
  let runs = 0;

  /** The environment the runner gives the Scan step of action.yml: inputs as INPUT_*, its files in tmp. */
  async function action(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
    const dir = join(tmp, `run-${++runs}`);
    await mkdir(dir);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(INPUT_|GITHUB_)/.test(k)));
    const inputEnv = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase().replace(/-/g, '_')}`, v]));
    const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary'), GITHUB_WORKSPACE: ROOT };
    await writeFile(files.GITHUB_OUTPUT, '');
    await writeFile(files.GITHUB_STEP_SUMMARY, '');
    const r = spawnSync(process.execPath, [ENTRY], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...clean, NO_COLOR: '1', ...files, ...inputEnv, ...env },
    });
    return {
      code: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
      outputs: parseOutputs(await readFile(files.GITHUB_OUTPUT, 'utf8')),
      summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    };
  }

  /** The SARIF file the action wrote, valid against the SARIF 2.1.0 schema after its locations were rebased. */
  async function sarifOf(r: ActionRun): Promise<Record<string, any>> {
    const log: Record<string, any> = JSON.parse(await readFile(r.outputs['sarif-file'], 'utf8'));
    assert.ok(validateSarif(log), JSON.stringify(validateSarif.errors?.slice(0, 5), null, 1));
    return log;
  }

  before(async () => {
    assertBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'modelscan-ci-'));
  });

  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe('GitHub Action entry (action/entry.mjs)', () => {
    it('a CRITICAL finding with fail-on CRITICAL exits 1 and writes SARIF, outputs, summary and the console report', async () => {
      const sarifFile = join(tmp, 'reports/nested/modelscan.sarif');
      const r = await action({ paths: `${BENIGN} ${MALICIOUS}`, 'fail-on': 'CRITICAL', 'sarif-file': sarifFile });
      assert.equal(r.code, 1, r.stderr);
      assert.deepEqual(r.outputs, { issues: '1', 'exit-code': '1', 'sarif-file': sarifFile });
      const sarif = await sarifOf(r);
      assert.equal(sarif.version, '2.1.0');
      const [result] = sarif.runs[0].results;
      assert.equal(sarif.runs[0].results.length, 1);
      assert.equal(result.ruleId, 'pickle/unsafe-global');
      assert.equal(result.properties.severity, 'CRITICAL');
      // Code scanning reads relative URIs from the repository root: the location is rebased on the workspace.
      assert.deepEqual(result.locations[0].physicalLocation.artifactLocation, { uri: MALICIOUS, uriBaseId: '%SRCROOT%' });
      assert.equal(sarif.runs[0].originalUriBaseIds['%SRCROOT%'].uri, pathToFileURL(ROOT).href.replace(/\/?$/, '/'));
      assert.equal(sarif.runs[0].invocations[0].properties.scanned, 2);
      assert.ok(r.stdout.includes(`Call: os.system('echo "this model would run code on load"')`), r.stdout);
      assert.match(r.stdout, /Total Issues: 1/);
      assert.match(r.summary, /^## modelscan/);
      assert.match(r.summary, /\*\*1 issue\(s\)\*\* \(CRITICAL 1 · HIGH 0 · MEDIUM 0 · LOW 0\) in 2 scanned file\(s\)/);
      assert.match(r.summary, /fail-on CRITICAL: \*\*failed/);
      assert.match(
        r.summary,
        /\| CRITICAL \| examples\/malicious\\_model\.pkl \| pickle\/unsafe-global \| Use of unsafe operator 'system'/,
      );
      assert.match(r.stderr, /fail-on CRITICAL → exit 1/);
      // Outside GitHub Actions nothing is printed as a workflow command.
      assert.doesNotMatch(r.stdout, /^::/m);
    });

    it('fail-on none exits 0 on the same finding and still reports it', async () => {
      const r = await action({ paths: MALICIOUS, 'fail-on': 'none', 'sarif-file': join(tmp, 'none.sarif') });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.outputs.issues, '1');
      assert.equal(r.outputs['exit-code'], '0');
      assert.equal((await sarifOf(r)).runs[0].results.length, 1);
      assert.match(r.summary, /fail-on none: \*\*passed/);
    });

    it('a benign file passes at the default fail-on (MEDIUM) with an empty SARIF result list', async () => {
      const r = await action({ paths: BENIGN, 'sarif-file': join(tmp, 'benign.sarif') });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([r.outputs.issues, r.outputs['exit-code']], ['0', '0']);
      assert.deepEqual((await sarifOf(r)).runs[0].results, []);
      assert.match(r.summary, /fail-on MEDIUM: \*\*passed/);
      assert.match(r.stdout, /No issues found/);
    });

    it('fail-on maps to --fail-on: a LOW finding fails at LOW and passes at MEDIUM; newline-separated paths', async () => {
      const dir = join(tmp, 'low models');
      await mkdir(dir);
      const low = join(dir, 'custom class.pkl');
      await writeFile(low, p4(global('somepkg.models', 'Thing')));
      const paths = `${BENIGN}\n${low}\n`;
      const atLow = await action({ paths, 'fail-on': 'low', 'sarif-file': join(tmp, 'low.sarif') });
      assert.equal(atLow.code, 1, atLow.stderr);
      const atMedium = await action({ paths, 'fail-on': 'MEDIUM', 'sarif-file': join(tmp, 'medium.sarif') });
      assert.equal(atMedium.code, 0, atMedium.stderr);
      assert.equal(atMedium.outputs.issues, '1');
      const [result] = (await sarifOf(atMedium)).runs[0].results;
      assert.equal(result.properties.severity, 'LOW');
      // A file outside the workspace keeps an absolute URI (code scanning makes those relative itself, or drops them).
      assert.deepEqual(result.locations[0].physicalLocation.artifactLocation, { uri: pathToFileURL(low).href });
    });

    it('inside GitHub Actions the CLI output runs with workflow commands stopped, then findings become annotations', async () => {
      const r = await action({ paths: MALICIOUS, 'fail-on': 'HIGH', 'sarif-file': join(tmp, 'actions.sarif') }, { GITHUB_ACTIONS: 'true' });
      assert.equal(r.code, 1, r.stderr);
      const stop = /^::stop-commands::([0-9a-f]{32})$/m.exec(r.stdout);
      assert.ok(stop, r.stdout);
      const resume = r.stdout.indexOf(`\n::${stop[1]}::\n`);
      const report = r.stdout.indexOf('--- Summary ---');
      const annotation = r.stdout.indexOf('::error file=examples/malicious_model.pkl,title=modelscan CRITICAL%3A pickle/unsafe-global::');
      assert.ok(stop.index < report && report < resume && resume < annotation, r.stdout);
    });

    it('exits 2 with a clear message when a path does not exist, and writes no SARIF output', async () => {
      const r = await action({ paths: `${BENIGN} models/nope.pkl`, 'sarif-file': join(tmp, 'missing.sarif') });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /modelscan action: path not found: models\/nope\.pkl/);
      assert.deepEqual(r.outputs, { 'exit-code': '2' });
      assert.match(r.summary, /could not run: path not found/);
      assert.ok(!existsSync(join(tmp, 'missing.sarif')));
    });

    it('exits 2 on an empty paths input, a bad fail-on, a missing settings file or extra-args that redirect the report', async () => {
      const cases: [Record<string, string>, RegExp][] = [
        [{ paths: ' \n ' }, /input 'paths' is empty/],
        [{ paths: BENIGN, 'fail-on': 'SEVERE' }, /input 'fail-on' must be one of LOW, MEDIUM, HIGH, CRITICAL or none/],
        [{ paths: BENIGN, 'settings-file': 'nope.toml' }, /settings-file not found: nope\.toml/],
        [{ paths: BENIGN, 'extra-args': '-r json' }, /extra-args may not contain -r/],
        [{ paths: BENIGN, 'extra-args': '--output-file=x.json' }, /extra-args may not contain --output-file=x\.json/],
        [{ paths: BENIGN, 'extra-args': '--timeout "60' }, /extra-args: unterminated " quote/],
      ];
      for (const [inputs, message] of cases) {
        const r = await action({ 'sarif-file': join(tmp, 'bad.sarif'), ...inputs });
        assert.equal(r.code, 2, JSON.stringify(inputs));
        assert.match(r.stderr, message);
        assert.equal(r.outputs['exit-code'], '2');
      }
    });

    it('extra-args reach the CLI, split like a shell (quotes kept together)', async () => {
      const dir = join(tmp, 'extra');
      await mkdir(dir);
      await copyFile(join(ROOT, BENIGN), join(dir, 'model.pkl'));
      await writeFile(join(dir, 'notes.txt'), 'not a model\n');
      const r = await action({
        paths: dir,
        'extra-args': `--show-skipped --max-file-size '10 M' --log "WARNING"`,
        'sarif-file': join(tmp, 'extra.sarif'),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /--- Skipped ---[\s\S]*notes\.txt/);
      // A CLI usage error is the CLI's exit code 4.
      const bad = await action({ paths: BENIGN, 'extra-args': '--no-such-flag', 'sarif-file': join(tmp, 'usage.sarif') });
      assert.equal(bad.code, 4);
      assert.match(bad.stderr, /a usage error/);
      assert.equal(bad.outputs['sarif-file'], undefined);
    });

    it('action.yml is a composite action: Node 20, npm ci in its own checkout, the entry, SARIF upload on always()', () => {
      const y = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8'));
      const inputs = get(y, 'inputs') as Record<string, Record<string, Yaml>>;
      assert.deepEqual(Object.keys(inputs), ['paths', 'fail-on', 'sarif-file', 'upload-sarif', 'settings-file', 'extra-args']);
      assert.equal(inputs.paths.required, true);
      assert.deepEqual(
        ['fail-on', 'sarif-file', 'upload-sarif'].map((k) => inputs[k].default),
        ['MEDIUM', 'modelscan.sarif', 'true'],
      );
      assert.deepEqual(Object.keys(get(y, 'outputs') as object), ['issues', 'exit-code', 'sarif-file']);
      assert.equal(get(y, 'outputs', 'exit-code', 'value'), gh('steps.scan.outputs.exit-code'));
      assert.equal(get(y, 'runs', 'using'), 'composite');
      const steps = get(y, 'runs', 'steps') as Record<string, any>[];
      assert.equal(steps[0].uses, 'actions/setup-node@v4');
      assert.equal(steps[0].with['node-version'], '20');
      assert.match(steps[1].run, /cd "\$GITHUB_ACTION_PATH" && npm ci\b/);
      const scan = steps.find((s) => s.id === 'scan');
      assert.ok(scan);
      assert.equal(scan.run, 'node "$GITHUB_ACTION_PATH/action/entry.mjs"');
      // Every input the entry reads is passed through the environment, never spliced into the script.
      for (const name of Object.keys(inputs).filter((k) => k !== 'upload-sarif'))
        assert.equal(scan.env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`], gh(`inputs.${name}`));
      const upload = steps.at(-1) as Record<string, any>;
      assert.equal(upload.uses, 'github/codeql-action/upload-sarif@v3');
      assert.match(upload.if, /^always\(\) && inputs\.upload-sarif == 'true'/);
      assert.equal(upload.with.sarif_file, gh('steps.scan.outputs.sarif-file'));
    });
  });

  describe('pre-commit hook', () => {
    const hooks = () => parseYaml(readFileSync(join(ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as Record<string, any>[];

    it('.pre-commit-hooks.yaml declares a node hook over staged files named like models', () => {
      const [hook, ...rest] = hooks();
      assert.equal(rest.length, 0);
      assert.deepEqual([hook.id, hook.language, hook.pass_filenames, hook.require_serial], ['modelscan', 'node', true, true]);
      const files = new RegExp(hook.files.replace(/^\(\?i\)/, ''), 'i');
      const models = [
        'model.pkl',
        'a/b/weights.PT',
        'x.pth',
        'pytorch_model.bin',
        'm.ckpt',
        'm.joblib',
        'a.npy',
        'a.npz',
        'k.h5',
        'k.keras',
      ];
      models.push(
        'm.onnx',
        'saved_model.pb',
        'm.gguf',
        'm.safetensors',
        'b.zip',
        'b.tar',
        'b.tar.gz',
        'x.pickle',
        'model.safetensors.index.json',
      );
      models.push('tok/tokenizer_config.json', 'chat_template.json', 'template.jinja');
      for (const f of models) assert.match(f, files, f);
      for (const f of ['README.md', 'src/x.ts', 'package.json', 'config.json', 'model.pkl.txt']) assert.doesNotMatch(f, files, f);
    });

    /**
     * pre-commit runs shlex.split(entry) + args + file names in the user's repository, with NODE_PATH at the hook
     * environment's global node_modules, where `npm install -g` of the packed package put modelscan.
     */
    async function hook(files: string[], args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const [node, ...rest] = shlexSplit(hooks()[0].entry);
      assert.equal(node, 'node');
      const r = spawnSync(process.execPath, [...rest, ...args, ...files], {
        cwd: join(tmp, 'user-repo'),
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, NODE_PATH: join(tmp, 'hook-env/lib/node_modules'), NO_COLOR: '1' },
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    before(async () => {
      await mkdir(join(tmp, 'hook-env/lib/node_modules'), { recursive: true });
      await symlink(ROOT, join(tmp, 'hook-env/lib/node_modules/modelscan'), 'dir');
      const repo = join(tmp, 'user-repo');
      await mkdir(join(repo, 'models'), { recursive: true });
      await copyFile(join(ROOT, BENIGN), join(repo, 'models/benign.pkl'));
      await copyFile(join(ROOT, MALICIOUS), join(repo, 'models/evil.pkl'));
      await copyFile(join(ROOT, MALICIOUS), join(repo, '-evil.pkl'));
      await writeFile(join(repo, 'models/custom.pkl'), p4(global('somepkg.models', 'Thing')));
      await writeFile(join(repo, 'models/notes.pb'), 'syntax = "proto3";\n');
    });

    it('the entry passes benign files and fails malicious ones, with the file names as pre-commit passes them', async () => {
      const benign = await hook(['models/benign.pkl']);
      assert.equal(benign.code, 0, benign.stderr);
      assert.match(benign.stdout, /No issues found/);
      const evil = await hook(['models/benign.pkl', 'models/evil.pkl']);
      assert.equal(evil.code, 1, evil.stderr);
      assert.match(evil.stdout, /CRITICAL[\s\S]*Source: .*models\/evil\.pkl/);
    });

    it('hook args come before the files; a name starting with - is a file; "nothing scanned" passes', async () => {
      const low = await hook(['models/custom.pkl'], ['--fail-on', 'MEDIUM']);
      assert.equal(low.code, 0, low.stderr);
      assert.match(low.stdout, /LOW: 1/);
      assert.equal((await hook(['models/custom.pkl'])).code, 1);
      const dash = await hook(['-evil.pkl']);
      assert.equal(dash.code, 1, dash.stderr);
      assert.match(dash.stdout, /Source: .*\/-evil\.pkl/);
      const nothing = await hook(['models/notes.pb']);
      assert.equal(nothing.code, 0, nothing.stderr);
      assert.match(nothing.stderr, /none of these files is in a model format/);
    });

    it('the wrapper ships in the npm package, and npm pack keeps the prepare banner off stdout', () => {
      const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      assert.equal(pack.status, 0, pack.stderr);
      const files = (JSON.parse(pack.stdout)[0].files as { path: string }[]).map((f) => f.path);
      assert.ok(files.includes('action/pre-commit.mjs'), files.join(' '));
      assert.ok(files.includes('dist/cli/main.js'));
      // pre-commit reads the tarball's name from `npm pack`'s stdout; with foreground scripts the banner lands there too.
      const config = spawnSync('npm', ['config', 'get', 'foreground-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      assert.equal(config.stdout.trim(), 'false');
    });
  });
});
