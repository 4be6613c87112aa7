import { parseArgs } from 'node:util';

export interface CliArgs {
  paths: string[];
  reportingFormat: 'console' | 'json';
  outputFile?: string;
  showSkipped: boolean;
  help: boolean;
  version: boolean;
}

export class UsageError extends Error {}

export const HELP = `Usage: modelscan [scan] -p PATH [-p PATH…] [PATH…] [options]

Scan ML model files for code that would run when they are loaded, without loading them.

Options:
  -p, --path PATH                 file or folder to scan (repeatable)
  -r, --reporting-format FORMAT   console (default) or json
  -o, --output-file FILE          write the report to FILE instead of stdout
      --show-skipped              list skipped files in the report
  -v, --version                   print the version
  -h, --help                      print this help

Exit codes: 0 clean, 1 issues found, 2 scan errors, 3 nothing scanned, 4 usage error.
`;

const FORMATS = new Set(['console', 'json']);

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      path: { type: 'string', short: 'p', multiple: true },
      'reporting-format': { type: 'string', short: 'r' },
      'output-file': { type: 'string', short: 'o' },
      'show-skipped': { type: 'boolean' },
      version: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Parses modelscan's flags (node:util, no dependency); `scan` is the default command. */
export function parseCli(argv: string[]): CliArgs {
  const args = argv[0] === 'scan' ? argv.slice(1) : argv;
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const format = v['reporting-format'] ?? 'console';
  if (!FORMATS.has(format)) throw new UsageError(`-r/--reporting-format must be one of: ${[...FORMATS].join(', ')} (got '${format}')`);
  return {
    paths: [...(v.path ?? []), ...parsed.positionals],
    reportingFormat: format as CliArgs['reportingFormat'],
    ...(v['output-file'] !== undefined ? { outputFile: v['output-file'] } : {}),
    showSkipped: v['show-skipped'] ?? false,
    help: v.help ?? false,
    version: v.version ?? false,
  };
}
