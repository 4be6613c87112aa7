import { isObj, type PyValue } from './values.js';

const MAX_RENDER = 400;

function pyStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\' || ch === q) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + q;
}

function pyBytes(b: string): string {
  let out = "b'";
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i);
    if (c === 0x5c || c === 0x27) out += '\\' + String.fromCharCode(c);
    else if (c === 0x0a) out += '\\n';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + "'";
}

/** Python-like text of a value, bounded in length and depth, for reports. */
export function renderValue(v: PyValue | undefined, depth = 0): string {
  if (v === undefined) return '<missing>';
  const s = render(v, depth);
  return s.length > MAX_RENDER ? s.slice(0, MAX_RENDER) + '…' : s;
}

function render(v: PyValue, depth: number): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? "float('inf')" : v < 0 ? "float('-inf')" : "float('nan')";
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return pyStr(v.length > MAX_RENDER ? v.slice(0, MAX_RENDER) : v) + (v.length > MAX_RENDER ? '…' : '');
  if (!isObj(v)) return '?';
  if (depth > 6) return '…';
  switch (v.t) {
    case 'bytes': {
      const body = pyBytes(v.prefix) + (v.length > v.prefix.length ? `…(${v.length} bytes)` : '');
      return v.kind === 'bytearray' ? `bytearray(${body})` : body;
    }
    case 'longstr':
      return `${pyStr(v.prefix.slice(0, MAX_RENDER))}…(${v.length} chars)`;
    case 'global':
      return `${v.module}.${v.name}`;
    case 'call':
      return renderCall(v.callee, v.args, depth);
    case 'persid':
      return `persistent_load(${render(v.pid, depth + 1)})`;
    case 'opaque':
      return `<${v.what}>`;
    case 'container': {
      const more = v.count > (v.kind === 'dict' ? v.items.length >> 1 : v.items.length) ? ', …' : '';
      if (v.kind === 'dict') {
        const parts: string[] = [];
        for (let i = 0; i + 1 < v.items.length; i += 2)
          parts.push(`${render(v.items[i], depth + 1)}: ${render(v.items[i + 1], depth + 1)}`);
        return `{${parts.join(', ')}${more}}`;
      }
      const inner = v.items.map((x) => render(x, depth + 1)).join(', ') + more;
      if (v.kind === 'tuple') return v.count === 1 && !more ? `(${inner},)` : `(${inner})`;
      if (v.kind === 'list') return `[${inner}]`;
      if (v.kind === 'set') return v.count ? `{${inner}}` : 'set()';
      return `frozenset({${inner}})`;
    }
  }
}

/** `posix.system('echo hi')` from a callee and its argument tuple. */
export function renderCall(callee: PyValue, args: PyValue, depth = 0): string {
  const head = render(callee, depth + 1);
  let inner: string;
  if (isObj(args) && args.t === 'container' && args.kind === 'tuple') {
    inner = args.items.map((x) => render(x, depth + 1)).join(', ') + (args.count > args.items.length ? ', …' : '');
  } else {
    inner = '*' + render(args, depth + 1);
  }
  const s = `${head}(${inner})`;
  return s.length > MAX_RENDER ? s.slice(0, MAX_RENDER) + '…' : s;
}
