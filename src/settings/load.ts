import { readFile, stat } from 'node:fs/promises';
import { parse, TomlError } from 'smol-toml';
import { DEFAULT_POLICY, type Policy } from '../pickle/policy.js';
import type { DenyRule } from '../pickle/policy-tables.js';
import { canonicalModule } from '../pickle/resolve.js';
import { type Blacklist, BlacklistError, compileBlacklist } from '../scan/blacklist.js';
import { SEVERITIES, type Severity, severityRank } from '../scan/findings.js';
import { DEFAULT_SCAN_LIMITS, type ScanLimits } from '../scan/limits.js';
import { FORMAT_MIDDLEWARE, MODELSCAN_SCANNERS, REPORTER_NAMES } from './defaults.js';

/** Everything a scan and its report take from settings, after validation. */
export interface Settings {
  policy: Policy;
  limits: ScanLimits;
  /** Bytes; 0 = no limit. Larger files are skipped with that reason, never reported clean. */
  maxFileSize: number;
  /** Per file, in milliseconds; 0 = none. */
  timeoutMs: number;
  concurrency: number;
  failOn: Severity;
  /** The reporter `-r custom` uses. */
  reporter: 'console' | 'json' | 'sarif';
  outputFile?: string;
  showSkipped?: boolean;
}

export class SettingsError extends Error {}

const MAX_SETTINGS_BYTES = 1 << 20;

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
const isSeverity = (v: unknown): v is Severity => typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v.toUpperCase());

/** The built-in settings (what a scan uses without --settings-file). */
export function defaultSettings(): Settings {
  return resolveSettings(undefined).settings;
}

/** Reads and validates a TOML settings file; parse errors name the line and column. */
export async function loadSettingsFile(path: string): Promise<{ settings: Settings; warnings: string[] }> {
  const st = await stat(path).catch((err: Error) => {
    throw new SettingsError(`cannot read settings file ${path}: ${err.message}`);
  });
  if (st.size > MAX_SETTINGS_BYTES) throw new SettingsError(`settings file ${path} is larger than ${MAX_SETTINGS_BYTES} bytes`);
  const text = await readFile(path, 'utf8');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    if (err instanceof TomlError) throw new SettingsError(`${path}:${err.line}:${err.column}: ${err.message.split('\n')[0]}`);
    throw err;
  }
  return resolveSettings(doc);
}

/**
 * Applies a settings document over the defaults. A settings file can tighten
 * the policy (more denied names, higher severities, a higher floor for
 * unknown globals) and tune it (allowlist your own classes, limits, the fail
 * threshold); it can never switch a scanner off, lower a built-in severity,
 * allowlist a denied name, or name code to load: such keys are ignored with
 * a warning, as are keys we don't know.
 */
