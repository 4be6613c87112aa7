import { BufferSource, type ByteSource } from '../io/byte-source.js';
import { type HubClient, HubError } from './client.js';

/** One file of a repo revision, as the listing describes it. */
export interface RemoteFileSpec {
  /** What reports call it: `hf://org/repo@sha/path`. */
  name: string;
  /** Its resolve/ URL (pinned to the commit). */
  url: string;
  size: number;
}

/** The first request asks for this much: most small files arrive whole, and every format's header is inside. */
const PROBE = 64 << 10;
/** A miss after a jump fetches at least this much: parsers read a header in several small reads. */
const MIN_FETCH = 16 << 10;
/** Fetches grow up to this while reads keep walking forward (fewer round trips on long scans). */
const MAX_FETCH = 2 << 20;
/** Bytes kept per source for re-reads; fetches larger than a third of it are not kept (MAX_FETCH must be). */
const CACHE_BYTES = 6 << 20;
const CACHE_SEGMENTS = 64;
/** Short or broken bodies of a range request are asked again this many times. */
const RANGE_ATTEMPTS = 3;

type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

function clampRange(size: number, offset: number, length: number): number {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`invalid read range ${offset}+${length}`);
  }
  return Math.max(0, Math.min(length, size - offset));
}

/**
 * Opens a remote file for random access. The first range request tells
 * whether the server honours Range: if so reads become range requests; if it
 * sends the whole file instead, the file is streamed forward (sequential).
 */
export async function openRemoteFile(client: HubClient, spec: RemoteFileSpec): Promise<ByteSource> {
  if (spec.size === 0) return new BufferSource(spec.name, Buffer.alloc(0));
  const end = Math.min(spec.size, PROBE);
  const what = `file ${spec.name}`;
  // Our own signal: if the server sends the whole file, this answer becomes a long download with an idle timeout.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${client.timeoutMs / 1000} s`)), client.timeoutMs);
  let streaming = false;
  try {
    const { res, url } = await client.request(spec.url, {
      what,
      headers: { range: `bytes=0-${end - 1}`, 'accept-encoding': 'identity' },
      signal: abort.signal,
    });
    if (res.status === 206) {
      const src = new HttpRangeSource(client, spec, url);
      src.store(0, await src.body(res, 0, end));
      return src;
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new HubError(`${what}: unexpected answer ${res.status} to a range request`, 'protocol', res.status);
    }
    streaming = true;
    return StreamedHttpSource.adopt(client, spec, res, abort);
  } finally {
    clearTimeout(timer);
    if (!streaming) abort.abort();
  }
}

interface Segment {
  start: number;
  data: Buffer;
  used: number;
}

/**
 * A remote file read with HTTP Range requests. Reads that miss fetch a
 * little more than asked (more while reads go forward), and recent fetches
 * are kept in a small LRU so a parser's many small reads of one header cost
 * one request. The CDN URL a file redirects to is reused until it fails.
 */
