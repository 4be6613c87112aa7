import { type HubClient, HubError } from './client.js';

/** `hf://ORG/REPO[@REVISION][/PATH]`, parsed. */
export interface HubRef {
  /** As the user wrote it. */
  input: string;
  /** `org/name`. */
  repo: string;
  /** A branch, tag or commit; `main` when none was given. */
  revision: string;
  /** A file or folder inside the repo ('' for all of it), without leading or trailing slashes. */
  path: string;
}

/** One file of a revision. */
export interface RemoteEntry {
  path: string;
  size: number;
  /** The git blob id; with `lfsOid`, what identifies the content. */
  oid: string;
  /** SHA-256 of an LFS file's real content. */
  lfsOid?: string;
}

export interface RepoListing {
  repo: string;
  revision: string;
  /** The commit the revision resolved to; every file is read at it. */
  sha: string;
  /** `auto`/`manual` when the repo is gated (reading files needs a token of an account that accepted). */
  gated: string | false;
  files: RemoteEntry[];
}

export class HubPathError extends Error {}

const PREFIX = /^hf:\/\//;
/** The Hub's own rule for user, org and repo names. */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_-])?$/;
const SHA = /^[0-9a-f]{40}$/;
/** Files per revision, tree pages and names: a listing is input like any other. */
const MAX_FILES = 100_000;
const MAX_PAGES = 10_000;
const MAX_PATH = 4096;

export function isHubPath(p: string): boolean {
  return PREFIX.test(p);
}

/** The `--huggingface` spelling (`org/repo[@rev][/path]`, or a full hf:// URL) as an hf:// input. */
export function hubPathFromRepoId(id: string): string {
  return isHubPath(id) ? id : `hf://${id.replace(/^\/+/, '')}`;
}

/**
 * Parses `hf://ORG/REPO[@REVISION][/PATH]`. A revision with a slash is
 * written URL-encoded (`@refs%2Fpr%2F1`), or as the Hub's own `refs/pr/N`
 * and `refs/convert/NAME` refs, which are recognised as they are.
 */