export function resolveSettings(doc: unknown): { settings: Settings; warnings: string[] } {
  const warnings: string[] = [];
  const extraDeny: DenyRule[] = [];
  const extraAllow: string[] = [];
  let unknownFloor: Severity = 'LOW';
  const blacklist: string[] = [];
  let failOn: Severity = 'LOW';
  const limits: ScanLimits = { ...DEFAULT_SCAN_LIMITS, pickle: { ...DEFAULT_SCAN_LIMITS.pickle } };
  let maxFileSize = 0;
  let timeoutMs = 0;
  let concurrency = 4;
  let reporter: Settings['reporter'] = 'console';
  let outputFile: string | undefined;
  let showSkipped: boolean | undefined;

  const unknown = (path: string) => warnings.push(`settings: unknown key '${path}' ignored`);
  const bad = (path: string, want: string) => warnings.push(`settings: '${path}' must be ${want}; ignored`);

  const top = doc === undefined ? {} : doc;
  if (!isTable(top)) throw new SettingsError('settings must be a TOML document');
  for (const [key, value] of Object.entries(top)) {
    switch (key) {
      case 'modelscan_version':
      case 'supported_zip_extensions':
        // Kept for modelscan compatibility; archives are recognised by content.
        break;
      case 'fail_on':
        if (isSeverity(value)) failOn = value.toUpperCase() as Severity;
        else bad(key, 'one of LOW, MEDIUM, HIGH, CRITICAL');
        break;
      case 'scanners':
        readScanners(value, warnings);
        break;
      case 'middlewares':
        if (!isTable(value)) bad(key, 'a table');
        else
          for (const name of Object.keys(value)) {
            if (name !== FORMAT_MIDDLEWARE) warnings.push(`settings: middleware '${name}' would load code; ignored`);
          }
        break;
      case 'unsafe_globals':
        readUnsafeGlobals(value, extraDeny, warnings);
        break;
      case 'allow':
        readAllow(value, extraAllow, warnings);
        break;
      case 'blacklist':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) bad(key, 'a list of patterns');
        else blacklist.push(...(value as string[]));
        break;
      case 'unknown_globals':
        if (!isTable(value)) bad(key, 'a table');
        else
          for (const [k, v] of Object.entries(value)) {
            if (k !== 'min_severity') unknown(`${key}.${k}`);
            else if (isSeverity(v)) unknownFloor = v.toUpperCase() as Severity;
            else bad(`${key}.${k}`, 'one of LOW, MEDIUM, HIGH, CRITICAL');
          }
        break;
      case 'limits':
        if (!isTable(value)) {
          bad(key, 'a table');
          break;
        }
        for (const [k, v] of Object.entries(value)) {
          const n = typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
          const whole = n !== undefined && Number.isSafeInteger(n) ? n : undefined;
          const path = `${key}.${k}`;
          if (k === 'max_file_size') whole !== undefined ? (maxFileSize = whole) : bad(path, 'a whole number of bytes (0 = no limit)');
          else if (k === 'timeout') n !== undefined ? (timeoutMs = Math.round(n * 1000)) : bad(path, 'seconds (0 = none)');
          else if (k === 'max_depth') whole && whole <= 64 ? (limits.maxDepth = whole) : bad(path, 'a whole number from 1 to 64');
          else if (k === 'max_streams') whole ? (limits.maxStreams = whole) : bad(path, 'a positive whole number');
          else if (k === 'max_stack') whole ? (limits.pickle.maxStack = whole) : bad(path, 'a positive whole number');
          else if (k === 'max_memo_entries') whole ? (limits.pickle.maxMemoEntries = whole) : bad(path, 'a positive whole number');
          else if (k === 'memo_budget_mb')
            n && n <= 4096 ? (limits.pickle.memoBudgetBytes = Math.round(n * (1 << 20))) : bad(path, 'megabytes from 1 to 4096');
          else if (k === 'max_decompressed_bytes')
            whole ? (limits.maxDecompressedBytes = whole) : bad(path, 'a positive whole number of bytes');
          else if (k === 'max_compression_ratio') n && n >= 10 ? (limits.maxCompressionRatio = n) : bad(path, 'a ratio of 10 or more');
          else if (k === 'max_entries') whole ? (limits.maxEntries = whole) : bad(path, 'a positive whole number');
          else if (k === 'concurrency') whole && whole <= 64 ? (concurrency = whole) : bad(path, 'a whole number from 1 to 64');
          else unknown(path);
        }
        break;
      case 'reporting':
        if (!isTable(value)) {
          bad(key, 'a table');
          break;
        }
        for (const [k, v] of Object.entries(value)) {
          if (k === 'module') {
            if (typeof v === 'string' && Object.hasOwn(REPORTER_NAMES, v)) reporter = REPORTER_NAMES[v];
            else warnings.push(`settings: reporting.module '${String(v)}' is not a built-in reporter and would load code; ignored`);
          } else if (k === 'settings') {
            if (!isTable(v)) bad('reporting.settings', 'a table');
            else
              for (const [sk, sv] of Object.entries(v)) {
                if (sk === 'output_file' && typeof sv === 'string') outputFile = sv;
                else if (sk === 'show_skipped' && typeof sv === 'boolean') showSkipped = sv;
                else unknown(`reporting.settings.${sk}`);
              }
          } else unknown(`reporting.${k}`);
        }
        break;
      default:
        unknown(key);
    }
  }

  const policy: Policy = {
    ...DEFAULT_POLICY,
    deny: extraDeny.length ? [...DEFAULT_POLICY.deny, ...extraDeny] : DEFAULT_POLICY.deny,
    allow: extraAllow.length ? new Set([...DEFAULT_POLICY.allow, ...extraAllow]) : DEFAULT_POLICY.allow,
    unknownFloor,
    ...(blacklist.length ? { blacklist: compileSettingsBlacklist(blacklist, warnings) } : {}),
  };
  return {
    settings: {
      policy,
      limits,
      maxFileSize,
      timeoutMs,
      concurrency,
      failOn,
      reporter,
      ...(outputFile !== undefined ? { outputFile } : {}),
      ...(showSkipped !== undefined ? { showSkipped } : {}),
    },
    warnings,
  };
}

