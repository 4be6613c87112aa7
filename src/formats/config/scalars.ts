/** One step of a key path: a mapping key, or a position in a list. */
export type Segment = string | number;

/** A leaf value of a JSON, YAML or XML config, where it sits and where its text starts. */
export interface ConfigScalar {
  /** Valid only during the sink call (readers reuse it): copy it to keep it. */
  path: readonly Segment[];
  /** The value's text: a string's content, or a number, boolean or null as written. */
  value: string;
  /** A string (quoted, or a plain YAML scalar that reads as one), not a number, boolean or null. */
  text: boolean;
  /** Character index in the decoded file where the value's text starts. */
  at: number;
}

export type ScalarSink = (s: ConfigScalar) => void;

/** A syntax error in a config file, at a character index. */
export class ConfigSyntaxError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(`${message} at character ${index}`);
  }
}

/** `a.b[0].c`: the path as findings name it (their module). */
export function pathString(path: readonly Segment[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out ? `.${s}` : s;
  }
  return out;
}

/**
 * The last mapping key of a path (list positions skipped), '' when there is
 * none within a few levels: a value lists deep under its key is not what
 * the key names, and the bound keeps deep documents linear.
 */
export function lastKey(path: readonly Segment[]): string {
  for (let i = path.length - 1; i >= 0 && i >= path.length - 8; i--) {
    const s = path[i];
    if (typeof s === 'string') return s;
  }
  return '';
}

/** UTF-8 byte offsets of character indexes, counted in one pass whatever their number. */
export function byteOffsets(text: string, indexes: readonly number[]): number[] {
  const order = indexes.map((_, k) => k).sort((x, y) => indexes[x] - indexes[y]);
  const out = new Array<number>(indexes.length);
  let chars = 0;
  let bytes = 0;
  for (const k of order) {
    const target = Math.min(Math.max(indexes[k], 0), text.length);
    if (target > chars) {
      bytes += Buffer.byteLength(text.slice(chars, target), 'utf8');
      chars = target;
    }
    out[k] = bytes;
  }
  return out;
}
