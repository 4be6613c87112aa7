import type { ZipEntry } from './central-directory.js';

export interface TorchLayout {
  isTorch: boolean;
  /** Raw storage members (`<prefix>/data/<key>`): tensor bytes, never unpickled by torch. */
  storages: Set<string>;
  /** TorchScript source files (`<prefix>/code/…`). */
  codeFiles: Set<string>;
  /** Small text members torch reads as numbers or ids (version, byteorder, serialization_id). */
  metadata: Set<string>;
}

/**
 * torch.save's zip layout: one top folder (any name) holding data.pkl, a
 * data/ folder of raw storages, version, byteorder; TorchScript adds code/
 * and constants.pkl. Recognised by data.pkl next to version or data/.
 */
export function torchLayout(entries: readonly ZipEntry[]): TorchLayout {
  const names = new Set(entries.map((e) => e.name));
  const prefixes = new Set<string>();
  for (const n of names) {
    const m = /^(.*\/)?data\.pkl$/.exec(n);
    if (m && (names.has(`${m[1] ?? ''}version`) || [...names].some((x) => x.startsWith(`${m[1] ?? ''}data/`)))) prefixes.add(m[1] ?? '');
  }
  const storages = new Set<string>();
  const codeFiles = new Set<string>();
  const metadata = new Set<string>();
  for (const p of prefixes) {
    for (const m of ['version', 'byteorder', '.data/version', '.data/serialization_id']) if (names.has(p + m)) metadata.add(p + m);
    for (const n of names) {
      if (n.startsWith(`${p}data/`) && /^[\w.-]+$/.test(n.slice(p.length + 5))) storages.add(n);
      if (n.startsWith(`${p}code/`) && !n.endsWith('/')) codeFiles.add(n);
    }
  }
  return { isTorch: prefixes.size > 0, storages, codeFiles, metadata };
}
