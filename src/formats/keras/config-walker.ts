import type { Severity } from '../../scan/findings.js';
import { isObject, type JsonObject, type JsonValue, type ParsedJson } from './json.js';
import { describeLambdaCode, type LambdaCode, lambdaCodeString, quote, readLambdaCode } from './lambda.js';
import { isKerasModule, isPythonBuiltin, isUnsafeTfOp, unsafeKerasName } from './policy.js';

export interface ConfigFinding {
  severity: Severity;
  rule: string;
  description: string;
  /** Offset within the parsed JSON bytes. */
  offset: number;
  module: string;
  operator: string;
  details: Record<string, unknown>;
}

/** Bytes carried inside the config that a loader hands to another deserializer (TorchModuleWrapper's torch.save blob). */
export interface EmbeddedPayload {
  bytes: Buffer;
  label: string;
  offset: number;
}

export interface WalkResult {
  findings: ConfigFinding[];
  embedded: EmbeddedPayload[];
}

const CHECKPOINT_EVERY = 4096;
const MAX_EMBEDDED = 64;
/** A string this long made only of base64 characters may be marshalled code hiding outside a Lambda. */
const MIN_B64_CODE = 24;
/** Base64 of a marshalled code object starts with 'c' (0x63) or 'c' | FLAG_REF (0xe3). */
const B64_HEAD = /^\s*(4|Y)/;

/** Keys whose string value Keras treats as a file path or URL. */
const PATH_KEYS =
  /^(file_?path|path|file_?name|file|dir|directory|url|uri|origin|location|vocabulary(_?(file|path))?|cache_dir|cache_subdir)$/i;

/**
 * Walks a Keras configuration (Keras 2 model_config/training_config, Keras 3
 * config.json) at every depth: nested models, wrappers (TimeDistributed,
 * Bidirectional) and compile configs all hold objects of the same shape.
 * Reports Lambda code, callables resolved outside Keras, the Keras
 * functions known to bypass safe mode, and file paths or URLs in arguments.
 */
