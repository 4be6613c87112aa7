import { isObject, type JsonValue } from './json.js';
import { type MarshalSummary, summarizeMarshal } from './marshal.js';
import { identifiersIn, isDangerousName } from './policy.js';

/** What a serialized Python function amounts to, read without running it. */
export interface LambdaCode {
  summary: MarshalSummary;
  /** How Keras' func_load would turn the string into bytes. */
  encoding: 'base64' | 'raw';
  /** Base64 string constants that decode to text (payloads exec'd after decoding). */
  decoded: string[];
  /** Dangerous names the code references, directly or in decoded constants. */
  dangerous: string[];
}

const MAX_DECODED = 16;

/**
 * The code string of a serialized function in any of the shapes Keras
 * writes: Keras 2 `[code, defaults, closure]` (or the SavedModel
 * `{"class_name": "__tuple__", "items": [...]}`), Keras 3
 * `{"class_name": "__lambda__", "config": {"code" | "value": ...}}`, or a
 * bare string.
 */
export function lambdaCodeString(v: JsonValue | undefined, depth = 0): string | undefined {
  if (depth > 4 || v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return lambdaCodeString(v[0], depth + 1);
  if (isObject(v)) {
    if (v.class_name === '__tuple__' && Array.isArray(v.items)) return lambdaCodeString(v.items[0], depth + 1);
    if (v.class_name === '__lambda__' && isObject(v.config)) return lambdaCodeString(v.config.code ?? v.config.value, depth + 1);
  }
  return undefined;
}

/**
 * Decodes a code string as Keras' func_load does (base64, or when that
 * fails the string's own characters as raw bytes) and summarises the
 * marshalled code object. Both readings are tried; the one that yields a
 * code object wins.
 */
export function readLambdaCode(code: string): LambdaCode {
  const b64 = base64Bytes(code);
  const fromB64 = b64 ? summarizeMarshal(b64) : undefined;
  let summary: MarshalSummary;
  let encoding: LambdaCode['encoding'];
  if (fromB64 && fromB64.codeObjects > 0) {
    summary = fromB64;
    encoding = 'base64';
  } else {
    const fromRaw = summarizeMarshal(rawUnicodeEscape(code));
    if (fromRaw.codeObjects > 0 || !fromB64) {
      summary = fromRaw;
      encoding = 'raw';
    } else {
      summary = fromB64;
      encoding = 'base64';
    }
    if (summary.codeObjects === 0 && !/^[A-Za-z0-9+/=\s]*$/.test(code)) {
      // Not marshalled code: perhaps source text. Its identifiers are what it would reference.
      const names = new Set(summary.names);
      for (const id of identifiersIn(code.slice(0, 1 << 16))) if (names.size < 200) names.add(id);
      summary = { ...summary, names: [...names], partial: true };
    }
  }
  const decoded = decodedConstants(summary.strings);
  return { summary, encoding, decoded, dangerous: dangerousIn(summary, decoded) };
}

function dangerousIn(s: MarshalSummary, decoded: string[]): string[] {
  const hits = new Set<string>();
  for (const n of s.names) if (isDangerousName(n)) hits.add(n);
  for (const text of [...s.strings, ...decoded]) {
    const ids = identifiersIn(text.slice(0, 1 << 16));
    // A constant counts when it is a bare name ('os') or reads like code ("os.system('id')"), not prose.
    const codeLike = ids.length === 1 && ids[0] === text.trim() ? true : /[().;=\n[\]]/.test(text);
    if (!codeLike) continue;
    for (const id of ids) if (isDangerousName(id)) hits.add(id);
  }
  return [...hits];
}

/** String constants that are base64 of readable text: payloads a lambda decodes and then runs. */
function decodedConstants(strings: string[]): string[] {
  const out: string[] = [];
  for (const s of strings) {
    if (out.length >= MAX_DECODED) break;
    const t = s.replace(/\s+/g, '');
    if (t.length < 8 || !/^[A-Za-z0-9+/]+={0,2}$/.test(t)) continue;
    const bytes = Buffer.from(t, 'base64');
    const text = bytes.toString('utf8');
    if (text.length === 0 || !/^[\t\n\r\x20-\x7e]*$/.test(text)) continue;
    out.push(text);
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * `codecs.decode(code.encode('ascii'), 'base64')`: binascii's lenient
 * a2b_base64 (other characters skipped, input ends at a complete pad),
 * undefined where Python raises (non-ASCII text, missing padding).
 */
function base64Bytes(code: string): Buffer | undefined {
  if (/[^\x00-\x7f]/.test(code)) return undefined;
  const out: number[] = [];
  let quad = 0;
  let pads = 0;
  let acc = 0;
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    if (ch === '=') {
      if (quad >= 2 && quad + ++pads >= 4) return Buffer.from(out);
      continue;
    }
    const v = B64.indexOf(ch);
    if (v < 0) continue;
    pads = 0;
    acc = (acc << 6) | v;
    quad = (quad + 1) % 4;
    if (quad === 2) out.push((acc >> 4) & 0xff);
    else if (quad === 3) out.push((acc >> 2) & 0xff);
    else if (quad === 0) {
      out.push(acc & 0xff);
      acc = 0;
    }
  }
  return quad === 0 ? Buffer.from(out) : undefined;
}

/** Python's `str.encode('raw_unicode_escape')`. */
function rawUnicodeEscape(s: string): Buffer {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x100) out.push(cp);
    else {
      const esc = cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
      for (const c of esc) out.push(c.charCodeAt(0));
    }
    if (out.length > 64 << 20) break;
  }
  return Buffer.from(out);
}

/** Short text for a finding: what the code references. */
export function describeLambdaCode(c: LambdaCode): string {
  const s = c.summary;
  const parts: string[] = [];
  if (c.dangerous.length > 0) parts.push(`dangerous names ${c.dangerous.join(', ')}`);
  const others = s.names.filter((n) => !c.dangerous.includes(n));
  if (others.length > 0) parts.push(`names ${others.slice(0, 12).join(', ')}`);
  const strings = s.strings.filter((x) => x.length > 0).slice(0, 6);
  if (strings.length > 0) parts.push(`strings ${strings.map((x) => quote(x, 60)).join(', ')}`);
  if (c.decoded.length > 0)
    parts.push(
      `base64 constants decoding to ${c.decoded
        .slice(0, 2)
        .map((x) => quote(x, 80))
        .join(', ')}`,
    );
  const text = parts.length > 0 ? parts.join('; ') : 'no names or strings';
  return truncate(text, 300);
}

export function quote(s: string, max = 200): string {
  const q = JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
  return `'${q.slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

export function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
