import { join } from 'node:path';
import { SEVERITIES } from '../scan/findings.js';
import type { ScanResult } from '../scan/scan.js';

/** modelscan's console layout, with the payload under each issue and an honest summary. */
export function toConsoleReport(r: ScanResult, opts: { showSkipped: boolean }): string {
  const out: string[] = [];
  const abs = (s: string) => join(r.absolutePath, s.split(':')[0]) + (s.includes(':') ? s.slice(s.indexOf(':')) : '');
  out.push('--- Summary ---');
  out.push(`Scanned: ${r.scanned.length} file(s); skipped: ${r.skipped.length}; errors: ${r.errors.length}`);
  if (!r.issues.length) {
    out.push(
      r.scanned.length && !r.errors.length
        ? 'No issues found in the scanned files.'
        : 'No issues found, but not everything was scanned (see below).',
    );
  } else {
    out.push(`Total Issues: ${r.issues.length}`);
    out.push('Total Issues By Severity:');
    for (const s of SEVERITIES) out.push(`    - ${s}: ${r.issues.filter((i) => i.severity === s).length}`);
    out.push('--- Issues by Severity ---');
    for (const s of [...SEVERITIES].reverse()) {
      const list = r.issues.filter((i) => i.severity === s);
      if (!list.length) continue;
      out.push(`--- ${s} ---`);
      for (const i of list) {
        out.push('Unsafe operator found:');
        out.push(`  - Severity: ${i.severity}`);
        out.push(`  - Description: ${i.description}`);
        out.push(`  - Source: ${abs(i.source)} (offset ${i.position})`);
        if (i.call) out.push(`  - Call: ${i.call}`);
      }
    }
  }
  if (r.errors.length) {
    out.push('--- Errors ---');
    for (const e of r.errors) out.push(`  - ${e.category}: ${e.description} (${abs(e.source)})`);
  }
  if (r.skipped.length) {
    out.push('--- Skipped ---');
    if (opts.showSkipped) for (const k of r.skipped) out.push(`  - ${k.source}: ${k.description}`);
    else out.push(`Total skipped: ${r.skipped.length} - run with --show-skipped to see the full list.`);
  }
  return out.join('\n') + '\n';
}
