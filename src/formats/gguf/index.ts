import { type ByteSource, SliceSource } from '../../io/byte-source.js';
import { structuralFinding } from '../../scan/findings.js';
import { judgeTemplate } from '../../templates/findings.js';
import type { FormatScanner, ScanContext } from '../types.js';
import { DEFAULT_GGUF_LIMITS, GgufError, type GgufLayout, type GgufVisitor, readGguf } from './reader.js';

export const GGUF_SCANNER = 'modelscan.scanners.GGUFScan';
const at = structuralFinding(GGUF_SCANNER);
/** Structural problems reported one by one; past this many they are only counted. */
const MAX_PROBLEMS = 20;
/** Zeros after the tensor data looked through for where appended content starts. */
const ZERO_RUN = 64 << 10;

/**
 * GGUF models (llama.cpp, ollama, llama-cpp-python, LM Studio): data-only
 * except for their chat templates, Jinja that servers render for every
 * request. Every `tokenizer.chat_template*` string is judged as a template
 * (parsed, never rendered); the header is bounds-checked and a file whose
 * structure cannot be read is malformed, never clean.
 */
export const ggufFormat: FormatScanner = {
  name: 'gguf',
  detect: (head) => head.length >= 4 && head.toString('latin1', 0, 4) === 'GGUF',
  async scan(source, ctx) {
    let problems = 0;
    const visitor: GgufVisitor = {
      template(key, offset, length, text) {
        if (text === undefined) {
          ctx.report(
            at(
              'MEDIUM',
              'template/unparsed',
              `chat template '${key}' is ${length} bytes, over the ${DEFAULT_GGUF_LIMITS.maxTemplateBytes}-byte analysis cap: it was not analysed`,
              offset,
              { details: { template: key } },
            ),
          );
          return;
        }
        const site = { name: key, scanner: GGUF_SCANNER, offset, verbatim: true };
        for (const f of judgeTemplate(text, site, { checkpoint: () => ctx.checkpoint() })) ctx.report(f);
      },
      problem(message, offset) {
        problems++;
        if (problems <= MAX_PROBLEMS) ctx.report(at('MEDIUM', 'gguf/malformed', `malformed GGUF: ${message}`, offset));
        else if (problems === MAX_PROBLEMS + 1)
          ctx.report(
            at(
              'MEDIUM',
              'gguf/malformed',
              `malformed GGUF: more than ${MAX_PROBLEMS} structural problems; the rest are not listed`,
              offset,
            ),
          );
      },
      checkpoint: () => ctx.checkpoint(),
    };
    let layout: GgufLayout;
    try {
      layout = await readGguf(source, visitor);
    } catch (err) {
      if (!(err instanceof GgufError)) throw err;
      const rest = err.afterHeader ? '' : '; nothing after this point was read';
      ctx.report(at('MEDIUM', 'gguf/malformed', `malformed GGUF: ${err.message}${rest}`, err.offset));
      return 'scanned';
    }
    await scanTrailing(source, layout, ctx);
    return 'scanned';
  },
};

/** Bytes after the last tensor are no part of the model: a payload riding along is scanned as a file of its own. */
async function scanTrailing(source: ByteSource, layout: GgufLayout, ctx: ScanContext): Promise<void> {
  if (!layout.sizesKnown) return;
  const end = layout.dataEnd;
  const extra = source.size - end;
  if (extra <= 0) return;
  // Alignment padding (and any run of zeros after it) is not content: the payload starts at the first other byte.
  const head = await source.read(end, Math.min(extra, ZERO_RUN));
  const first = head.findIndex((b) => b !== 0);
  if (first < 0 && extra <= ZERO_RUN) return;
  const start = end + (first < 0 ? head.length : first);
  ctx.report(
    at(
      'LOW',
      'gguf/trailing-data',
      `${source.size - end} bytes follow the last tensor's data; they were scanned as a file of their own`,
      start,
    ),
  );
  await ctx.scanMember(new SliceSource(`${source.name}@${start}`, source, start, source.size - start), '<bytes after the tensor data>');
}
