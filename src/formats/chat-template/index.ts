import type { ByteSource } from '../../io/byte-source.js';
import { type Finding, severityRank, structuralFinding } from '../../scan/findings.js';
import { judgeTemplate } from '../../templates/findings.js';
import type { FormatOutcome, FormatScanner, ScanContext } from '../types.js';
import { JsonError, type JsonValue, parseJson } from './json.js';
import { hasChatMarkers, hasJinjaTag, hasTemplateName, hasYamlTemplateKey, looksLikeText } from './text.js';
import { yamlScalars } from './yaml.js';

export const CHAT_TEMPLATE_SCANNER = 'modelscan.scanners.ChatTemplateScan';
const at = structuralFinding(CHAT_TEMPLATE_SCANNER);
/** Text files larger than this are not read whole (real tokenizer configs are a few MB). */
const MAX_TEXT = 64 << 20;
const PEEK = 1 << 20;
const MAX_JSON_DEPTH = 64;

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
  const bytes = await source.read(0, source.size);
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const text = new TextDecoder('utf-8').decode(bytes.subarray(bom));
  const first = text.trimStart()[0];
  if ((first === '{' || first === '[') && (/template/i.test(text) || text.includes('\\u'))) {
    let doc: JsonValue | undefined;
    let error: JsonError | undefined;
    try {
      doc = parseJson(text);
    } catch (err) {
      if (!(err instanceof JsonError)) throw err;
      error = err;
    }
    if (doc) return judgeCandidates(jsonCandidates(doc), text, bom, ctx);
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
    const outcome = judgeCandidates(yamlCandidates(text), text, bom, ctx);
    if (outcome === 'scanned') return outcome;
  }
  return judgeWholeText(source, text, bom, ctx);
}

function jsonCandidates(doc: JsonValue): Candidate[] {
  const out: Candidate[] = [];
  const visit = (v: JsonValue, path: string, depth: number, underTemplate: boolean): void => {
    if (depth > MAX_JSON_DEPTH) return;
    if (v.kind === 'object') {
      for (const [k, child] of v.entries) {
        const p = path ? `${path}.${k}` : k;
        const templateKey = underTemplate || /template/i.test(k);
        if (child.kind === 'string') addString(out, p, child.value, child.at + 1, templateKey, k.includes('chat_template'));
        else if (child.kind === 'array' && templateKey) {
          child.items.forEach((item, i) => {
            const named = item.kind === 'object' ? namedTemplate(item) : undefined;
            if (named)
              out.push({ name: `${p}.${named.name ?? i}`, text: named.template.value, index: named.template.at + 1, declared: true });
            else visit(item, `${p}[${i}]`, depth + 1, true);
          });
        } else visit(child, p, depth + 1, templateKey);
      }
    } else if (v.kind === 'array') {
      v.items.forEach((item, i) => {
        visit(item, `${path}[${i}]`, depth + 1, underTemplate);
      });
    } else if (v.kind === 'string' && path) {
      addString(out, path, v.value, v.at + 1, underTemplate, false);
    }
  };
  visit(doc, '', 0, false);
  return out;
}

/** `{name, template}`: transformers' list form of several named templates. */
function namedTemplate(obj: JsonValue & { kind: 'object' }): { name?: string; template: JsonValue & { kind: 'string' } } | undefined {
  let name: string | undefined;
  let template: (JsonValue & { kind: 'string' }) | undefined;
  for (const [k, v] of obj.entries) {
    if (k === 'name' && v.kind === 'string') name = v.value;
    if (k === 'template' && v.kind === 'string') template = v;
  }
  return template ? { ...(name !== undefined ? { name } : {}), template } : undefined;
}

function addString(out: Candidate[], name: string, text: string, index: number, templateKey: boolean, chatKey: boolean): void {
  const jinja = hasJinjaTag(text);
  if (templateKey && (chatKey || jinja)) out.push({ name, text, index, declared: true });
  else if (jinja) out.push({ name, text, index, declared: false });
}

function yamlCandidates(text: string): Candidate[] {
  const out: Candidate[] = [];
  for (const s of yamlScalars(text)) {
    const key = s.path.split('.').pop() ?? '';
    addString(out, s.path, s.value, s.at, /template/i.test(key), key.includes('chat_template'));
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
