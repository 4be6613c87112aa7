/** Longest path the operating systems take (Linux PATH_MAX); stored paths are read up to it. */
export const PATH_MAX = 4096;

/**
 * Whether a path stored in a model, meant to be relative to the model's own
 * folder, can point anywhere else. Judged on the text alone, the way both
 * POSIX and Windows loaders would read it; the filesystem is never touched.
 * Returns why it escapes, or undefined when it stays inside the folder.
 */
export function pathEscape(path: string, complete = true): string | undefined {
  if (!complete) return `is longer than the ${PATH_MAX} bytes a filesystem path can be, so it was not read whole`;
  if (path.includes('\0')) return 'contains a NUL byte, which truncates the path in native code';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path) || /^file:/i.test(path)) return 'is a URL';
  if (/^[\\/]{2}/.test(path)) return 'is a network (UNC) path';
  if (/^[A-Za-z]:/.test(path)) return 'names a Windows drive';
  if (/^[\\/]/.test(path)) return 'is an absolute path';
  // Windows drops trailing dots and spaces from each component, so '.. ' and '...' climb like '..'.
  if (path.split(/[\\/]/).some((c) => /^[. ]*\.\.[. ]*$/.test(c))) return "climbs out of the model's folder with '..'";
  return undefined;
}

/** A value quoted for a description, cut to a readable length. */
export function quote(value: string, max = 200): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return `'${cut.replace(/[\\']/g, (c) => `\\${c}`).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}
