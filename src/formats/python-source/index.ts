import { readWholeText } from '../../io/text.js';
import { structuralFinding } from '../../scan/findings.js';
import { looksLikeText } from '../chat-template/text.js';
import { findTokens } from '../config/credentials.js';
import { byteOffsets } from '../config/scalars.js';
import type { FormatScanner } from '../types.js';
import { analyse, type Call } from './calls.js';

export const PYTHON_SCANNER = 'modelscan.scanners.PythonSourceScan';
const at = structuralFinding(PYTHON_SCANNER);

/** Real model-repo modules are kilobytes; past this a file named .py is reported unread. */
const MAX_TEXT = 16 << 20;
const SHOWN = 200;
/** TorchScript's serialized code inside a torch archive: compiled by TorchScript, never imported, and judged by the zip scanner. */
const TORCHSCRIPT = /(?:^|[/:\\])code\/__torch__(?:[/.]|$)/;
const BINARY = /[\x00-\x08\x0e-\x1f\x7f]/;
/** A line only Python starts this way; a file not named .py without one is not tokenized (a 20 MB tokenizer.json costs nothing). */
const PYTHON_LINE = /^[ \t]*(?:import[ \t]+[A-Za-z_]|from[ \t]+[\w.]+[ \t]+import\b|def[ \t]+\w+[ \t]*\(|class[ \t]+\w+[ \t]*[(:])/m;

/**
 * Python source shipped in a model repository (modeling_*.py that
 * `auto_map` points at, custom pipelines, handlers), by name (`.py`) or by
 * content (it tokenizes as Python and has import, def or class
 * statements). Never executed: its tokens are read, and calls that start
 * processes, run dynamic code, reach the network or delete files are
 * reported with their line. Shipping code at all is a low note: it is what
 * trust_remote_code runs.
 */
export const pythonSourceFormat: FormatScanner = {
  name: 'python-source',
  detect: (head) => looksLikeText(head),
  async scan(source, ctx) {
    const base = source.name.split(/[/\\:]/).pop() ?? source.name;
    const byName = /\.pyw?$/i.test(base);
    if (ctx.depth > 0 && TORCHSCRIPT.test(source.name)) return 'not-this-format';
    if (source.size > MAX_TEXT) {
      if (!byName) return 'not-this-format';
      ctx.report(
        at('MEDIUM', 'python/too-large', `a ${source.size}-byte Python file, over the ${MAX_TEXT}-byte cap: its calls were not checked`, 0),
      );
      return 'scanned';
    }
    const strict = await readWholeText(source, true);
    if (!strict && !byName) return 'not-this-format';
    const { text, bom } = strict ?? (await readWholeText(source))!;
    if (!byName && (BINARY.test(text) || !PYTHON_LINE.test(text))) return 'not-this-format';
    const a = analyse(text, () => ctx.checkpoint());
    if (!byName && (a.errors.length > 0 || a.statements === 0)) return 'not-this-format';

    const lines = lineStarts(text);
    const lineOf = (index: number): number => {
      let lo = 0;
      let hi = lines.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (lines[mid] <= index) lo = mid;
        else hi = mid - 1;
      }
      return lo + 1;
    };
    const offsets = byteOffsets(
      text,
      a.calls.map((c) => c.index),
    );
    ctx.report(
      at(
        'LOW',
        'python/code-file',
        `Python source${byName ? '' : ' (recognised by its content)'}: it runs when imported, which is what trust_remote_code and custom pipelines do`,
        0,
        { details: { lines: text.endsWith('\n') ? lines.length - 1 : lines.length, dangerousCalls: a.calls.length } },
      ),
    );
    if (a.errors.length) {
      const e = a.errors[0];
      ctx.report(
        at(
          'LOW',
          'python/malformed',
          `does not tokenize as Python (${e.message} on line ${lineOf(e.index)}): Python cannot import it as it is; its calls were still looked for`,
          bom + byteOffsets(text, [e.index])[0],
        ),
      );
    }
    a.calls.forEach((c, k) => {
      const line = lineOf(c.index);
      ctx.report(callFinding(c, line, snippet(text, lines, line), bom + offsets[k]));
    });
    return 'scanned';
  },
};

const WHAT: Record<Call['category'], string> = {
  process: 'starts a process',
  code: 'runs code built at run time',
  network: 'reaches the network',
  'file deletion': 'deletes files',
};

function callFinding(c: Call, line: number, code: string, offset: number) {
  const dot = c.name.lastIndexOf('.');
  const module = dot < 0 ? 'builtins' : c.name.slice(0, dot);
  const operator = dot < 0 ? c.name : c.name.slice(dot + 1);
  const alias = c.written !== c.name ? ` (written '${c.written}')` : '';
  return at('HIGH', 'python/dangerous-call', `line ${line} calls ${c.name}${alias}, which ${WHAT[c.category]}`, offset, {
    module,
    operator,
    call: code,
    details: { line, call: c.name, written: c.written, category: c.category },
  });
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let k = text.indexOf('\n'); k >= 0; k = text.indexOf('\n', k + 1)) starts.push(k + 1);
  return starts;
}

/** The line a call is on, shortened, with any credential in it masked (reports are pasted into tickets). */
function snippet(text: string, starts: number[], line: number): string {
  const from = starts[line - 1];
  const to = line < starts.length ? starts[line] - 1 : text.length;
  let s = text.slice(from, Math.min(to, from + 4 * SHOWN)).trim();
  for (const t of findTokens(s)) s = s.split(t.value).join(t.masked);
  return s.length > SHOWN ? `${s.slice(0, SHOWN)}…` : s;
}
