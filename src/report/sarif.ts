import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Severity } from '../scan/findings.js';
import { type Issue, isRemoteSource, type ScanResult, splitSource } from '../scan/result.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { CRITICAL: 'error', HIGH: 'error', MEDIUM: 'warning', LOW: 'note' };
/** GitHub code scanning ranks security alerts by this number (0–10). */
const SECURITY_SEVERITY: Record<Severity, string> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0' };
const ROOT_ID = 'SCANROOT';

/** SARIF 2.1.0 for code scanning: a rule per finding kind, sources relative to the scan root. */
export function sarifReport(r: ScanResult): string {
  const rules: Record<string, unknown>[] = [];
  const ruleIndex = new Map<string, number>();
  const ruleFor = (i: Issue): number => {
    let idx = ruleIndex.get(i.rule);
    if (idx === undefined) {
      idx = rules.length;
      ruleIndex.set(i.rule, idx);
      rules.push({
        id: i.rule,
        name: i.rule.replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase()),
        shortDescription: { text: RULE_TEXT[i.rule] ?? i.rule },
        helpUri: 'https://github.com/protectai/modelscan',
        defaultConfiguration: { level: LEVEL[i.severity] },
        properties: { tags: ['security', 'ml-model'], 'security-severity': SECURITY_SEVERITY[i.severity] },
      });
    } else {
      // One rule, several severities: the rule advertises its worst.
      const rule = rules[idx] as { defaultConfiguration: { level: string }; properties: Record<string, unknown> };
      if (Number(SECURITY_SEVERITY[i.severity]) > Number(rule.properties['security-severity'])) {
        rule.defaultConfiguration.level = LEVEL[i.severity];
        rule.properties['security-severity'] = SECURITY_SEVERITY[i.severity];
      }
    }
    return idx;
  };

  const results = r.issues.map((i) => {
    const { file, member } = splitSource(i.source);
    return {
      ruleId: i.rule,
      ruleIndex: ruleFor(i),
      level: LEVEL[i.severity],
      message: { text: `${i.description}${i.call ? ` — ${i.call}` : ''} (byte ${i.position})` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: artifact(file),
            // Code scanning needs a line; model files have none, so the byte offset travels in properties.
            region: { startLine: 1 },
          },
          ...(member ? { logicalLocations: [{ fullyQualifiedName: i.source, name: member, kind: 'member' }] } : {}),
        },
      ],
      partialFingerprints: {
        'modelscan/v1': createHash('sha256').update(`${i.rule}\0${i.source}\0${i.module}\0${i.operator}\0${i.position}`).digest('hex'),
      },
      properties: {
        severity: i.severity,
        module: i.module,
        operator: i.operator,
        byteOffset: i.position,
        ...(i.call ? { call: i.call } : {}),
      },
    };
  });

  const notifications = r.errors.map((e) => ({
    level: 'error',
    message: { text: `${e.category}: ${e.description}` },
    locations: [{ physicalLocation: { artifactLocation: artifact(e.source) } }],
  }));

  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'modelscan', semanticVersion: r.version, informationUri: 'https://github.com/protectai/modelscan', rules },
        },
        originalUriBaseIds: {
          [ROOT_ID]: {
            uri: `${(isRemoteSource(r.absolutePath) ? r.absolutePath : pathToFileURL(r.absolutePath).href).replace(/\/?$/, '/')}`,
          },
        },
        invocations: [
          {
            executionSuccessful: r.errors.length === 0,
            ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
            properties: {
              scanned: r.scanned.length,
              skipped: r.skipped.length,
              bytesScanned: r.bytesScanned,
              ...(r.remote ? { remote: r.remote } : {}),
            },
          },
        ],
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** Local files relative to the scan root; files on the Hub by their own (absolute) hf:// URL. */
function artifact(file: string): { uri: string; uriBaseId?: string } {
  if (isRemoteSource(file)) return { uri: encodeURI(file) };
  return { uri: encodeURI(file.split('\\').join('/')), uriBaseId: ROOT_ID };
}

const RULE_TEXT: Record<string, string> = {
  'pickle/unsafe-global': 'A pickle imports a function that runs code, or reaches files or the network, when loaded',
  'pickle/unknown-global': 'A pickle imports a name outside the allowlist of what models need',
  'pickle/malformed': 'A pickle stream that does not parse: what follows the break was not checked',
  'pickle/limit': 'A scan limit was reached in a pickle',
  'pickle/dynamic-global': 'A pickle imports a name computed at load time',
  'pickle/call-of-call-result': 'A pickle calls the result of another call (a gadget chain)',
  'pickle/build-on-global': 'A pickle modifies an imported object (monkey-patching)',
  'pickle/mutate-global': 'A pickle stores items into an imported object',
  'pickle/ext-opcode': 'A pickle uses the copyreg extension registry',
  'pickle/dunder-global': "A pickle reaches the interpreter's internals",
  'pickle/dotted-global': 'A pickle imports through a dotted attribute path',
  'pickle/code-executed': 'A function rebuilt from pickled bytecode is called while loading',
  'pickle/code-by-value': 'A pickle carries Python code by value',
  'pickle/nested-load': 'A pickle loads an embedded payload',
  'pickle/unscannable-load': 'A pickle loads a payload built at load time',
  'pickle/trailing-data': 'Bytes after the last pickle in a file',
  'pytorch/legacy-storages': 'A legacy torch file whose storages do not match its pickles',
};
