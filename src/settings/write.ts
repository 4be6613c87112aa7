import { access, writeFile } from 'node:fs/promises';
import { stringify } from 'smol-toml';
import { defaultSettingsDocument } from './defaults.js';

const HEADER = `# modelscan settings. Load with: modelscan --settings-file THIS_FILE -p PATH
# It is never read implicitly (a scanned repository could ship one that weakens the scan).
# A settings file can add denied globals, raise severities, allowlist your own classes,
# tune limits and the fail threshold; it can never switch a scanner off or load code.
`;

/** The complete default settings as TOML. */
export function defaultSettingsToml(): string {
  return HEADER + stringify(defaultSettingsDocument()) + '\n';
}

/** Writes the default settings; refuses to overwrite unless forced. */
export async function createSettingsFile(path: string, force: boolean): Promise<void> {
  if (!force) {
    const exists = await access(path).then(
      () => true,
      () => false,
    );
    if (exists) throw new Error(`${path} exists; use -f to overwrite it`);
  }
  await writeFile(path, defaultSettingsToml(), { flag: force ? 'w' : 'wx' });
}
