#!/usr/bin/env node
/**
 * The GitHub Action's entry (action.yml runs it after `npm ci` has built dist/): scans the `paths` input with
 * the built CLI, writes SARIF to `sarif-file`, prints the console report, writes the job summary and the step
 * outputs, and exits as the CLI does for `fail-on`. Plain ESM for Node 20, no dependencies.
 *
 * Inputs come from the environment: INPUT_PATHS, INPUT_FAIL_ON, INPUT_SARIF_FILE, INPUT_SETTINGS_FILE,
 * INPUT_EXTRA_ARGS (the hyphenated INPUT_FAIL-ON style of JavaScript actions is read too). GitHub's files:
 * GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE (SARIF locations are made relative to it; else the
 * working directory). Exit codes are the CLI's: 0 clean, 1 issues at or above fail-on, 2 scan errors, 3 nothing
 * scanned, 4 usage error; the action's own input problems (no paths, a path that does not exist, a bad fail-on)
 * exit 2 with a message saying what to fix.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
/** fail-on values that never fail the step on findings (scan errors and "nothing scanned" still do). */
const NEVER = ['NONE', 'NEVER', 'OFF', 'FALSE'];
/** The action writes the SARIF file and prints the console report itself, so extra-args may not redirect them. */
const RESERVED = /^(-[ro]|--reporting-format(=|$)|--output-file(=|$)|--sarif-output(=|$))/;
const ANNOTATION_LIMIT = 50;
const SUMMARY_ROWS = 100;
const EXIT_ERRORS = 2;

class InputError extends Error {}

const env = process.env;
const inActions = env.GITHUB_ACTIONS === 'true';

function input(name) {
  const upper = name.toUpperCase();
  return (env[`INPUT_${upper.replace(/-/g, '_')}`] ?? env[`INPUT_${upper}`] ?? '').trim();
}

/** One path per line when the input has several lines (so names may hold spaces), else space-separated. */
function splitPaths(text) {
  const t = text.trim();
  if (!t) return [];
  return (t.includes('\n') ? t.split(/\r?\n/) : t.split(/\s+/)).map((p) => p.trim()).filter(Boolean);
}