export class HttpRangeSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  private segments: Segment[] = [];
  private cachedBytes = 0;
  private clock = 0;
  private lastEnd = -1;
  private fetchSize = MIN_FETCH;
  /** Where the resolve URL last redirected (a signed CDN URL), to skip the redirect next time. */
  private direct: URL | undefined;
  private closed = false;

  constructor(
    private readonly client: HubClient,
    private readonly spec: RemoteFileSpec,
    answered: URL,
  ) {
    this.name = spec.name;
    this.size = spec.size;
    if (answered.href !== new URL(spec.url).href) this.direct = answered;
  }

  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    if (this.closed) throw new Error(`${this.name}: read after close`);
    const want = clampRange(this.size, offset, length);
    const out = into && into.length >= want ? into.subarray(0, want) : Buffer.allocUnsafe(want);
    const end = offset + want;
    let pos = offset;
    while (pos < end) {
      const seg = this.find(pos);
      if (seg) {
        const n = Math.min(end, seg.start + seg.data.length) - pos;
        seg.data.copy(out, pos - offset, pos - seg.start, pos - seg.start + n);
        seg.used = ++this.clock;
        pos += n;
        continue;
      }
      this.fetchSize = pos === this.lastEnd ? Math.min(this.fetchSize * 2, MAX_FETCH) : MIN_FETCH;
      const fetchEnd = Math.min(this.size, Math.max(end, pos + this.fetchSize), this.nextStart(pos));
      const data = await this.fetch(pos, fetchEnd);
      this.lastEnd = fetchEnd;
      const n = Math.min(end, fetchEnd) - pos;
      data.copy(out, pos - offset, 0, n);
      this.store(pos, data);
      pos += n;
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.segments = [];
    this.cachedBytes = 0;
  }

  /** Keeps a fetched range for re-reads, dropping the least recently used beyond the budget. */
  store(start: number, data: Buffer): void {
    if (data.length === 0 || data.length > CACHE_BYTES / 3) return;
    this.segments.push({ start, data, used: ++this.clock });
    this.cachedBytes += data.length;
    while (this.cachedBytes > CACHE_BYTES || this.segments.length > CACHE_SEGMENTS) {
      let oldest = 0;
      for (let i = 1; i < this.segments.length; i++) if (this.segments[i].used < this.segments[oldest].used) oldest = i;
      this.cachedBytes -= this.segments[oldest].data.length;
      this.segments.splice(oldest, 1);
    }
  }

  private find(pos: number): Segment | undefined {
    for (const s of this.segments) if (pos >= s.start && pos < s.start + s.data.length) return s;
    return undefined;
  }

  /** Start of the nearest kept range after pos, so a fetch doesn't fetch it again. */
  private nextStart(pos: number): number {
    let next = this.size;
    for (const s of this.segments) if (s.start > pos && s.start < next) next = s.start;
    return next;
  }

  private async fetch(start: number, end: number): Promise<Buffer> {
    const what = `file ${this.name}`;
    let last: unknown;
    for (let attempt = 1; attempt <= RANGE_ATTEMPTS; attempt++) {
      const target = this.direct ?? new URL(this.spec.url);
      let res: Response;
      let at: URL;
      try {
        ({ res, url: at } = await this.client.request(target.href, {
          what,
          headers: { range: `bytes=${start}-${end - 1}`, 'accept-encoding': 'identity' },
        }));
      } catch (err) {
        // A signed CDN URL expires: go back through resolve/ for a fresh one.
        if (this.direct && err instanceof HubError && (err.kind === 'auth' || err.kind === 'not-found' || err.kind === 'gated')) {
          this.direct = undefined;
          last = err;
          continue;
        }
        throw err;
      }
      if (at.href !== new URL(this.spec.url).href) this.direct = at;
      if (res.status !== 206) {
        await res.body?.cancel().catch(() => undefined);
        throw new HubError(`${what}: the server stopped honouring range requests (answered ${res.status})`, 'protocol', res.status);
      }
      try {
        return await this.body(res, start, end);
      } catch (err) {
        if (!(err instanceof HubError) || err.kind !== 'network') throw err;
        last = err;
      }
    }
    throw last instanceof Error ? last : new HubError(`${what}: range request failed`, 'network');
  }

  /** The body of a 206 answer for [start, end), checked against what was asked and the listed size. */
  async body(res: Response, start: number, end: number): Promise<Buffer> {
    const what = `file ${this.name}`;
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
    if (!m) {
      await res.body?.cancel().catch(() => undefined);
      throw new HubError(`${what}: range answer without a valid Content-Range`, 'protocol');
    }
    const [first, last, total] = [Number(m[1]), Number(m[2]), m[3] === '*' ? undefined : Number(m[3])];
    if (total !== undefined && total !== this.size) {
      await res.body?.cancel().catch(() => undefined);
      throw new HubError(`${what}: the server holds ${total} bytes but the listing says ${this.size}`, 'protocol');
    }
    if (first !== start || last !== end - 1) {
      await res.body?.cancel().catch(() => undefined);
      throw new HubError(`${what}: asked for bytes ${start}-${end - 1}, got ${first}-${last}`, 'protocol');
    }
    return readExact(res, end - start, what, (n) => {
      this.client.counters.contentBytes += n;
    });
  }
}

