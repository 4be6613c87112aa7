import type { Finding } from '../scan/findings.js';
import { type AnalyzeOptions, analyzeTemplate, type TemplateIssue } from './analyze.js';

/** Where a template sits in the scanned source. */
export interface TemplateSite {
  /** Which template: `tokenizer.chat_template`, `tokenizer.chat_template.tool_use`, `chat_template`… */
  name: string;
  scanner: string;
  /** Byte offset of the template's first character in the source. */
  offset: number;
  /**
   * The source holds the template's UTF-8 bytes as they are (GGUF, .jinja),
   * so a construct can be placed exactly; escaped templates (JSON, YAML)
   * are placed at their start.
   */
  verbatim: boolean;
}

const SHOWN = 200;

/** Analyses one template and turns what it finds into findings placed in the source. */
export function judgeTemplate(text: string, site: TemplateSite, opts: AnalyzeOptions = {}): Finding[] {
  return analyzeTemplate(text, opts).map((issue) => toFinding(text, issue, site));
}

function toFinding(text: string, issue: TemplateIssue, site: TemplateSite): Finding {
  const expression = issue.expression.length > SHOWN ? `${issue.expression.slice(0, SHOWN)}…` : issue.expression;
  const reasons = issue.reasons.join('; ');
  return {
    severity: issue.severity,
    rule: issue.rule,
    description: describe(issue.rule, site.name, reasons, expression),
    module: '',
    operator: '',
    offset: site.offset + (site.verbatim ? byteIndex(text, issue) : 0),
    call: expression,
    scanner: site.scanner,
    details: { template: site.name, expression: issue.expression, reasons: issue.reasons },
  };
}

function describe(rule: string, name: string, reasons: string, expression: string): string {
  const where = `chat template '${name}'`;
  switch (rule) {
    case 'template/ssti':
      return `${where} reaches Python internals (${reasons}) in \`${expression}\`: rendering it with jinja2 outside the sandbox runs code on the server (server-side template injection)`;
    case 'template/dos':
      return `${where} exhausts the renderer (${reasons}) in \`${expression}\``;
    case 'template/computed-attribute':
      return `${where} ${reasons} in \`${expression}\`: which attribute it reads cannot be known before rendering`;
    case 'template/include':
      return `${where} ${reasons} in \`${expression}\`: rendering it reads files through the template loader`;
    case 'template/unparsed':
      return `${where} could not be fully analysed: ${reasons}`;
    default:
      return `${where}: ${reasons} in \`${expression}\``;
  }
}

/** Byte offset, within the template's UTF-8, of where the issue is (0 when it cannot be placed). */
function byteIndex(text: string, issue: TemplateIssue): number {
  const at = issue.index ?? (issue.needle ? text.indexOf(issue.needle) : -1);
  return at > 0 ? Buffer.byteLength(text.slice(0, at), 'utf8') : 0;
}
