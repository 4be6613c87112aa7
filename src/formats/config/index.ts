import { type ByteSource, SliceSource } from '../../io/byte-source.js';
import { readWholeText, textMatches } from '../../io/text.js';
import { structuralFinding } from '../../scan/findings.js';
import { chatTemplateFormat } from '../chat-template/index.js';
import { looksLikeText } from '../chat-template/text.js';
import type { FormatOutcome, FormatScanner, ScanContext } from '../types.js';
import { CONFIG_SCANNER, ConfigChecks, type Pending } from './checks.js';
import { findTokens } from './credentials.js';
import { walkJson } from './json.js';
import { byteOffsets, ConfigSyntaxError } from './scalars.js';
import { walkXml } from './xml.js';
import { walkYaml } from './yaml.js';

const at = structuralFinding(CONFIG_SCANNER);

/** Configs are kilobytes to a few megabytes; past this the text is searched for what matters, not parsed. */
const MAX_PARSE = 16 << 20;
/** The chat-template format reads up to this much; so does the marker search here. */
const MAX_READ = 64 << 20;
const PEEK = 1 << 20;
/** Keys and constructs that make a config worth reading even when it is too large to parse. */
const MARKERS = /auto_map|_target_|trust_remote_code|loader_module|custom_pipelines|!!python\/|tag:yaml\.org,2002:python\/|<!ENTITY/;
/** Control characters no JSON, YAML or XML config holds outside an escape. */
const BINARY = /[\x00-\x08\x0e-\x1f\x7f]/;
/** The first line of a YAML document, for reading one that this reader rejects (a Python docstring's `"""` is not a quoted key). */
const YAML_START = /^(?:%YAML|---|- |(?:[\w.-]|"[^"]|'[^'])[^:\n]{0,200}:(?:\s|$))/;

/**
 * Configs and manifests that ship with models, found by content: JSON
 * (config.json, tokenizer_config.json, adapter_config.json…), YAML (Hydra
 * configs, MLmodel) and XML. Each is read without building objects (see
 * checks.ts for what is looked for), and every JSON and YAML config is
 * also handed to the chat-template analysis. A config with nothing to
 * report and nothing a loader acts on is left unclaimed, as modelscan
 * leaves JSON: plain data is not a model format.
 */
export const configFormat: FormatScanner = {
  name: 'config',
  detect: (head) => looksLikeText(head),
  async scan(source, ctx) {
    if (source.size > MAX_PARSE) return oversized(source, ctx);
    const decoded = await readWholeText(source, true);
    if (!decoded) return 'not-this-format';
    const { text, bom } = decoded;
    if (BINARY.test(text)) return 'not-this-format';
    const first = firstContent(text);
    if (first === '{' || first === '[') return scanJson(source, text, bom, ctx);
    if (first === '<') return scanXml(source, text, bom, ctx);
    return scanYaml(source, text, bom, ctx);
  },
};

function firstContent(text: string): string | undefined {
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return c;
  }
  return undefined;
}

async function scanJson(source: ByteSource, text: string, bom: number, ctx: ScanContext): Promise<FormatOutcome> {
  const checks = new ConfigChecks(ctx.policy);
  try {
    walkJson(text, checks.sink, () => ctx.checkpoint());
  } catch (err) {
    if (!(err instanceof ConfigSyntaxError)) throw err;
    // YAML's flow style is a superset of JSON: `{model: x}` is a config too.
    const yaml = readYaml(text, ctx);
    if (yaml) return settle(source, yaml.checks, text, bom, ctx, yaml.collections > 0);
    return malformedJson(source, text, bom, err, ctx);
  }
  return settle(source, checks, text, bom, ctx, true);
}

async function scanYaml(source: ByteSource, text: string, bom: number, ctx: ScanContext): Promise<FormatOutcome> {
  const yaml = readYaml(text, ctx);
  if (yaml) return settle(source, yaml.checks, text, bom, ctx, yaml.collections > 0 || yaml.checks.relevant);
  return pythonTagsInBrokenYaml(source, text, bom, ctx);
}

function readYaml(text: string, ctx: ScanContext): { checks: ConfigChecks; collections: number } | undefined {
  const checks = new ConfigChecks(ctx.policy);
  try {
    const out = walkYaml(text, checks.sink, () => ctx.checkpoint());
    checks.yamlTags(out.tags);
    return { checks, collections: out.collections };
  } catch (err) {
    if (!(err instanceof ConfigSyntaxError)) throw err;
    return undefined;
  }
}

async function scanXml(source: ByteSource, text: string, bom: number, ctx: ScanContext): Promise<FormatOutcome> {
  const checks = new ConfigChecks(ctx.policy);
  const out = walkXml(text, checks.sink, () => ctx.checkpoint());
  // A parser expands or fetches what the DOCTYPE declares before it meets a syntax error; the rest never loads.
  const kept = out.error ? new ConfigChecks(ctx.policy) : checks;
  kept.xmlDeclarations(out);
  const pending = kept.finish();
  if (!pending.length) return 'not-this-format';
  await chatTemplateFormat.scan(source, ctx);
  report(pending, text, bom, ctx);
  return 'scanned';
}

