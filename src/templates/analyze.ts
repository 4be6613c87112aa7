import { parse, tokenize } from '@huggingface/jinja';
import { type Severity, severityRank } from '../scan/findings.js';
import { Bindings } from './bindings.js';
import { fallbackScan } from './fallback.js';
import { Folder } from './fold.js';
import type { Node, Program } from './jinja-ast.js';
import { type Issue, Judge, MAX_NESTING, TemplateTooDeep } from './judge.js';
import { printStatement } from './print.js';
import { shortenWhitespace } from './sanitize.js';

/** One reportable problem with a template: what it is, the construct, and where to look for it. */
export interface TemplateIssue {
  severity: Severity;
  /** `template/ssti`, `template/dos`, `template/computed-attribute`, `template/include`, `template/unparsed`. */
  rule: string;
  reasons: string[];
  /** The offending construct as template source. */
  expression: string;
  /** Character index in the template, when known. */
  index?: number;
  /** Text to search the template source for, when the index is not known. */
  needle?: string;
}

export interface AnalyzeOptions {
  checkpoint?: () => void;
  /**
   * For strings that merely contain Jinja syntax (not declared templates):
   * a parse failure alone is not reported, only what the token check finds.
   */
  quietUnparsed?: boolean;
}

/** Issues reported per template at most; the rest are counted in the last one. */
const MAX_ISSUES = 50;

/**
 * Judges a Jinja chat template without rendering it: parsed into an AST by
 * @huggingface/jinja (tokenize + parse only), then walked. Templates the
 * parser cannot read are reported as such and checked token by token.
 */
export function analyzeTemplate(text: string, opts: AnalyzeOptions = {}): TemplateIssue[] {
  let program: Program;
  try {
    program = parse(tokenize(shortenWhitespace(text))) as unknown as Program;
  } catch (err) {
    const why = (err as Error).message || String(err);
    const deep = err instanceof RangeError;
    return withFallback(text, deep ? 'MEDIUM' : 'LOW', `the Jinja parser cannot read it (${clip(why)})`, opts);
  }
  const bindings = new Bindings();
  const judge = new Judge(bindings, new Folder(bindings), opts.checkpoint);
  try {
    bindings.collect(program.body, MAX_NESTING);
    judge.statements(program.body);
  } catch (err) {
    if (!(err instanceof TemplateTooDeep) && !(err instanceof RangeError)) throw err;
    return withFallback(text, 'MEDIUM', `it is ${err instanceof TemplateTooDeep ? err.message : 'nested too deeply to analyse'}`, {
      ...opts,
      quietUnparsed: false,
    });
  }
  return cap(group(judge.issues));
}

function withFallback(text: string, severity: Severity, why: string, opts: AnalyzeOptions): TemplateIssue[] {
  const out: TemplateIssue[] = [];
  const hits = fallbackScan(text, opts.checkpoint);
  if (!opts.quietUnparsed || hits.length) {
    out.push({
      severity,
      rule: 'template/unparsed',
      reasons: [`${why}; it was checked token by token instead`],
      expression: clip(text, 200),
      index: 0,
    });
  }
  for (const h of hits) {
    out.push({ severity: h.severity, rule: h.rule, reasons: h.reasons, expression: clip(text.slice(h.start, h.end), 400), index: h.start });
  }
  return cap(out);
}

/** Issues of one statement and rule become one: the statement is shown once with every reason. */
function group(issues: readonly Issue[]): TemplateIssue[] {
  const byKey = new Map<Node, Map<string, TemplateIssue>>();
  const out: TemplateIssue[] = [];
  for (const i of issues) {
    let rules = byKey.get(i.root);
    if (!rules) byKey.set(i.root, (rules = new Map()));
    const seen = rules.get(i.rule);
    if (seen) {
      if (severityRank(i.severity) > severityRank(seen.severity)) seen.severity = i.severity;
      if (!seen.reasons.includes(i.reason) && seen.reasons.length < 12) seen.reasons.push(i.reason);
      seen.needle ??= i.needle;
      continue;
    }
    const t: TemplateIssue = { severity: i.severity, rule: i.rule, reasons: [i.reason], expression: printStatement(i.root) };
    if (i.needle) t.needle = i.needle;
    rules.set(i.rule, t);
    out.push(t);
  }
  return out;
}

function cap(issues: TemplateIssue[]): TemplateIssue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  const kept = issues.slice(0, MAX_ISSUES);
  const worst = issues.slice(MAX_ISSUES).reduce((w, i) => (severityRank(i.severity) > severityRank(w.severity) ? i : w));
  kept.push({
    severity: worst.severity,
    rule: worst.rule,
    reasons: [`${issues.length - MAX_ISSUES} more constructs like the ones above`],
    expression: '…',
    index: 0,
  });
  return kept;
}

function clip(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
