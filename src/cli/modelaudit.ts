#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import { modelAuditJson, modelAuditText } from '../report/modelaudit.js';
import { BlacklistError, withBlacklist } from '../scan/blacklist.js';
import type { ScanResult } from '../scan/result.js';
import { scan } from '../scan/scan.js';
import { defaultSettings, loadSettingsFile, type Settings, SettingsError } from '../settings/load.js';
import { VERSION } from '../version.js';
import { UsageError } from './args.js';
import { type AuditArgs, type AuditCli, parseAuditCli } from './modelaudit-args.js';

/** ModelAudit's exit codes: findings win over errors, as in the modelscan front door. */
export const AUDIT_EXIT = { CLEAN: 0, ISSUES: 1, ERRORS: 2 } as const;

export function auditExitCode(r: ScanResult): number {
  if (r.issues.length) return AUDIT_EXIT.ISSUES;
  if (r.errors.length) return AUDIT_EXIT.ERRORS;
  return AUDIT_EXIT.CLEAN;
}

async function main(argv: string[]): Promise<number> {
  let args: AuditCli;
  try {
    args = parseAuditCli(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`modelaudit: ${err.message} (see --help)\n`);
    return AUDIT_EXIT.ERRORS;
  }
  if (args.command === 'help') {
    process.stdout.write(args.text);
    return AUDIT_EXIT.CLEAN;
  }
  if (args.command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return AUDIT_EXIT.CLEAN;
  }
  return runAudit(args);
}

async function runAudit(args: AuditArgs): Promise<number> {
  let settings: Settings = defaultSettings();
  try {
    if (args.settingsFile) {
      const loaded = await loadSettingsFile(args.settingsFile);
      settings = loaded.settings;
      for (const w of loaded.warnings) process.stderr.write(`modelaudit: ${w}\n`);
    }
    settings = { ...settings, policy: withBlacklist(settings.policy, args.blacklist) };
  } catch (err) {
    if (!(err instanceof SettingsError) && !(err instanceof BlacklistError)) throw err;
    process.stderr.write(`modelaudit: ${err.message}\n`);
    return AUDIT_EXIT.ERRORS;
  }
  const started = Date.now();
  const result = await scan(args.paths, {
    limits: settings.limits,
    policy: settings.policy,
    maxFileSize: args.maxFileSize ?? settings.maxFileSize,
    timeoutMs: args.timeoutSeconds !== undefined ? Math.round(args.timeoutSeconds * 1000) : settings.timeoutMs,
    concurrency: settings.concurrency,
    weights: args.weights,
  });
  const timing = { startTime: started / 1000, duration: (Date.now() - started) / 1000, verbose: args.verbose };
  const text = args.format === 'json' ? modelAuditJson(result, timing) : modelAuditText(result, timing);
  if (args.output) await writeFile(args.output, text);
  else process.stdout.write(text);
  return auditExitCode(result);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`modelaudit: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = AUDIT_EXIT.ERRORS;
  },
);
