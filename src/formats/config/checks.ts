import type { Policy } from '../../pickle/policy.js';
import { blacklistFinding } from '../../scan/blacklist.js';
import type { Finding, Severity } from '../../scan/findings.js';
import { findTokens, keyedSecret, safeUrl } from './credentials.js';
import { type ConfigScalar, lastKey, pathString, type Segment } from './scalars.js';
import { judgeTarget } from './targets.js';
import type { XmlOutcome } from './xml.js';
import type { YamlTag } from './yaml.js';

export const CONFIG_SCANNER = 'modelscan.scanners.ConfigScan';

/** A finding whose place is still a character index into the decoded text. */
export interface Pending {
  finding: Finding;
  at: number;
}

/** Past this many findings in one file the rest are counted, not listed. */
const MAX_FINDINGS = 500;
const MAX_AUTO_MAP = 1000;
const MAX_URLS_PER_VALUE = 20;

/** File types a URL may point to that run when fetched and opened, or that loaders import. Weights (.bin, .pt…) are data to this check. */
const EXECUTABLE_EXT = /\.(exe|sh|bash|zsh|bat|cmd|ps1|psm1|vbs|py|pyc|pyw|dll|so(?:\.\d+)*|dylib|msi|scr|jar)$/i;
const URL = /\b(?:https?|ftps?|s3|gs|hdfs):\/\/[^\s"'<>\\`]+/gi;

const PY_TAG = /^tag:yaml\.org,2002:python\/(object\/apply|object\/new|object|name|module):(.*)$/s;
const TRUE_VALUES = new Set(['true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);

/**
 * The checks every JSON, YAML and XML config gets, fed one leaf value at a
 * time: custom code that loaders run (`auto_map`, `custom_pipelines`,
 * `trust_remote_code`), callables that Hydra and MLflow import
 * (`_target_`, `loader_module`), URLs to scripts and executables, and
 * credentials (always masked).
 */
export class ConfigChecks {
  readonly pending: Pending[] = [];
  /** Something a loader acts on was seen (a `_target_`, a loader module, a tag), even if all of it was allowed. */
  relevant = false;
  private dropped = 0;
  private readonly autoMap = new Map<string, { refs: string[]; at: number; kind: 'auto_map' | 'custom_pipelines' }>();
  private readonly seen = new Set<string>();

  constructor(private readonly policy: Policy) {}

  readonly sink = (s: ConfigScalar): void => {
    const key = lastKey(s.path).replace(/^@/, '');
    if (s.text) {
      const am = autoMapAt(s.path);
      if (am >= 0 && typeof s.path[am + 1] === 'string') this.codeRef(s.path.slice(0, am + 2), s, 'auto_map');
      else if (key === 'impl' && s.path.includes('custom_pipelines')) this.codeRef(s.path, s, 'custom_pipelines');
      if (key === '_target_') this.target(s, 'Hydra _target_');
      else if (key === 'loader_module' && s.path[0] === 'flavors' && s.path.length === 3) this.target(s, 'MLflow loader_module');
      if (s.value.includes('://')) this.urls(s);
      this.credentials(s, key);
      const listed = this.policy.blacklist?.match(s.value);
      if (listed) {
        this.relevant = true;
        // Credentials are never echoed, even when a pattern matches them: the finding names the key, not the value.
        const secret = keyedSecret(key, s.value) !== undefined || findTokens(s.value).length > 0;
        this.push(
          blacklistFinding(listed, `config value at '${pathString(s.path)}'`, secret ? '(masked)' : s.value, 0, pathString(s.path)),
          s.at,
        );
      }
    } else if (key === 'trust_remote_code' && TRUE_VALUES.has(s.value)) {
      this.relevant = true;
      this.add(
        'MEDIUM',
        'config/remote-code',
        `'${pathString(s.path)}' is true: loaders that honour it import and run the Python files shipped with the model`,
        s,
        'trust_remote_code',
      );
    }
  };

  /** YAML tags PyYAML's unsafe loaders turn into imports and calls. */
  yamlTags(tags: readonly YamlTag[]): void {
    for (const t of tags) {
      const m = PY_TAG.exec(t.tag);
      if (!m) continue;
      this.relevant = true;
      const kind = m[1];
      const name = m[2].trim();
      const calls = kind !== 'name' && kind !== 'module';
      const verdict = name ? judgeTarget(name, this.policy) : undefined;
      let severity: Severity;
      if (!name) severity = 'HIGH';
      else if (verdict?.severity === 'CRITICAL') severity = calls ? 'CRITICAL' : 'HIGH';
      else if (verdict) severity = calls ? 'HIGH' : 'MEDIUM';
      else severity = 'MEDIUM';
      const what =
        kind === 'module'
          ? 'imports the module'
          : kind === 'name'
            ? 'imports and references'
            : kind === 'object'
              ? 'imports and instantiates'
              : 'imports and calls';
      this.push(
        {
          severity,
          rule: 'config/yaml-python-tag',
          description: `YAML tag '!!python/${kind}:${name}' at '${pathString(t.path) || '<root>'}': yaml.load with an unsafe Loader ${what} '${name}'${verdict && verdict.severity === 'CRITICAL' ? ` (${verdict.why})` : ''}`,
          module: pathString(t.path),
          operator: name,
          offset: 0,
          scanner: CONFIG_SCANNER,
          details: { tag: t.tag },
        },
        t.at,
      );
    }
  }

  /** Entity declarations and external DTDs: what XML parsers expand (billion laughs) or fetch (XXE). */
  xmlDeclarations(x: XmlOutcome): void {
    if (x.externalDtd) {
      this.push(
        {
          severity: 'MEDIUM',
          rule: 'config/xml-entity',
          description: `the DOCTYPE loads an external DTD (${safeUrl(x.externalDtd.uri)}): parsers that resolve it read a file or fetch a URL, and its entities are unseen here`,
          module: 'DOCTYPE',
          operator: 'DOCTYPE',
          offset: 0,
          scanner: CONFIG_SCANNER,
          details: { uri: safeUrl(x.externalDtd.uri) },
        },
        x.externalDtd.at,
      );
    }
    const internal = x.entities.filter((e) => e.external === undefined);
    if (internal.length) {
      const names = internal.slice(0, 10).map((e) => (e.parameter ? `%${e.name}` : e.name));
      this.push(
        {
          severity: 'MEDIUM',
          rule: 'config/xml-entity',
          description: `the DOCTYPE declares ${internal.length} entit${internal.length === 1 ? 'y' : 'ies'} (${names.join(', ')}${internal.length > 10 ? ', …' : ''}): parsers that expand entities can be made to exhaust memory (billion laughs)`,
          module: 'DOCTYPE',
          operator: internal[0].name,
          offset: 0,
          scanner: CONFIG_SCANNER,
          details: { entities: internal.length, names },
        },
        internal[0].at,
      );
    }
    for (const e of x.entities) {
      if (e.external === undefined) continue;
      this.push(
        {
          severity: 'HIGH',
          rule: 'config/xml-external-entity',
          description: `the DOCTYPE declares the external entity '${e.name}' (${safeUrl(e.external)}): parsers that resolve it read local files or fetch URLs (XXE)`,
          module: 'DOCTYPE',
          operator: e.name,
          offset: 0,
          scanner: CONFIG_SCANNER,
          details: { entity: e.name, uri: safeUrl(e.external), parameter: e.parameter },
        },
        e.at,
      );
    }
  }

  /** The findings, grouped `auto_map` entries included, and a note of any left out. */
  finish(): Pending[] {
    for (const [module, g] of this.autoMap) {
      const refs = g.refs.map(parseRef);
      const files = [...new Set(refs.map((r) => r.file))];
      const repos = [...new Set(refs.flatMap((r) => (r.repo ? [r.repo] : [])))];
      const where = repos.length
        ? ` from the other repositor${repos.length === 1 ? 'y' : 'ies'} ${repos.map((r) => `'${r}'`).join(', ')}`
        : '';
      const loader = g.kind === 'auto_map' ? 'transformers imports' : 'transformers pipelines import';
      this.push(
        {
          severity: 'MEDIUM',
          rule: 'config/remote-code',
          description: `'${module}' names custom code (${files.join(', ')}${where}): ${loader} and runs it when the model is loaded with trust_remote_code=True`,
          module,
          operator: g.refs.join(', '),
          offset: 0,
          scanner: CONFIG_SCANNER,
          details: { files, classes: refs.map((r) => r.cls), ...(repos.length ? { repositories: repos } : {}) },
        },
        g.at,
      );
    }
    this.autoMap.clear();
    if (this.dropped) {
      this.pending.push({
        finding: {
          severity: 'LOW',
          rule: 'config/more-findings',
          description: `${this.dropped} further findings in this file were not listed (over ${MAX_FINDINGS})`,
          module: '',
          operator: '',
          offset: 0,
          scanner: CONFIG_SCANNER,
        },
        at: 0,
      });
      this.dropped = 0;
    }
    return this.pending;
  }

  private codeRef(entryPath: readonly Segment[], s: ConfigScalar, kind: 'auto_map' | 'custom_pipelines'): void {
    const ref = s.value.trim();
    if (!/^(?:\S+--)?[A-Za-z_][\w.]*\.[A-Za-z_]\w*$/.test(ref)) return;
    this.relevant = true;
    const module = pathString(entryPath);
    const g = this.autoMap.get(module);
    if (g) {
      if (g.refs.length < 16 && !g.refs.includes(ref)) g.refs.push(ref);
    } else if (this.autoMap.size < MAX_AUTO_MAP) this.autoMap.set(module, { refs: [ref], at: s.at, kind });
    else this.dropped++;
  }

  private target(s: ConfigScalar, what: string): void {
    this.relevant = true;
    const target = s.value.trim();
    if (target === '') return;
    const verdict = judgeTarget(target, this.policy);
    if (!verdict) return;
    this.add(verdict.severity, 'config/callable-target', `${what} '${target}' at '${pathString(s.path)}' ${verdict.why}`, s, target, {
      target,
    });
  }

  private urls(s: ConfigScalar): void {
    URL.lastIndex = 0;
    let n = 0;
    for (let m = URL.exec(s.value); m && n < MAX_URLS_PER_VALUE; m = URL.exec(s.value), n++) {
      const url = trimTrailingPunctuation(m[0]);
      const shown = safeUrl(url);
      const path = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(shown)?.[1] ?? '';
      const file = path.split('/').pop() ?? '';
      const ext = EXECUTABLE_EXT.exec(file)?.[1];
      if (!ext) continue;
      this.add(
        'MEDIUM',
        'config/executable-url',
        `'${pathString(s.path)}' points to a .${ext.toLowerCase()} file (${shown}): a script or executable fetched from the network`,
        s,
        shown,
        { url: shown, extension: ext.toLowerCase() },
      );
    }
  }

  private credentials(s: ConfigScalar, key: string): void {
    const tokens = findTokens(s.value);
    for (const t of tokens) this.credential(s, t.kind, t.masked);
    if (tokens.length) return;
    const keyed = keyedSecret(key, s.value);
    if (keyed) this.credential(s, keyed.kind, keyed.masked);
  }

  private credential(s: ConfigScalar, kind: string, masked: string): void {
    this.add(
      'HIGH',
      'config/credential',
      `'${pathString(s.path)}' holds a credential (${kind}: ${masked}): shipped with the model, it is exposed to everyone who downloads it`,
      s,
      kind,
      { kind, masked },
    );
  }

  private add(
    severity: Severity,
    rule: string,
    description: string,
    s: ConfigScalar,
    operator: string,
    details?: Record<string, unknown>,
  ): void {
    const module = pathString(s.path);
    this.push({ severity, rule, description, module, operator, offset: 0, scanner: CONFIG_SCANNER, ...(details ? { details } : {}) }, s.at);
  }

  private push(finding: Finding, at: number): void {
    // The same value repeated (duplicate keys, a list of the same URL) is one finding.
    const id = `${finding.rule}\u0000${finding.module}\u0000${finding.operator}\u0000${finding.description}`;
    if (this.seen.has(id)) return;
    if (this.pending.length >= MAX_FINDINGS) {
      this.dropped++;
      return;
    }
    this.seen.add(id);
    this.pending.push({ finding, at });
  }
}

/** Where `auto_map` sits in a path: at the top of a config or of a sub-config (`text_config.auto_map`), never deep in data. */
function autoMapAt(path: readonly Segment[]): number {
  for (let k = 0; k < path.length && k < 4; k++) if (path[k] === 'auto_map') return k;
  return -1;
}

/** A URL ending a sentence or a bracket keeps that punctuation out (trimmed by hand: a `[.…]+$` regex is quadratic on long runs). */
function trimTrailingPunctuation(url: string): string {
  let end = url.length;
  while (end > 0 && '.,;:!?)]}'.includes(url[end - 1])) end--;
  return url.slice(0, end);
}

/** `modeling_foo.FooModel`, or `org/repo--modeling_foo.FooModel`: the file transformers fetches and the class it takes from it. */
function parseRef(ref: string): { repo?: string; file: string; cls: string } {
  const dash = ref.lastIndexOf('--');
  const repo = dash > 0 ? ref.slice(0, dash) : undefined;
  const rest = dash > 0 ? ref.slice(dash + 2) : ref;
  const dot = rest.lastIndexOf('.');
  const file = `${rest.slice(0, dot).replace(/\./g, '/')}.py`;
  return { ...(repo ? { repo } : {}), file, cls: rest.slice(dot + 1) };
}
