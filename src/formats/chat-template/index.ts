import type { ByteSource } from '../../io/byte-source.js';
import { readWholeText, textMatches } from '../../io/text.js';
import { type Finding, severityRank, structuralFinding } from '../../scan/findings.js';
import { judgeTemplate } from '../../templates/findings.js';
import { walkJson } from '../config/json.js';
import { ConfigSyntaxError, pathString, type ScalarSink, type Segment } from '../config/scalars.js';
import { walkYaml } from '../config/yaml.js';
import type { FormatOutcome, FormatScanner, ScanContext } from '../types.js';
import { hasChatMarkers, hasJinjaTag, hasTemplateName, hasYamlTemplateKey, looksLikeText } from './text.js';

export const CHAT_TEMPLATE_SCANNER = 'modelscan.scanners.ChatTemplateScan';
const at = structuralFinding(CHAT_TEMPLATE_SCANNER);
/** Text files larger than this are not read whole (real tokenizer configs are a few MB). */
const MAX_TEXT = 64 << 20;
const PEEK = 1 << 20;
/** Above this size, a file is searched in chunks before it is read whole. */
const LARGE = 16 << 20;
/** What a template-named key, an evasive escape or Jinja (which opens with `{{`, `{%` or `{#`) needs to contain. */
const MAYBE_TEMPLATE = /template[^"\n]{0,200}"\s*:|\\u00[4-7][0-9a-fA-F]|\{[{%#]/i;
/** An escaped ASCII character: JSON writers never produce one, evasion does. */
const ESCAPED_ASCII = /\\u00[4-7][0-9a-fA-F]/;

/** A template found in a config: its name, text, and where its text starts. */
interface Candidate {
  name: string;
  text: string;
  /** Character index in the decoded file. */
  index: number;
  /** Under a key that names a template: always judged, and a parse failure is reported. */
  declared: boolean;
}

/**
 * Jinja chat templates shipped outside GGUF, found by content: JSON configs
 * with a `chat_template` (a string, or a list of `{name, template}`) or
 * another `…template…` key (tokenizer_config.json, chat_template.json,
 * processor configs), YAML configs with such keys, and Jinja files (chat
 * markers, a Jinja-like name, or constructs that reach Python internals).
 * Other JSON, YAML and text is left to the formats after this one. The
 * config format, tried first, hands each JSON and YAML config it reads
 * here too, so a config gets both its own checks and this analysis.
 */
export const chatTemplateFormat: FormatScanner = {
  name: 'chat-template',
  detect: (head) => looksLikeText(head),
  async scan(source, ctx) {
    // The config format hands its JSON and YAML here first; a second pass would only repeat the same answer.
    if (declined.has(source)) return 'not-this-format';
    const outcome = await scanText(source, ctx);
    if (outcome === 'not-this-format') declined.add(source);
    return outcome;
  },
};

/** Sources this format has read and declined (it reports nothing then, so the answer can be reused). */
const declined = new WeakSet<ByteSource>();

async function scanText(source: ByteSource, ctx: ScanContext): Promise<FormatOutcome> {
  if (source.size > MAX_TEXT) return tooLarge(source, ctx);
  // A large file (a tokenizer.json) is only read whole when it may hold a template or Jinja at all.
  if (source.size > LARGE && !(await textMatches(source, MAYBE_TEMPLATE, () => ctx.checkpoint()))) return 'not-this-format';
  const { text, bom } = (await readWholeText(source))!;
  const first = text.trimStart()[0];
  // Only a config with a template-named key can declare a template; writers never escape ASCII letters, so
  // a key spelled with such escapes (`"chat_\u0074emplate"`) is read in full as well.
  if ((first === '{' || first === '[') && (hasTemplateKey(text) || ESCAPED_ASCII.test(text))) {
    let leaves: Leaf[] | undefined;
    let error: ConfigSyntaxError | undefined;
    try {
      leaves = templateLeaves(walkJson, text, ctx, false);
    } catch (err) {
      if (!(err instanceof ConfigSyntaxError)) throw err;
      error = err;
    }
    if (leaves) return judgeCandidates(jsonCandidates(leaves), text, bom, ctx);
    if (error && /^\s*(\{\s*"|\[)/.test(text) && text.includes('chat_template')) {
      ctx.report(
        at(
          'MEDIUM',
          'chat-template/malformed',
          `not valid JSON (${error.message}), though it holds a chat template: transformers cannot load it; the Jinja in it was checked token by token`,
          bom + byteLength(text, error.index),
        ),
      );
      const site = { name: baseName(source.name), scanner: CHAT_TEMPLATE_SCANNER, offset: bom, verbatim: true };
      for (const f of judgeTemplate(text, site, { quietUnparsed: true, checkpoint: () => ctx.checkpoint() })) ctx.report(f);
      return 'scanned';
    }
  }
  if (!hasJinjaTag(text)) return 'not-this-format';
  if (hasYamlTemplateKey(text)) {
    let leaves: Leaf[] | undefined;
    try {
      leaves = templateLeaves(walkYaml, text, ctx, true);
    } catch (err) {
      if (!(err instanceof ConfigSyntaxError)) throw err;
    }
    const outcome = leaves ? judgeCandidates(yamlCandidates(leaves), text, bom, ctx) : 'not-this-format';
    if (outcome === 'scanned') return outcome;
  }
  return judgeWholeText(source, text, bom, ctx);
}

/** A string value of a config that may be (or name) a template, with a copy of its key path. */
interface Leaf {
  path: Segment[];
  value: string;
  index: number;
}

const isTemplateKey = (seg: Segment): boolean => typeof seg === 'string' && /template/i.test(seg);

/**
 * The string values worth a look: under a key that names a template (JSON: at any level above; YAML: the
 * value's own key, as before), or holding Jinja. Everything else is dropped as it streams by, so a large
 * tokenizer.json costs no memory here.
 */
function templateLeaves(
  walk: (text: string, sink: ScalarSink, checkpoint: () => void) => unknown,
  text: string,
  ctx: ScanContext,
  ownKeyOnly: boolean,
): Leaf[] {
  const out: Leaf[] = [];
  walk(
    text,
    (s) => {
      if (!s.text) return;
      const keyed = ownKeyOnly ? isTemplateKey(s.path[s.path.length - 1] ?? '') : s.path.some(isTemplateKey);
      if (keyed || hasJinjaTag(s.value)) out.push({ path: [...s.path], value: s.value, index: s.at });
    },
    () => ctx.checkpoint(),
  );
  return out;
}

function jsonCandidates(leaves: Leaf[]): Candidate[] {
  const out: Candidate[] = [];
  // transformers' list form of several named templates: chat_template: [{name, template}, …].
  const names = new Map<string, string>();
  for (const l of leaves) if (isNamedMember(l.path, 'name')) names.set(pathString(l.path.slice(0, -1)), l.value);
  for (const l of leaves) {
    const own = l.path[l.path.length - 1];
    if (isNamedMember(l.path, 'template')) {
      const item = l.path.slice(0, -1);
      const name = names.get(pathString(item)) ?? String(item[item.length - 1]);
      out.push({ name: `${pathString(item.slice(0, -1))}.${name}`, text: l.value, index: l.index, declared: true });
    } else if (isNamedMember(l.path, 'name')) {
    } else if (l.path.length) {
      addString(
        out,
        pathString(l.path),
        l.value,
        l.index,
        l.path.some(isTemplateKey),
        typeof own === 'string' && own.includes('chat_template'),
      );
    }
  }
  return out;
}

/** `…<template key>[i].template` (or `.name`): a member of the named-template list form. */
function isNamedMember(path: readonly Segment[], field: string): boolean {
  const n = path.length;
  return n >= 3 && path[n - 1] === field && typeof path[n - 2] === 'number' && isTemplateKey(path[n - 3]);
}

function addString(out: Candidate[], name: string, text: string, index: number, templateKey: boolean, chatKey: boolean): void {
  const jinja = hasJinjaTag(text);
  if (templateKey && (chatKey || jinja)) out.push({ name, text, index, declared: true });
  else if (jinja) out.push({ name, text, index, declared: false });
}

function yamlCandidates(leaves: Leaf[]): Candidate[] {
  const out: Candidate[] = [];
  for (const l of leaves) {
    const key = l.path[l.path.length - 1];
    const own = typeof key === 'string' ? key : '';
    addString(out, pathString(l.path), l.value, l.index, /template/i.test(own), own.includes('chat_template'));
  }
  return out;
}

/** Judges the templates of a config; a config with no declared template is not this format. */
function judgeCandidates(candidates: Candidate[], text: string, bom: number, ctx: ScanContext): FormatOutcome {
  if (!candidates.some((c) => c.declared)) return 'not-this-format';
  for (const c of candidates) {
    const site = { name: c.name, scanner: CHAT_TEMPLATE_SCANNER, offset: bom + byteLength(text, c.index), verbatim: false };
    for (const f of judgeTemplate(c.text, site, { quietUnparsed: !c.declared, checkpoint: () => ctx.checkpoint() })) ctx.report(f);
  }
  return 'scanned';
}

/** A file that is a template as a whole (.jinja and the like): claimed when it reads like a chat template or attacks like one. */
function judgeWholeText(source: ByteSource, text: string, bom: number, ctx: ScanContext): FormatOutcome {
  const name = baseName(source.name);
  const site = { name, scanner: CHAT_TEMPLATE_SCANNER, offset: bom, verbatim: true };
  const findings: Finding[] = judgeTemplate(text, site, { checkpoint: () => ctx.checkpoint() });
  const attacks = findings.some((f) => severityRank(f.severity) >= severityRank('HIGH') && f.rule !== 'template/unparsed');
  if (!hasChatMarkers(text) && !hasTemplateName(source.name) && !attacks) return 'not-this-format';
  for (const f of findings) ctx.report(f);
  return 'scanned';
}

async function tooLarge(source: ByteSource, ctx: ScanContext): Promise<FormatOutcome> {
  const head = new TextDecoder('utf-8').decode(await source.read(0, PEEK));
  if (!head.includes('chat_template') && !(hasJinjaTag(head) && hasChatMarkers(head))) return 'not-this-format';
  ctx.report(
    at(
      'MEDIUM',
      'template/unparsed',
      `a ${source.size}-byte text file holding a chat template, over the ${MAX_TEXT}-byte analysis cap: its templates were not analysed`,
      0,
    ),
  );
  return 'scanned';
}

function byteLength(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), 'utf8');
}

function baseName(name: string): string {
  return name.split(/[/\\:]/).pop() || name;
}

/**
 * Whether a JSON key names a template (`"chat_template":`), as opposed to a value that mentions one
 * (`"TemplateProcessing"` in every tokenizer.json): each occurrence of the word is checked for a closing
 * quote and a colon after it, so a large file costs one search.
 */
function hasTemplateKey(text: string): boolean {
  const word = /template/gi;
  for (let seen = 0; seen < 100_000; seen++) {
    const m = word.exec(text);
    if (!m) return false;
    let j = m.index + m[0].length;
    const stop = Math.min(text.length, j + 200);
    while (j < stop && text.charCodeAt(j) !== 0x22 && text.charCodeAt(j) !== 0x0a) j++;
    if (text.charCodeAt(j) !== 0x22) continue;
    j++;
    while (
      j < text.length &&
      j < stop + 64 &&
      (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x09 || text.charCodeAt(j) === 0x0a || text.charCodeAt(j) === 0x0d)
    )
      j++;
    if (text.charCodeAt(j) === 0x3a) return true;
  }
  // More mentions than any real config has: read it in full rather than guess.
  return true;
}
