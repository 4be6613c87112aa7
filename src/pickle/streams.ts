import { WindowReader } from '../io/bounded-reader.js';
import type { ByteSource } from '../io/byte-source.js';
import type { Finding } from '../scan/findings.js';
import { DEFAULT_POLICY, PickleJudge, type Policy, SCANNER } from './policy.js';
import { resolveGlobal } from './resolve.js';
import type { PyPersistent, PyValue } from './values.js';
import { type InlineHook, type Limits, PickleMachine, type StreamResult } from './vm.js';

export interface StreamsOptions {
  start?: number;
  limits: Limits;
  maxStreams: number;
  policy?: Policy;
  /** Data a container format writes inside the stream (joblib arrays). */
  inlineHook?: InlineHook;
  /** Reader window; the default suits files, tests use tiny ones. */
  windowSize?: number;
  /** Called between window refills; throws to abandon the scan (per-file timeout). */
  checkpoint?: () => void;
  /**
   * Called after each complete stream with its index and value; returns the
   * offset to continue from (to skip a container's raw data) or undefined.
   */
  afterStream?: (
    index: number,
    value: PyValue | undefined,
    end: number,
    persistents: readonly PyPersistent[],
  ) => Promise<number | undefined>;
}

export interface StreamsOutcome {
  /** False when the bytes never formed a pickle (no complete stream, nothing imported or called). */
  isPickle: boolean;
  streams: StreamResult[];
  end: number;
  judge: PickleJudge;
}

/**
 * Runs pickle streams back to back from `start`, as a loop of pickle.load()
 * calls would, until the data ends or stops parsing. Everything found is
 * kept whatever happens later: a malformed tail adds a finding, it never
 * removes one.
 */
export async function runPickleStreams(source: ByteSource, emit: (f: Finding) => void, opts: StreamsOptions): Promise<StreamsOutcome> {
  const judge = new PickleJudge(opts.policy ?? DEFAULT_POLICY);
  const persistents = judge.persistents;
  const reader = new WindowReader(source, opts.start ?? 0, opts.windowSize ?? Math.min(1 << 20, Math.max(4096, source.size)));
  const streams: StreamResult[] = [];
  let offset = opts.start ?? 0;
  let isPickle = true;
  const malformed = (res: StreamResult, what: string, severity: 'LOW' | 'MEDIUM' = 'MEDIUM') =>
    emit({
      severity,
      rule: res.error!.kind === 'limit' ? 'pickle/limit' : 'pickle/malformed',
      description: `${what}: ${res.error!.message}; the stream was not read past this point`,
      module: '',
      operator: '',
      offset: res.error!.offset,
      scanner: SCANNER,
      details: { opcodes: res.opcodes, stream: streams.length },
    });

  try {
    while (offset < source.size) {
      if (streams.length >= opts.maxStreams) {
        emit({
          severity: 'MEDIUM',
          rule: 'pickle/limit',
          description: `more than ${opts.maxStreams} pickles stacked in one file; the rest was not scanned`,
          module: '',
          operator: '',
          offset,
          scanner: SCANNER,
        });
        break;
      }
      reader.seek(offset);
      const head = Buffer.from(await source.read(offset, 256));
      const vm = new PickleMachine(reader, judge, {
        resolve: resolveGlobal,
        limits: opts.limits,
        ...(opts.inlineHook ? { inlineHook: opts.inlineHook } : {}),
        ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}),
      });
      const res = await vm.run();
      if (!res.ok) {
        const first = streams.length === 0;
        if (res.actions === 0 && res.error!.kind !== 'limit') {
          // Nothing was imported or called: a loader would have failed harmlessly.
          if (first && !pickleShaped(head, res)) isPickle = false;
          else if (first) malformed(res, 'Malformed pickle');
          else
            emit({
              severity: 'LOW',
              rule: 'pickle/trailing-data',
              description: `${source.size - offset} bytes after the last pickle do not parse as one (${res.error!.message})`,
              module: '',
              operator: '',
              offset,
              scanner: SCANNER,
            });
        } else if (first && res.calls === 0 && head[0] !== 0x80 && res.error!.kind !== 'limit') {
          // Text that happens to start like a protocol-0 GLOBAL ("cat\ndog\n…"): it names modules
          // (reported above as globals) but calls nothing before it breaks.
          malformed(res, 'Data that starts like a protocol-0 pickle but breaks off', 'LOW');
        } else {
          malformed(res, first ? 'Malformed pickle' : `Malformed pickle #${streams.length + 1} in the stream`);
        }
        streams.push(res);
        break;
      }
      streams.push(res);
      offset = res.end;
      if (opts.afterStream) {
        const next = await opts.afterStream(streams.length - 1, res.value, res.end, persistents);
        if (next !== undefined) offset = next;
      }
      persistents.length = 0;
    }
  } finally {
    // Also when a checkpoint abandons the scan: what was found so far is reported.
    if (isPickle) {
      judge.flush();
      for (const f of judge.findings) emit(f);
    }
  }
  return { isPickle, streams, end: offset, judge };
}

/**
 * Whether a stream that failed before importing anything still looked like a
 * pickle (then it is reported as malformed rather than as another format):
 * a PROTO header followed by a few good opcodes, or a protocol-0 GLOBAL/INST
 * naming a real-looking module.
 */
function pickleShaped(head: Buffer, res: StreamResult): boolean {
  if (head[0] === 0x80 && head[1] <= 5) return res.opcodes >= 3;
  return (head[0] === 0x63 || head[0] === 0x69) && /^[ci][A-Za-z_][\w.]*\n/.test(head.toString('latin1'));
}
