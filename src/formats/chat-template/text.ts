/** Whether the first bytes of a file look like text (UTF-8 or ASCII, no binary control bytes). */
export function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  let start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  for (; start < head.length; start++) {
    const b = head[start];
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) return false;
    if (b === 0x7f) return false;
  }
  // A multi-byte character cut by the end of the head is fine; invalid UTF-8 elsewhere is not text.
  const cut = Math.max(0, head.length - 3);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, cut));
  } catch {
    return false;
  }
  return true;
}

/** A complete Jinja tag: `{{ … }}` or `{% … %}`. */
export function hasJinjaTag(s: string): boolean {
  for (const [open, close] of [
    ['{{', '}}'],
    ['{%', '%}'],
  ]) {
    const a = s.indexOf(open);
    if (a >= 0 && s.indexOf(close, a + 2) >= 0) return true;
  }
  return false;
}

/** Names every chat template uses and other Jinja rarely does. */
export function hasChatMarkers(s: string): boolean {
  return /\b(messages|add_generation_prompt|bos_token|eos_token|raise_exception)\b/.test(s);
}

/** File names that say "Jinja template" (a hint next to the content, never the only reason). */
export function hasTemplateName(name: string): boolean {
  return /\.(jinja2?|j2|template|tmpl|tpl)$/i.test(name);
}

/** A YAML mapping key naming a template, at any depth. */
export function hasYamlTemplateKey(s: string): boolean {
  for (let start = 0; start < s.length; ) {
    let end = s.indexOf('\n', start);
    if (end < 0) end = s.length;
    // Keys are short; bounding the line keeps the regex linear whatever the file holds.
    if (end - start <= 256 && YAML_TEMPLATE_KEY.test(s.slice(start, end))) return true;
    start = end + 1;
  }
  return false;
}

const YAML_TEMPLATE_KEY = /^[ \t]*(?:- +)*["']?[\w.\- ]*template[\w.\- ]*["']?[ \t]*:([ \t]|\r?$)/i;
