import { parseArgs } from 'node:util';
import { byteSize, seconds, UsageError } from './args.js';

export interface AuditArgs {
  command: 'scan';
  paths: string[];
  format: 'text' | 'json';
  output?: string;
  maxFileSize?: number;
  timeoutSeconds?: number;
  blacklist: string[];
  settingsFile?: string;
  verbose: boolean;
  weights: boolean;
}

export const AUDIT_HELP = `Usage: modelaudit scan PATH… [options]

Scan ML model files for code that would run when they are loaded, without loading them
(the modelscan engine, with ModelAudit's command line, JSON shape and exit codes).

Options:
  -f, --format text|json          report format (default text)
  -o, --output FILE               write the report to FILE instead of stdout
      --max-file-size BYTES       skip files larger than BYTES (suffixes K, M, G)
  -b, --blacklist PATTERN         report names, globals and config strings matching PATTERN as critical
                                  (case-insensitive substring, or re:REGEX; repeatable)
  -t, --timeout SECONDS           give up on a file after SECONDS (its findings so far are kept)
      --settings-file FILE        modelscan TOML settings (blacklist, limits, policy)
  -v, --verbose                   also list skipped files (severity debug)
      --weights                   also look for outlier classes in classification heads (possible backdoor targets)
      --version                   print the version
  -h, --help                      print this help

Severities: CRITICAL/HIGH → critical, MEDIUM → warning, LOW → info.
Exit codes: 0 no issues · 1 issues found · 2 scan errors (and no issues) or usage errors
`;

export type AuditCli = AuditArgs | { command: 'help'; text: string } | { command: 'version' };

/** Parses `modelaudit scan …` (node:util, no dependency). */
export function parseAuditCli(argv: string[]): AuditCli {
  try {
    if (argv[0] === '--version') return { command: 'version' };
    if (!argv.length || argv[0] === '-h' || argv[0] === '--help') return { command: 'help', text: AUDIT_HELP };
    if (argv[0] !== 'scan') throw new UsageError(`unknown command '${argv[0]}' (expected 'scan')`);
    const { values: v, positionals } = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string', short: 'f' },
        output: { type: 'string', short: 'o' },
        'max-file-size': { type: 'string' },
        blacklist: { type: 'string', short: 'b', multiple: true },
        timeout: { type: 'string', short: 't' },
        'settings-file': { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        weights: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (v.help) return { command: 'help', text: AUDIT_HELP };
    const format = v.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json (got '${format}')`);
    if (!positionals.length) throw new UsageError('no path given (modelaudit scan PATH…)');
    return {
      command: 'scan',
      paths: positionals,
      format,
      ...(v.output !== undefined ? { output: v.output } : {}),
      ...(v['max-file-size'] !== undefined ? { maxFileSize: byteSize(v['max-file-size']) } : {}),
      ...(v.timeout !== undefined ? { timeoutSeconds: seconds(v.timeout) } : {}),
      ...(v['settings-file'] !== undefined ? { settingsFile: v['settings-file'] } : {}),
      blacklist: v.blacklist ?? [],
      verbose: v.verbose ?? false,
      weights: v.weights ?? false,
    };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, ''));
  }
}
