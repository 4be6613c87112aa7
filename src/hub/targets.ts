import { posix } from 'node:path';
import type { ByteSource } from '../io/byte-source.js';
import type { RemoteSummary } from '../scan/result.js';
import type { Target, Walked } from '../scan/walk.js';
import { type CachedOutcome, defaultCacheDir, ResultCache, settingsFingerprint } from './cache.js';
import { HubClient, type HubClientOptions, HubError } from './client.js';
import { openRemoteFile } from './remote-source.js';
import { type HubRef, hubSource, listRepo, parseHubPath, type RemoteEntry, type RepoListing, resolveUrl, selectFiles } from './repo.js';

export { isHubPath } from './repo.js';

export interface HubOptions extends HubClientOptions {
  /** Reuse per-file results stored on disk (default true). */
  cache?: boolean;
  /** Default: `$XDG_CACHE_HOME/modelscan-ts` or `~/.cache/modelscan-ts`. */
  cacheDir?: string;
  /** Environment for HF_ENDPOINT, HF_TOKEN, XDG_CACHE_HOME (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** How scan() reads a file on the Hub instead of a local one. */
export interface RemoteFile {
  open(): Promise<ByteSource>;
  /** The stored outcome when there is one; else runs the scan and stores what it produced. */
  cached(run: () => Promise<CachedOutcome>): Promise<CachedOutcome>;
}

export interface HubSession {
  summary(): RemoteSummary;
}

export interface HubCollectOptions {
  hub?: HubOptions;
  /** Everything besides a file's bytes that decides its result (policy, limits…), for the cache key. */
  settings: unknown;
  /** Local inputs given too: the scan root stays theirs. */
  localInputs: number;
  debug?: (message: string) => void;
}

/** An index names its shards; bounded like any other input. */
const MAX_INDEX_BYTES = 16 << 20;
const MAX_SHARDS = 10_000;

/**
 * Lists the hf:// inputs and adds one target per file to `walked`, in path
 * order, each opened over HTTP when scanned. A repo that cannot be listed
 * becomes an error entry for its input; the other inputs still get scanned.
 */
export async function collectHubTargets(inputs: string[], walked: Walked, opts: HubCollectOptions): Promise<HubSession> {
  const hub = opts.hub ?? {};
  const env = hub.env ?? process.env;
  const repositories: RemoteSummary['repositories'] = [];
  const counts = { files: 0, totalSize: 0, fromCache: 0 };
  let client: HubClient | undefined;
  let clientError: string | undefined;
  try {
    client = new HubClient(hub, env);
  } catch (err) {
    clientError = (err as Error).message;
  }
  const cache = hub.cache === false ? undefined : new ResultCache(hub.cacheDir ?? defaultCacheDir(env), settingsFingerprint(opts.settings));
  const seen = new Set<string>();
  for (const input of inputs) {
    try {
      if (!client) throw new HubError(clientError ?? 'no Hub client', 'protocol');
      const ref = parseHubPath(input);
      const listing = await listRepo(client, ref);
      repositories.push({ input, repo: listing.repo, revision: listing.revision, commit: listing.sha });
      opts.debug?.(`${input}: ${listing.repo}@${listing.revision} is commit ${listing.sha}, ${listing.files.length} file(s)`);
      for (const entry of await withIndexedShards(client, listing, ref, selectFiles(listing, ref), walked)) {
        const source = hubSource(listing.repo, listing.sha, entry.path);
        if (seen.has(source)) continue;
        seen.add(source);
        counts.files++;
        counts.totalSize += entry.size;
        walked.targets.push(remoteTarget(client, cache, listing, entry, source, counts, opts.debug));
      }
    } catch (err) {
      walked.errors.push({ category: 'PATH', description: (err as Error).message, source: input });
    }
  }
  if (opts.localInputs === 0) {
    const roots = new Set(repositories.map((r) => `hf://${r.repo}@${r.commit}`));
    walked.root = roots.size === 1 ? [...roots][0] : 'hf://';
  }
  return {
    summary: () => ({
      repositories,
      files: counts.files,
      totalSize: counts.totalSize,
      bytesTransferred: client?.counters.contentBytes ?? 0,
      metadataBytes: client?.counters.metadataBytes ?? 0,
      filesFromCache: counts.fromCache,
    }),
  };
}

function remoteTarget(
  client: HubClient,
  cache: ResultCache | undefined,
  listing: RepoListing,
  entry: RemoteEntry,
  source: string,
  counts: { fromCache: number },
  debug?: (message: string) => void,
): Target {
  const contentId = entry.lfsOid ?? entry.oid;
  const key = cache && contentId ? cache.key(listing.repo, entry.path, contentId) : undefined;
  const remote: RemoteFile = {
    open: () => openRemoteFile(client, { name: source, url: resolveUrl(client, listing.repo, listing.sha, entry.path), size: entry.size }),
    async cached(run) {
      if (!cache || !key) return run();
      const hit = await cache.get(key, source);
      if (hit) {
        counts.fromCache++;
        debug?.(`${source}: result from the cache (${cache.dir})`);
        return hit;
      }
      const outcome = await run();
      await cache.put(key, source, outcome);
      return outcome;
    },
  };
  return { abs: source, source, size: entry.size, remote };
}

/**
 * When the input names one `*.index.json` (sharded weights), the shards its
 * `weight_map` names are scanned with it, as loaders would read them. A
 * shard missing from the repo is an error: the model cannot be vetted whole.
 */
async function withIndexedShards(
  client: HubClient,
  listing: RepoListing,
  ref: HubRef,
  selected: RemoteEntry[],
  walked: Walked,
): Promise<RemoteEntry[]> {
  if (selected.length !== 1 || selected[0].path !== ref.path || !ref.path.endsWith('.index.json')) return selected;
  const index = selected[0];
  const source = hubSource(listing.repo, listing.sha, index.path);
  let names: string[];
  try {
    names = await readWeightMap(client, { name: source, url: resolveUrl(client, listing.repo, listing.sha, index.path), size: index.size });
  } catch (err) {
    walked.errors.push({ category: 'MODEL_SCAN', description: `cannot follow the index: ${(err as Error).message}`, source });
    return selected;
  }
  const byPath = new Map(listing.files.map((f) => [f.path, f]));
  const dir = posix.dirname(index.path);
  const out = [index];
  for (const name of names) {
    const path = posix.normalize(dir === '.' ? name : `${dir}/${name}`);
    const entry = byPath.get(path);
    if (entry && !path.startsWith('../') && !path.startsWith('/')) out.push(entry);
    else walked.errors.push({ category: 'MODEL_SCAN', description: `the index names '${name}', which is not in the repo`, source });
  }
  return out;
}

async function readWeightMap(client: HubClient, spec: { name: string; url: string; size: number }): Promise<string[]> {
  if (spec.size > MAX_INDEX_BYTES) throw new Error(`index larger than ${MAX_INDEX_BYTES} bytes`);
  const src = await openRemoteFile(client, spec);
  let text: string;
  try {
    text = (await src.read(0, spec.size)).toString('utf8');
  } finally {
    await src.close();
  }
  const map = (JSON.parse(text) as { weight_map?: unknown })?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new Error('no weight_map object');
  const names = [...new Set(Object.values(map as Record<string, unknown>).filter((v): v is string => typeof v === 'string'))];
  if (names.length > MAX_SHARDS) throw new Error(`more than ${MAX_SHARDS} shards`);
  return names.sort();
}
