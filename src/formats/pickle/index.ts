import { BufferSource, type ByteSource, SliceSource } from '../../io/byte-source.js';
import { OPCODE_NAMES } from '../../pickle/opcodes.js';
import { type NestedPayload, SCANNER } from '../../pickle/policy.js';
import { runPickleStreams } from '../../pickle/streams.js';
import { type Finding, maxSeverity, severityRank } from '../../scan/findings.js';
import { joblibInlineData } from '../joblib/inline-arrays.js';
import { LEGACY_MAGIC, skipStorages, storageKeys, storageRefs } from '../pytorch-legacy/storages.js';
import type { FormatScanner, ScanContext } from '../types.js';
import { type CentralDirectory, findEndRecord, readCentralDirectory, ZipFormatError } from '../zip/central-directory.js';
import { scanArchive } from '../zip/index.js';

/**
 * Raw pickles whatever their name (.pkl .pt .bin .dat .txt …), including
 * stacked pickles and torch's legacy five-pickle layout, whose raw storages
 * are skipped by their declared sizes so whatever follows is still scanned.
 */
export const pickleFormat: FormatScanner = {
  name: 'pickle',
  detect(head) {
    return head.length > 0 && OPCODE_NAMES[head[0]] !== undefined;
  },
  async scan(source, ctx) {
    const found: Finding[] = [];
    const emit = (f: Finding) => {
      found.push(f);
      ctx.report(f);
    };
    let legacy = false;
    let refs = storageRefs([]);
    const outcome = await runPickleStreams(source, emit, {
      limits: ctx.limits.pickle,
      maxStreams: ctx.limits.maxStreams,
      inlineHook: joblibInlineData,
      policy: ctx.policy,
      checkpoint: ctx.checkpoint,
      afterStream: async (index, value, end, persistents) => {
        if (index === 0) legacy = value === LEGACY_MAGIC;
        if (!legacy || index < 3) return undefined;
        if (index === 3) {
          refs = storageRefs(persistents);
          return undefined;
        }
        if (index !== 4) return undefined;
        const keys = storageKeys(value);
        if (!keys) return undefined;
        const r = await skipStorages(source, end, keys, refs);
        if ('end' in r) return r.end;
        emit({
          severity: 'MEDIUM',
          rule: 'pytorch/legacy-storages',
          description: `legacy torch file: ${r.error}`,
          module: '',
          operator: '',
          offset: r.offset,
          scanner: SCANNER,
        });
        return source.size;
      },
    });
    if (!outcome.isPickle) return 'not-this-format';
    await scanNested(source, ctx, outcome.judge.nested);
    await scanPolyglotZip(source, ctx);
    return 'scanned';
  },
};

/**
 * torch.load goes by the first bytes, zipfile by the end record: a pickle with
 * a zip appended is two files to two loaders, so the zip side is scanned too.
 */
async function scanPolyglotZip(source: ByteSource, ctx: ScanContext): Promise<void> {
  if (source.size < 22 || (await findEndRecord(source)) === undefined) return;
  let cd: CentralDirectory;
  try {
    cd = await readCentralDirectory(source, ctx.limits.maxEntries);
  } catch (err) {
    if (err instanceof ZipFormatError) return;
    throw err;
  }
  if (cd.entries.length === 0) return;
  ctx.report({
    severity: 'MEDIUM',
    rule: 'pickle/zip-polyglot',
    description: `the pickle is also a zip archive (${cd.entries.length} member${cd.entries.length > 1 ? 's' : ''}): pickle and zip loaders see different content; both were scanned`,
    module: '',
    operator: '',
    offset: cd.eocdOffset,
    scanner: SCANNER,
  });
  await scanArchive(source, cd, ctx, true);
}

/** Payloads handed to loaders (pickle.loads(b'…'), torch's _load_from_bytes) are files of their own. */
async function scanNested(source: ByteSource, ctx: ScanContext, nested: readonly NestedPayload[]): Promise<void> {
  for (const n of nested) {
    const label = `${n.loader} payload at offset ${n.offset}`;
    let src: ByteSource;
    let base = -1;
    if (n.span) {
      src = new SliceSource(`${source.name}@${n.span.offset}`, source, n.span.offset, n.span.length);
      base = n.span.offset;
    } else src = new BufferSource(`${source.name}@${n.offset}`, n.bytes!);
    const inner = await ctx.scanEmbedded(src, label, base);
    const worst = inner.reduce((s, f) => maxSeverity(s, f.severity), 'LOW' as Finding['severity']);
    if (inner.length && severityRank(worst) > severityRank(n.finding.severity)) {
      n.finding.severity = worst;
      n.finding.description += `; the payload itself is unsafe (${inner.length} finding${inner.length > 1 ? 's' : ''} inside)`;
    }
  }
}
