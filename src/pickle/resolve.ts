import { IMPORT_MAPPING, NAME_MAPPING } from './compat-table.js';

/** Modules that are another module under a platform name. */
const MODULE_ALIASES: Readonly<Record<string, string>> = {
  posix: 'os',
  nt: 'os',
  _posixsubprocess: 'subprocess',
  __builtin__: 'builtins',
  cPickle: 'pickle',
  _pickle: 'pickle',
};

/** The module a platform or Python 2 name stands for (posix → os, __builtin__ → builtins). */
export function canonicalModule(module: string): string {
  return Object.hasOwn(MODULE_ALIASES, module) ? MODULE_ALIASES[module] : module;
}

/**
 * What CPython's find_class would import for (module, name): the Python 2
 * names rewritten through _compat_pickle when protocol < 3, then platform
 * aliases folded so one denylist entry covers posix.system and nt.system.
 * Dotted names are left dotted; the policy walks them.
 */
export function resolveGlobal(module: string, name: string, protocol: number): { module: string; name: string } {
  if (protocol < 3) {
    const pair = NAME_MAPPING[`${module}\u0000${name}`];
    if (pair) [module, name] = pair;
    else if (Object.hasOwn(IMPORT_MAPPING, module)) module = IMPORT_MAPPING[module];
  }
  const alias = Object.hasOwn(MODULE_ALIASES, module) ? MODULE_ALIASES[module] : undefined;
  return { module: alias ?? module, name };
}

/**
 * Every (module, attribute) reading of a dotted name that find_class could
 * reach with protocol >= 4: ('pathlib', 'os.system') may be os.system if
 * pathlib imported os. Ordered from the literal reading outwards.
 */
export function dottedReadings(module: string, name: string): { module: string; name: string }[] {
  const parts = name.split('.');
  if (parts.length === 1) return [{ module, name }];
  const out = [{ module, name }];
  for (let i = parts.length - 1; i >= 1; i--) {
    const mod = parts.slice(0, i).join('.');
    const rest = parts.slice(i).join('.');
    out.push({ module: `${module}.${mod}`, name: rest });
    const alias = Object.hasOwn(MODULE_ALIASES, parts[i - 1]) ? MODULE_ALIASES[parts[i - 1]] : undefined;
    // The attribute chain may pass through another module imported by the first.
    out.push({ module: mod, name: rest });
    if (alias) out.push({ module: alias, name: rest });
  }
  return out;
}
