/**
 * Credentials left in files that ship with a model. A token found by its
 * shape (AKIA…, ghp_…, hf_…) counts wherever it sits; a generic secret
 * counts only under a key that names one (`password`, `api_key`…) and
 * when its value is not a placeholder. Values are never shown whole: a
 * report is often pasted into tickets and CI logs, which would leak the
 * credential a second time.
 */

export interface Credential {
  /** What it is, e.g. 'Hugging Face token'. */
  kind: string;
  /** The value as found (never put in a report: use `masked`). */
  value: string;
  /** Character index of the value within the scanned string. */
  index: number;
  masked: string;
}

interface Shape {
  kind: string;
  re: RegExp;
  /** Characters that are the same in every token of the kind: shown, since they reveal nothing. */
  prefix: number;
}

/**
 * Token shapes, each anchored on a fixed prefix and a length the issuer
 * uses, with no letter or digit directly before or after, so that a
 * longer identifier that merely contains one does not match.
 */
const SHAPES: readonly Shape[] = [
  { kind: 'AWS access key id', re: /(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Za-z0-9])/g, prefix: 4 },
  { kind: 'GitHub token', re: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g, prefix: 4 },
  { kind: 'GitHub fine-grained token', re: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}(?![A-Za-z0-9])/g, prefix: 11 },
  // User access tokens are hf_ and 34 letters or digits; shorter hf_ words are ordinary identifiers.
  { kind: 'Hugging Face token', re: /(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{34}(?![A-Za-z0-9])/g, prefix: 3 },
  { kind: 'OpenAI API key', re: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])/g, prefix: 3 },
  { kind: 'OpenAI API key', re: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9]{48}(?![A-Za-z0-9_-])/g, prefix: 3 },
  { kind: 'Slack token', re: /(?<![A-Za-z0-9])xox[abposr]-[0-9A-Za-z]{8,}(?:-[0-9A-Za-z]{4,})+(?![A-Za-z0-9-])/g, prefix: 5 },
  { kind: 'Slack webhook', re: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/[A-Za-z0-9]{20,}/g, prefix: 33 },
  {
    kind: 'private key',
    re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s:,-]{0,20000}?(?:-----END[A-Z ]{0,40}-----|$)/g,
    prefix: 0,
  },
];

/** Documentation examples that real scanners see everywhere (AWS's own docs). */
const DOC_EXAMPLES = new Set(['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']);

/** Strings this long are not scanned past this point (config values are short; the regexes stay linear regardless). */
const MAX_SCANNED = 1 << 20;

/** Tokens recognised by their shape anywhere in `s`. */
export function findTokens(s: string): Credential[] {
  const text = s.length > MAX_SCANNED ? s.slice(0, MAX_SCANNED) : s;
  const out: Credential[] = [];
  // Cheap gates first: most strings hold none of the prefixes.
  if (!/AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|gh[pousr]_|github_pat_|hf_|sk-|xox|hooks\.slack|PRIVATE KEY/.test(text)) return out;
  for (const shape of SHAPES) {
    shape.re.lastIndex = 0;
    for (let m = shape.re.exec(text); m; m = shape.re.exec(text)) {
      if (m[0].length === 0) {
        shape.re.lastIndex++;
        continue;
      }
      if (DOC_EXAMPLES.has(m[0])) continue;
      if (shape.kind === 'private key') {
        const header = /^-----BEGIN [A-Z ]+-----/.exec(m[0])![0];
        out.push({ kind: shape.kind, value: m[0], index: m.index, masked: `${header}…(${m[0].length} chars)` });
      } else out.push({ kind: shape.kind, value: m[0], index: m.index, masked: mask(m[0], shape.prefix) });
      if (out.length >= 64) return out;
    }
  }
  return out;
}

/**
 * Keys whose value is a secret by name, matched on the last key of a path,
 * lowercased with `-` and `.` read as `_` (`db-password`,
 * `fs.s3a.secret.key`). Tokenizer keys (`bos_token`, `pad_token`…) name
 * special tokens, not credentials, so `token` counts only alone or after
 * a word that makes it one (`hf_token`, `access_token`).
 */
const SECRET_KEY =
  /^(?:[a-z0-9]+_)*(?:password|passwd|passphrase|secret|secret_key|secret_access_key|client_secret|api_key|apikey|api_secret|private_key)$|^(?:(?:[a-z0-9]+_)*(?:hf|hub|huggingface|github|gh|gitlab|api|auth|access|bearer|refresh|session|slack|wandb|openai|secret)_)?token$/;
const AWS_SECRET_KEY = /^aws_secret(?:_access)?_key$/;

/** Values that stand for a secret rather than being one. */
function isPlaceholder(v: string): boolean {
  const t = v.trim();
  if (t.length < 8) return true;
  if (/\s/.test(t)) return true;
  // <your-token>, ${ENV}, {{ var }}, %(x)s, [REDACTED]
  if ('<[{($%'.includes(t[0]) || '>]})'.includes(t[t.length - 1])) return true;
  if (/^(.)\1+$/.test(t)) return true; // ********, xxxxxxxx
  if (
    /^(?:os\.environ|env:|environ|getenv|none|null|undefined|true|false|redacted|removed|hidden|secret|password|changeme|change_me|placeholder|example|dummy|sample|test|todo|tbd|fixme)\b/i.test(
      t,
    )
  )
    return true;
  if (
    /(?:your|my)[_-]?(?:api|secret|token|key|password)|replace[_-]?me|insert[_-]?here|_here$|example|placeholder|dummy|redacted|xxxx|\*\*\*/i.test(
      t,
    )
  )
    return true;
  return false;
}

export interface KeyedSecret {
  kind: string;
  masked: string;
}

/** A generic secret judged by the key it sits under; undefined when the key does not name one or the value is a placeholder. */
export function keyedSecret(key: string, value: string): KeyedSecret | undefined {
  if (key.length > 128) return undefined;
  const k = key.toLowerCase().replace(/[-.]/g, '_');
  if (AWS_SECRET_KEY.test(k)) {
    if (/^[A-Za-z0-9/+=]{40}$/.test(value) && !DOC_EXAMPLES.has(value) && !isPlaceholder(value))
      return { kind: 'AWS secret access key', masked: mask(value, 0) };
    return undefined;
  }
  if (!SECRET_KEY.test(k) || isPlaceholder(value)) return undefined;
  return { kind: `secret under '${key}'`, masked: mask(value, 0) };
}

/**
 * A value shown as its first characters and its length: the known prefix
 * plus two characters, but never more than a quarter of the value.
 */
export function mask(value: string, prefix: number): string {
  const shown = Math.max(prefix, Math.min(prefix + 2, Math.floor(value.length / 4)));
  return `${value.slice(0, shown)}…(${value.length} chars)`;
}

/** A URL with its user info, query and fragment dropped (they may carry credentials). */
export function safeUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(?:[^@/?#]*@)?([^?#]*)/i.exec(url);
  return m ? `${m[1]}${m[2]}` : url.replace(/[?#].*$/, '');
}
