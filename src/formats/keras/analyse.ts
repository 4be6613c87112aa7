import { BufferSource } from '../../io/byte-source.js';
import type { Finding } from '../../scan/findings.js';
import type { ScanContext } from '../types.js';
import { walkKerasConfig } from './config-walker.js';
import { JsonError, type ParsedJson, parseJson } from './json.js';

/** Largest configuration text parsed (real ones are kilobytes to a few megabytes). */
export const MAX_CONFIG_BYTES = 64 << 20;

export const H5_SCANNER = 'modelscan.scanners.H5LambdaDetectScan';
export const KERAS_SCANNER = 'modelscan.scanners.KerasLambdaDetectScan';

export function structural(scanner: string, severity: Finding['severity'], rule: string, description: string, offset: number): Finding {
  return { severity, rule, description, module: 'Keras', operator: '', offset, scanner };
}

/**
 * Parses one configuration text as Python's json would and reports what
 * the walk finds. `baseOffset` is where the text's first byte sits in the
 * scanned source. A text Python would refuse is a malformed finding (the
 * model cannot load, and nothing in it was judged).
 */
export async function analyseConfig(
  text: Buffer,
  baseOffset: number,
  where: string,
  ctx: ScanContext,
  scanner: string,
  parsed?: ParsedJson,
): Promise<void> {
  if (!parsed) {
    try {
      parsed = parseJson(text);
    } catch (err) {
      if (!(err instanceof JsonError)) throw err;
      ctx.report(
        structural(scanner, 'MEDIUM', 'keras/malformed', `${where} is not valid JSON (${err.message}); it was not scanned`, baseOffset),
      );
      return;
    }
  }
  const result = walkKerasConfig(parsed, where, () => ctx.checkpoint());
  for (const f of result.findings) {
    ctx.report({
      severity: f.severity,
      rule: f.rule,
      description: f.description,
      module: f.module,
      operator: f.operator,
      offset: baseOffset + f.offset,
      scanner,
      details: f.details,
    });
  }
  for (const e of result.embedded) {
    await ctx.scanEmbedded(new BufferSource(e.label, e.bytes), e.label, -1);
  }
}
