/**
 * Keras Lambda layers in the layer metadata a SavedModel carries
 * (keras_metadata.pb, or SavedUserObject.metadata before TF 2.5). A Lambda
 * whose function is marshalled bytecode runs that code once the model is
 * loaded and called; the bytecode is not disassembled here, only searched
 * for the names it uses.
 */

/** Names in a code object that reach the system, the interpreter or the network. */
const DANGEROUS = new Set([
  '__builtins__',
  '__builtin__',
  '__globals__',
  '__import__',
  '__subclasses__',
  'breakpoint',
  'builtins',
  'check_call',
  'check_output',
  'compile',
  'ctypes',
  'eval',
  'exec',
  'execl',
  'execle',
  'execlp',
  'execv',
  'execve',
  'execvp',
  'getattr',
  'globals',
  'import_module',
  'importlib',
  'marshal',
  'nt',
  'open',
  'os',
  'pickle',
  'popen',
  'Popen',
  'posix',
  'pty',
  'requests',
  'runpy',
  'shutil',
  'socket',
  'spawnl',
  'spawnv',
  'spawnve',
  'startfile',
  'subprocess',
  'system',
  'urllib',
  'urlopen',
  'webbrowser',
]);

export interface LambdaLayer {
  /** The layer's name from its config. */
  name: string;
  /** Byte offset of the layer's `"class_name": "Lambda"` within the metadata, when found. */
  offset: number;
  /** Dangerous names found in its bytecode. */
  names: string[];
  /** Whether it carries bytecode at all (a Lambda can also name a module function). */
  bytecode: boolean;
}

const MAX_NODES = 1_000_000;
const CLASS_LAMBDA = /"class_name"\s*:\s*"(?:Lambda|__lambda__)"/g;

/**
 * Every Lambda layer in one metadata JSON, nested models included. Metadata
 * that isn't valid JSON is searched as text: a Lambda there is still one.
 */
export function findLambdas(raw: Buffer): LambdaLayer[] {
  const text = raw.toString('utf8');
  if (!text.includes('Lambda') && !text.includes('__lambda__')) return [];
  const offsets = [...text.matchAll(CLASS_LAMBDA)].map((m) => Buffer.byteLength(text.slice(0, m.index)));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return offsets.map((offset) => ({ name: '', offset, names: [], bytecode: false }));
  }
  const layers: LambdaLayer[] = [];
  const stack: unknown[] = [parsed];
  let visited = 0;
  while (stack.length > 0 && visited++ < MAX_NODES) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.class_name === 'Lambda' || o.class_name === '__lambda__') {
        const blobs = base64Strings(o.class_name === 'Lambda' ? (o.config as Record<string, unknown> | undefined)?.function : o.config);
        const names = new Set<string>();
        for (const b of blobs) for (const n of marshalNames(Buffer.from(b, 'base64'))) if (DANGEROUS.has(n)) names.add(n);
        const cfg = o.config as Record<string, unknown> | undefined;
        layers.push({
          name: typeof cfg?.name === 'string' ? cfg.name : '',
          offset: offsets[layers.length] ?? 0,
          names: [...names].sort(),
          bytecode: blobs.length > 0,
        });
      }
      for (const k of Object.keys(o).reverse()) stack.push(o[k]);
    }
  }
  // Past the node budget, the text still tells how many there are.
  for (let i = layers.length; i < offsets.length; i++) layers.push({ name: '', offset: offsets[i], names: [], bytecode: false });
  return layers;
}

/**
 * The base64 strings of a Lambda's function, in each shape Keras wrote it:
 * a list `[code, defaults, closure]` (h5), `{"class_name": "__tuple__",
 * "items": [...]}` (SavedModel JSON), a bare string, or Keras 3's
 * `{"code": ...}`. A named module function ("module.fn") has none.
 */
function base64Strings(fn: unknown): string[] {
  const out: string[] = [];
  const consider = (s: unknown) => {
    if (typeof s === 'string' && s.length >= 16 && /^[A-Za-z0-9+/=\s]+$/.test(s)) out.push(s);
  };
  if (typeof fn === 'string') consider(fn);
  else if (Array.isArray(fn)) consider(fn[0]);
  else if (fn !== null && typeof fn === 'object') {
    const o = fn as Record<string, unknown>;
    if (Array.isArray(o.items)) consider(o.items[0]);
    consider(o.code);
    const cfg = o.config as Record<string, unknown> | undefined;
    if (cfg && typeof cfg === 'object') consider(cfg.code);
  }
  return out;
}

/**
 * Identifiers stored as strings in a marshal stream (names, constants):
 * each type byte of a short string ('z', 'Z') or a sized one ('a', 'A',
 * 'u', 't', 's'), with or without the reference flag, followed by a length
 * and that many identifier characters. Scanning every offset finds them
 * without decoding the stream; an accidental match must still be an exact
 * identifier to count.
 */
export function marshalNames(code: Buffer): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i + 1 < code.length; i++) {
    const t = code[i] & 0x7f;
    let len: number;
    let start: number;
    if (t === 0x7a || t === 0x5a) {
      len = code[i + 1];
      start = i + 2;
    } else if (t === 0x61 || t === 0x41 || t === 0x75 || t === 0x74 || t === 0x73) {
      if (i + 5 > code.length) continue;
      len = code.readUInt32LE(i + 1);
      start = i + 5;
    } else continue;
    if (len === 0 || len > 64 || start + len > code.length) continue;
    const s = code.toString('latin1', start, start + len);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) names.add(s);
  }
  return names;
}
