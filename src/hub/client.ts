import { setTimeout as sleep } from 'node:timers/promises';
import { VERSION } from '../version.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export type HubErrorKind = 'auth' | 'gated' | 'not-found' | 'rate-limited' | 'server' | 'http' | 'network' | 'redirect' | 'protocol';

/** A Hub request that failed for good; the message is meant for users and never holds the token or a signed URL. */
export class HubError extends Error {
  constructor(
    message: string,
    readonly kind: HubErrorKind,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface HubClientOptions {
  /** Default: $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Default: $HF_TOKEN. */
  token?: string;
  /** Per request, headers and body together (ms). */
  timeoutMs?: number;
  /** Attempts per request when the Hub answers 429/5xx or the connection fails. */
  maxAttempts?: number;
  /** First backoff delay (ms); doubles per attempt, with jitter. */
  retryBaseMs?: number;
  /** Longest single wait, Retry-After included (ms); a longer Retry-After fails at once. */
  retryMaxMs?: number;
}

/** Bytes received, split by what they were: file content (what the parsers read) or API listings. */
export interface HubCounters {
  contentBytes: number;
  metadataBytes: number;
  requests: number;
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** What is being fetched, for messages: `repo org/x`, `file org/x@sha/a.bin`. */
  what: string;
  /** When given, replaces the per-request timeout (a long stream brings its own idle timeout). */
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 5;
const REDIRECT = new Set([301, 302, 303, 307, 308]);
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** A URL as it may appear in a message: no query string (CDN URLs carry signatures there), no credentials. */
export function displayUrl(url: URL | string): string {
  const u = new URL(String(url));
  return `${u.origin}${u.pathname}`;
}

function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * A small client for the Hub's HTTP API over Node's fetch: the token goes
 * only to the endpoint's own origin (never to the CDN it redirects to, never
 * over plain http to another machine), redirects are followed by hand and
 * bounded, 429/5xx and dropped connections are retried with backoff, and
 * every failure ends as a HubError with a message that says what to do.
 */
export class HubClient {
  readonly endpoint: URL;
  readonly counters: HubCounters = { contentBytes: 0, metadataBytes: 0, requests: 0 };
  private readonly token: string | undefined;
  readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(opts: HubClientOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    const raw = opts.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT;
    let endpoint: URL;
    try {
      endpoint = new URL(raw.replace(/\/+$/, ''));
    } catch {
      throw new HubError(`HF_ENDPOINT is not a URL: '${raw}'`, 'protocol');
    }
    if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:')
      throw new HubError(`HF_ENDPOINT must be an http(s) URL (got '${endpoint.protocol}')`, 'protocol');
    if (endpoint.username || endpoint.password || endpoint.search || endpoint.hash)
      throw new HubError('HF_ENDPOINT must not carry credentials, a query or a fragment', 'protocol');
    this.endpoint = endpoint;
    const token = (opts.token ?? env.HF_TOKEN ?? '').trim();
    this.token = token || undefined;
    if (this.token && endpoint.protocol === 'http:' && !isLoopback(endpoint.hostname))
      throw new HubError(`refusing to send HF_TOKEN over plain http to ${endpoint.host}: use https`, 'protocol');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.retryBaseMs = opts.retryBaseMs ?? 500;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
  }

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  /** `{endpoint}/{path}`, path segments already encoded by the caller. */
  url(path: string): string {
    return `${this.endpoint.href.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  }

  /**
   * Sends a request, following redirects and retrying transient failures;
   * resolves with a 2xx response (body unread) and the URL that answered.
   */
  async request(url: string, opts: RequestOptions): Promise<{ res: Response; url: URL }> {
    let lastError: HubError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      let res: Response;
      let at: URL;
      try {
        ({ res, url: at } = await this.follow(new URL(url), opts));
      } catch (err) {
        if (err instanceof HubError) throw err;
        lastError = new HubError(`${opts.what}: ${describeNetworkError(err, this.timeoutMs)}`, 'network');
        if (opts.signal?.aborted) throw lastError;
        if (attempt < this.maxAttempts) await this.backoff(attempt, undefined);
        continue;
      }
      if (res.status >= 200 && res.status < 300) return { res, url: at };
      const detail = await errorDetail(res);
      if (RETRY_STATUS.has(res.status)) {
        const wait = retryAfterMs(res.headers.get('retry-after'));
        lastError =
          res.status === 429
            ? new HubError(`${opts.what}: rate limited by the Hub (429) after ${attempt} attempt(s); try again later`, 'rate-limited', 429)
            : new HubError(`${opts.what}: the Hub answered ${res.status}${detail} after ${attempt} attempt(s)`, 'server', res.status);
        if (wait !== undefined && wait > this.retryMaxMs) {
          throw new HubError(
            `${opts.what}: rate limited by the Hub (${res.status}); it asks to wait ${Math.ceil(wait / 1000)} s`,
            'rate-limited',
            res.status,
          );
        }
        if (attempt < this.maxAttempts) await this.backoff(attempt, wait);
        continue;
      }
      throw this.statusError(res, at, opts.what, detail);
    }
    throw lastError ?? new HubError(`${opts.what}: request failed`, 'network');
  }

  /** Fetches JSON, reading at most `maxBytes` of body. */
  async json<T>(url: string, what: string, maxBytes = 16 << 20): Promise<{ body: T; res: Response; url: URL }> {
    const { res, url: at } = await this.request(url, { what, headers: { accept: 'application/json' } });
    const bytes = await readCapped(res, maxBytes, what, (n) => {
      this.counters.metadataBytes += n;
    });
    try {
      return { body: JSON.parse(bytes.toString('utf8')) as T, res, url: at };
    } catch {
      throw new HubError(`${what}: the Hub sent a response that is not JSON`, 'protocol');
    }
  }

  private async follow(start: URL, opts: RequestOptions): Promise<{ res: Response; url: URL }> {
    const signal = opts.signal ?? AbortSignal.timeout(this.timeoutMs);
    let current = start;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': `modelscan-ts/${VERSION}`, ...opts.headers };
      // The CDN a file redirects to is another origin: it gets a signed URL, never the token.
      if (this.token && current.origin === this.endpoint.origin) headers.authorization = `Bearer ${this.token}`;
      this.counters.requests++;
      const res = await fetch(current, { method: opts.method ?? 'GET', headers, redirect: 'manual', signal });
      if (!REDIRECT.has(res.status)) return { res, url: current };
      await res.body?.cancel().catch(() => undefined);
      const location = res.headers.get('location');
      if (!location) throw new HubError(`${opts.what}: redirect ${res.status} without a Location`, 'redirect', res.status);
      if (hop >= MAX_REDIRECTS) throw new HubError(`${opts.what}: more than ${MAX_REDIRECTS} redirects`, 'redirect', res.status);
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new HubError(`${opts.what}: redirect to an invalid URL`, 'redirect', res.status);
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw new HubError(`${opts.what}: refusing a redirect to a ${next.protocol} URL`, 'redirect', res.status);
      if (current.protocol === 'https:' && next.protocol === 'http:')
        throw new HubError(`${opts.what}: refusing a redirect from https to plain http (${displayUrl(next)})`, 'redirect', res.status);
      current = next;
    }
  }

  private async backoff(attempt: number, retryAfter: number | undefined): Promise<void> {
    const exp = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (attempt - 1));
    // Equal jitter: clients that failed together don't all come back at once.
    const wait = retryAfter !== undefined ? Math.min(retryAfter, this.retryMaxMs) : exp / 2 + Math.random() * (exp / 2);
    await sleep(wait);
  }

  private statusError(res: Response, at: URL, what: string, detail: string): HubError {
    const code = res.headers.get('x-error-code') ?? '';
    const tokenHint = this.token ? 'HF_TOKEN was sent: check that it can read this repo' : 'set HF_TOKEN to a token that can read it';
    if (code === 'GatedRepo' || (res.status === 403 && /gated/i.test(detail)))
      return new HubError(
        `${what}: gated repo: accept the conditions on the Hub and use a token (HF_TOKEN) of an account that did`,
        'gated',
        res.status,
      );
    if (res.status === 401) {
      const msg = this.token
        ? `authentication failed (401): the Hub rejected HF_TOKEN, or it cannot read this repo`
        : `authentication required (401): the repo is private or does not exist; ${tokenHint}`;
      return new HubError(`${what}: ${msg}`, 'auth', 401);
    }
    if (res.status === 403) return new HubError(`${what}: access denied (403)${detail}; ${tokenHint}`, 'auth', 403);
    if (res.status === 404 || res.status === 410) {
      const kind =
        code === 'RevisionNotFound'
          ? 'revision not found'
          : code === 'EntryNotFound'
            ? 'file not found'
            : code === 'RepoNotFound'
              ? `repo not found${this.token ? '' : ' (if it is private, set HF_TOKEN)'}`
              : `not found at ${displayUrl(at)}`;
      return new HubError(`${what}: ${kind} (${res.status})`, 'not-found', res.status);
    }
    return new HubError(`${what}: the Hub answered ${res.status}${detail}`, 'http', res.status);
  }
}

/** The server's own explanation (X-Error-Message, or a JSON `error`), short and single-line; the body is discarded. */
async function errorDetail(res: Response): Promise<string> {
  let text = res.headers.get('x-error-message') ?? '';
  if (!text) {
    try {
      const body = await readCapped(res, 4096, '', () => undefined, true);
      const parsed = JSON.parse(body.toString('utf8')) as { error?: unknown };
      if (typeof parsed.error === 'string') text = parsed.error;
    } catch {
      // Not JSON, or too long: the status says enough.
    }
  } else await res.body?.cancel().catch(() => undefined);
  const clean = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return clean ? `: ${clean.length > 200 ? `${clean.slice(0, 200)}…` : clean}` : '';
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `connection failed${cause ? ` (${cause})` : e?.message ? ` (${e.message})` : ''}`;
}

/**
 * Reads a body up to `max` bytes (more is an error, or with `truncate` the
 * first `max` bytes), counting every byte received.
 */
export async function readCapped(res: Response, max: number, what: string, count: (n: number) => void, truncate = false): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      count(value.byteLength);
      total += value.byteLength;
      if (total > max) {
        if (truncate) {
          parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
          return Buffer.concat(parts).subarray(0, max);
        }
        throw new HubError(`${what}: response larger than ${max} bytes`, 'protocol');
      }
      parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(parts);
}
