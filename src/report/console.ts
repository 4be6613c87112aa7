import { join } from 'node:path';
import { styleText } from 'node:util';
import { SEVERITIES, type Severity } from '../scan/findings.js';
import { isRemoteSource, type ScanResult } from '../scan/result.js';
import type { ReportOptions } from './json.js';

export interface ConsoleOptions extends ReportOptions {
  color: boolean;
}

type Style = Parameters<typeof styleText>[0];
const SEVERITY_STYLE: Record<Severity, Style> = { CRITICAL: ['red', 'bold'], HIGH: 'red', MEDIUM: 'yellow', LOW: 'cyan' };

/**
 * modelscan's console layout and severity grouping, with each issue's byte
 * offset and rendered payload, absolute sources, and an honest summary:
 * never "No issues found" when something was skipped or failed.
 */
export function consoleReport(r: ScanResult, opts: ConsoleOptions): string {
  const paint = (style: Style, text: string) => (opts.color ? styleText(style, text) : text);
  const abs = (s: string) => {
    if (isRemoteSource(s)) return s;
    const colon = s.indexOf(':');
    return colon > 0 ? join(r.absolutePath, s.slice(0, colon)) + s.slice(colon) : join(r.absolutePath, s);
  };
  const out: string[] = [];
  out.push(paint('bold', '--- Summary ---'));
  out.push(
    `Scanned: ${r.scanned.length} file(s), ${formatBytes(r.bytesScanned)}; skipped: ${r.skipped.length}; errors: ${r.errors.length}`,
  );
  if (r.remote) {
    const m = r.remote;
    const pct = m.totalSize
      ? ` (${((100 * m.bytesTransferred) / m.totalSize).toFixed(m.bytesTransferred < m.totalSize / 100 ? 3 : 1)}%)`
      : '';
    out.push(
      `Hugging Face Hub: transferred ${formatBytes(m.bytesTransferred)} of ${formatBytes(m.totalSize)}${pct} in ${m.files} file(s)` +
        `${m.filesFromCache ? `, ${m.filesFromCache} from the cache` : ''}; ` +
        m.repositories.map((x) => `${x.repo}@${x.revision} = ${x.commit}`).join(', '),
    );
  }
  if (!r.issues.length) {
    if (r.scanned.length && !r.errors.length && !r.skipped.length) out.push(paint('green', 'No issues found! 🎉'));
    else if (r.scanned.length)
      out.push(paint('yellow', `No issues found in the ${r.scanned.length} scanned file(s), but not everything was checked (see below).`));
    else out.push(paint('yellow', 'Nothing was scanned: no issues can be claimed.'));
  } else {
    out.push(`Total Issues: ${r.issues.length}`);
    out.push('Total Issues By Severity:');
    for (const s of SEVERITIES) {
      const n = r.issues.filter((i) => i.severity === s).length;
      out.push(`    - ${s}: ${n ? paint(SEVERITY_STYLE[s], String(n)) : '0'}`);
    }
    out.push(paint('bold', '--- Issues by Severity ---'));
    for (const s of [...SEVERITIES].reverse()) {
      const list = r.issues.filter((i) => i.severity === s);
      if (!list.length) continue;
      out.push(paint(SEVERITY_STYLE[s], `--- ${s} ---`));
      for (const i of list) {
        out.push('Unsafe operator found:');
        out.push(`  - Severity: ${paint(SEVERITY_STYLE[s], i.severity)}`);
        out.push(`  - Description: ${i.description}`);
        out.push(`  - Source: ${abs(i.source)}`);
        out.push(`  - Position: byte ${i.position}`);
        if (i.call) out.push(`  - Call: ${paint('bold', i.call)}`);
      }
    }
  }
  if (r.errors.length) {
    out.push(paint('bold', '--- Errors ---'));
    for (const e of r.errors) out.push(`  - ${e.category}: ${e.description} (${abs(e.source)})`);
  }
  if (r.skipped.length) {
    out.push(paint('bold', '--- Skipped ---'));
    if (opts.showSkipped) for (const k of r.skipped) out.push(`  - ${abs(k.source)}: ${k.description}`);
    else out.push(`Total skipped: ${r.skipped.length} - run with --show-skipped to see the full list.`);
  }
  return `${out.join('\n')}\n`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
