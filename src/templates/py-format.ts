/**
 * Python's two string-formatting languages, evaluated on folded values so
 * `'%c%cclass%c%c'|format(95,95,95,95)` or `'{:_^9}'.format('class')` are
 * seen to yield `__class__`. Anything outside the simple cases becomes the
 * unknown marker rather than a guess.
 */

const MAX_PARTS = 256;
const MAX_OUT = 32;

function combine(parts: string[][]): string[] {
  let acc = [''];
  for (const p of parts) {
    const next: string[] = [];
    for (const a of acc) for (const v of p) if (next.length < MAX_OUT) next.push(a + v);
    acc = next;
  }
  return acc;
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** `fmt % args` (and Jinja's `|format`, which is the same operator). */
export function printfFormat(fmt: string, values: string[][], ints: (number | undefined)[], wild: string): string[] {
  const parts: string[][] = [];
  let lit = '';
  let argi = 0;
  const next = (): [string[] | undefined, number | undefined] => {
    const i = argi++;
    return [values[i], ints[i]];
  };
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%') {
      lit += c;
      continue;
    }
    const m = /^%(\([^)]*\))?([-#0 +]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)?/s.exec(fmt.slice(i, i + 64));
    if (!m || m[5] === undefined) return [wild];
    i += m[0].length - 1;
    const conv = m[5];
    if (conv === '%') {
      lit += '%';
      continue;
    }
    if (lit) parts.push([lit]);
    lit = '';
    if (m[1] || m[3] === '*' || m[4] === '*' || parts.length > MAX_PARTS) {
      parts.push([wild]);
      continue;
    }
    const [vals, int] = next();
    if (!vals) return [wild];
    const width = m[3] ? Number(m[3]) : 0;
    const left = m[2].includes('-');
    const padTo = (s: string) => (s.length >= width || width > 4096 ? s : left ? s.padEnd(width, ' ') : s.padStart(width, ' '));
    if (conv === 's' || conv === 'r' || conv === 'a') {
      const prec = m[4] === undefined ? undefined : Number(m[4]);
      parts.push(vals.map((v) => padTo((conv === 's' ? v : quote(v)).slice(0, prec))));
    } else if (conv === 'c') {
      if (int !== undefined && int >= 0 && int <= 0x10ffff) parts.push([padTo(String.fromCodePoint(int))]);
      else parts.push(vals.map((v) => ([...v].length === 1 ? padTo(v) : wild)));
    } else if ('diuxXo'.includes(conv) && int !== undefined && Number.isSafeInteger(int)) {
      const base = conv === 'o' ? 8 : 'xX'.includes(conv) ? 16 : 10;
      const s = int.toString(base);
      parts.push([padTo(conv === 'X' ? s.toUpperCase() : s)]);
    } else parts.push([wild]);
  }
  if (lit) parts.push([lit]);
  return combine(parts);
}

/** `fmt.format(*positional, **named)`. Fields that traverse attributes (`{0.x}`, `{a[k]}`) are left unknown; judging them is the caller's job. */
export function strFormat(fmt: string, positional: string[][], named: Map<string, string[]>, wild: string): string[] {
  const parts: string[][] = [];
  let lit = '';
  let auto = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c === '}' && fmt[i + 1] === '}') {
      lit += '}';
      i++;
      continue;
    }
    if (c !== '{') {
      lit += c;
      continue;
    }
    if (fmt[i + 1] === '{') {
      lit += '{';
      i++;
      continue;
    }
    const end = fmt.indexOf('}', i);
    if (end < 0) return [wild];
    const field = fmt.slice(i + 1, end);
    i = end;
    if (lit) parts.push([lit]);
    lit = '';
    if (parts.length > MAX_PARTS) return [wild];
    parts.push(formatField(field, positional, named, () => auto++, wild));
  }
  if (lit) parts.push([lit]);
  return combine(parts);
}

function formatField(field: string, positional: string[][], named: Map<string, string[]>, nextAuto: () => number, wild: string): string[] {
  const m = /^([^!:]*)(?:!([rsa]))?(?::(.*))?$/s.exec(field);
  if (!m || m[3]?.includes('{')) return [wild];
  const name = m[1];
  if (/[.[]/.test(name)) return [wild];
  const values = name === '' ? positional[nextAuto()] : /^\d+$/.test(name) ? positional[Number(name)] : named.get(name);
  if (!values) return [wild];
  const conv = m[2];
  const shown = conv === 'r' || conv === 'a' ? values.map(quote) : values;
  return m[3] ? shown.map((v) => applySpec(v, m[3]!, wild)) : shown;
}

/** A format spec applied to a string: fill, alignment, width and precision (Python's rules for `str.__format__`). */
function applySpec(v: string, spec: string, wild: string): string {
  const m = /^(?:(.)?([<>=^]))?(\d*)(?:\.(\d+))?(s?)$/su.exec(spec);
  if (!m || m[2] === '=') return wild;
  if (v.includes(wild)) return wild;
  const fill = m[1] ?? ' ';
  const width = m[3] ? Number(m[3]) : 0;
  const s = m[4] === undefined ? v : [...v].slice(0, Number(m[4])).join('');
  const len = [...s].length;
  if (width <= len) return s;
  if (width > 4096) return wild;
  const total = width - len;
  const align = m[2] ?? '<';
  if (align === '<') return s + fill.repeat(total);
  if (align === '>') return fill.repeat(total) + s;
  const left = Math.floor(total / 2);
  return fill.repeat(left) + s + fill.repeat(total - left);
}