export function walkKerasConfig(parsed: ParsedJson, where: string, checkpoint: () => void): WalkResult {
  const out: WalkResult = { findings: [], embedded: [] };
  /** Values already explained as Lambda payloads: not walked again. */
  const consumed = new Set<JsonValue>();
  /** Keys of an object whose values were reported as Lambda payloads. */
  const skipKeys = new Map<JsonObject, Set<string>>();
  const lambdaDone = new Map<JsonObject, number>();
  /** JSON path of the value being visited; rendered only when something is reported. */
  const segments: (string | number)[] = [];
  let visited = 0;

  const pathOf = (...more: (string | number)[]): string =>
    `$${[...segments, ...more].map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}`;
  const offsetOf = (v: JsonValue | undefined, fallback: number): number =>
    v !== null && typeof v === 'object' ? (parsed.offsets.get(v) ?? fallback) : fallback;
  const report = (f: Omit<ConfigFinding, 'details'> & { details?: Record<string, unknown> }, path: string): void => {
    out.findings.push({ ...f, description: `${where}: ${f.description}`, details: { path, ...f.details } });
  };

  const lambdaFinding = (code: LambdaCode, what: string, offset: number, path: string, extra: Record<string, unknown>): void => {
    const dangerous = code.dangerous.length > 0;
    const shape = code.summary.codeObjects > 0 ? 'runs marshalled Python code' : 'holds a function that is not valid marshalled code';
    report(
      {
        severity: dangerous ? 'CRITICAL' : 'MEDIUM',
        rule: 'keras/lambda',
        description: `${what} ${shape} when the model is loaded (${describeLambdaCode(code)})`,
        offset,
        module: 'Keras',
        operator: 'Lambda',
        details: {
          ...extra,
          names: code.summary.names.slice(0, 50),
          strings: code.summary.strings.slice(0, 20),
          dangerous: code.dangerous,
          encoding: code.encoding,
          marshalLayout: code.summary.layout ?? 'unparsed',
          ...(code.decoded.length > 0 ? { decoded: code.decoded.slice(0, 4) } : {}),
        },
      },
      path,
    );
  };

  /**
   * Lambda payloads held by one object (Keras 2 `x` + `x_type: "lambda"`,
   * Keras 3 `__lambda__` values), reported once each. `at` is the object's
   * path below the current one. Returns how many.
   */
  const lambdaFields = (o: JsonObject, at: (string | number)[], owner: () => string): number => {
    const done = lambdaDone.get(o);
    if (done !== undefined) return done;
    const fields = new Set<string>();
    for (const key of Object.keys(o)) {
      const v = o[key];
      if (key.endsWith('_type') && v === 'lambda' && Object.hasOwn(o, key.slice(0, -5))) fields.add(key.slice(0, -5));
      else if (isObject(v) && v.class_name === '__lambda__') fields.add(key);
    }
    for (const key of fields) {
      const v = o[key];
      const code = lambdaCodeString(v);
      if (v !== null && typeof v === 'object') consumed.add(v);
      const what = key === 'function' ? owner() : `${quote(key)} of ${owner()}`;
      const offset = offsetOf(v, offsetOf(o, 0));
      const path = pathOf(...at, key);
      if (code === undefined) {
        report(
          {
            severity: 'MEDIUM',
            rule: 'keras/lambda',
            description: `${what} declares a serialized Python function whose code could not be found`,
            offset,
            module: 'Keras',
            operator: 'Lambda',
          },
          path,
        );
      } else {
        lambdaFinding(readLambdaCode(code), what, offset, path, { field: key, module: o.module ?? null });
      }
    }
    if (fields.size > 0) skipKeys.set(o, fields);
    lambdaDone.set(o, fields.size);
    return fields.size;
  };

  const checkClassObject = (o: JsonObject, offset: number): void => {
    const cls = o.class_name as string;
    const cfg = o.config;
    const layerName = isObject(cfg) && typeof cfg.name === 'string' ? cfg.name : undefined;
    const label = () => (layerName !== undefined ? `${cls} layer ${quote(layerName)}` : `${cls} object`);
    const registered = typeof o.registered_name === 'string' ? o.registered_name : undefined;
    const module = typeof o.module === 'string' ? o.module : undefined;

    if (cls === 'Lambda' || (registered !== undefined && /(^|[.>])Lambda$/.test(registered))) {
      const n = isObject(cfg) ? lambdaFields(cfg, ['config'], () => `Lambda layer ${quote(layerName ?? '?')}`) : 0;
      if (n === 0) {
        const fn = isObject(cfg) ? cfg.function : undefined;
        const named = typeof fn === 'string' ? fn : isObject(fn) && typeof fn.config === 'string' ? fn.config : undefined;
        report(
          {
            severity: 'MEDIUM',
            rule: 'keras/lambda',
            description: `Lambda layer ${quote(layerName ?? '?')} wraps ${named !== undefined ? `the named function ${quote(named)}` : 'a Python function'}, resolved and called when the model runs`,
            offset,
            module: 'Keras',
            operator: 'Lambda',
          },
          pathOf(),
        );
      }
    }

    if (cls === 'TFOpLambda' && isObject(cfg) && typeof cfg.function === 'string' && isUnsafeTfOp(cfg.function)) {
      report(
        {
          severity: 'HIGH',
          rule: 'keras/unsafe-callable',
          description: `${label()} calls tf.${cfg.function}, which reaches files, Python code or the network`,
          offset,
          module: 'tensorflow',
          operator: cfg.function,
        },
        pathOf(),
      );
    }

    if (module !== undefined && module !== '') {
      let why: string | undefined;
      const fnName = cls === 'function' && typeof cfg === 'string' ? cfg : undefined;
      if (module === 'builtins') {
        const name = fnName ?? cls;
        if (isPythonBuiltin(name) || (fnName === undefined && cls !== 'function' && !cls.startsWith('__'))) {
          why = `resolves to Python's builtin ${quote(name)} when Keras falls back to importing builtins`;
        }
      } else if (!isKerasModule(module)) {
        why = `is resolved by importing module ${quote(module)}, outside Keras and TensorFlow; loading imports it and calls into it`;
      }
      if (why) {
        report(
          {
            severity: 'HIGH',
            rule: 'keras/unsafe-callable',
            description: `${fnName !== undefined ? `function ${quote(fnName)}` : label()} ${why}`,
            offset,
            module,
            operator: fnName ?? cls,
          },
          pathOf(),
        );
      }
    }

    const hits = new Map<string, string>();
    for (const n of [cls, registered, cls === 'function' && typeof cfg === 'string' ? cfg : undefined]) {
      const u = n !== undefined ? unsafeKerasName(n) : undefined;
      if (u) hits.set(u.name, u.why);
    }
    for (const [name, why] of hits) {
      report(
        {
          severity: 'HIGH',
          rule: 'keras/unsafe-callable',
          description: `${cls === name ? label() : `${label()} names ${quote(name)}, which`} ${why}`,
          offset,
          module: module ?? 'Keras',
          operator: name,
        },
        pathOf(),
      );
      if (name === 'TorchModuleWrapper' && isObject(cfg) && typeof cfg.module === 'string' && out.embedded.length < MAX_EMBEDDED) {
        out.embedded.push({
          bytes: Buffer.from(cfg.module, 'base64'),
          label: `TorchModuleWrapper ${quote(layerName ?? '?')} module`,
          offset,
        });
      }
    }
  };

  /** A string value, at the current path, held by `owner` under `key`. */
  const checkString = (s: string, key: string, owner: JsonObject | JsonValue[], pathCheck: boolean): void => {
    const kind = pathCheck ? pathKind(s, key) : undefined;
    if (kind) {
      report(
        {
          severity: 'HIGH',
          rule: 'keras/external-path',
          description: `argument ${quote(key)} holds ${kind} ${quote(s)}: loading or running the model reads or fetches it`,
          offset: offsetOf(owner, 0),
          module: 'Keras',
          operator: key,
          details: { value: s.slice(0, 1000) },
        },
        pathOf(),
      );
    }
    if (s.length >= MIN_B64_CODE && B64_HEAD.test(s) && /^[A-Za-z0-9+/=\s]+$/.test(s)) {
      const code = readLambdaCode(s);
      if (code.summary.codeObjects > 0) lambdaFinding(code, `string ${quote(key)}`, offsetOf(owner, 0), pathOf(), { field: key });
    }
  };

  const walk = (v: JsonValue, key: string): void => {
    if (++visited % CHECKPOINT_EVERY === 0) checkpoint();
    if (v === null || typeof v !== 'object' || consumed.has(v)) return;
    if (Array.isArray(v)) {
      // Lists of strings are mostly vocabularies and names: only a path-named key makes them paths.
      const pathList = PATH_KEYS.test(key);
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        if (item === null || (typeof item !== 'object' && typeof item !== 'string')) continue;
        segments.push(i);
        if (typeof item === 'string') checkString(item, key, v, pathList);
        else walk(item, key);
        segments.pop();
      }
      return;
    }
    const offset = offsetOf(v, 0);
    if (typeof v.class_name === 'string') checkClassObject(v, offset);
    if (v.class_name === '__lambda__') {
      const code = lambdaCodeString(v);
      if (code !== undefined) lambdaFinding(readLambdaCode(code), 'a serialized lambda', offset, pathOf(), {});
      return;
    }
    lambdaFields(v, [], () => (typeof v.name === 'string' ? `layer ${quote(v.name)}` : 'an unnamed object'));
    const skip = skipKeys.get(v);
    for (const k of Object.keys(v)) {
      if (skip?.has(k)) continue;
      const child = v[k];
      if (child === null || (typeof child !== 'object' && typeof child !== 'string')) continue;
      segments.push(k);
      if (typeof child === 'string') checkString(child, k, v, true);
      else walk(child, k);
      segments.pop();
    }
  };
  walk(parsed.value, '');
  return out;
}

/** What kind of outside location a string names, if it names one. */
export function pathKind(s: string, key: string): string | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  if (!/[/\\:~]|\.\./.test(t)) return PATH_KEYS.test(key) ? 'the path' : undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) return 'the URL';
  if (/^file:/i.test(t)) return 'the file URL';
  if (/^[a-z]:[\\/]/i.test(t) || /^\\\\[^\\]/.test(t)) return 'the Windows path';
  if (/^~[\\/]/.test(t)) return 'the home-relative path';
  if (/^\/[^\s/]/.test(t) && !(t.length >= MIN_B64_CODE && /^[A-Za-z0-9+/=]+$/.test(t))) return 'the absolute path';
  if (/(^|[\\/])\.\.([\\/]|$)/.test(t)) return 'the parent-relative path';
  if (PATH_KEYS.test(key)) return 'the path';
  return undefined;
}
