import type { Finding } from './findings.js';

/**
 * User-supplied name patterns (ModelAudit's `--blacklist`): matched against
 * file and member names, resolved pickle globals and string constants of
 * configs. A match is a HIGH finding naming the pattern.
 *
 * Plain text matches as a case-insensitive substring. `re:` marks a regular
 * expression; since it runs over hostile text, patterns that could backtrack
 * catastrophically are refused when compiled (no backreferences or
 * lookarounds; a quantified group may hold neither quantifiers nor
 * alternatives), and each match sees at most MATCH_WINDOW characters.
 */
export interface BlacklistPattern {
  /** As the user wrote it (shown in findings). */
  readonly text: string;
  test(subject: string): boolean;
}

export interface Blacklist {
  readonly patterns: readonly BlacklistPattern[];
  /** The first pattern the subject matches. */
  match(subject: string): BlacklistPattern | undefined;
}

export class BlacklistError extends Error {}

const MATCH_WINDOW = 4096;
const MAX_PATTERNS = 256;
const MAX_PATTERN_LENGTH = 512;

export const BLACKLIST_SCANNER = 'modelscan.scanners.Blacklist';

export function compileBlacklist(patterns: readonly string[]): Blacklist {
  if (patterns.length > MAX_PATTERNS) throw new BlacklistError(`at most ${MAX_PATTERNS} blacklist patterns are allowed`);
  const compiled = patterns.map(compilePattern);
  return {
    patterns: compiled,
    match(subject: string) {
      const s = subject.length > MATCH_WINDOW ? subject.slice(0, MATCH_WINDOW) : subject;
      return compiled.find((p) => p.test(s));
    },
  };
}

/** The policy with extra patterns added to its blacklist (command-line patterns on top of the settings file's). */
export function withBlacklist<P extends { blacklist?: Blacklist }>(policy: P, extra: readonly string[]): P {
  if (!extra.length) return policy;
  const texts = [...(policy.blacklist?.patterns.map((p) => p.text) ?? []), ...extra];
  return { ...policy, blacklist: compileBlacklist(texts) };
}

function compilePattern(text: string): BlacklistPattern {
  if (!text) throw new BlacklistError('an empty blacklist pattern would match everything');
  if (text.length > MAX_PATTERN_LENGTH) throw new BlacklistError(`blacklist pattern longer than ${MAX_PATTERN_LENGTH} characters`);
  if (!text.startsWith('re:')) {
    const needle = text.toLowerCase();
    return { text, test: (s) => s.toLowerCase().includes(needle) };
  }
  const source = text.slice(3);
  const problem = backtrackingRisk(source);
  if (problem) throw new BlacklistError(`blacklist pattern '${text}': ${problem}`);
  let re: RegExp;
  try {
    re = new RegExp(source, 'iu');
  } catch (err) {
    throw new BlacklistError(`blacklist pattern '${text}' is not a valid regular expression: ${(err as Error).message}`);
  }
  return { text, test: (s) => re.test(s) };
}

/**
 * Why a regular expression could take exponential time, if it could: a
 * conservative structural check (it refuses some safe patterns, never
 * accepts the nested-quantifier or quantified-alternation shapes).
 */
export function backtrackingRisk(source: string): string | undefined {
  if (/\\[1-9]|\\k</.test(source)) return 'backreferences are not allowed';
  if (/\(\?<?[=!]/.test(source)) return 'lookarounds are not allowed';
  // For each open group: does it hold a quantifier or an alternative?
  const stack: { quantified: boolean; alternation: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push({ quantified: false, alternation: false });
    else if (c === '|') {
      if (stack.length) stack[stack.length - 1].alternation = true;
    } else if (c === ')') {
      const inner = stack.pop();
      if (!inner) return 'unbalanced parentheses';
      const next = source[i + 1];
      const quantifiedGroup = next === '*' || next === '+' || next === '?' || next === '{';
      if (quantifiedGroup && (inner.quantified || inner.alternation))
        return 'a repeated group may not contain quantifiers or alternatives (catastrophic backtracking)';
      if (stack.length && (inner.quantified || quantifiedGroup)) stack[stack.length - 1].quantified = true;
    } else if (c === '*' || c === '+' || c === '{' || (c === '?' && source[i - 1] !== '(')) {
      if (stack.length) stack[stack.length - 1].quantified = true;
    }
  }
  if (stack.length) return 'unbalanced parentheses';
  return undefined;
}

/** The finding for a match: `what` says where the subject came from (file name, global, config value). */
export function blacklistFinding(p: BlacklistPattern, what: string, subject: string, offset: number, module = '', operator = ''): Finding {
  const shown = subject.length > 200 ? `${subject.slice(0, 200)}…` : subject;
  return {
    severity: 'HIGH',
    rule: 'blacklist/match',
    description: `${what} '${shown}' matches the blacklist pattern '${p.text}'`,
    module,
    operator,
    offset,
    scanner: BLACKLIST_SCANNER,
    details: { pattern: p.text, subject: shown },
  };
}
