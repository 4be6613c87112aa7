/**
 * hf:// scanning against a loopback Hub (test/helpers/hub-server.ts): the
 * same findings as a local scan, sources naming the commit, range reads
 * that fetch only what the parsers read, the result cache, auth, gated
 * repos, 404s, 429/5xx retries, redirects, servers that ignore Range, and
 * the CLI end to end. Every request goes to 127.0.0.1: fetch is wrapped so
 * any other host fails the run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Ajv, Options } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { writeSparseTorchZip } from '../bench/torch-zip.mjs';
import { HubClient } from '../src/hub/client.js';
import { openRemoteFile } from '../src/hub/remote-source.js';
import { HubPathError, hubPathFromRepoId, parseHubPath } from '../src/hub/repo.js';
import { consoleReport } from '../src/report/console.js';
import { toJsonReport } from '../src/report/json.js';
import { sarifReport } from '../src/report/sarif.js';
import { type ScanOptions, type ScanResult, scan } from '../src/scan/scan.js';
import { type HubRepo, type HubServer, startHubServer } from './helpers/hub-server.js';

const ROOT = new URL('..', import.meta.url).pathname;
const FX = join(ROOT, 'test/fixtures');
const require = createRequire(import.meta.url);
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validateReport = ajv.compile(JSON.parse(await readFile(join(ROOT, 'schemas/modelscan-report.schema.json'), 'utf8')));
const AjvDraft04 = require('ajv-draft-04') as new (opts: Options) => Ajv;
const sarifAjv = new AjvDraft04({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats.default(sarifAjv);
const validateSarif = sarifAjv.compile(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'));

const SHA = '1'.repeat(40);
const SHA_V1 = '2'.repeat(40);
const TOKEN = 'hf_loopbackTestToken123';
/** 20 MiB of distinct bytes: bigger than the window a streamed source keeps. */
const STREAM = Buffer.alloc(20 << 20);
for (let i = 0; i < STREAM.length; i += 4) STREAM.writeUInt32LE(i, i);

/** What org/models holds: path in the repo → fixture file (LFS ones go through the CDN). */
const MODELS: { path: string; fixture: string; lfs?: boolean }[] = [
  { path: 'os_system_p4.pkl', fixture: 'pickle/malicious/os_system_p4.pkl' },
  { path: 'weights/torch_state_dict_zip.pt', fixture: 'pickle/real/torch_state_dict_zip.pt', lfs: true },
  { path: 'weights/payload.pkl.gz', fixture: 'containers/malicious/payload.pkl.gz', lfs: true },
  { path: 'arrays/plain_f32.npy', fixture: 'containers/real/plain_f32.npy', lfs: true },
  { path: 'legacy/torch_tar_storages_payload.pt', fixture: 'containers/malicious/torch_tar_storages_payload.pt', lfs: true },
  { path: 'config.json', fixture: '' },
];

function repos(bigFile: string): HubRepo[] {
  const models = MODELS.map((m) =>
    m.fixture ? { path: m.path, file: join(FX, m.fixture), lfs: m.lfs } : { path: m.path, data: Buffer.from('{"model_type":"x"}\n') },
  );
  const index = {
    metadata: { total_size: 0 },
    weight_map: { 'a.weight': 'pytorch_model-00001-of-00002.bin', 'b.weight': 'pytorch_model-00002-of-00002.bin' },
  };
  return [
    { id: 'org/models', sha: SHA, refs: { main: SHA, v1: SHA_V1 }, files: models },
    {
      id: 'org/sharded',
      sha: SHA,
      files: [
        { path: 'pytorch_model.bin.index.json', data: Buffer.from(JSON.stringify(index)) },
        { path: 'pytorch_model-00001-of-00002.bin', file: join(FX, 'pickle/real/torch_state_dict_zip.pt'), lfs: true },
        { path: 'pytorch_model-00002-of-00002.bin', file: join(FX, 'pickle/malicious/os_system_p4.pkl'), lfs: true },
        { path: 'unrelated.pkl', file: join(FX, 'pickle/malicious/builtins_eval_p2.pkl') },
      ],
    },
    { id: 'org/big', sha: SHA, files: [{ path: 'pytorch_model.bin', file: bigFile, lfs: true }] },
    {
      id: 'org/private',
      sha: SHA,
      private: true,
      files: [{ path: 'evil.pkl', file: join(FX, 'pickle/malicious/os_system_p4.pkl'), lfs: true }],
    },
    { id: 'org/stream', sha: SHA, files: [{ path: 'stream.raw', data: STREAM }] },
    { id: 'org/gated', sha: SHA, gated: true, files: [{ path: 'data.pkl', file: join(FX, 'pickle/real/data_p4.pkl') }] },
    {
      id: 'org/odd',
      sha: SHA,
      files: [
        { path: 'good.pkl', file: join(FX, 'pickle/real/data_p4.pkl') },
        { path: 'to-file.pkl', data: Buffer.from('x'), location: 'file:///etc/passwd' },
        { path: 'loop.pkl', data: Buffer.from('x'), location: '/org/odd/resolve/main/loop.pkl' },
      ],
    },
  ];
}