/** Reads exactly `length` bytes of body; a short body is a network error (retried), a longer one a protocol error. */
async function readExact(res: Response, length: number, what: string, count: (n: number) => void): Promise<Buffer> {
  const out = Buffer.allocUnsafe(length);
  let got = 0;
  if (!res.body) throw new HubError(`${what}: empty answer`, 'network');
  const reader = res.body.getReader();
  try {
    for (;;) {
      let chunk: ReadResult;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new HubError(`${what}: connection broke after ${got} of ${length} bytes (${(err as Error).message})`, 'network');
      }
      if (chunk.done) break;
      const v = chunk.value;
      count(v.byteLength);
      if (got + v.byteLength > length) throw new HubError(`${what}: the server sent more bytes than asked`, 'protocol');
      out.set(v, got);
      got += v.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  if (got < length) throw new HubError(`${what}: connection ended after ${got} of ${length} bytes`, 'network');
  return out;
}

/** The start of the file kept whole: format sniffing and headers read it again after a pass. */
const STREAM_HEAD = 1 << 20;
/** Bytes kept behind the stream position, so small steps back don't restart the download. */
const STREAM_WINDOW = 8 << 20;
/** Downloads from the start again before giving up on a parser that keeps going back. */
const STREAM_RESTARTS = 3;

/**
 * For servers that ignore Range: the file is streamed forward and only a
 * bounded window is kept (never the whole file, never on disk). A read
 * behind the window downloads again from the start, a bounded number of
 * times; a stream that ends early is an error, never a short file.
 */
export class StreamedHttpSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  readonly sequential = true;
  private head: Buffer[] = [];
  private headBytes = 0;
  private window: Buffer[] = [];
  private windowStart = 0;
  private produced = 0;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private abort: AbortController | undefined;
  private idle: NodeJS.Timeout | undefined;
  private passes = 0;
  /** Reads run one at a time: they share one forward stream. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: HubClient,
    private readonly spec: RemoteFileSpec,
    private readonly idleTimeoutMs: number,
  ) {
    this.name = spec.name;
    this.size = spec.size;
  }

  /** Takes over the answer to the probe (the whole file, from its start) as the first download. */
  static async adopt(client: HubClient, spec: RemoteFileSpec, res: Response, abort: AbortController): Promise<StreamedHttpSource> {
    const src = new StreamedHttpSource(client, spec, client.timeoutMs);
    src.passes = 1;
    src.abort = abort;
    src.touch();
    await src.begin(res);
    return src;
  }

  read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const next = this.queue.then(() => this.readInOrder(offset, length, into));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readInOrder(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const want = clampRange(this.size, offset, length);
    const out = into && into.length >= want ? into.subarray(0, want) : Buffer.allocUnsafe(want);
    const end = offset + want;
    if (end <= this.headBytes) {
      copyFrom(this.head, 0, offset, end, out);
      return out;
    }
    if (!this.reader || offset < this.windowStart) await this.restart(offset);
    while (this.produced < end) await this.pump(offset);
    copyFrom(this.window, this.windowStart, offset, end, out);
    return out;
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private async restart(offset: number): Promise<void> {
    await this.stop();
    if (++this.passes > STREAM_RESTARTS + 1)
      throw new HubError(
        `file ${this.name}: the server ignores range requests and the scan needs to go back to byte ${offset}; gave up after ${STREAM_RESTARTS + 1} downloads`,
        'protocol',
      );
    this.abort = new AbortController();
    this.touch();
    const { res } = await this.client.request(this.spec.url, {
      what: `file ${this.name}`,
      headers: { 'accept-encoding': 'identity' },
      signal: this.abort.signal,
    });
    await this.begin(res);
  }

  private async begin(res: Response): Promise<void> {
    const declared = res.headers.get('content-length');
    if (res.status !== 200 || !res.body || (declared !== null && Number(declared) !== this.size)) {
      await res.body?.cancel().catch(() => undefined);
      throw new HubError(
        `file ${this.name}: expected the whole file (${this.size} bytes), got status ${res.status}, length ${declared}`,
        'protocol',
      );
    }
    this.reader = res.body.getReader();
    this.window = [];
    this.windowStart = 0;
    this.produced = 0;
  }

  /** Receives the next chunk, keeping the head and a window that always covers `keepFrom` onwards. */
  private async pump(keepFrom: number): Promise<void> {
    let r: ReadResult;
    try {
      this.touch();
      r = await this.reader!.read();
    } catch (err) {
      throw new HubError(`file ${this.name}: download broke at byte ${this.produced} (${(err as Error).message})`, 'network');
    }
    if (r.done) throw new HubError(`file ${this.name}: download ended after ${this.produced} of ${this.size} bytes`, 'network');
    this.client.counters.contentBytes += r.value.byteLength;
    const chunk = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    if (this.produced + chunk.length > this.size) {
      throw new HubError(`file ${this.name}: the server sent more than the listed ${this.size} bytes`, 'protocol');
    }
    if (this.headBytes < STREAM_HEAD && this.produced === this.headBytes) {
      const part = chunk.subarray(0, STREAM_HEAD - this.headBytes);
      this.head.push(Buffer.from(part));
      this.headBytes += part.length;
    }
    this.produced += chunk.length;
    this.window.push(chunk);
    // The last STREAM_WINDOW bytes stay, whatever the parser skipped: formats step back a little after a jump.
    let kept = this.produced - this.windowStart;
    while (
      this.window.length > 1 &&
      kept - this.window[0].length >= STREAM_WINDOW &&
      this.windowStart + this.window[0].length <= keepFrom
    ) {
      kept -= this.window[0].length;
      this.windowStart += this.window[0].length;
      this.window.shift();
    }
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    const ac = this.abort;
    this.idle = setTimeout(() => ac?.abort(new Error(`no data for ${this.idleTimeoutMs / 1000} s`)), this.idleTimeoutMs);
    this.idle.unref();
  }

  private async stop(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    const reader = this.reader;
    this.reader = undefined;
    await reader?.cancel().catch(() => undefined);
    this.abort?.abort();
    this.abort = undefined;
  }
}

/** Copies [from, to) out of consecutive chunks that start at `base`. */
function copyFrom(chunks: Buffer[], base: number, from: number, to: number, out: Buffer): void {
  let at = base;
  for (const c of chunks) {
    const s = Math.max(from, at);
    const e = Math.min(to, at + c.length);
    if (s < e) c.copy(out, s - from, s - at, e - at);
    at += c.length;
    if (at >= to) break;
  }
}
