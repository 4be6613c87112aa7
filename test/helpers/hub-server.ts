/**
 * A Hugging Face Hub stand-in on 127.0.0.1 for the hf:// tests and the
 * benchmark: the revision, tree (paginated) and resolve endpoints, range
 * requests, LFS files redirected to a second "CDN" server on another port
 * (another origin: it must never see the token), private and gated repos,
 * Hub-style error headers, and injected failures (429/5xx, ignored ranges,
 * odd redirects). Files are served from disk, so a sparse multi-GiB file
 * costs nothing. Nothing here listens beyond loopback.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFile {
  path: string;
  /** Served from this file on disk… */
  file?: string;
  /** …or these bytes. */
  data?: Buffer;
  /** An LFS file: resolve/ redirects to the CDN. */
  lfs?: boolean;
  /** resolve/ answers 302 to this Location instead (tests of redirect handling). */
  location?: string;
}

export interface HubRepo {
  id: string;
  sha: string;
  /** Branches and tags; `main` → sha when absent. */
  refs?: Record<string, string>;
  files: HubFile[];
  private?: boolean;
  gated?: boolean;
}

export interface Failure {
  /** Matched against `server path` (e.g. `hub /api/models/org/a/tree/...`, `cdn /blobs/...`). */
  match: RegExp;
  status: number;
  /** How many matching requests fail before the rest succeed. */
  times: number;
  retryAfter?: string;
}

export interface HubServerOptions {
  repos: HubRepo[];
  /** The token that reads private repos and has accepted gated ones. */
  token?: string;
  pageSize?: number;
  /** Answer range requests with the whole file (200), as some servers do. */
  ignoreRange?: boolean;
  failures?: Failure[];
  /** Leave the tree's last page out, while the revision still names every file (a lossy listing). */
  dropLastPage?: boolean;
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  status: number;
  range?: string;
  authorization?: string;
  /** Body bytes sent. */
  bytes: number;
}

export interface HubServer {
  endpoint: string;
  cdn: string;
  log: LoggedRequest[];
  options: HubServerOptions;
  /** Body bytes sent for file content (resolve/ and the CDN), since start or the last reset. */
  contentBytes(): number;
  close(): Promise<void>;
}

interface Served {
  repo: HubRepo;
  file: HubFile;
  size: number;
  oid: string;
  lfsOid: string;
}

function sizeOf(f: HubFile): number {
  return f.data ? f.data.length : statSync(f.file!).size;
}