/** POSIX-shell-like words: whitespace separates, '…' and "…" quote, backslash escapes. Nothing is expanded. */
function splitArgs(text) {
  const out = [];
  let cur = '';
  let has = false;
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && /["\\$`]/.test(text[i + 1] ?? '')) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new InputError(`extra-args: unterminated ${quote} quote`);
  if (has) out.push(cur);
  return out;
}

function readInputs() {
  const paths = splitPaths(input('paths'));
  if (!paths.length) throw new InputError("input 'paths' is empty: give the files or folders to scan, one per line or space-separated");
  const missing = paths.filter((p) => !/^hf:\/\//i.test(p) && !exists(p));
  if (missing.length)
    throw new InputError(`path${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')} (relative to ${process.cwd()})`);
  const failOn = (input('fail-on') || 'MEDIUM').toUpperCase();
  if (!SEVERITIES.includes(failOn) && !NEVER.includes(failOn))
    throw new InputError(`input 'fail-on' must be one of ${SEVERITIES.join(', ')} or none (got '${input('fail-on')}')`);
  const settingsFile = input('settings-file');
  if (settingsFile && !exists(settingsFile)) throw new InputError(`settings-file not found: ${settingsFile}`);
  const extraArgs = splitArgs(input('extra-args'));
  const reserved = extraArgs.find((a) => RESERVED.test(a));
  if (reserved)
    throw new InputError(
      `extra-args may not contain ${reserved}: the action writes SARIF to the sarif-file input and prints the console report`,
    );
  return {
    paths,
    failOn,
    never: NEVER.includes(failOn),
    settingsFile,
    extraArgs,
    sarifFile: resolve(input('sarif-file') || 'modelscan.sarif'),
  };
}

function exists(p) {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Runs the built CLI with the action's stdout and stderr; returns its exit code (a signal counts as an error). */
function cli(args) {
  const r = spawnSync(process.execPath, [CLI, 'scan', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw r.error;
  return r.status ?? EXIT_ERRORS;
}

/**
 * Code scanning ignores `originalUriBaseIds` and reads every relative URI as relative to the repository root,
 * while the CLI's SARIF is relative to the scan root: locations under the workspace become workspace-relative
 * (%SRCROOT%), others absolute file URIs.
 */
function rebaseSarif(log, workspace) {
  for (const run of log.runs ?? []) {
    const bases = run.originalUriBaseIds ?? {};
    const rebase = (loc) => {
      if (!loc || typeof loc.uri !== 'string' || !loc.uriBaseId || loc.uriBaseId === '%SRCROOT%') return;
      const base = bases[loc.uriBaseId]?.uri;
      if (typeof base !== 'string' || !base.startsWith('file:')) return;
      let file;
      try {
        file = join(fileURLToPath(base), ...decodeURI(loc.uri).split('/'));
      } catch {
        return;
      }
      const rel = relative(workspace, file);
      if (rel && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)) {
        loc.uri = rel.split(sep).map(encodeURIComponent).join('/');
        loc.uriBaseId = '%SRCROOT%';
      } else {
        loc.uri = pathToFileURL(file).href;
        delete loc.uriBaseId;
      }
    };
    const holders = [...(run.results ?? []), ...(run.invocations ?? []).flatMap((i) => i.toolExecutionNotifications ?? [])];
    for (const h of holders) for (const l of h.locations ?? []) rebase(l.physicalLocation?.artifactLocation);
    run.originalUriBaseIds = { ...bases, '%SRCROOT%': { uri: pathToFileURL(workspace).href.replace(/\/?$/, '/') } };
  }
  return log;
}

/** What the summary and the annotations need from one SARIF result; `inRepo` when the file is workspace-relative. */
function finding(r) {
  const loc = r.locations?.[0];
  const art = loc?.physicalLocation?.artifactLocation ?? {};
  const inRepo = art.uriBaseId === '%SRCROOT%';
  const file = typeof art.uri === 'string' ? safeDecode(art.uri) : '';
  const member = loc?.logicalLocations?.[0]?.name;
  const level = { error: 'HIGH', warning: 'MEDIUM' }[r.level] ?? 'LOW';
  const severity = SEVERITIES.includes(r.properties?.severity) ? r.properties.severity : level;
  return { severity, file, inRepo, member, rule: String(r.ruleId ?? ''), message: String(r.message?.text ?? '') };
}

/** A path as the log shows it: relative to the working directory when under it. */
function shown(file) {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function safeDecode(uri) {
  try {
    return decodeURIComponent(uri);
  } catch {
    return uri;
  }
}

function setOutput(name, value) {
  if (!env.GITHUB_OUTPUT) return;
  const v = String(value);
  if (!/[\r\n]/.test(v)) return appendFileSync(env.GITHUB_OUTPUT, `${name}=${v}\n`);
  const delimiter = `ghadelimiter_${randomBytes(12).toString('hex')}`;
  appendFileSync(env.GITHUB_OUTPUT, `${name}<<${delimiter}\n${v}\n${delimiter}\n`);
}

function summary(markdown) {
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, markdown);
}

/** Markdown table cell text: one line, no HTML, no table or formatting breaks, bounded. */
function cell(text, max = 300) {
  const t = String(text).replace(/\s+/g, ' ').trim();
  return (t.length > max ? `${t.slice(0, max - 1)}…` : t).replace(/[\\`*_[\]<>|#~!]/g, '\\$&');
}

/** Workflow command escaping (GitHub's toolkit rules): data, and property values. */
const escapeData = (s) => String(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function annotate(f) {
  const command = f.severity === 'LOW' ? 'notice' : f.severity === 'MEDIUM' ? 'warning' : 'error';
  const props = [f.inRepo ? `file=${escapeProperty(f.file)}` : '', `title=${escapeProperty(`modelscan ${f.severity}: ${f.rule}`)}`];
  const where = f.member ? ` [${f.member}]` : '';
  process.stdout.write(`::${command} ${props.filter(Boolean).join(',')}::${escapeData(`${f.message}${where}`)}\n`);
}

function fail(message, code = EXIT_ERRORS) {
  process.stderr.write(`modelscan action: ${message}\n`);
  if (inActions) process.stdout.write(`::error title=modelscan::${escapeData(message)}\n`);
  summary(`## modelscan\n\n:x: The scan could not run: ${cell(message, 2000)}\n`);
  setOutput('exit-code', code);
  return code;
}

function main() {
  let inputs;
  try {
    inputs = readInputs();
  } catch (err) {
    if (err instanceof InputError) return fail(err.message);
    throw err;
  }
  if (!existsSync(CLI)) return fail(`the scanner is not built (${CLI} is missing): run npm ci in ${dirname(dirname(CLI))}`);
  const { paths, failOn, never, settingsFile, extraArgs, sarifFile } = inputs;
  const common = [...paths.map((p) => `--path=${p}`), ...(settingsFile ? ['--settings-file', settingsFile] : []), ...extraArgs];
  mkdirSync(dirname(sarifFile), { recursive: true });
  rmSync(sarifFile, { force: true }); // a stale report must never pass for this run's

  // The CLI's output names files from the scanned tree (a pull request chooses them): no workflow command in it
  // may run, so the runner's command processing is off while it prints.
  const token = randomBytes(16).toString('hex');
  if (inActions) process.stdout.write(`::stop-commands::${token}\n`);
  let code;
  try {
    // One scan: the console report for the log, the SARIF report for code scanning.
    code = cli([...(never ? [] : ['--fail-on', failOn]), ...common, '-r', 'console', '-l', 'CRITICAL', '--sarif-output', sarifFile]);
  } finally {
    if (inActions) process.stdout.write(`::${token}::\n`);
  }
  if (code > 3) return fail(`modelscan exited ${code}, a usage error: check settings-file and extra-args`, code);

  let log;
  try {
    log = JSON.parse(readFileSync(sarifFile, 'utf8'));
  } catch (err) {
    return fail(`the SARIF report ${sarifFile} could not be read: ${err.message}`);
  }
  rebaseSarif(log, resolve(env.GITHUB_WORKSPACE || process.cwd()));
  writeFileSync(sarifFile, `${JSON.stringify(log, null, 2)}\n`);

  const run = log.runs?.[0] ?? {};
  const findings = (run.results ?? []).map(finding);
  const notifications = (run.invocations ?? []).flatMap((i) => i.toolExecutionNotifications ?? []);
  // fail-on none: findings alone never fail the step; scan errors still do (the CLI ranks findings above them).
  if (never && code === 1) code = notifications.length ? EXIT_ERRORS : 0;

  if (inActions) findings.slice(0, ANNOTATION_LIMIT).forEach(annotate);
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]));
  const props = run.invocations?.[0]?.properties ?? {};
  const verdict = code === 0 ? 'passed' : code === 1 ? 'failed: issues at or above fail-on' : `failed (exit ${code})`;
  const bySeverity = [...SEVERITIES]
    .reverse()
    .map((s) => `${s} ${counts[s]}`)
    .join(' · ');
  const lines = [
    '## modelscan',
    '',
    `**${findings.length} issue(s)** (${bySeverity}) in ${props.scanned ?? '?'} scanned file(s), ${props.skipped ?? '?'} skipped, ${notifications.length} error(s).`,
    '',
    `fail-on ${never ? 'none' : failOn}: **${verdict}**. SARIF: ${cell(shown(sarifFile))}`,
    '',
  ];
  if (findings.length) {
    lines.push('| Severity | File | Rule | Finding |', '|---|---|---|---|');
    const order = (f) => -SEVERITIES.indexOf(f.severity);
    for (const f of [...findings].sort((a, b) => order(a) - order(b)).slice(0, SUMMARY_ROWS))
      lines.push(`| ${f.severity} | ${cell(f.file + (f.member ? ` : ${f.member}` : ''))} | ${cell(f.rule)} | ${cell(f.message)} |`);
    if (findings.length > SUMMARY_ROWS) lines.push('', `(the first ${SUMMARY_ROWS} of ${findings.length}, most severe first)`);
    lines.push('');
  }
  if (notifications.length) {
    lines.push('Errors:', '');
    for (const n of notifications.slice(0, SUMMARY_ROWS)) {
      const file = n.locations?.[0]?.physicalLocation?.artifactLocation?.uri;
      lines.push(`- ${file ? `${cell(safeDecode(file))}: ` : ''}${cell(n.message?.text ?? '')}`);
    }
    lines.push('');
  }
  summary(`${lines.join('\n')}\n`);

  setOutput('issues', findings.length);
  setOutput('exit-code', code);
  setOutput('sarif-file', sarifFile);
  process.stderr.write(
    `modelscan action: ${findings.length} issue(s), ${notifications.length} error(s); fail-on ${never ? 'none' : failOn} → exit ${code}\n`,
  );
  return code;
}

try {
  process.exitCode = main();
} catch (err) {
  process.exitCode = fail(`internal error: ${err instanceof Error ? err.stack : String(err)}`);
}