describe('hf:// paths', () => {
  it('parses ORG/REPO, @REVISION and /PATH', () => {
    assert.deepEqual(parseHubPath('hf://org/repo'), { input: 'hf://org/repo', repo: 'org/repo', revision: 'main', path: '' });
    assert.deepEqual(parseHubPath('hf://org/repo@v1.0/sub/dir/'), {
      input: 'hf://org/repo@v1.0/sub/dir/',
      repo: 'org/repo',
      revision: 'v1.0',
      path: 'sub/dir',
    });
    assert.equal(parseHubPath(`hf://org/repo@${SHA}/a.bin`).revision, SHA);
    assert.equal(parseHubPath('hf://org/repo@refs/pr/3/a.bin').revision, 'refs/pr/3');
    assert.equal(parseHubPath('hf://org/repo@refs/pr/3/a.bin').path, 'a.bin');
    assert.equal(parseHubPath('hf://org/repo@feature%2Fx').revision, 'feature/x');
    assert.equal(hubPathFromRepoId('org/repo@dev'), 'hf://org/repo@dev');
    assert.equal(hubPathFromRepoId('hf://org/repo'), 'hf://org/repo');
  });

  it('rejects what is not a repo path', () => {
    for (const bad of [
      'hf://',
      'hf://org',
      'hf://org/',
      'hf://-org/repo',
      'hf://org/re po',
      'hf://org/repo@',
      'hf://org/repo/../x',
      'hf://org/repo@a..b',
    ])
      assert.throws(() => parseHubPath(bad), HubPathError, bad);
  });

  it('never sends a token over plain http to another machine', () => {
    assert.throws(() => new HubClient({ endpoint: 'http://hub.example', token: 'hf_x' }, {}), /refusing to send HF_TOKEN over plain http/);
    assert.throws(() => new HubClient({ endpoint: 'ftp://hub.example' }, {}), /http\(s\) URL/);
    assert.ok(new HubClient({ endpoint: 'http://127.0.0.1:9', token: 'hf_x' }, {}).hasToken);
  });
});