export function parseHubPath(input: string): HubRef {
  if (!isHubPath(input)) throw new HubPathError(`not an hf:// path: '${input}'`);
  const parts = input.replace(PREFIX, '').split('/');
  if (parts.length < 2 || !parts[0] || !parts[1]) throw new HubPathError(`expected hf://ORG/REPO[@REVISION][/PATH], got '${input}'`);
  const org = parts[0];
  let [name, revision] = splitOnce(parts[1], '@');
  let rest = parts.slice(2);
  if (revision === 'refs' && (rest[0] === 'pr' || rest[0] === 'convert') && rest[1]) {
    revision = `refs/${rest[0]}/${rest[1]}`;
    rest = rest.slice(2);
  } else if (revision !== undefined) {
    try {
      revision = decodeURIComponent(revision);
    } catch {
      throw new HubPathError(`bad revision encoding in '${input}'`);
    }
  }
  if (!NAME.test(org) || !NAME.test(name)) throw new HubPathError(`not a Hub repo name: '${org}/${name}'`);
  if (revision === '' || (revision !== undefined && (/[\x00-\x20~^:?*[\\]/.test(revision) || revision.includes('..'))))
    throw new HubPathError(`not a valid revision: '${revision}'`);
  const path = rest.filter((s) => s !== '').join('/');
  if (rest.some((s) => s === '.' || s === '..')) throw new HubPathError(`'.' and '..' are not allowed in a Hub path: '${input}'`);
  return { input, repo: `${org}/${name}`, revision: revision ?? 'main', path };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/** Encodes each segment of a repo path for a URL, keeping the slashes. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The URL of a file's content at a commit. */
export function resolveUrl(client: HubClient, repo: string, sha: string, path: string): string {
  return client.url(`${repo}/resolve/${encodeURIComponent(sha)}/${encodePath(path)}`);
}

/** `hf://org/repo@sha/path`: what reports call a remote file. */
export function hubSource(repo: string, sha: string, path: string): string {
  return `hf://${repo}@${sha}/${path}`;
}

interface RevisionInfo {
  sha?: unknown;
  gated?: unknown;
  siblings?: unknown;
}

interface TreeEntry {
  type?: unknown;
  path?: unknown;
  size?: unknown;
  oid?: unknown;
  lfs?: { oid?: unknown; size?: unknown } | null;
}

/**
 * Resolves the revision to its commit, then lists every file at that commit
 * (the tree API, page by page), sorted by path. The revision's own file list
 * is checked against the tree, so a listing that lost files fails instead of
 * passing them unscanned.
 */
export async function listRepo(client: HubClient, ref: HubRef): Promise<RepoListing> {
  const what = `repo ${ref.repo}@${ref.revision}`;
  const { body: info } = await client.json<RevisionInfo>(
    client.url(`api/models/${ref.repo}/revision/${encodeURIComponent(ref.revision)}`),
    what,
  );
  if (typeof info?.sha !== 'string' || !SHA.test(info.sha))
    throw new HubError(`${what}: the Hub did not say which commit it is`, 'protocol');
  const sha = info.sha;
  const gated = typeof info.gated === 'string' ? info.gated : false;
  const files: RemoteEntry[] = [];
  const seen = new Set<string>();
  let next: string | undefined = client.url(`api/models/${ref.repo}/tree/${sha}?recursive=true`);
  for (let page = 0; next; page++) {
    if (page >= MAX_PAGES) throw new HubError(`${what}: more than ${MAX_PAGES} pages of files`, 'protocol');
    const { body, res } = await client.json<TreeEntry[]>(next, `${what}: file list`);
    if (!Array.isArray(body)) throw new HubError(`${what}: the file list is not a list`, 'protocol');
    for (const e of body) {
      if (e?.type !== 'file') continue;
      const entry = toEntry(e, what);
      if (seen.has(entry.path)) continue;
      seen.add(entry.path);
      if (files.length >= MAX_FILES) throw new HubError(`${what}: more than ${MAX_FILES} files`, 'protocol');
      files.push(entry);
    }
    next = nextPage(res.headers.get('link'), client);
  }
  checkSiblings(info.siblings, seen, what);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { repo: ref.repo, revision: ref.revision, sha, gated, files };
}

/** The files at or under `ref.path` (all of them for the whole repo); none is an error. */
export function selectFiles(listing: RepoListing, ref: HubRef): RemoteEntry[] {
  if (!ref.path) return listing.files;
  const under = listing.files.filter((f) => f.path === ref.path || f.path.startsWith(`${ref.path}/`));
  if (under.length === 0)
    throw new HubError(`repo ${ref.repo}@${ref.revision}: no file or folder '${ref.path}' at commit ${listing.sha}`, 'not-found', 404);
  return under;
}

function toEntry(e: TreeEntry, what: string): RemoteEntry {
  const path = e.path;
  if (typeof path !== 'string' || !path || path.length > MAX_PATH || path.startsWith('/') || /[\x00-\x1f]/.test(path))
    throw new HubError(`${what}: the file list holds an invalid path`, 'protocol');
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw new HubError(`${what}: the file list holds the path '${path}'`, 'protocol');
  const lfsSize = e.lfs && typeof e.lfs.size === 'number' ? e.lfs.size : undefined;
  const size = lfsSize ?? e.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new HubError(`${what}: no valid size for '${path}'`, 'protocol');
  const oid = typeof e.oid === 'string' ? e.oid : '';
  const lfsOid = e.lfs && typeof e.lfs.oid === 'string' ? e.lfs.oid : undefined;
  return { path, size, oid, ...(lfsOid ? { lfsOid } : {}) };
}

/** The `rel="next"` URL of a Link header, only on the endpoint's own origin. */
function nextPage(link: string | null, client: HubClient): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (!m || !/\brel\s*=\s*"?next"?/i.test(m[2])) continue;
    const url = new URL(m[1], client.endpoint);
    if (url.origin !== client.endpoint.origin) throw new HubError('the file list points to another host for its next page', 'protocol');
    return url.href;
  }
  return undefined;
}

function checkSiblings(siblings: unknown, listed: Set<string>, what: string): void {
  if (!Array.isArray(siblings)) return;
  let missing = 0;
  let example = '';
  for (const s of siblings.slice(0, MAX_FILES)) {
    const name = (s as { rfilename?: unknown })?.rfilename;
    if (typeof name === 'string' && !listed.has(name)) {
      missing++;
      example ||= name;
    }
  }
  if (missing)
    throw new HubError(
      `${what}: the file list misses ${missing} file(s) the revision names (e.g. '${example}'); not scanning an incomplete repo`,
      'protocol',
    );
}
