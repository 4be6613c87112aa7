#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import { toConsoleReport } from '../report/console.js';
import { toJsonReport } from '../report/json.js';
import { scan } from '../scan/scan.js';
import { VERSION } from '../version.js';
import { type CliArgs, HELP, parseCli, UsageError } from './args.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

async function main(argv: string[]): Promise<number> {
  let opts: CliArgs;
  try {
    opts = parseCli(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`modelscan: ${err.message} (see --help)\n`);
    return EXIT.USAGE;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (opts.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const paths = opts.paths;
  if (!paths.length) {
    process.stderr.write('modelscan: no path given (use -p PATH; see --help)\n');
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
