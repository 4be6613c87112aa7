import { SliceSource } from '../../io/byte-source.js';
import { structuralFinding } from '../../scan/findings.js';
import type { FormatScanner } from '../types.js';

const finding = structuralFinding('modelscan.scanners.SevenZipScan');
const SIGNATURE = "7z\xbc\xaf'\x1c";
const START = 32;

/**
 * 7z archives: their member table is not decoded (no streaming 7z reader fits
 * the scanner's rules), so the archive is reported as unscannable rather than
 * passed as clean. The packed-stream area is still routed by content: with
 * the "copy" method members sit there verbatim and are scanned for what they are.
 */
export const sevenZipFormat: FormatScanner = {
  name: '7z',
  detect: (head) => head.toString('latin1', 0, 6) === SIGNATURE,
  async scan(source, ctx) {
    const head = Buffer.from(await source.read(0, START));
    const nextHeaderOffset = head.length >= 20 ? Number(head.readBigUInt64LE(12)) : 0;
    const packed = Math.min(nextHeaderOffset, Math.max(0, source.size - START));
    ctx.report(
      finding(
        'MEDIUM',
        '7z/unscannable',
        `7z archive: its members cannot be listed or decompressed by the scanner, so they were not checked (${packed} packed bytes); extract it and scan the files`,
        0,
      ),
    );
    if (packed > 0) await ctx.scanMember(new SliceSource(`${source.name}:<packed streams>`, source, START, packed), '<packed streams>');
    return 'scanned';
  },
};
