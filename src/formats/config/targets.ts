import { classify, type Policy } from '../../pickle/policy.js';
import type { Severity } from '../../scan/findings.js';

/**
 * Package roots whose callables a config may name in Hydra's `_target_`
 * (or MLflow's `loader_module`) without a finding: the libraries models
 * are built from. Exact roots: `torch` covers `torch.optim.Adam`, never
 * `torchfoo`. What the pickle deny list names (`torch.load`, `torch.hub`,
 * `numpy.load`…) is judged by that list first, so an allowed root does not
 * let its loaders and downloaders through.
 */
export const TARGET_ROOTS: readonly string[] = [
  'accelerate',
  'catboost',
  'datasets',
  'diffusers',
  'einops',
  'flax',
  'hydra',
  'jax',
  'keras',
  'lightgbm',
  'lightning',
  'lightning_fabric',
  'mlflow',
  'nemo',
  'numpy',
  'omegaconf',
  'open_clip',
  'optax',
  'pandas',
  'peft',
  'pytorch_lightning',
  'scipy',
  'sentence_transformers',
  'sklearn',
  'tensorflow',
  'timm',
  'tokenizers',
  'torch',
  'torchaudio',
  'torchmetrics',
  'torchtext',
  'torchvision',
  'transformers',
  'trl',
  'xgboost',
];

/**
 * Under an allowed root, but resolving or calling whatever name they are
 * given: `hydra.utils.get_method` with `path: os.system` hands back os.system.
 */
const NAME_RESOLVERS = ['hydra.utils', 'hydra._internal.utils', 'omegaconf.OmegaConf.register_new_resolver'];

const MODULE_ALIASES: Record<string, string> = { posix: 'os', nt: 'os', __builtin__: 'builtins' };

export interface TargetVerdict {
  severity: Severity;
  why: string;
}

/** How a callable named by a config is judged; undefined when it is from an allowed library. */
export function judgeTarget(target: string, policy: Policy): TargetVerdict | undefined {
  const t = target.trim();
  // No importable name is this long; the bound also keeps the module/attribute splits below small.
  if (t.length > 512) return { severity: 'HIGH', why: 'is not a plain dotted name' };
  if (!/^[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*$/.test(t)) {
    return {
      severity: 'HIGH',
      why: /\$\{/.test(t) ? 'is computed by interpolation when the config is loaded' : 'is not a plain dotted name',
    };
  }
  const parts = t.split('.');
  // The names the import system gives the same modules.
  if (Object.hasOwn(MODULE_ALIASES, parts[0])) parts[0] = MODULE_ALIASES[parts[0]];
  // Every split of the dotted name into module and attribute path, deepest module first; a bare name is a builtin.
  const readings = parts.length === 1 ? [{ module: 'builtins', name: t }] : [];
  for (let k = parts.length - 1; k >= 1; k--) readings.push({ module: parts.slice(0, k).join('.'), name: parts.slice(k).join('.') });
  for (const r of readings) {
    const v = classify(policy, r.module, r.name);
    if (v.tier === 'deny') return { severity: v.rule.severity === 'CRITICAL' ? 'CRITICAL' : 'HIGH', why: v.rule.why };
  }
  if (NAME_RESOLVERS.some((n) => t === n || t.startsWith(`${n}.`)))
    return { severity: 'HIGH', why: 'resolves or calls another name given in the config' };
  if (TARGET_ROOTS.includes(parts[0])) return undefined;
  return { severity: 'HIGH', why: 'is outside the known ML libraries: loading the config imports and calls it' };
}
