import { parseArgs } from 'node:util';
import { HubPathError, hubPathFromRepoId, isHubPath, parseHubPath } from '../hub/repo.js';
import { SEVERITIES, type Severity } from '../scan/findings.js';

export type LogLevel = 'CRITICAL' | 'ERROR' | 'WARNING' | 'INFO' | 'DEBUG';
export const LOG_LEVELS: readonly LogLevel[] = ['CRITICAL', 'ERROR', 'WARNING', 'INFO', 'DEBUG'];

export interface ScanArgs {
  command: 'scan';
  paths: string[];
  reportingFormat: 'console' | 'json' | 'sarif' | 'custom';
  outputFile?: string;
  settingsFile?: string;
  showSkipped: boolean;
  log: LogLevel;
  failOn?: Severity;
  maxFileSize?: number;
  timeoutSeconds?: number;
  color: boolean;
  /** Reuse stored per-file results of hf:// scans (--no-cache turns it off). */
  cache: boolean;
  /** --blacklist patterns, added to the settings file's. */
  blacklist: string[];
  /** --weights: look for outlier classes in classification heads. */
  weights: boolean;
  /** --sarif-output FILE: also write a SARIF report there, whatever -r prints (one scan for a CI log and code scanning). */
  sarifOutput?: string;
}

export interface CreateSettingsArgs {
  command: 'create-settings-file';
  force: boolean;
  location: string;
}

export type CliArgs = ScanArgs | CreateSettingsArgs | { command: 'help'; text: string } | { command: 'version' };

export class UsageError extends Error {}

export const HELP = `Usage: modelscan [scan] -p PATH [-p PATH…] [PATH…] [options]
       modelscan create-settings-file [-f] [-l PATH]

Scan ML model files for code that would run when they are loaded, without loading them.
Files are recognised by their content, whatever their names.

Options:
  -p, --path PATH                 file or folder to scan (repeatable; more paths may follow the options),
                                  or a Hugging Face repo: hf://ORG/REPO[@REVISION][/PATH] (token: HF_TOKEN)
      --huggingface ORG/REPO      the same as -p hf://ORG/REPO (repeatable; @REVISION and /PATH allowed)
      --no-cache                  for hf:// inputs, fetch and scan every file again instead of reusing stored results
  -r, --reporting-format FORMAT   console (default), json, sarif, or custom (reporting.module in settings)
  -o, --output-file FILE          write the report to FILE instead of stdout (every format)
      --sarif-output FILE         also write a SARIF report to FILE, whatever -r prints
      --settings-file FILE        TOML settings (never read implicitly; see create-settings-file)
      --show-skipped              list skipped files in the report
  -l, --log LEVEL                 CRITICAL, ERROR, WARNING, INFO (default) or DEBUG; logs go to stderr
      --fail-on SEVERITY          exit 1 only for issues at or above LOW (default), MEDIUM, HIGH or CRITICAL
      --max-file-size SIZE        skip (and report) files larger than SIZE bytes (suffixes K, M, G)
      --timeout SECONDS           give up on a file after SECONDS (its findings so far are kept)
      --no-color                  plain console output (also when NO_COLOR is set or stdout is not a terminal)
      --blacklist PATTERN         report file/member names, pickle globals and config strings matching PATTERN
                                  (HIGH; case-insensitive substring, or re:REGEX; repeatable)
      --weights                   also look for outlier classes in classification heads (possible backdoor targets)
  -v, --version                   print the version
  -h, --help                      print this help

create-settings-file:
  -f, --force                     overwrite an existing file
  -l, --location PATH             where to write (default ./modelscan-settings.toml)

Exit codes: 0 no issues · 1 issues at or above --fail-on · 2 scan errors (and no such issues)
            3 nothing scanned · 4 usage error
`;

const FORMATS = ['console', 'json', 'sarif', 'custom'] as const;