/**
 * Reports what the checks found and what the chat-template analysis finds;
 * the file is claimed when either reported, or when a loader acts on it.
 * `collection`: the document is a mapping or list, not a lone scalar (a
 * .jinja file or prose reads as one), which is what a config is.
 */
async function settle(
  source: ByteSource,
  checks: ConfigChecks,
  text: string,
  bom: number,
  ctx: ScanContext,
  collection: boolean,
): Promise<FormatOutcome> {
  if (!collection) return 'not-this-format';
  const templates = await chatTemplateFormat.scan(source, ctx);
  const pending = checks.finish();
  report(pending, text, bom, ctx);
  return pending.length || checks.relevant || templates === 'scanned' ? 'scanned' : 'not-this-format';
}

/**
 * JSON no loader accepts. Left to other formats, unless it holds what the
 * checks look for: then it is malformed (transformers cannot load it; other
 * readers may be laxer), and credentials in it are exposed all the same.
 */
async function malformedJson(
  source: ByteSource,
  text: string,
  bom: number,
  err: ConfigSyntaxError,
  ctx: ScanContext,
): Promise<FormatOutcome> {
  const markers = MARKERS.test(text);
  const tokens = findTokens(text);
  if (!markers && !tokens.length) return 'not-this-format';
  const pending: Pending[] = [
    {
      finding: at(
        'MEDIUM',
        'config/malformed',
        `not valid JSON (${err.message}), though it holds ${markers ? 'keys loaders act on' : 'credentials'}: it was checked as text`,
        0,
      ),
      at: err.index,
    },
  ];
  for (const t of tokens) {
    pending.push({
      finding: at('HIGH', 'config/credential', `holds a credential (${t.kind}: ${t.masked}): shipped with the model, it is exposed`, 0, {
        operator: t.kind,
        details: { kind: t.kind, masked: t.masked },
      }),
      at: t.index,
    });
  }
  await chatTemplateFormat.scan(source, ctx);
  report(pending, text, bom, ctx);
  return 'scanned';
}

/** YAML this reader rejects, but whose python tags PyYAML would still construct. */
async function pythonTagsInBrokenYaml(source: ByteSource, text: string, bom: number, ctx: ScanContext): Promise<FormatOutcome> {
  if (!looksLikeYaml(text)) return 'not-this-format';
  const re =
    /!!python\/((?:object\/apply|object\/new|object|name|module):[\w.]*)|!<tag:yaml\.org,2002:python\/((?:object\/apply|object\/new|object|name|module):[\w.]*)>/g;
  const tags = [];
  for (let m = re.exec(text); m && tags.length < 1000; m = re.exec(text)) {
    tags.push({ tag: `tag:yaml.org,2002:python/${m[1] ?? m[2]}`, path: [], at: m.index });
  }
  if (!tags.length) return 'not-this-format';
  const checks = new ConfigChecks(ctx.policy);
  checks.yamlTags(tags);
  await chatTemplateFormat.scan(source, ctx);
  report(checks.finish(), text, bom, ctx);
  return 'scanned';
}

/** The first line that is not blank or a comment reads as the start of a YAML document. */
function looksLikeYaml(text: string): boolean {
  const firstLine = text
    .slice(0, 64 << 10)
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  return firstLine !== undefined && YAML_START.test(firstLine);
}

async function oversized(source: ByteSource, ctx: ScanContext): Promise<FormatOutcome> {
  const whole = source.size <= MAX_READ;
  // Searched in chunks, never held whole: only a config naming code or entities is worth the finding.
  const head = new TextDecoder('utf-8').decode(await source.read(0, PEEK));
  const first = firstContent(head);
  if (!(first === '{' || first === '[' || first === '<' || looksLikeYaml(head))) return 'not-this-format';
  if (!(await textMatches(whole ? source : new SliceSource(source.name, source, 0, MAX_READ), MARKERS, () => ctx.checkpoint())))
    return 'not-this-format';
  ctx.report(
    at(
      'MEDIUM',
      'config/too-large',
      `a ${source.size}-byte config naming custom code, callables or entities, over the ${MAX_PARSE}-byte parsing cap: it was not checked`,
      0,
    ),
  );
  await chatTemplateFormat.scan(source, ctx);
  return 'scanned';
}

/** Findings placed at byte offsets. */
function report(pending: Pending[], text: string, bom: number, ctx: ScanContext): void {
  const offsets = byteOffsets(
    text,
    pending.map((p) => p.at),
  );
  pending.forEach((p, k) => {
    ctx.report({ ...p.finding, offset: bom + offsets[k] });
  });
}
