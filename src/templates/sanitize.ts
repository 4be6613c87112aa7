/** Longest whitespace run handed to the parser. */
export const MAX_WS_RUN = 16;

function isWs(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * @huggingface/jinja's preprocessing runs `/(\s*){%…generation…%}/` over the
 * whole template, which backtracks quadratically inside long whitespace runs
 * (100 000 spaces take 20 s). Runs are cut to MAX_WS_RUN characters before
 * parsing: whitespace never forms a name, and the folder treats positions in
 * strings holding such a run as unknown, so the judgement does not change.
 */
export function shortenWhitespace(text: string): string {
  const out: string[] = [];
  let from = 0;
  let i = 0;
  while (i < text.length) {
    if (!isWs(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < text.length && isWs(text.charCodeAt(j))) j++;
    if (j - i > MAX_WS_RUN) {
      out.push(text.slice(from, i + MAX_WS_RUN));
      from = j;
    }
    i = j;
  }
  if (from === 0) return text;
  out.push(text.slice(from));
  return out.join('');
}