describe('scanning a loopback Hub', () => {
  let srv: HubServer;
  let tmp: string;
  let local: string;
  let bigSize: number;
  const realFetch = globalThis.fetch;
  const hosts = new Set<string>();

  const opts = (extra: Partial<NonNullable<ScanOptions['hub']>> = {}): ScanOptions => ({
    hub: { endpoint: srv.endpoint, env: {}, cache: false, retryBaseMs: 1, ...extra },
  });
  const strip = (r: ScanResult, prefix: string) => ({
    scanned: r.scanned.map((s) => s.replace(prefix, '')),
    issues: r.issues.map((i) => ({ ...i, source: i.source.replace(prefix, '') })),
    errors: r.errors.map((e) => ({ ...e, source: e.source.replace(prefix, '') })),
    skipped: r.skipped.map((s) => ({ ...s, source: s.source.replace(prefix, '') })),
  });

  before(async () => {
    // Any request to a host other than the loopback servers fails the test that made it.
    globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      hosts.add(url.hostname);
      if (url.hostname !== '127.0.0.1') return Promise.reject(new Error(`test tried to reach ${url.host}`));
      return realFetch(input, init);
    }) as typeof fetch;
    tmp = await mkdtemp(join(tmpdir(), 'modelscan-hub-'));
    const big = join(tmp, 'big.pt');
    bigSize = writeSparseTorchZip(big, Array(8).fill(8 << 20)); // 8 × 32 MiB of holes
    local = join(tmp, 'local');
    for (const m of MODELS) {
      await mkdir(dirname(join(local, m.path)), { recursive: true });
      if (m.fixture) await copyFile(join(FX, m.fixture), join(local, m.path));
      else await writeFile(join(local, m.path), '{"model_type":"x"}\n');
    }
    srv = await startHubServer({ repos: repos(big), token: TOKEN, pageSize: 3 });
  });

  after(async () => {
    globalThis.fetch = realFetch;
    await srv?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('finds what a local scan of the same files finds, every file of the revision routed by content', async () => {
    const remote = await scan(['hf://org/models'], opts());
    const here = await scan([local]);
    const prefix = `hf://org/models@${SHA}/`;
    assert.deepEqual(strip(remote, prefix), strip(here, ''));
    assert.equal(remote.scanned.length, 5);
    assert.deepEqual(
      remote.issues.filter((i) => i.severity === 'CRITICAL').map((i) => [i.source, i.call]),
      [
        [`${prefix}legacy/torch_tar_storages_payload.pt:storages`, "os.system('echo modelscan-fixture')"],
        [`${prefix}os_system_p4.pkl`, "os.system('echo modelscan-fixture')"],
        [`${prefix}weights/payload.pkl.gz:<gzip data>`, "os.system('echo modelscan-fixture')"],
      ],
    );
    assert.equal(remote.absolutePath, `hf://org/models@${SHA}`);
    assert.deepEqual(remote.remote?.repositories, [{ input: 'hf://org/models', repo: 'org/models', revision: 'main', commit: SHA }]);
    assert.equal(remote.remote?.files, 6);
    assert.equal(remote.remote?.filesFromCache, 0);
    // Small files arrive whole and once: what was transferred is what they hold.
    assert.equal(remote.remote?.bytesTransferred, remote.remote?.totalSize);
  });

  it('names the commit in every report format', async () => {
    const r = await scan(['hf://org/models@v1'], opts());
    const src = `hf://org/models@${SHA_V1}/os_system_p4.pkl`;
    const json = toJsonReport(r, { showSkipped: true }) as Record<string, any>;
    assert.ok(validateReport(json), JSON.stringify(validateReport.errors, null, 1));
    assert.equal(json.issues[1].source, src);
    assert.deepEqual(Object.keys(json.summary.remote), [
      'repositories',
      'total_files',
      'total_size',
      'bytes_transferred',
      'metadata_bytes',
      'files_from_cache',
    ]);
    assert.equal(json.summary.remote.repositories[0].commit, SHA_V1);
    const text = consoleReport(r, { showSkipped: true, color: false });
    assert.match(text, new RegExp(`Source: ${src.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    assert.match(text, /Hugging Face Hub: transferred [\d.]+ (B|KiB) of [\d.]+ (B|KiB) \(100\.0%\) in 6 file\(s\); org\/models@v1 = 2{40}/);
    const sarif: any = JSON.parse(sarifReport(r));
    assert.ok(validateSarif(sarif) as boolean, JSON.stringify(validateSarif.errors?.slice(0, 5), null, 1));
    const uris = sarif.runs[0].results.map((x: any) => x.locations[0].physicalLocation.artifactLocation);
    assert.ok(uris.some((u: any) => u.uri === src && u.uriBaseId === undefined));
    const member = sarif.runs[0].results.find((x: any) => x.locations[0].logicalLocations?.[0].name === '<gzip data>');
    assert.equal(member.locations[0].physicalLocation.artifactLocation.uri, `hf://org/models@${SHA_V1}/weights/payload.pkl.gz`);
    assert.equal(
      member.locations[0].logicalLocations[0].fullyQualifiedName,
      `hf://org/models@${SHA_V1}/weights/payload.pkl.gz:<gzip data>`,
    );
  });

  it('scans only the folder or file a path names', async () => {
    const r = await scan(['hf://org/models/weights'], opts());
    assert.deepEqual(r.scanned, [
      `hf://org/models@${SHA}/weights/payload.pkl.gz`,
      `hf://org/models@${SHA}/weights/torch_state_dict_zip.pt`,
    ]);
    const one = await scan([`hf://org/models@${SHA}/os_system_p4.pkl`], opts());
    assert.deepEqual(one.scanned, [`hf://org/models@${SHA}/os_system_p4.pkl`]);
    const missing = await scan(['hf://org/models/nope'], opts());
    assert.equal(missing.errors.length, 1);
    assert.match(missing.errors[0].description, /no file or folder 'nope' at commit 1{40}/);
  });

  it('follows an index file to the shards it names', async () => {
    const r = await scan(['hf://org/sharded/pytorch_model.bin.index.json'], opts());
    const p = `hf://org/sharded@${SHA}/`;
    // The index itself is scanned or skipped, depending on the formats there are.
    assert.deepEqual([...r.scanned, ...r.skipped.map((s) => s.source)].sort(), [
      `${p}pytorch_model-00001-of-00002.bin`,
      `${p}pytorch_model-00002-of-00002.bin`,
      `${p}pytorch_model.bin.index.json`,
    ]);
    assert.deepEqual(
      r.issues.map((i) => i.source),
      [`${p}pytorch_model-00002-of-00002.bin`],
    );
    assert.ok(!r.scanned.some((s) => s.endsWith('unrelated.pkl')));
  });

  it('reads a 256 MiB torch checkpoint by transferring its headers only', async () => {
    const before = srv.contentBytes();
    const start = srv.log.length;
    const r = await scan(['hf://org/big'], opts());
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.scanned, [`hf://org/big@${SHA}/pytorch_model.bin`]);
    assert.equal(r.remote?.totalSize, bigSize);
    const sent = srv.contentBytes() - before;
    assert.equal(r.remote?.bytesTransferred, sent);
    assert.ok(sent < 300_000 && sent < bigSize / 500, `transferred ${sent} of ${bigSize}`);
    // The central directory, data.pkl and each storage's local header: one request each, small ones coalesced.
    const ranged = srv.log.slice(start).filter((e) => e.server === 'cdn' && e.range);
    assert.ok(ranged.length <= 10, `${ranged.length} range requests`);
  });

  it('caches per-file results: a rescan transfers nothing, --no-cache transfers again', async () => {
    const cacheDir = join(tmp, 'cache');
    const first = await scan(['hf://org/models', 'hf://org/big'], opts({ cache: true, cacheDir }));
    assert.equal(first.remote?.filesFromCache, 0);
    assert.ok(first.remote!.bytesTransferred > 0);
    const before = srv.contentBytes();
    const second = await scan(['hf://org/models', 'hf://org/big'], opts({ cache: true, cacheDir }));
    assert.equal(srv.contentBytes(), before, 'no file content served');
    assert.equal(second.remote?.bytesTransferred, 0);
    assert.equal(second.remote?.filesFromCache, 7);
    assert.deepEqual(strip(second, ''), strip(first, ''));
    // Another commit with the same content reuses the results, under the new commit's name.
    const moved = await scan(['hf://org/models@v1'], opts({ cache: true, cacheDir }));
    assert.equal(moved.remote?.bytesTransferred, 0);
    assert.ok(moved.issues.every((i) => i.source.startsWith(`hf://org/models@${SHA_V1}/`)));
    assert.deepEqual(strip(moved, `hf://org/models@${SHA_V1}/`), strip(await scan(['hf://org/models'], opts()), `hf://org/models@${SHA}/`));
    const fresh = await scan(['hf://org/models'], opts({ cache: false, cacheDir }));
    assert.equal(fresh.remote?.filesFromCache, 0);
    assert.ok(fresh.remote!.bytesTransferred > 0);
    assert.ok(srv.contentBytes() > before);
    // A different policy is a different key: nothing is reused.
    const stricter = await scan(['hf://org/models'], { ...opts({ cache: true, cacheDir }), maxFileSize: 1 << 20 });
    assert.equal(stricter.remote?.filesFromCache, 0);
  });

  it('never caches a failed file', async () => {
    const cacheDir = join(tmp, 'cache-fail');
    srv.options.failures = [{ match: /^cdn \/blobs\//, status: 500, times: 1000 }];
    try {
      const r = await scan(['hf://org/models/weights'], opts({ cache: true, cacheDir, maxAttempts: 2 }));
      assert.equal(r.errors.length, 2);
      assert.match(r.errors[0].description, /scan failed: file hf:\/\/org\/models@1{40}\/weights\/payload\.pkl\.gz: the Hub answered 500/);
    } finally {
      srv.options.failures = [];
    }
    const again = await scan(['hf://org/models/weights'], opts({ cache: true, cacheDir }));
    assert.equal(again.errors.length, 0);
    assert.equal(again.remote?.filesFromCache, 0);
  });

  it('private repos: a clear error without a token, scanned with one, the token never sent to the CDN', async () => {
    const without = await scan(['hf://org/private'], opts());
    assert.deepEqual(without.scanned, []);
    assert.equal(without.errors.length, 1);
    assert.equal(without.errors[0].category, 'PATH');
    assert.match(without.errors[0].description, /authentication required \(401\).*set HF_TOKEN/);
    const wrong = await scan(['hf://org/private'], opts({ token: 'hf_wrong' }));
    assert.match(wrong.errors[0].description, /authentication failed \(401\)/);
    const start = srv.log.length;
    const withToken = await scan(['hf://org/private'], opts({ token: TOKEN }));
    assert.deepEqual(withToken.errors, []);
    assert.equal(withToken.issues[0].source, `hf://org/private@${SHA}/evil.pkl`);
    const reqs = srv.log.slice(start);
    assert.ok(
      reqs.some((e) => e.server === 'cdn'),
      'the LFS file came from the CDN',
    );
    for (const e of reqs) assert.equal(e.authorization, e.server === 'hub' ? `Bearer ${TOKEN}` : undefined, `${e.server} ${e.path}`);
  });

  it('gated repos: says to accept the conditions and use a token', async () => {
    const r = await scan(['hf://org/gated'], opts());
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].description, /gated repo: accept the conditions on the Hub and use a token/);
    assert.equal(r.errors[0].source, `hf://org/gated@${SHA}/data.pkl`);
    const ok = await scan(['hf://org/gated'], opts({ token: TOKEN }));
    assert.deepEqual(ok.errors, []);
    assert.equal(ok.scanned.length, 1);
  });

  it('404s name what is missing', async () => {
    const r = await scan(['hf://org/nothing', 'hf://org/models@nobranch'], opts());
    assert.deepEqual(
      r.errors.map((e) => [e.source, e.description]),
      [
        [
          'hf://org/nothing',
          'repo org/nothing@main: authentication required (401): the repo is private or does not exist; set HF_TOKEN to a token that can read it',
        ],
        ['hf://org/models@nobranch', 'repo org/models@nobranch: revision not found (404)'],
      ],
    );
    const t = await scan(['hf://org/nothing'], opts({ token: TOKEN }));
    assert.equal(t.errors[0].description, 'repo org/nothing@main: repo not found (404)');
  });

  it('retries 429 and 5xx with backoff, honouring Retry-After', async () => {
    srv.options.failures = [
      { match: /\/tree\//, status: 429, times: 2, retryAfter: '0' },
      { match: /^cdn /, status: 503, times: 1 },
    ];
    const start = srv.log.length;
    try {
      const r = await scan(['hf://org/models/weights'], opts());
      assert.deepEqual(r.errors, []);
      assert.equal(r.scanned.length, 2);
      const statuses = srv.log.slice(start).map((e) => e.status);
      assert.equal(statuses.filter((s) => s === 429).length, 2);
      assert.equal(statuses.filter((s) => s === 503).length, 1);
    } finally {
      srv.options.failures = [];
    }
  });

  it('gives up on rate limiting with a clear message', async () => {
    srv.options.failures = [{ match: /\/revision\//, status: 429, times: 100, retryAfter: '0' }];
    try {
      const r = await scan(['hf://org/models'], opts({ maxAttempts: 3 }));
      assert.equal(r.errors[0].description, 'repo org/models@main: rate limited by the Hub (429) after 3 attempt(s); try again later');
      srv.options.failures = [{ match: /\/revision\//, status: 429, times: 1, retryAfter: '3600' }];
      const long = await scan(['hf://org/models'], opts());
      assert.equal(long.errors[0].description, 'repo org/models@main: rate limited by the Hub (429); it asks to wait 3600 s');
    } finally {
      srv.options.failures = [];
    }
  });

  it('refuses redirects to other schemes and redirect loops; the other files still get scanned', async () => {
    const r = await scan(['hf://org/odd'], opts());
    assert.deepEqual(r.scanned, [`hf://org/odd@${SHA}/good.pkl`]);
    assert.deepEqual(
      r.errors.map((e) => e.description.replace(/^scan failed: file hf:\/\/org\/odd@1{40}\//, '')),
      ['loop.pkl: more than 5 redirects', 'to-file.pkl: refusing a redirect to a file: URL'],
    );
  });

  it('streams files from a server that ignores Range, with the same findings', async () => {
    srv.options.ignoreRange = true;
    try {
      const r = await scan(['hf://org/models'], opts());
      const ranged = await (async () => {
        srv.options.ignoreRange = false;
        return scan(['hf://org/models'], opts());
      })();
      assert.deepEqual(strip(r, ''), strip(ranged, ''));
      assert.ok(r.remote!.bytesTransferred >= r.remote!.totalSize);
      srv.options.ignoreRange = true;
      const src = await openRemoteFile(new HubClient({ endpoint: srv.endpoint }, {}), {
        name: 'x',
        url: `${srv.endpoint}/org/models/resolve/main/weights/torch_state_dict_zip.pt`,
        size: (await readFile(join(FX, 'pickle/real/torch_state_dict_zip.pt'))).length,
      });
      assert.equal(src.sequential, true);
      const whole = await readFile(join(FX, 'pickle/real/torch_state_dict_zip.pt'));
      assert.deepEqual(await src.read(whole.length - 22, 22), whole.subarray(whole.length - 22));
      assert.deepEqual(await src.read(0, 4), whole.subarray(0, 4));
      await src.close();
    } finally {
      srv.options.ignoreRange = false;
    }
  });

  it('a streamed file is downloaded again when a parser goes back, a bounded number of times', async () => {
    srv.options.ignoreRange = true;
    const start = srv.log.length;
    const src = await openRemoteFile(new HubClient({ endpoint: srv.endpoint }, {}), {
      name: 'stream.raw',
      url: `${srv.endpoint}/org/stream/resolve/main/stream.raw`,
      size: STREAM.length,
    });
    const at = (o: number) => STREAM.subarray(o, o + 100);
    const downloads = () => srv.log.slice(start).filter((e) => e.status === 200).length;
    try {
      assert.deepEqual(await src.read(15 << 20, 100), at(15 << 20));
      assert.deepEqual(await src.read(10, 100), at(10), 'the head is kept');
      assert.deepEqual(await src.read(10 << 20, 100), at(10 << 20), 'so is a window behind the position');
      assert.equal(downloads(), 1);
      for (let back = 2; back <= 4; back++) {
        assert.deepEqual(await src.read(back << 20, 100), at(back << 20));
        assert.equal(downloads(), back);
        assert.deepEqual(await src.read(19 << 20, 100), at(19 << 20));
      }
      await assert.rejects(
        src.read(5 << 20, 100),
        /ignores range requests and the scan needs to go back to byte 5242880; gave up after 4 downloads/,
      );
    } finally {
      srv.options.ignoreRange = false;
      await src.close();
    }
  });

  it('range reads coalesce small reads and match the file byte for byte', async () => {
    const whole = await readFile(join(FX, 'containers/malicious/torch_tar_storages_payload.pt'));
    const client = new HubClient({ endpoint: srv.endpoint }, {});
    const src = await openRemoteFile(client, {
      name: 'x',
      url: `${srv.endpoint}/org/models/resolve/main/legacy/torch_tar_storages_payload.pt`,
      size: whole.length,
    });
    for (const [o, n] of [
      [0, 10],
      [100, 3000],
      [whole.length - 5, 100],
      [7, 1],
    ])
      assert.deepEqual(await src.read(o, n), whole.subarray(o, o + n), `${o}+${n}`);
    assert.equal(client.counters.contentBytes, whole.length);
    await src.close();
  });

  it('refuses a listing that lost files', async () => {
    srv.options.dropLastPage = true;
    try {
      const r = await scan(['hf://org/models'], opts());
      assert.deepEqual(r.scanned, []);
      assert.match(r.errors[0].description, /the file list misses \d+ file\(s\) the revision names/);
    } finally {
      srv.options.dropLastPage = false;
    }
  });

  it('mixes local paths and hf:// inputs; local sources stay relative', async () => {
    const r = await scan([join(local, 'os_system_p4.pkl'), 'hf://org/models/os_system_p4.pkl'], opts());
    assert.deepEqual(
      r.issues.filter((i) => i.severity === 'CRITICAL').map((i) => i.source),
      ['os_system_p4.pkl', `hf://org/models@${SHA}/os_system_p4.pkl`],
    );
    assert.equal(r.absolutePath, local);
  });

  describe('CLI', () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', HF_ENDPOINT: srv.endpoint, XDG_CACHE_HOME: join(tmp, 'xdg'), NO_COLOR: '1', ...env },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });

    it('-p hf://… and --huggingface, JSON against the schema, cached on the second run', async () => {
      const first = await run(['-p', 'hf://org/models', '-r', 'json']);
      assert.equal(first.code, 1, first.stderr);
      const report: any = JSON.parse(first.stdout);
      assert.ok(validateReport(report) as boolean, JSON.stringify(validateReport.errors, null, 1));
      assert.equal(report.summary.input_path, 'hf://org/models');
      assert.equal(report.summary.absolute_path, `hf://org/models@${SHA}`);
      assert.equal(report.summary.remote.files_from_cache, 0);
      assert.ok(report.summary.remote.bytes_transferred > 0);
      const second = await run(['--huggingface', 'org/models', '-r', 'json']);
      const again = JSON.parse(second.stdout);
      assert.equal(again.summary.input_path, 'hf://org/models');
      assert.equal(again.summary.remote.bytes_transferred, 0);
      assert.equal(again.summary.remote.files_from_cache, 6);
      assert.deepEqual(again.issues, report.issues);
      const third = JSON.parse((await run(['--huggingface', 'org/models', '--no-cache', '-r', 'json'])).stdout);
      assert.equal(third.summary.remote.files_from_cache, 0);
      assert.equal(third.summary.remote.bytes_transferred, report.summary.remote.bytes_transferred);
    });

    it('a malformed hf:// path is a usage error', async () => {
      const r = await run(['-p', 'hf://org']);
      assert.equal(r.code, 4);
      assert.match(r.stderr, /modelscan: expected hf:\/\/ORG\/REPO\[@REVISION\]\[\/PATH\], got 'hf:\/\/org'/);
      assert.equal((await run(['--huggingface', 'org/re po'])).code, 4);
    });

    it('HF_TOKEN reads a private repo and is never printed, even with -l DEBUG', async () => {
      const r = await run(['-p', 'hf://org/private', '-l', 'DEBUG', '--no-cache'], { HF_TOKEN: TOKEN });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, new RegExp(`Source: hf://org/private@${SHA}/evil.pkl`));
      assert.match(r.stdout, /Hugging Face Hub: transferred/);
      assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN));
      const denied = await run(['-p', 'hf://org/private', '--no-cache']);
      assert.equal(denied.code, 2);
      assert.match(denied.stdout, /authentication required \(401\)/);
    });
  });

  it('never reached anything but the loopback servers', () => {
    assert.deepEqual([...hosts], ['127.0.0.1']);
  });
});