function readScanners(value: unknown, warnings: string[]): void {
  if (!isTable(value)) {
    warnings.push("settings: 'scanners' must be a table; ignored");
    return;
  }
  for (const [name, table] of Object.entries(value)) {
    if (!Object.hasOwn(MODELSCAN_SCANNERS, name)) {
      warnings.push(`settings: scanner '${name}' is not built in and would load code; ignored`);
      continue;
    }
    if (!isTable(table)) continue;
    for (const [k, v] of Object.entries(table)) {
      if (k === 'enabled') {
        if (v === false) warnings.push(`settings: scanners."${name}".enabled = false ignored: every file is scanned by content`);
      } else if (k !== 'supported_extensions' && k !== 'unsafe_keras_operators' && k !== 'unsafe_tf_operators') {
        warnings.push(`settings: unknown key 'scanners."${name}".${k}' ignored`);
      }
    }
  }
}

/** Whether the built-in denylist already denies this at this severity or higher (then the rule adds nothing). */
function alreadyDenied(rule: DenyRule): boolean {
  const builtIn = DEFAULT_POLICY.deny;
  const covers = (r: DenyRule) =>
    severityRank(r.severity) >= severityRank(rule.severity) &&
    (r.module === rule.module || (r.names === '*' && rule.module.startsWith(`${r.module}.`)));
  if (rule.names === '*') return builtIn.some((r) => r.names === '*' && covers(r));
  return rule.names.every((n) => builtIn.some((r) => covers(r) && (r.names === '*' || r.names.includes(n))));
}

function readUnsafeGlobals(value: unknown, out: DenyRule[], warnings: string[]): void {
  if (!isTable(value)) {
    warnings.push("settings: 'unsafe_globals' must be a table; ignored");
    return;
  }
  for (const [sev, modules] of Object.entries(value)) {
    if (!isSeverity(sev) || !isTable(modules)) {
      warnings.push(`settings: 'unsafe_globals.${sev}' must be a severity table (LOW, MEDIUM, HIGH, CRITICAL); ignored`);
      continue;
    }
    for (const [written, names] of Object.entries(modules)) {
      // Rules are matched against resolved names, as the policy sees them (posix.system is os.system).
      const module = canonicalModule(written);
      const severity = sev.toUpperCase() as Severity;
      let rule: DenyRule;
      if (names === '*') rule = { module, names: '*', severity, why: 'is denied by the settings file' };
      else if (Array.isArray(names) && names.every((n) => typeof n === 'string')) {
        rule = { module, names: names as string[], severity, why: 'is denied by the settings file' };
      } else {
        warnings.push(`settings: 'unsafe_globals.${sev}.${written}' must be "*" or a list of names; ignored`);
        continue;
      }
      if (!alreadyDenied(rule)) out.push(rule);
    }
  }
}

function readAllow(value: unknown, out: string[], warnings: string[]): void {
  if (!isTable(value)) {
    warnings.push("settings: 'allow' must be a table of module = [names]; ignored");
    return;
  }
  for (const [module, names] of Object.entries(value)) {
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && n !== '*' && n.length > 0)) {
      warnings.push(`settings: 'allow.${module}' must list exact names (no "*"); ignored`);
      continue;
    }
    for (const n of names) out.push(`${canonicalModule(module)}:${n}`);
  }
}

/** Patterns that would not compile are warned about and left out, like any other bad setting. */
function compileSettingsBlacklist(patterns: string[], warnings: string[]): Blacklist | undefined {
  const ok = patterns.filter((p) => {
    try {
      compileBlacklist([p]);
      return true;
    } catch (err) {
      if (!(err instanceof BlacklistError)) throw err;
      warnings.push(`settings: ${err.message}; ignored`);
      return false;
    }
  });
  if (!ok.length) return undefined;
  try {
    return compileBlacklist(ok);
  } catch (err) {
    if (!(err instanceof BlacklistError)) throw err;
    warnings.push(`settings: ${err.message}; blacklist ignored`);
    return undefined;
  }
}
