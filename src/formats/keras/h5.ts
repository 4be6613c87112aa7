import { type ByteSource, SliceSource } from '../../io/byte-source.js';
import type { FormatScanner, ScanContext } from '../types.js';
import { analyseConfig, H5_SCANNER, MAX_CONFIG_BYTES, structural } from './analyse.js';
import { readTexts, TooLarge } from './hdf5/attribute.js';
import { H5Error, H5Unsupported } from './hdf5/io.js';
import { readRootAttributes } from './hdf5/root-attributes.js';
import { findSignature, HDF5_MAGIC } from './hdf5/superblock.js';

/** Root attributes Keras' legacy loader parses as JSON. */
const CONFIG_ATTRIBUTES = new Set(['model_config', 'training_config']);
/** Elements read from one attribute (Keras stores a scalar). */
const MAX_ELEMENTS = 16;
/** Inside a decompressing stream, look for a user block only where the decoded head is still cached. */
const SEQUENTIAL_PROBE_LIMIT = 32 << 10;
const ZERO_CHUNK = 64 << 10;

const finding = (severity: Parameters<typeof structural>[1], rule: string, text: string, offset: number) =>
  structural(H5_SCANNER, severity, rule, text, offset);

/**
 * HDF5 files, as Keras 2 saves whole models (`model.save('x.h5')`): the root
 * group's `model_config` and `training_config` attributes are read with a
 * hand-written metadata reader through the byte source (never a dataset,
 * never a link), parsed as JSON and walked. HDF5 files without them
 * (weights only, or not Keras at all) are clean.
 */
export const kerasH5Format: FormatScanner = {
  name: 'hdf5',
  // The signature may also sit after a user block (512, 1024, … bytes in): those are looked for in scan().
  detect: (head, size) => size >= 8 && (head.subarray(0, 8).equals(HDF5_MAGIC) || size >= 512 + 8),
  async scan(source, ctx) {
    const head = await source.read(0, 8);
    const at = HDF5_MAGIC.equals(head) ? 0 : await findSignature(source, source.sequential ? SEQUENTIAL_PROBE_LIMIT : undefined);
    if (at === undefined) return 'not-this-format';
    if (at > 0) await scanUserBlock(source, at, ctx);
    await scanHdf5(source, at, ctx);
    return 'scanned';
  },
};

async function scanHdf5(source: ByteSource, at: number, ctx: ScanContext): Promise<void> {
  let root: Awaited<ReturnType<typeof readRootAttributes>>;
  try {
    root = await readRootAttributes(source, at, () => ctx.checkpoint());
  } catch (err) {
    if (err instanceof H5Error) {
      ctx.report(
        finding('MEDIUM', 'keras/malformed', `malformed HDF5 file: ${err.message}; its Keras configuration could not be read`, at),
      );
      return;
    }
    if (err instanceof H5Unsupported) {
      ctx.report(
        finding('MEDIUM', 'keras/not-scanned', `HDF5 feature not supported (${err.message}); its Keras configuration was not read`, at),
      );
      return;
    }
    throw err;
  }
  for (const why of root.unreadable) {
    ctx.report(
      finding(
        'MEDIUM',
        'keras/not-scanned',
        `a root attribute could not be read (${why}); if it is the model configuration, it was not scanned`,
        at,
      ),
    );
  }
  for (const a of root.attributes) {
    if (!CONFIG_ATTRIBUTES.has(a.name)) continue;
    const offset = root.file.abs(a.dataAddr);
    let texts: Awaited<ReturnType<typeof readTexts>>;
    try {
      texts = await readTexts(root.file, a, MAX_ELEMENTS, MAX_CONFIG_BYTES);
    } catch (err) {
      if (err instanceof TooLarge) {
        ctx.report(
          finding(
            'MEDIUM',
            'keras/not-scanned',
            `${a.name} is ${err.bytes} bytes, over the ${MAX_CONFIG_BYTES}-byte cap; it was not scanned`,
            offset,
          ),
        );
        continue;
      }
      if (err instanceof H5Error) {
        ctx.report(finding('MEDIUM', 'keras/malformed', `${a.name} cannot be read: ${err.message}`, offset));
        continue;
      }
      throw err;
    }
    if (texts === undefined) {
      ctx.report(
        finding(
          'MEDIUM',
          'keras/malformed',
          `${a.name} is not a string attribute (HDF5 class ${a.datatype.cls}); Keras cannot load it`,
          offset,
        ),
      );
      continue;
    }
    if (a.count > MAX_ELEMENTS) {
      ctx.report(
        finding('MEDIUM', 'keras/not-scanned', `${a.name} holds ${a.count} strings; only the first ${MAX_ELEMENTS} were scanned`, offset),
      );
    }
    for (const t of texts) await analyseConfig(t.bytes, t.offset, a.name, ctx, H5_SCANNER);
  }
}

/** Bytes before the superblock are ignored by HDF5 but may be another format's file (a polyglot): scanned on their own unless empty. */
async function scanUserBlock(source: ByteSource, at: number, ctx: ScanContext): Promise<void> {
  for (let pos = 0; pos < at; pos += ZERO_CHUNK) {
    ctx.checkpoint();
    const b = await source.read(pos, Math.min(ZERO_CHUNK, at - pos));
    if (b.some((x) => x !== 0)) {
      ctx.report(
        finding('LOW', 'keras/user-block', `${at} bytes of user block precede the HDF5 data; they were scanned as a file of their own`, 0),
      );
      await ctx.scanMember(new SliceSource(`${source.name}:<user block>`, source, 0, at), '<HDF5 user block>');
      return;
    }
  }
}
