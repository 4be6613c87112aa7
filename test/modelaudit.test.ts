/**
 * The second front door: `modelaudit scan …` (dist/cli/modelaudit.js) with
 * ModelAudit's flags, JSON shape and exit codes, and the blacklist patterns
 * both front doors share.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAuditCli } from '../src/cli/modelaudit-args.js';
import { DEFAULT_POLICY } from '../src/pickle/policy.js';
import { MODELAUDIT_SEVERITY } from '../src/report/modelaudit.js';
import { BlacklistError, backtrackingRisk, compileBlacklist } from '../src/scan/blacklist.js';
import { binunicode, global, pk, proto, reduce, stop, tuple1 } from './helpers/assembler.js';
import { AUDIT, assertBuilt, cli } from './helpers/cli.js';
import { scanBytes } from './helpers/scan-bytes.js';
import { buildZip } from './helpers/zip-builder.js';

const BENIGN = 'test/fixtures/pickle/real/data_p4.pkl';
const audit = (...args: string[]) => cli(args, {}, AUDIT);

const ISSUE_KEYS = ['message', 'severity', 'location', 'details', 'timestamp'];
const REPORT_KEYS = ['scanner_names', 'start_time', 'bytes_scanned', 'issues', 'has_errors', 'files_scanned', 'duration', 'errors'];

describe('modelaudit front door (dist/cli/modelaudit.js)', () => {
  let tmp: string;
  before(async () => {
    assertBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'modelaudit-cli-'));
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('scan examples --format json: ModelAudit-shaped JSON, exit 1', () => {
    const r = audit('scan', 'examples', '--format', 'json');
    assert.equal(r.code, 1, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(rep), REPORT_KEYS);
    assert.deepEqual(rep.scanner_names, ['pickle']);
    assert.equal(rep.files_scanned, 3);
    assert.equal(rep.has_errors, false);
    assert.equal(typeof rep.start_time, 'number');
    assert.ok(rep.start_time > 1.7e9 && rep.start_time < 1e11, 'epoch seconds');
    assert.equal(typeof rep.duration, 'number');
    assert.ok(rep.bytes_scanned > 0);
    assert.equal(rep.issues.length, 1);
    const [issue] = rep.issues;
    assert.deepEqual(Object.keys(issue), ISSUE_KEYS);
    assert.equal(issue.severity, 'critical');
    assert.equal(issue.location, 'malicious_model.pkl (pos 28)');
    assert.equal(issue.details.rule, 'pickle/unsafe-global');
    assert.equal(issue.details.modelscan_severity, 'CRITICAL');
    assert.match(issue.details.call, /^os\.system\(/);
  });

  it('text format (the default) lists the issue with its location', () => {
    const r = audit('scan', 'examples');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^Files scanned: 3 /);
    assert.match(r.stdout, /\[CRITICAL\] malicious_model\.pkl \(pos 28\): Use of unsafe operator 'system'/);
  });

  it('exit 0 and no issues on a benign file; --output writes the report', async () => {
    const out = join(tmp, 'r.json');
    const r = audit('scan', BENIGN, '--format', 'json', '--output', out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const rep = JSON.parse(await readFile(out, 'utf8'));
    assert.deepEqual(rep.issues, []);
    assert.equal(rep.files_scanned, 1);
  });

  it('exit 2 on errors alone; issues win over errors', async () => {
    const broken = join(tmp, 'broken.pt');
    await writeFile(broken, 'not a model at all');
    const alone = audit('scan', broken, '--format', 'json');
    assert.equal(alone.code, 2);
    const rep = JSON.parse(alone.stdout);
    assert.equal(rep.has_errors, true);
    assert.equal(rep.errors.length, 1);
    assert.deepEqual(rep.issues, []);
    const both = audit('scan', broken, 'examples/malicious_model.pkl', '--format', 'json');
    assert.equal(both.code, 1);
    assert.equal(JSON.parse(both.stdout).has_errors, true);
  });

  it('--verbose lists skipped files as debug entries', () => {
    const rep = JSON.parse(audit('scan', 'examples', '--format', 'json', '--verbose').stdout);
    assert.deepEqual(
      rep.issues.filter((i: { severity: string }) => i.severity === 'debug').map((i: { location: string }) => i.location),
      ['README.md'],
    );
  });

  it('--max-file-size skips larger files', () => {
    const rep = JSON.parse(audit('scan', 'examples/malicious_model.pkl', '--max-file-size', '10', '--format', 'json').stdout);
    assert.equal(rep.files_scanned, 0);
    assert.deepEqual(rep.issues, []);
  });

  it('--blacklist on the command line: a HIGH (critical) finding naming the pattern', () => {
    const r = audit('scan', BENIGN, '--blacklist', 'DATA_P4', '--format', 'json');
    assert.equal(r.code, 1);
    const [issue] = JSON.parse(r.stdout).issues;
    assert.equal(issue.severity, 'critical');
    assert.equal(issue.details.rule, 'blacklist/match');
    assert.equal(issue.details.pattern, 'DATA_P4');
    assert.equal(issue.message, "file name 'data_p4.pkl' matches the blacklist pattern 'DATA_P4'");
  });

  it('a pattern that could backtrack catastrophically is a usage error (exit 2)', () => {
    const r = audit('scan', BENIGN, '--blacklist', 're:(a+)+$');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /catastrophic backtracking/);
  });

  it('blacklist patterns from the settings file, and from modelscan -p as well', async () => {
    const settings = join(tmp, 's.toml');
    await writeFile(settings, 'blacklist = ["re:^data_p\\\\d"]\n');
    const r = audit('scan', BENIGN, '--settings-file', settings, '--format', 'json');
    assert.equal(r.code, 1, r.stderr);
    assert.equal(JSON.parse(r.stdout).issues[0].details.pattern, 're:^data_p\\d');
    const m = cli(['-p', BENIGN, '--blacklist', 'p4.pkl', '-r', 'json']);
    assert.equal(m.code, 1);
    assert.equal(JSON.parse(m.stdout).issues[0].rule, 'blacklist/match');
  });

  it('--weights reports a planted outlier class; without it the same model is clean', () => {
    const planted = 'test/fixtures/weights/mlp_planted.safetensors';
    const plain = audit('scan', planted, '--format', 'json');
    assert.equal(plain.code, 0, plain.stderr);
    const r = audit('scan', planted, '--weights', '--format', 'json');
    assert.equal(r.code, 1, r.stderr);
    const issues = JSON.parse(r.stdout).issues;
    assert.deepEqual(
      issues.map((i: { severity: string; details: Record<string, unknown> }) => [i.severity, i.details.rule, i.details.operator]),
      [['warning', 'weights/outlier-class', 'class 7']],
    );
    const m = cli(['-p', planted, '--weights', '-r', 'json']);
    assert.equal(m.code, 1);
    assert.equal(JSON.parse(m.stdout).issues[0].severity, 'MEDIUM');
  });

  it('usage errors exit 2 with a message', () => {
    assert.equal(audit('scan').code, 2);
    assert.equal(audit('scan', BENIGN, '--format', 'xml').code, 2);
    assert.equal(audit('inspect', BENIGN).code, 2);
    assert.equal(audit('--help').code, 0);
  });
});

describe('modelaudit arguments and severities', () => {
  it('parses every flag', () => {
    assert.deepEqual(
      parseAuditCli([
        'scan',
        'a',
        'b',
        '-f',
        'json',
        '-o',
        'r.json',
        '--max-file-size',
        '2M',
        '-b',
        'x',
        '--blacklist',
        're:y',
        '-t',
        '5',
        '-v',
      ]),
      {
        command: 'scan',
        paths: ['a', 'b'],
        format: 'json',
        output: 'r.json',
        maxFileSize: 2 << 20,
        timeoutSeconds: 5,
        blacklist: ['x', 're:y'],
        verbose: true,
        weights: false,
      },
    );
  });

  it('maps the four severities onto ModelAudit\u2019s', () => {
    assert.deepEqual(MODELAUDIT_SEVERITY, { CRITICAL: 'critical', HIGH: 'critical', MEDIUM: 'warning', LOW: 'info' });
  });
});

describe('blacklist patterns', () => {
  it('plain text is a case-insensitive substring; re: is a regular expression', () => {
    const b = compileBlacklist(['Evil', 're:^torch\\.load$']);
    assert.equal(b.match('models/EVIL_model.pkl')?.text, 'Evil');
    assert.equal(b.match('torch.load')?.text, 're:^torch\\.load$');
    assert.equal(b.match('torch.loads'), undefined);
  });

  it('refuses shapes that backtrack catastrophically, accepts ordinary ones', () => {
    for (const bad of ['(a+)+', '(a*)*b', '(a|aa)+', '((ab)*c)+', '(x+x+)+y', '(a)\\1', '(?=a)b', '(?<!a)b', '(a'])
      assert.ok(backtrackingRisk(bad), bad);
    for (const ok of ['^os\\.system$', 'subprocess\\.(Popen|run)', '[a-z]+\\.exe$', '(abc)+', '(?:ab)*c', 'a{2,5}', '\\(a+\\)+'])
      assert.equal(backtrackingRisk(ok), undefined, ok);
    assert.throws(() => compileBlacklist(['re:(a+)+']), BlacklistError);
    assert.throws(() => compileBlacklist(['re:[']), BlacklistError);
    assert.throws(() => compileBlacklist(['']), BlacklistError);
  });

  it('matches resolved pickle globals, whatever spelling the pickle used', async () => {
    // Protocol 2 spells os.system as posix.system; the pattern is matched against both readings.
    const payload = pk(proto(2), global('posix', 'system'), binunicode('true'), tuple1(), reduce(), stop());
    const r = await scanBytes(payload, 'x.pkl', { policy: { ...DEFAULT_POLICY, blacklist: compileBlacklist(['os.system']) } });
    const hits = r.issues.filter((i) => i.rule === 'blacklist/match');
    assert.deepEqual(
      hits.map((i) => [i.severity, i.module, i.operator, i.description]),
      [['HIGH', 'posix', 'system', "global 'os.system' matches the blacklist pattern 'os.system'"]],
    );
  });

  it('matches string constants of configs, never echoing a credential', async () => {
    const config = JSON.stringify({ _name_or_path: 'evil-org/bert', hub_token: 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567' });
    const r = await scanBytes(Buffer.from(config), 'config.json', {
      policy: { ...DEFAULT_POLICY, blacklist: compileBlacklist(['evil-org', 'AbCdEf']) },
    });
    const hits = r.issues.filter((i) => i.rule === 'blacklist/match');
    assert.deepEqual(
      hits.map((i) => [i.severity, i.module, i.description]),
      [
        ['HIGH', '_name_or_path', "config value at '_name_or_path' 'evil-org/bert' matches the blacklist pattern 'evil-org'"],
        ['HIGH', 'hub_token', "config value at 'hub_token' '(masked)' matches the blacklist pattern 'AbCdEf'"],
      ],
    );
    assert.ok(!JSON.stringify(r).includes('QrStUv'));
  });

  it('matches archive member names', async () => {
    const zip = buildZip([
      { name: 'weights/backdoor.bin', data: 'x' },
      { name: 'config.json', data: '{}' },
    ]);
    const r = await scanBytes(zip, 'bundle.zip', { policy: { ...DEFAULT_POLICY, blacklist: compileBlacklist(['backdoor']) } });
    assert.deepEqual(
      r.issues.filter((i) => i.rule === 'blacklist/match').map((i) => i.source),
      ['bundle.zip:weights/backdoor.bin'],
    );
  });
});
