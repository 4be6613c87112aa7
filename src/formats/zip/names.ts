/** Why extracting a member with this name would write outside the target folder, if it would. */
export function memberNameProblem(name: string): string | undefined {
  if (name.startsWith('/')) return 'is absolute';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  if (name.startsWith('\\\\')) return 'is a UNC path';
  const parts = name.split(/[\\/]/);
  if (parts.includes('..')) return name.includes('\\') ? 'climbs out with ..\\ (backslash separators)' : 'climbs out with ../';
  if (name.includes('\\')) return 'uses backslash separators';
  return undefined;
}
