/**
 * modelscan's documented commands against our bin, end to end: every exit
 * code, reports validated against their schemas (our JSON Schema, SARIF
 * 2.1.0), settings files, limits, folders with mixed content.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Ajv, Options } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'smol-toml';
import { defaultSettings, resolveSettings } from '../src/settings/load.js';
import { defaultSettingsToml } from '../src/settings/write.js';
import { global, mark, none, p4, pk, pop, reduce, stop, string, tuple } from './helpers/assembler.js';
import { assertBuilt, cli, ROOT } from './helpers/cli.js';

const require = createRequire(import.meta.url);
const reportSchema = JSON.parse(await readFile(join(ROOT, 'schemas/modelscan-report.schema.json'), 'utf8'));
const sarifSchema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validateReport = ajv.compile(reportSchema);
// The SARIF schema is draft-04 and its patterns predate unicode regexes.
const AjvDraft04 = require('ajv-draft-04') as new (opts: Options) => Ajv;
const sarifAjv = new AjvDraft04({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats.default(sarifAjv);
const validateSarif = sarifAjv.compile(sarifSchema);

function assertValidReport(text: string): Record<string, any> {
  const report: Record<string, any> = JSON.parse(text);
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors, null, 1));
  return report;
}

const evilCall = pk(global('os', 'system'), mark(), string('echo modelscan-test'), tuple(), reduce());
const evilPickle = pk(evilCall, stop());

describe('modelscan CLI end to end', () => {
  let tmp: string;
  let mixed: string;

  before(async () => {
    assertBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'modelscan-e2e-'));
    mixed = join(tmp, 'mixed');
    await mkdir(join(mixed, 'sub'), { recursive: true });
    await writeFile(join(mixed, 'evil.pkl'), evilPickle);
    await writeFile(join(mixed, 'corrupt.pkl'), 'this is not a model at all\n');
    await writeFile(join(mixed, 'sub', 'benign.pkl'), p4(none()));
    await writeFile(join(mixed, 'notes.txt'), 'notes\n');
  });

  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the evil pickle helper really is a pickle calling os.system', () => {
    const r = cli(['-p', join(tmp, 'mixed', 'evil.pkl'), '-r', 'json']);
    assert.equal(r.code, 1);
    assert.equal(assertValidReport(r.stdout).issues[0].call, "os.system('echo modelscan-test')");
  });

  describe('exit codes', () => {
    it('0: scanned, no issues', () => assert.equal(cli(['-p', 'test/fixtures/pickle/real/data_p4.pkl']).code, 0));
    it('1: issues found', () => assert.equal(cli(['-p', 'examples']).code, 1));
    it('1 beats 2: a malicious, a corrupt and a benign file', () => {
      const r = cli(['-p', mixed, '-r', 'json']);
      assert.equal(r.code, 1);
      const report = assertValidReport(r.stdout);
      assert.deepEqual(
        report.errors.map((e: { source: string }) => e.source),
        ['corrupt.pkl'],
      );
      assert.ok(report.summary.scanned.scanned_files.includes('sub/benign.pkl'));
      assert.equal(report.issues[0].source, 'evil.pkl');
    });
    it('2: errors and no issues', async () => {
      const dir = join(tmp, 'errors-only');
      await mkdir(dir);
      await writeFile(join(dir, 'broken.pt'), 'not a model');
      await writeFile(join(dir, 'ok.pkl'), p4(none()));
      assert.equal(cli(['-p', dir]).code, 2);
    });
    it('3: nothing scanned', async () => {
      const dir = join(tmp, 'nothing');
      await mkdir(dir);
      await writeFile(join(dir, 'README.md'), '# hello\n');
      const r = cli(['-p', dir]);
      assert.equal(r.code, 3);
      assert.doesNotMatch(r.stdout, /No issues found!/);
      assert.match(r.stdout, /Nothing was scanned/);
    });
    it('4: usage errors, one line on stderr', () => {
      for (const args of [
        ['--bogus', '-p', 'examples'],
        [],
        ['-p', 'examples', '-r', 'xml'],
        ['-p', 'examples', '--fail-on', 'SEVERE'],
        ['-p', 'examples', '--timeout', '-1'],
        ['-p', 'examples', '--max-file-size', 'big'],
      ]) {
        const r = cli(args);
        assert.equal(r.code, 4, args.join(' '));
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.equal(r.stdout, '');
      }
    });
    it('--fail-on: issues below the threshold do not fail the run', () => {
      assert.equal(cli(['-p', 'test/fixtures/pickle/real/dill_lambda.pkl']).code, 1, 'LOW issues fail by default, as modelscan');
      assert.equal(cli(['-p', 'test/fixtures/pickle/real/dill_lambda.pkl', '--fail-on', 'MEDIUM']).code, 0);
      assert.equal(cli(['-p', 'examples', '--fail-on', 'critical']).code, 1);
    });
    it('an unreadable file is an error, the rest is still scanned', async () => {
      const dir = join(tmp, 'unreadable');
      await mkdir(dir);
      await writeFile(join(dir, 'secret.pkl'), p4(none()));
      await writeFile(join(dir, 'evil.pkl'), evilPickle);
      await chmod(join(dir, 'secret.pkl'), 0o000);
      await chmod(tmp, 0o755);
      await chmod(dir, 0o755);
      // As root every file is readable: run the bin as nobody then.
      const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const r = cli(['-p', dir, '-r', 'json'], asNobody);
      assert.equal(r.code, 1, r.stderr);
      const report = assertValidReport(r.stdout);
      assert.deepEqual(
        report.errors.map((e: { source: string; category: string }) => [e.source, e.category]),
        [['secret.pkl', 'MODEL_SCAN']],
      );
      assert.match(report.errors[0].description, /EACCES|permission/i);
      assert.equal(report.issues[0].source, 'evil.pkl');
    });
  });

  describe('reports', () => {
    it('JSON is schema-valid, modelscan key order, stdout parses with logs at DEBUG', () => {
      const r = cli(['-p', mixed, '-r', 'json', '--show-skipped', '-l', 'DEBUG']);
      const report = assertValidReport(r.stdout);
      assert.deepEqual(Object.keys(report), ['summary', 'issues', 'errors']);
      assert.deepEqual(Object.keys(report.summary), [
        'total_issues_by_severity',
        'total_issues',
        'input_path',
        'absolute_path',
        'modelscan_version',
        'timestamp',
        'scanned',
        'skipped',
        'bytes_scanned',
      ]);
      assert.deepEqual(Object.keys(report.issues[0]).slice(0, 6), ['description', 'operator', 'module', 'source', 'scanner', 'severity']);
      assert.match(r.stderr, /^DEBUG: /m);
      assert.doesNotMatch(r.stderr, /\r/, 'no progress bar when stderr is not a terminal');
    });

    it('-o writes every format to the file and nothing to stdout', async () => {
      for (const format of ['json', 'sarif', 'console']) {
        const out = join(tmp, `report.${format}`);
        const r = cli(['-p', 'examples', '-r', format, '-o', out]);
        assert.equal(r.code, 1);
        assert.equal(r.stdout, '');
        const text = await readFile(out, 'utf8');
        if (format === 'json') assertValidReport(text);
        if (format === 'console') assert.match(text, /--- Summary ---/);
      }
    });

    it('SARIF is valid 2.1.0 with a rule per finding kind and sources relative to the root', () => {
      const r = cli(['-p', mixed, '-r', 'sarif']);
      assert.equal(r.code, 1);
      const log: Record<string, any> = JSON.parse(r.stdout);
      assert.ok(validateSarif(log), JSON.stringify(validateSarif.errors?.slice(0, 5), null, 1));
      const run = log.runs[0];
      assert.equal(run.results[0].ruleId, 'pickle/unsafe-global');
      assert.equal(run.results[0].level, 'error');
      assert.equal(run.results[0].locations[0].physicalLocation.artifactLocation.uri, 'evil.pkl');
      assert.equal(run.results[0].locations[0].physicalLocation.artifactLocation.uriBaseId, 'SCANROOT');
      assert.equal(run.tool.driver.rules[run.results[0].ruleIndex].id, 'pickle/unsafe-global');
      assert.equal(run.tool.driver.rules[0].properties['security-severity'], '9.5');
      assert.equal(run.invocations[0].executionSuccessful, false, 'corrupt.pkl failed');
    });

    it('console: no colour when piped or with NO_COLOR; symlinks reported, never followed', async () => {
      const dir = join(tmp, 'links');
      await mkdir(dir);
      await symlink(join(mixed, 'evil.pkl'), join(dir, 'link.pkl'));
      await writeFile(join(dir, 'ok.pkl'), p4(none()));
      const r = cli(['-p', dir, '--show-skipped'], { env: { ...process.env, NO_COLOR: '1' } });
      assert.equal(r.code, 0);
      assert.doesNotMatch(r.stdout, /\x1b\[/);
      assert.match(r.stdout, /link\.pkl: symbolic link not followed/);
      assert.match(r.stdout, /No issues found in the 1 scanned file\(s\), but not everything was checked/);
    });

    it('-r custom uses the reporter named in settings, never a path', async () => {
      const settings = join(tmp, 'custom.toml');
      await writeFile(settings, '[reporting]\nmodule = "modelscan.reports.JSONReport"\n');
      const r = cli(['-p', 'examples', '-r', 'custom', '--settings-file', settings]);
      assertValidReport(r.stdout);
      await writeFile(settings, '[reporting]\nmodule = "./evil.js"\n');
      const r2 = cli(['-p', 'examples', '-r', 'custom', '--settings-file', settings]);
      assert.match(r2.stderr, /would load code; ignored/);
      assert.match(r2.stdout, /--- Summary ---/, 'falls back to the console reporter');
    });
  });

  describe('settings', () => {
    it('create-settings-file writes the complete default, refuses to overwrite without -f, loads back identical', async () => {
      const path = join(tmp, 'modelscan-settings.toml');
      assert.equal(cli(['create-settings-file', '-l', path]).code, 0);
      const text = await readFile(path, 'utf8');
      assert.equal(text, defaultSettingsToml());
      const again = cli(['create-settings-file', '-l', path]);
      assert.equal(again.code, 4);
      assert.match(again.stderr, /exists; use -f/);
      assert.equal(cli(['create-settings-file', '-f', '-l', path]).code, 0);
      const loaded = resolveSettings(parse(text));
      assert.deepEqual(loaded.warnings, []);
      assert.deepEqual(loaded.settings, defaultSettings());
      const r = cli(['-p', 'examples', '--settings-file', path, '-r', 'json']);
      assert.equal(r.stderr.includes('WARNING'), false, r.stderr);
    });

    it('is never read from the working directory or the scanned tree', async () => {
      const dir = join(tmp, 'weakening');
      await mkdir(dir);
      await writeFile(join(dir, 'evil.pkl'), evilPickle);
      await writeFile(join(dir, 'modelscan-settings.toml'), 'fail_on = "CRITICAL"\n[allow]\nos = ["system"]\n');
      const r = cli(['-p', '.', '-r', 'json'], { cwd: dir });
      assert.equal(r.code, 1);
      assert.equal(JSON.parse(r.stdout).issues[0].severity, 'CRITICAL');
    });

    it('tightens and tunes, never weakens', async () => {
      const path = join(tmp, 'policy.toml');
      await writeFile(
        path,
        [
          'fail_on = "HIGH"',
          'typo = 1',
          '[unsafe_globals.HIGH]',
          '"collections" = ["OrderedDict"]',
          '[unsafe_globals.LOW]',
          'os = "*"',
          '[allow]',
          'os = ["system"]',
          '"mylib.models" = ["Net"]',
          '[scanners."modelscan.scanners.PickleUnsafeOpScan"]',
          'enabled = false',
          '[scanners."evil.module.Scanner"]',
          'enabled = true',
          '',
        ].join('\n'),
      );
      const { settings, warnings } = resolveSettings(parse(await readFile(path, 'utf8')));
      assert.equal(settings.failOn, 'HIGH');
      assert.ok(settings.policy.allow.has('mylib.models:Net'));
      assert.equal(warnings.length, 3, warnings.join('\n'));
      const r = cli(['-p', 'examples/malicious_model.pkl', '--settings-file', path, '-r', 'json']);
      assert.equal(r.code, 1);
      assert.equal(JSON.parse(r.stdout).issues[0].severity, 'CRITICAL', 'an allowlist entry or a LOW rule cannot weaken os.system');
      const od = cli(['-p', 'test/fixtures/pickle/real/collections_p4.pkl', '--settings-file', path, '-r', 'json']);
      assert.equal(od.code, 1, 'OrderedDict raised to HIGH by settings');
      assert.match(od.stderr, /unknown key 'typo'/);
    });

    it('a broken settings file is a usage error naming the line', async () => {
      const path = join(tmp, 'broken.toml');
      await writeFile(path, 'fail_on = [\n');
      const r = cli(['-p', 'examples', '--settings-file', path]);
      assert.equal(r.code, 4);
      assert.match(r.stderr, /broken\.toml:\d+:\d+/);
    });
  });

  describe('limits and folders', () => {
    it('--max-file-size skips bigger files with the reason; they are never reported clean', async () => {
      const r = cli(['-p', 'examples', '--max-file-size', '100', '-r', 'json', '--show-skipped']);
      const report = assertValidReport(r.stdout);
      assert.deepEqual(report.summary.scanned.scanned_files, ['malicious_model.pkl']);
      const big = report.summary.skipped.skipped_files.filter((s: { category: string }) => s.category === 'SIZE_LIMIT');
      assert.deepEqual(
        big.map((s: { source: string }) => s.source),
        ['README.md', 'benign_sklearn_model.pkl', 'benign_state_dict.pt'],
      );
    });

    it('--timeout abandons a slow file with an error and keeps its findings', async () => {
      // 8 MB of tuples after an os.system call: far more than 1 ms of work.
      const parts = [evilCall, pop()];
      parts.push(Buffer.from([0x5d, 0x28])); // EMPTY_LIST MARK
      const item = Buffer.from([0x4b, 1, 0x4b, 2, 0x86]); // BININT1 BININT1 TUPLE2
      parts.push(Buffer.concat(Array.from({ length: 1_600_000 }, () => item)));
      parts.push(Buffer.from('e.'));
      const path = join(tmp, 'slow.pkl');
      await writeFile(path, Buffer.concat(parts));
      const r = cli(['-p', path, '--timeout', '0.001', '-r', 'json']);
      const report = assertValidReport(r.stdout);
      assert.equal(r.code, 1);
      assert.equal(report.errors[0].category, 'TIMEOUT');
      assert.equal(report.issues[0].operator, 'system');
    });

    it('results are the same whatever the concurrency', async () => {
      const { scan } = await import('../src/scan/scan.js');
      const strip = (r: Awaited<ReturnType<typeof scan>>) => ({ ...r, timestamp: '' });
      const one = strip(await scan([mixed, 'test/fixtures/pickle'], { concurrency: 1 }));
      const many = strip(await scan([mixed, 'test/fixtures/pickle'], { concurrency: 8 }));
      assert.deepEqual(many, one);
      assert.ok(one.scanned.length > 30);
    });

    it('several inputs: input_path lists them, sources are relative to their common folder', () => {
      const r = cli(['-p', 'examples/malicious_model.pkl', 'test/fixtures/pickle/real/data_p4.pkl', '-r', 'json']);
      const report = assertValidReport(r.stdout);
      assert.deepEqual(report.summary.input_path, ['examples/malicious_model.pkl', 'test/fixtures/pickle/real/data_p4.pkl']);
      assert.equal(report.summary.absolute_path, ROOT.replace(/\/$/, ''));
      assert.deepEqual(report.summary.scanned.scanned_files, ['examples/malicious_model.pkl', 'test/fixtures/pickle/real/data_p4.pkl']);
    });
  });
});