function parseScan(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      path: { type: 'string', short: 'p', multiple: true },
      huggingface: { type: 'string', multiple: true },
      'no-cache': { type: 'boolean' },
      'reporting-format': { type: 'string', short: 'r' },
      'output-file': { type: 'string', short: 'o' },
      'settings-file': { type: 'string' },
      'show-skipped': { type: 'boolean' },
      log: { type: 'string', short: 'l' },
      'fail-on': { type: 'string' },
      'max-file-size': { type: 'string' },
      timeout: { type: 'string' },
      'no-color': { type: 'boolean' },
      blacklist: { type: 'string', multiple: true },
      weights: { type: 'boolean' },
      'sarif-output': { type: 'string' },
      version: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function parseCreate(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: false,
    strict: true,
    options: {
      force: { type: 'boolean', short: 'f' },
      location: { type: 'string', short: 'l' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Parses modelscan's command line (node:util, no dependency); `scan` is the default command. */
export function parseCli(argv: string[]): CliArgs {
  try {
    if (argv[0] === 'create-settings-file') {
      const { values } = parseCreate(argv.slice(1));
      if (values.help) return { command: 'help', text: HELP };
      return { command: 'create-settings-file', force: values.force ?? false, location: values.location ?? 'modelscan-settings.toml' };
    }
    const { values: v, positionals } = parseScan(argv[0] === 'scan' ? argv.slice(1) : argv);
    if (v.help) return { command: 'help', text: HELP };
    if (v.version) return { command: 'version' };
    const format = v['reporting-format'] ?? 'console';
    if (!(FORMATS as readonly string[]).includes(format))
      throw new UsageError(`-r/--reporting-format must be one of ${FORMATS.join(', ')} (got '${format}')`);
    const log = (v.log ?? 'INFO').toUpperCase();
    if (!(LOG_LEVELS as readonly string[]).includes(log))
      throw new UsageError(`-l/--log must be one of ${LOG_LEVELS.join(', ')} (got '${v.log}')`);
    const paths = [...(v.path ?? []), ...(v.huggingface ?? []).map(hubPathFromRepoId), ...positionals];
    if (!paths.length) throw new UsageError('no path given (use -p PATH)');
    for (const p of paths.filter(isHubPath)) hubPath(p);
    return {
      command: 'scan',
      paths,
      reportingFormat: format as ScanArgs['reportingFormat'],
      ...(v['output-file'] !== undefined ? { outputFile: v['output-file'] } : {}),
      ...(v['settings-file'] !== undefined ? { settingsFile: v['settings-file'] } : {}),
      showSkipped: v['show-skipped'] ?? false,
      log: log as LogLevel,
      ...(v['fail-on'] !== undefined ? { failOn: severity(v['fail-on'], '--fail-on') } : {}),
      ...(v['max-file-size'] !== undefined ? { maxFileSize: byteSize(v['max-file-size']) } : {}),
      ...(v.timeout !== undefined ? { timeoutSeconds: seconds(v.timeout) } : {}),
      color: !(v['no-color'] ?? false),
      cache: !(v['no-cache'] ?? false),
      blacklist: v.blacklist ?? [],
      weights: v.weights ?? false,
      ...(v['sarif-output'] !== undefined ? { sarifOutput: v['sarif-output'] } : {}),
    };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // node:util's messages name the flag; keep their first line, drop the advice about '--'.
    throw new UsageError((err as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, ''));
  }
}

function severity(text: string, flag: string): Severity {
  const s = text.toUpperCase();
  if (!(SEVERITIES as readonly string[]).includes(s))
    throw new UsageError(`${flag} must be one of ${SEVERITIES.join(', ')} (got '${text}')`);
  return s as Severity;
}

export function byteSize(text: string, flag = '--max-file-size'): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag} must be a size such as 500000, 200M or 4G (got '${text}')`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const n = Math.floor(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} must be positive (got '${text}')`);
  return n;
}

function hubPath(text: string): void {
  try {
    parseHubPath(text);
  } catch (err) {
    if (err instanceof HubPathError) throw new UsageError(err.message);
    throw err;
  }
}

export function seconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--timeout must be a positive number of seconds (got '${text}')`);
  return n;
}
