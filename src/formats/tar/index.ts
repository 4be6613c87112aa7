import { SliceSource } from '../../io/byte-source.js';
import { type Finding, type Severity, structuralFinding } from '../../scan/findings.js';
import type { FormatScanner } from '../types.js';
import { memberNameProblem } from '../zip/names.js';
import { BLOCK, isZeroBlock, looksLikeTar, parseHeader, parsePax, TarFormatError } from './header.js';

const finding = structuralFinding('modelscan.scanners.TarArchiveScan');
const at = (severity: Severity, rule: string, description: string, offset: number, member?: string): Finding =>
  finding(severity, rule, description, offset, member ? { member } : undefined);
const MAX_META = 1 << 20;
const TYPE_NAMES: Record<string, string> = { '3': 'character device', '4': 'block device', '6': 'FIFO', S: 'GNU sparse file' };

/**
 * Tar archives (plain, or inside any compression wrapper), including torch's
 * pre-1.0 tar checkpoints (sys_info, pickle, storages, tensors). Headers are
 * walked one by one as Python's tarfile does; every regular member goes back
 * through routing by content, whatever its name.
 */
export const tarFormat: FormatScanner = {
  name: 'tar',
  detect: (head) => looksLikeTar(head),
  async scan(source, ctx) {
    const seen = new Set<string>();
    let pos = 0;
    let entries = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax = new Map<string, string>();
    let global = new Map<string, string>();
    while (pos + BLOCK <= source.size) {
      ctx.checkpoint();
      const block = Buffer.from(await source.read(pos, BLOCK));
      if (isZeroBlock(block)) break;
      let h: ReturnType<typeof parseHeader>;
      try {
        h = parseHeader(block);
      } catch (err) {
        if (!(err instanceof TarFormatError)) throw err;
        if (pos === 0) return 'not-this-format';
        // tarfile stops reading here too, so members beyond it are never extracted.
        ctx.report(at('MEDIUM', 'tar/malformed', `bad tar header at byte ${pos}: ${err.message}; reading stopped there`, pos));
        return 'scanned';
      }
      const dataStart = pos + BLOCK;
      const next = dataStart + Math.ceil(h.size / BLOCK) * BLOCK;
      if (++entries > ctx.limits.maxEntries) {
        ctx.report(at('MEDIUM', 'tar/too-many-entries', `more than ${ctx.limits.maxEntries} entries; the rest were not scanned`, pos));
        return 'scanned';
      }
      if (h.type === 'L' || h.type === 'K' || h.type === 'x' || h.type === 'g') {
        if (h.size > MAX_META || dataStart + h.size > source.size) {
          ctx.report(at('MEDIUM', 'tar/malformed', `extended header at byte ${pos} is oversized or truncated; reading stopped`, pos));
          return 'scanned';
        }
        const data = Buffer.from(await source.read(dataStart, h.size));
        try {
          if (h.type === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
          else if (h.type === 'K') longLink = data.toString('utf8').replace(/\0.*$/s, '');
          else if (h.type === 'x') pax = parsePax(data);
          else global = new Map([...global, ...parsePax(data)]);
        } catch (err) {
          ctx.report(at('MEDIUM', 'tar/malformed', `extended header at byte ${pos}: ${(err as Error).message}; reading stopped`, pos));
          return 'scanned';
        }
        pos = next;
        continue;
      }
      const name = pax.get('path') ?? global.get('path') ?? longName ?? h.name;
      const link = pax.get('linkpath') ?? longLink ?? h.linkName;
      const paxSize = pax.get('size');
      const size = paxSize !== undefined && /^\d+$/.test(paxSize) ? Number(paxSize) : h.size;
      const dataEnd = dataStart + size;
      const nextEntry = paxSize !== undefined ? dataStart + Math.ceil(size / BLOCK) * BLOCK : next;
      longName = longLink = undefined;
      pax = new Map();

      const problem = memberNameProblem(name);
      if (problem)
        ctx.report(
          at('HIGH', 'tar/path-traversal', `member name '${name}' ${problem}: extracting the archive writes outside its folder`, pos, name),
        );
      if (seen.has(name))
        ctx.report(
          at(
            'MEDIUM',
            'tar/duplicate-name',
            `'${name}' appears more than once; tarfile extracts the last copy: all copies are scanned`,
            pos,
            name,
          ),
        );
      seen.add(name);
      if (h.type === '1' || h.type === '2') {
        const kind = h.type === '2' ? 'symbolic' : 'hard';
        const escapes = memberNameProblem(link) !== undefined;
        ctx.report(
          at(
            escapes ? 'HIGH' : 'MEDIUM',
            'tar/link',
            `member '${name}' is a ${kind} link to '${link}'${escapes ? ', outside the archive' : ''}; extracting it can expose or overwrite other files`,
            pos,
            name,
          ),
        );
      } else if (TYPE_NAMES[h.type]) {
        ctx.report(
          at('MEDIUM', 'tar/special-member', `member '${name}' is a ${TYPE_NAMES[h.type]}; its content was not scanned`, pos, name),
        );
      } else if (h.type !== '5') {
        // tarfile extracts unknown types as regular files, so they are scanned as such.
        if (dataEnd > source.size) {
          ctx.report(at('MEDIUM', 'tar/truncated', `member '${name}' runs past the end of the archive`, pos, name));
          const avail = Math.max(0, source.size - dataStart);
          if (avail > 0) await ctx.scanMember(new SliceSource(`${source.name}:${name}`, source, dataStart, avail), name);
          return 'scanned';
        }
        if (size > 0) await ctx.scanMember(new SliceSource(`${source.name}:${name}`, source, dataStart, size), name);
      }
      pos = nextEntry;
    }
    // Past the end marker tarfile reads nothing; anything but padding there is hidden from extraction.
    const end = Math.min(source.size, pos + 2 * BLOCK);
    if (source.size > end) {
      const tail = Buffer.from(await source.read(end, Math.min(64 << 10, source.size - end)));
      if (tail.some((b) => b !== 0)) {
        ctx.report(
          at('LOW', 'tar/trailing-data', `${source.size - end} bytes follow the end of the archive; they were scanned on their own`, end),
        );
        await ctx.scanMember(new SliceSource(`${source.name}:<trailing>`, source, end, source.size - end), '<bytes after the archive>');
      }
    }
    return 'scanned';
  },
};
