#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import { renderReport } from '../report/index.js';
import { sarifReport } from '../report/sarif.js';
import { BlacklistError, withBlacklist } from '../scan/blacklist.js';
import { scan } from '../scan/scan.js';
import { defaultSettings, loadSettingsFile, type Settings, SettingsError } from '../settings/load.js';
import { createSettingsFile } from '../settings/write.js';
import { VERSION } from '../version.js';
import { type CliArgs, parseCli, type ScanArgs, UsageError } from './args.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { makeLogger } from './log.js';
import { makeProgress } from './progress.js';

async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`modelscan: ${err.message} (see --help)\n`);
    return EXIT.USAGE;
  }
  switch (args.command) {
    case 'help':
      process.stdout.write(args.text);
      return EXIT.CLEAN;
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return EXIT.CLEAN;
    case 'create-settings-file':
      try {
        await createSettingsFile(args.location, args.force);
      } catch (err) {
        process.stderr.write(`modelscan: ${(err as Error).message}\n`);
        return EXIT.USAGE;
      }
      process.stderr.write(`modelscan: wrote the default settings to ${args.location}\n`);
      return EXIT.CLEAN;
    default:
      return runScan(args);
  }
}

async function runScan(args: ScanArgs): Promise<number> {
  const log = makeLogger(args.log);
  let settings: Settings = defaultSettings();
  if (args.settingsFile) {
    try {
      const loaded = await loadSettingsFile(args.settingsFile);
      settings = loaded.settings;
      for (const w of loaded.warnings) log.warn(w);
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      process.stderr.write(`modelscan: ${err.message}\n`);
      return EXIT.USAGE;
    }
  }
  let policy = settings.policy;
  try {
    policy = withBlacklist(policy, args.blacklist);
  } catch (err) {
    if (!(err instanceof BlacklistError)) throw err;
    process.stderr.write(`modelscan: ${err.message}\n`);
    return EXIT.USAGE;
  }
  const failOn = args.failOn ?? settings.failOn;
  const outputFile = args.outputFile ?? settings.outputFile;
  const showSkipped = args.showSkipped || (settings.showSkipped ?? false);
  const reporter = args.reportingFormat === 'custom' ? settings.reporter : args.reportingFormat;
  const progress = makeProgress();
  log.info(`scanning ${args.paths.join(', ')}`);
  const result = await scan(args.paths, {
    limits: settings.limits,
    policy,
    maxFileSize: args.maxFileSize ?? settings.maxFileSize,
    timeoutMs: args.timeoutSeconds !== undefined ? Math.round(args.timeoutSeconds * 1000) : settings.timeoutMs,
    concurrency: settings.concurrency,
    onProgress: (p) => progress.update(p),
    debug: (m) => log.debug(m),
    hub: { cache: args.cache },
    weights: args.weights,
  });
  progress.done();
  for (const e of result.errors) log.error(`${e.source}: ${e.description}`);
  const color = args.color && !outputFile && !!process.stdout.isTTY && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
  const text = renderReport(reporter, result, { showSkipped, color });
  if (outputFile) {
    await writeFile(outputFile, text);
    log.info(`report written to ${outputFile}`);
  } else process.stdout.write(text);
  if (args.sarifOutput) {
    await writeFile(args.sarifOutput, sarifReport(result));
    log.info(`SARIF report written to ${args.sarifOutput}`);
  }
  return exitCodeFor(result, failOn);
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
