import type { ScanProgress } from '../scan/scan.js';

const SHOW_AFTER_MS = 1000;
const WIDTH = 24;

/**
 * A one-line progress bar on stderr, for terminals only and only once a scan
 * has run about a second; redirected output never sees it.
 */
export function makeProgress(stream: NodeJS.WriteStream = process.stderr): { update(p: ScanProgress): void; done(): void } {
  if (!stream.isTTY) return { update() {}, done() {} };
  const started = Date.now();
  let shown = false;
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - started < SHOW_AFTER_MS || now - last < 100) return;
      last = now;
      shown = true;
      const frac = p.bytesTotal ? p.bytesDone / p.bytesTotal : p.filesDone / Math.max(1, p.filesTotal);
      const filled = Math.round(frac * WIDTH);
      const bar = '#'.repeat(filled) + '-'.repeat(WIDTH - filled);
      stream.write(`\r[${bar}] ${p.filesDone}/${p.filesTotal} files · ${mb(p.bytesDone)}/${mb(p.bytesTotal)} MB`);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}

const mb = (n: number) => (n / 1e6).toFixed(1);
