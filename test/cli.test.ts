/**
 * The built CLI (dist/cli/main.js) run as a child process: exit codes,
 * console and JSON reports, modelscan's key order, --show-skipped, the
 * `scan` subcommand alias. The build runs once, before the tests.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../src/version.js';
import { none, p4 } from './helpers/assembler.js';
import { assertBuilt, ROOT, cli as runCli } from './helpers/cli.js';

const BENIGN = 'test/fixtures/pickle/real/data_p4.pkl';
const cli = (...args: string[]) => runCli(args);

function json(...args: string[]): { code: number | null; report: Record<string, any> } {
  const r = cli(...args, '-r', 'json');
  return { code: r.code, report: JSON.parse(r.stdout) };
}

const SUMMARY_KEYS = ['total_issues_by_severity', 'total_issues', 'input_path', 'absolute_path', 'modelscan_version', 'timestamp'];

describe('CLI (dist/cli/main.js)', () => {
  let tmp: string;

  before(async () => {
    assertBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'modelscan-cli-'));
  });

  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('--sarif-output writes SARIF next to the console report, from the same scan', async () => {
    const file = join(tmp, 'also.sarif');
    const r = cli('-p', 'examples', '--sarif-output', file);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /Total Issues: 1/);
    const sarif = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(sarif.version, '2.1.0');
    assert.deepEqual(
      sarif.runs[0].results.map((x: { ruleId: string }) => x.ruleId),
      ['pickle/unsafe-global'],
    );
  });

  it('-p examples exits 1 and prints the os.system call', () => {
    const r = cli('-p', 'examples');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /CRITICAL/);
    assert.ok(r.stdout.includes(`Call: os.system('echo "this model would run code on load"')`), r.stdout);
    assert.match(r.stdout, /Source: .*examples\/malicious_model\.pkl\n {2}- Position: byte 28\n/);
  });

  it('-p <benign fixture> -r json exits 0 with modelscan key order', () => {
    const { code, report } = json('-p', BENIGN);
    assert.equal(code, 0);
    assert.deepEqual(Object.keys(report), ['summary', 'issues', 'errors']);
    assert.deepEqual(Object.keys(report.summary), [...SUMMARY_KEYS, 'scanned', 'bytes_scanned']);
    assert.equal(report.summary.total_issues, 0);
    assert.deepEqual(report.summary.total_issues_by_severity, { LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 });
    assert.equal(report.summary.input_path, BENIGN);
    assert.equal(report.summary.absolute_path, join(ROOT, 'test/fixtures/pickle/real'));
    assert.equal(report.summary.modelscan_version, VERSION);
    assert.ok(!Number.isNaN(Date.parse(report.summary.timestamp)));
    assert.deepEqual(report.summary.scanned, { total_scanned: 1, scanned_files: ['data_p4.pkl'] });
    assert.deepEqual(report.issues, []);
    assert.deepEqual(report.errors, []);
  });

  it('JSON issues carry modelscan issue keys plus ours', () => {
    const { code, report } = json('-p', 'examples/malicious_model.pkl');
    assert.equal(code, 1);
    assert.equal(report.summary.total_issues, 1);
    assert.deepEqual(report.summary.total_issues_by_severity, { LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 1 });
    const issue = report.issues[0];
    assert.deepEqual(Object.keys(issue).slice(0, 6), ['description', 'operator', 'module', 'source', 'scanner', 'severity']);
    assert.deepEqual(
      [issue.module, issue.operator, issue.source, issue.severity, issue.position, issue.rule],
      ['posix', 'system', 'malicious_model.pkl', 'CRITICAL', 28, 'pickle/unsafe-global'],
    );
  });

  it('--show-skipped lists a .txt file under summary.skipped', async () => {
    const dir = join(tmp, 'mixed');
    await mkdir(dir);
    await writeFile(join(dir, 'model.pkl'), p4(none()));
    await writeFile(join(dir, 'notes.txt'), 'just some notes\n');
    const { code, report } = json('-p', dir, '--show-skipped');
    assert.equal(code, 0);
    assert.deepEqual(Object.keys(report.summary), [...SUMMARY_KEYS, 'scanned', 'skipped', 'bytes_scanned']);
    assert.deepEqual(report.summary.skipped, {
      total_skipped: 1,
      skipped_files: [{ category: 'SCAN_NOT_SUPPORTED', description: 'no model format recognised in its content', source: 'notes.txt' }],
    });
    assert.deepEqual(report.summary.scanned.scanned_files, ['model.pkl']);

    const without = json('-p', dir).report;
    assert.equal(without.summary.skipped, undefined, 'skipped is only listed on request');

    const text = cli('-p', dir, '--show-skipped');
    assert.equal(text.code, 0);
    assert.match(text.stdout, / {2}- .*\/notes\.txt: no model format recognised in its content/);
    assert.match(cli('-p', dir).stdout, /Total skipped: 1 - run with --show-skipped/);
  });

  it('no path exits 4', () => {
    const r = cli();
    assert.equal(r.code, 4);
    assert.match(r.stderr, /no path given/);
  });

  it('an unknown flag exits 4', () => {
    const r = cli('--definitely-not-a-flag', '-p', 'examples');
    assert.equal(r.code, 4);
    assert.match(r.stderr, /unknown option/i);
  });

  it('an invalid report format exits 4', () => {
    assert.equal(cli('-p', 'examples', '-r', 'xml').code, 4);
  });

  it('a missing path exits 2 with a PATH error', () => {
    const missing = join(tmp, 'does-not-exist.pkl');
    const { code, report } = json('-p', missing);
    assert.equal(code, 2);
    assert.equal(report.errors.length, 1);
    assert.equal(report.errors[0].category, 'PATH');
    assert.equal(report.errors[0].source, missing);
    assert.equal(report.summary.total_issues, 0);
  });

  it('`scan -p x` equals `-p x`', () => {
    const strip = (r: Record<string, any>) => ({ ...r, summary: { ...r.summary, timestamp: '' } });
    for (const target of ['examples', BENIGN]) {
      const a = json('scan', '-p', target);
      const b = json('-p', target);
      assert.equal(a.code, b.code);
      assert.deepEqual(strip(a.report), strip(b.report));
    }
  });

  it('-o writes the report to a file', async () => {
    const out = join(tmp, 'report.json');
    const r = cli('-p', BENIGN, '-r', 'json', '-o', out);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(JSON.parse(await readFile(out, 'utf8')).summary.total_issues, 0);
  });

  it('-v prints the version, which matches package.json', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(VERSION, pkg.version);
    const r = cli('-v');
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });
});
