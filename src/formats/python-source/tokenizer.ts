/**
 * A Python tokenizer, enough to tell code from text: names, numbers,
 * operators and logical line ends are tokens; comments, line
 * continuations and string literals (prefixes, triple quotes, raw
 * strings) are not code. f-strings (and t-strings) are literal text
 * around replacement fields, and the fields are code: `f"{os.system(x)}"`
 * runs when the line does, so their tokens come out like any others.
 * It never stops on bad input: errors are recorded and reading resumes.
 */

export type TokenKind = 'name' | 'number' | 'string' | 'op' | 'newline';

export interface Token {
  kind: TokenKind;
  /** A name's or operator's text; a short string's body (escapes as written); '' otherwise. */
  text: string;
  /** Character index where the token starts. */
  index: number;
}

export interface LexError {
  message: string;
  index: number;
}

/** Nested f-strings and replacement fields deeper than this are read as plain literals. */
const MAX_MODES = 32;
const MAX_ERRORS = 100;
/** Strings kept as text for the analysis (getattr names); longer ones are not needed. */
const KEPT_STRING = 256;
const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '->',
  ':=',
  '==',
  '!=',
  '<=',
  '>=',
  '**',
  '//',
  '<<',
  '>>',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
];
const SINGLE_OPS = '()[]{}.,:;=+-*/%<>&|^~@';
const STRING_PREFIX = /^(?:[rRuUbBfFtT]|[rR][bBfFtT]|[bBfFtT][rR])$/;

type Mode =
  /** Literal text of an f-string; `spec` when it is a format spec, which ends at the field's `}`. */
  | { kind: 'literal'; quote: string; raw: boolean; start: number; spec: boolean }
  /** A replacement field's expression; `brackets` counts brackets opened inside it. */
  | { kind: 'field'; brackets: number };

export class Lexer {
  readonly errors: LexError[] = [];
  private i: number;
  private brackets = 0;
  private readonly modes: Mode[] = [];

