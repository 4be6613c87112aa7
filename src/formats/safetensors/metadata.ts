import type { MetadataEntry } from './header.js';

/**
 * `__metadata__` is free text that safetensors loaders never run, so
 * nothing in it is more than LOW. It still reaches model hubs, web UIs and
 * training scripts that display, fetch or evaluate it, so text shaped like
 * code, markup or a download link is worth a note. The patterns have no
 * nested quantifiers: matching stays linear in the value's length.
 */
const PATTERNS: readonly { label: string; re: RegExp }[] = [
  {
    label: 'Python code',
    re: /\b(?:os\.(?:system|popen|exec[lv]p?e?|spawn\w*)|subprocess\.\w+|__import__|__builtins__|importlib\.|pickle\.loads?|marshal\.loads|(?:exec|eval|compile)\s*\(|base64\.b64decode)|^\s*(?:import\s+[\w.]+(?:\s+as\s+\w+)?|from\s+[\w.]+\s+import\s+[\w*]+)\s*(?:[;\n]|$)/m,
  },
  {
    label: 'shell command',
    re: /(?:^|[\s;&|`(])(?:rm\s+-[a-z]*[rf]|chmod\s+(?:[0-7]{3,4}|[ugoa]*\+[rwxs])|curl\s+\S|wget\s+\S|nc\s+-[a-z]|(?:ba|z)?sh\s+-c\b|\/bin\/(?:ba|z)?sh\b|powershell\b|cmd(?:\.exe)?\s+\/c\b)|\|\s*(?:ba|z)?sh\b/i,
  },
  { label: 'HTML/JavaScript', re: /<\s*(?:script|iframe|object|embed)\b|\bjavascript:|\bon(?:error|load|click|mouseover)\s*=/i },
  { label: 'escaped byte string', re: /(?:\\x[0-9a-f]{2}){4}/i },
  { label: 'terminal escape sequence', re: /\u001b[[\]]/ },
];

const URL = /\b(?:https?|ftp|file):\/\/[^\s"'<>]+/i;
/** Keys whose links document the model rather than tell a tool where to fetch from. */
const DOC_KEY =
  /(?:^|[._-])(?:licen[cs]e|homepage|repo|repository|citation|paper|website|author|description|readme|documentation|model_?card)(?:$|[._-])/i;
/** Past this, a value is not a note about the model but a payload carried in the header. */
const LONG_VALUE = 1 << 20;

export interface MetadataNote {
  key: string;
  offset: number;
  message: string;
}

export function judgeMetadata(entries: readonly MetadataEntry[]): MetadataNote[] {
  const notes: MetadataNote[] = [];
  for (const { key, value, offset } of entries) {
    const kinds = PATTERNS.filter((p) => p.re.test(value)).map((p) => p.label);
    if (!DOC_KEY.test(key) && URL.test(value)) kinds.push('URL');
    const long = value.length > LONG_VALUE;
    if (kinds.length === 0 && !long) continue;
    const what = [...(kinds.length ? [`${kinds.join(', ')}`] : []), ...(long ? [`${value.length} characters of text`] : [])].join('; ');
    const shown = JSON.stringify(value.length > 200 ? value.slice(0, 200) : value) + (value.length > 200 ? '…' : '');
    notes.push({
      key,
      offset,
      message: `__metadata__ ${JSON.stringify(key.length > 100 ? `${key.slice(0, 100)}…` : key)} holds ${what}: ${shown}; safetensors loaders never run metadata, but tools that show, fetch or evaluate it might`,
    });
  }
  return notes;
}
