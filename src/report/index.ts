import type { ScanResult } from '../scan/result.js';
import { consoleReport } from './console.js';
import { jsonReport } from './json.js';
import { sarifReport } from './sarif.js';

export type ReporterName = 'console' | 'json' | 'sarif';

export interface RenderOptions {
  showSkipped: boolean;
  color: boolean;
}

/** The built-in reporters by name: the only ones `-r custom` can choose. */
export function renderReport(name: ReporterName, r: ScanResult, opts: RenderOptions): string {
  switch (name) {
    case 'json':
      return jsonReport(r, opts);
    case 'sarif':
      return sarifReport(r);
    default:
      return consoleReport(r, opts);
  }
}