  constructor(private readonly s: string) {
    this.i = s.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  /** The next token, or undefined at the end. */
  next(): Token | undefined {
    for (;;) {
      if (this.i >= this.s.length) {
        if (this.modes.length) {
          this.error('unterminated f-string', this.s.length);
          this.modes.length = 0;
        }
        if (this.brackets > 0) {
          this.error('unclosed bracket at the end of the file', this.s.length);
          this.brackets = 0;
        }
        return undefined;
      }
      const top = this.modes[this.modes.length - 1];
      const t = top?.kind === 'literal' ? this.literal(top) : this.code(top);
      if (t) return t;
    }
  }

  private error(message: string, index: number): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ message, index });
  }

  /** One step in code: a token, or undefined after skipping blanks, comments and continuations. */
  private code(field: Extract<Mode, { kind: 'field' }> | undefined): Token | undefined {
    const s = this.s;
    const c = s[this.i];
    const start = this.i;
    if (c === ' ' || c === '\t' || c === '\f') {
      this.i++;
      return undefined;
    }
    if (c === '\r' || c === '\n') {
      this.i += c === '\r' && s[this.i + 1] === '\n' ? 2 : 1;
      if (field || this.brackets > 0) return undefined;
      return { kind: 'newline', text: '', index: start };
    }
    if (c === '#') {
      while (this.i < s.length && s[this.i] !== '\n' && s[this.i] !== '\r') this.i++;
      return undefined;
    }
    if (c === '\\') {
      const nl = s[this.i + 1] === '\r' ? (s[this.i + 2] === '\n' ? 3 : 2) : s[this.i + 1] === '\n' ? 2 : 0;
      if (nl === 0) this.error('unexpected character after a line continuation', this.i);
      this.i += nl || 1;
      return undefined;
    }
    if (c === '"' || c === "'") return this.string(start, '');
    if (isNameStart(c)) {
      let k = this.i + 1;
      while (k < s.length && isNameChar(s[k])) k++;
      const word = s.slice(this.i, k);
      if ((s[k] === '"' || s[k] === "'") && STRING_PREFIX.test(word)) {
        this.i = k;
        return this.string(start, word);
      }
      this.i = k;
      return { kind: 'name', text: word, index: start };
    }
    if ((c >= '0' && c <= '9') || (c === '.' && s[this.i + 1] >= '0' && s[this.i + 1] <= '9')) {
      let k = this.i + 1;
      while (k < s.length) {
        const d = s[k];
        if (isNameChar(d) || d === '.') k++;
        else if ((d === '+' || d === '-') && (s[k - 1] === 'e' || s[k - 1] === 'E') && !/^0[xX]/.test(s.slice(this.i, k))) k++;
        else break;
      }
      this.i = k;
      return { kind: 'number', text: '', index: start };
    }
    if (field && field.brackets === 0) {
      // The end of a replacement field, its conversion (`!r`) or its format spec.
      if (c === '}') {
        this.i++;
        this.modes.pop();
        return undefined;
      }
      if (c === '!' && s[this.i + 1] !== '=') {
        this.i++;
        while (this.i < s.length && isNameChar(s[this.i])) this.i++;
        return undefined;
      }
      if (c === ':') {
        this.i++;
        const outer = this.modes[this.modes.length - 2];
        this.modes[this.modes.length - 1] = {
          kind: 'literal',
          quote: outer?.kind === 'literal' ? outer.quote : '"',
          raw: outer?.kind === 'literal' ? outer.raw : false,
          start,
          spec: true,
        };
        return undefined;
      }
    }
    for (const op of OPERATORS) {
      if (s.startsWith(op, this.i)) {
        this.i += op.length;
        return { kind: 'op', text: op, index: start };
      }
    }
    if (SINGLE_OPS.includes(c)) {
      this.i++;
      if (c === '(' || c === '[' || c === '{') {
        if (field) field.brackets++;
        else this.brackets++;
      } else if (c === ')' || c === ']' || c === '}') {
        if (field) field.brackets = Math.max(0, field.brackets - 1);
        else if (this.brackets > 0) this.brackets--;
        else this.error(`unmatched '${c}'`, start);
      }
      return { kind: 'op', text: c, index: start };
    }
    // `$`, `?`, a backtick, a stray `!`: not Python.
    this.error(`invalid character '${c}'`, start);
    this.i++;
    return undefined;
  }

  /** A string literal at `start` (after its prefix): plain ones whole, f-strings by entering their literal mode. */
  private string(start: number, prefix: string): Token | undefined {
    const s = this.s;
    const q = s[this.i];
    const quote = s.startsWith(q.repeat(3), this.i) ? q.repeat(3) : q;
    const raw = /[rR]/.test(prefix);
    const bodyStart = this.i + quote.length;
    if (/[fFtT]/.test(prefix) && this.modes.length < MAX_MODES) {
      this.i = bodyStart;
      this.modes.push({ kind: 'literal', quote, raw, start, spec: false });
      return undefined;
    }
    const end = this.closing(bodyStart, quote);
    if (end < 0) {
      this.error('unterminated string', start);
      this.skipLine(bodyStart, quote);
      return { kind: 'string', text: '', index: start };
    }
    this.i = end + quote.length;
    const body = end - bodyStart <= KEPT_STRING ? s.slice(bodyStart, end) : '';
    return { kind: 'string', text: body, index: start };
  }

  /** Index of the quote closing a string whose body starts at `from`, or -1 (a backslash escapes the next character, raw or not). */
  private closing(from: number, quote: string): number {
    const s = this.s;
    const triple = quote.length === 3;
    for (let k = from; k < s.length; k++) {
      const c = s[k];
      if (c === '\\') {
        k++;
        continue;
      }
      if (!triple && (c === '\n' || c === '\r')) return -1;
      if (c === quote[0] && (!triple || s.startsWith(quote, k))) return k;
    }
    return -1;
  }

  /** After an unterminated string: a single-quoted one ends at its line, a triple-quoted one at the end of the file. */
  private skipLine(from: number, quote: string): void {
    if (quote.length === 3) {
      this.i = this.s.length;
      return;
    }
    let k = from;
    while (k < this.s.length && this.s[k] !== '\n' && this.s[k] !== '\r') k++;
    this.i = k;
  }

  /** A stretch of f-string literal text, up to a field, the closing quote, or (for a format spec) the field's end. */
  private literal(mode: Extract<Mode, { kind: 'literal' }>): Token | undefined {
    const s = this.s;
    const triple = mode.quote.length === 3;
    for (let k = this.i; k < s.length; k++) {
      const c = s[k];
      if (c === '\\' && !mode.raw) {
        k++;
        continue;
      }
      if (c === '\\' && mode.raw) {
        // In a raw f-string the backslash stays, but it still keeps the next quote from closing the string.
        if (s[k + 1] === mode.quote[0]) k++;
        continue;
      }
      if (!triple && (c === '\n' || c === '\r')) {
        this.error('unterminated f-string', mode.start);
        this.i = k;
        this.popLiteral();
        return { kind: 'string', text: '', index: mode.start };
      }
      if (c === '{') {
        if (s[k + 1] === '{' && !mode.spec) {
          k++;
          continue;
        }
        this.i = k + 1;
        if (this.modes.length >= MAX_MODES) {
          this.error('f-strings nested too deeply', k);
          continue;
        }
        this.modes.push({ kind: 'field', brackets: 0 });
        return undefined;
      }
      if (c === '}') {
        if (mode.spec) {
          // The format spec ends with its field; back to the enclosing literal.
          this.i = k + 1;
          this.modes.pop();
          return undefined;
        }
        if (s[k + 1] === '}') k++;
        continue;
      }
      if (!mode.spec && c === mode.quote[0] && (!triple || s.startsWith(mode.quote, k))) {
        this.i = k + mode.quote.length;
        this.modes.pop();
        return { kind: 'string', text: '', index: mode.start };
      }
    }
    this.error('unterminated f-string', mode.start);
    this.i = s.length;
    this.modes.length = 0;
    return { kind: 'string', text: '', index: mode.start };
  }

  /** Leaves an f-string cut short by its line end, with any fields and specs opened inside it. */
  private popLiteral(): void {
    while (this.modes.length) {
      const m = this.modes.pop()!;
      if (m.kind === 'literal' && !m.spec) break;
    }
  }
}

function isNameStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c > '\u007f';
}

function isNameChar(c: string): boolean {
  return isNameStart(c) || (c >= '0' && c <= '9');
}
