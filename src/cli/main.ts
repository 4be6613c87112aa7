#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { scan } from '../scan/scan.js';
import { toConsoleReport } from '../report/console.js';
import { toJsonReport } from '../report/json.js';
import { VERSION } from '../version.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

async function main(argv: string[]): Promise<number> {
  const program = new Command('modelscan')
    .description('Scan ML model files for code that would run when they are loaded, without loading them.')
    .version(VERSION, '-v, --version')
    .option('-p, --path <path>', 'file or folder to scan (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .argument('[paths...]', 'more files or folders to scan')
    .addOption(new Option('-r, --reporting-format <format>', 'report format').choices(['console', 'json']).default('console'))
    .option('-o, --output-file <file>', 'write the report to this file')
    .option('--show-skipped', 'list skipped files in the report', false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  // `modelscan scan -p x` equals `modelscan -p x`.
  const args = argv[0] === 'scan' ? argv.slice(1) : argv;
  try {
    program.parse(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : EXIT.USAGE;
    }
    throw err;
  }
  const opts = program.opts<{ path: string[]; reportingFormat: string; outputFile?: string; showSkipped: boolean }>();
  const paths = [...opts.path, ...program.args];
  if (!paths.length) {
    process.stderr.write('modelscan: no path given (use -p PATH)\n');
    return EXIT.USAGE;
  }
  const result = await scan(paths);
  const text =
    opts.reportingFormat === 'json'
      ? JSON.stringify(toJsonReport(result, { showSkipped: opts.showSkipped }), null, 2) + '\n'
      : toConsoleReport(result, { showSkipped: opts.showSkipped });
  if (opts.outputFile) await writeFile(opts.outputFile, text);
  else process.stdout.write(text);
  return exitCodeFor(result);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`modelscan: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = EXIT.ERRORS;
  },
);