/** Content ids as the Hub gives them: git blob sha1, and sha256 for LFS (big sparse files: a stand-in digest). */
function ids(f: HubFile, size: number): { oid: string; lfsOid: string } {
  const bytes = f.data ?? (size <= 64 << 20 ? readFileSync(f.file!) : undefined);
  if (!bytes) {
    const st = statSync(f.file!);
    const id = createHash('sha256').update(`${f.file}\0${size}\0${st.mtimeMs}`).digest('hex');
    return { oid: id.slice(0, 40), lfsOid: id };
  }
  return {
    oid: createHash('sha1').update(`blob ${size}\0`).update(bytes).digest('hex'),
    lfsOid: createHash('sha256').update(bytes).digest('hex'),
  };
}

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const log: LoggedRequest[] = [];
  const files = new Map<string, Served>();
  const blobs = new Map<string, Served>();
  for (const repo of options.repos) {
    for (const file of repo.files) {
      const size = sizeOf(file);
      const s: Served = { repo, file, size, ...ids(file, size) };
      files.set(`${repo.id}\0${file.path}`, s);
      blobs.set(s.lfsOid, s);
    }
  }
  const hub = createServer((req, res) => handle('hub', req, res));
  const cdn = createServer((req, res) => handle('cdn', req, res));
  await Promise.all([listen(hub), listen(cdn)]);
  const endpoint = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
  const cdnOrigin = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;

  function handle(server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: LoggedRequest = {
      server,
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      status: 0,
      bytes: 0,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    };
    log.push(entry);
    const origWrite = res.write.bind(res);
    const origEnd = res.end.bind(res);
    const count = (chunk: unknown) => {
      if (chunk && typeof chunk !== 'function') entry.bytes += Buffer.byteLength(chunk as Buffer);
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      count(chunk);
      return (origWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      count(chunk);
      entry.status = res.statusCode;
      return (origEnd as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
    }) as typeof res.end;
    const failure = options.failures?.find((f) => f.times > 0 && f.match.test(`${server} ${url.pathname}`));
    if (failure) {
      failure.times--;
      res.writeHead(failure.status, {
        ...(failure.retryAfter !== undefined ? { 'retry-after': failure.retryAfter } : {}),
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ error: failure.status === 429 ? 'Too many requests' : 'Server error' }));
      return;
    }
    try {
      if (server === 'cdn') cdnRoute(req, res, url);
      else hubRoute(req, res, url);
    } catch (err) {
      res.writeHead(500);
      res.end(String(err));
    }
  }

  function error(res: ServerResponse, status: number, code: string | undefined, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json', ...(code ? { 'x-error-code': code } : {}), 'x-error-message': message });
    res.end(JSON.stringify({ error: message }));
  }

  function authorized(req: IncomingMessage): boolean {
    return !!options.token && req.headers.authorization === `Bearer ${options.token}`;
  }

  /** The repo if this request may see it, else an error answer (and undefined). */
  function findRepo(req: IncomingMessage, res: ServerResponse, id: string): HubRepo | undefined {
    const repo = options.repos.find((r) => r.id === id);
    if (!repo || (repo.private && !authorized(req))) {
      // The Hub does not tell a private repo from a missing one.
      if (req.headers.authorization && !authorized(req)) error(res, 401, undefined, 'Invalid credentials in Authorization header');
      else if (!req.headers.authorization) error(res, 401, 'RepoNotFound', 'Repository not found');
      else error(res, 404, 'RepoNotFound', 'Repository not found');
      return undefined;
    }
    return repo;
  }

  function commitOf(repo: HubRepo, rev: string): string | undefined {
    const refs = repo.refs ?? { main: repo.sha };
    return rev === repo.sha || Object.values(refs).includes(rev) ? rev : refs[rev];
  }

  function hubRoute(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts[0] === 'api' && parts[1] === 'models') {
      const repo = findRepo(req, res, `${parts[2]}/${parts[3]}`);
      if (!repo) return;
      const sha = commitOf(repo, parts[5] ?? '');
      if (!sha) {
        error(res, 404, 'RevisionNotFound', 'Invalid rev id');
        return;
      }
      if (parts[4] === 'revision') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: repo.id,
            sha,
            private: !!repo.private,
            gated: repo.gated ? 'manual' : false,
            siblings: repo.files.map((f) => ({ rfilename: f.path })),
          }),
        );
        return;
      }
      if (parts[4] === 'tree') {
        const all = repo.files
          .map((f) => files.get(`${repo.id}\0${f.path}`)!)
          .map((s) => ({
            type: 'file',
            oid: s.oid,
            size: s.size,
            path: s.file.path,
            ...(s.file.lfs ? { lfs: { oid: s.lfsOid, size: s.size, pointerSize: 134 } } : {}),
          }));
        const dirs = [
          ...new Set(
            repo.files.flatMap((f) =>
              f.path
                .split('/')
                .slice(0, -1)
                .map((_, i, a) => a.slice(0, i + 1).join('/')),
            ),
          ),
        ];
        const entries = [...dirs.map((d) => ({ type: 'directory', oid: '0'.repeat(40), size: 0, path: d })), ...all];
        const pageSize = options.pageSize ?? 1000;
        const cursor = Number(url.searchParams.get('cursor') ?? 0);
        const page = entries.slice(cursor, cursor + pageSize);
        const more = cursor + pageSize < entries.length && !(options.dropLastPage && cursor + 2 * pageSize >= entries.length);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (more) headers.link = `<${endpoint}${url.pathname}?recursive=true&cursor=${cursor + pageSize}>; rel="next"`;
        res.writeHead(200, headers);
        res.end(JSON.stringify(page));
        return;
      }
      error(res, 404, undefined, 'Not found');
      return;
    }
    // /{org}/{repo}/resolve/{rev}/{path…}
    if (parts[2] !== 'resolve') {
      error(res, 404, undefined, 'Not found');
      return;
    }
    const repo = findRepo(req, res, `${parts[0]}/${parts[1]}`);
    if (!repo) return;
    const sha = commitOf(repo, parts[3] ?? '');
    if (!sha) {
      error(res, 404, 'RevisionNotFound', 'Invalid rev id');
      return;
    }
    if (repo.gated && !authorized(req)) {
      if (!req.headers.authorization)
        error(res, 401, 'GatedRepo', `Access to model ${repo.id} is restricted. You must be authenticated to access it.`);
      else error(res, 403, 'GatedRepo', `Access to model ${repo.id} is restricted and you are not in the authorized list.`);
      return;
    }
    const served = files.get(`${repo.id}\0${parts.slice(4).join('/')}`);
    if (!served) {
      error(res, 404, 'EntryNotFound', 'Entry not found');
      return;
    }
    if (served.file.location) {
      res.writeHead(302, { location: served.file.location });
      res.end();
      return;
    }
    if (served.file.lfs) {
      res.writeHead(302, {
        location: `${cdnOrigin}/blobs/${served.lfsOid}?X-Amz-Signature=deadbeef`,
        'x-repo-commit': sha,
        'x-linked-etag': `"${served.lfsOid}"`,
        'x-linked-size': String(served.size),
      });
      res.end();
      return;
    }
    sendContent(req, res, served, { 'x-repo-commit': sha, etag: `"${served.oid}"` });
  }

  function cdnRoute(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const m = /^\/blobs\/([0-9a-f]{64})$/.exec(url.pathname);
    const served = m ? blobs.get(m[1]) : undefined;
    if (!served || url.searchParams.get('X-Amz-Signature') !== 'deadbeef') {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('Forbidden');
      return;
    }
    sendContent(req, res, served, { etag: `"${served.lfsOid}"` });
  }

  function sendContent(req: IncomingMessage, res: ServerResponse, s: Served, headers: Record<string, string>): void {
    const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = s.size - 1;
    let partial = false;
    if (m && !options.ignoreRange && (m[1] !== '' || m[2] !== '')) {
      partial = true;
      if (m[1] === '') start = Math.max(0, s.size - Number(m[2]));
      else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(end, Number(m[2]));
      }
      if (start >= s.size || start > end) {
        res.writeHead(416, { 'content-range': `bytes */${s.size}` });
        res.end();
        return;
      }
    }
    const length = Math.max(0, end - start + 1);
    res.writeHead(partial ? 206 : 200, {
      ...headers,
      'accept-ranges': options.ignoreRange ? 'none' : 'bytes',
      'content-type': 'application/octet-stream',
      'content-length': String(length),
      ...(partial ? { 'content-range': `bytes ${start}-${end}/${s.size}` } : {}),
    });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    if (s.file.data) {
      res.end(s.file.data.subarray(start, end + 1));
      return;
    }
    const stream = createReadStream(s.file.file!, { start, end, highWaterMark: 64 << 10 });
    stream.on('data', (chunk) => {
      if (!res.write(chunk)) {
        stream.pause();
        res.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => res.end());
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
  }

  return {
    endpoint,
    cdn: cdnOrigin,
    log,
    options,
    contentBytes: () =>
      log.filter((e) => e.server === 'cdn' || /\/resolve\//.test(e.path)).reduce((n, e) => n + (e.status < 300 ? e.bytes : 0), 0),
    async close() {
      await Promise.all([close(hub), close(cdn)]);
    },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
