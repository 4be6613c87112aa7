import { type Blacklist, blacklistFinding } from '../scan/blacklist.js';
import { type Finding, maxSeverity, type Severity } from '../scan/findings.js';
import {
  ALLOW,
  CODE_BUILDERS,
  DANGEROUS_CODE_NAMES,
  DANGEROUS_DUNDERS,
  DENY,
  type DenyRule,
  LOADERS,
  REFLECTIVE,
} from './policy-tables.js';
import { renderCall, renderValue } from './render.js';
import { dottedReadings } from './resolve.js';
import { isObj, type PyBytes, type PyCall, type PyGlobal, type PyPersistent, type PyValue, rootGlobal, strOf } from './values.js';
import type { PickleEvents } from './vm.js';

export interface Policy {
  deny: readonly DenyRule[];
  allow: ReadonlySet<string>;
  loaders: ReadonlySet<string>;
  codeBuilders: Readonly<Record<string, CodeKind>>;
  /** The lowest severity an unknown global is reported at (settings can raise it). */
  unknownFloor: Severity;
  /** User patterns (--blacklist): any resolved global matching one is reported HIGH. */
  blacklist?: Blacklist;
}

type CodeKind = (typeof CODE_BUILDERS)[string];

export const DEFAULT_POLICY: Policy = { deny: DENY, allow: ALLOW, loaders: LOADERS, codeBuilders: CODE_BUILDERS, unknownFloor: 'LOW' };

export type Verdict =
  | { tier: 'deny'; rule: DenyRule; module: string; name: string }
  | { tier: 'allow' }
  | { tier: 'loader'; name: string }
  | { tier: 'code'; kind: CodeKind; name: string }
  | { tier: 'unknown' };

export const SCANNER = 'modelscan.scanners.PickleUnsafeOpScan';

function denyMatch(policy: Policy, module: string, name: string): DenyRule | undefined {
  let best: DenyRule | undefined;
  for (const rule of policy.deny) {
    const modOk = rule.module === module || (rule.names === '*' && module.startsWith(rule.module + '.'));
    if (!modOk) continue;
    // A listed name also covers attributes reached through it (eval.__call__).
    const nameOk = rule.names === '*' || rule.names.some((n) => name === n || name.startsWith(n + '.'));
    if (nameOk && (!best || maxSeverity(best.severity, rule.severity) === rule.severity)) best = rule;
  }
  return best;
}

const verdictCache = new WeakMap<Policy, Map<string, Map<string, Verdict>>>();
let cachedNames = 0;

/** Tier of a resolved global: denylisted, allowlisted, a scannable loader, or unknown. */
export function classify(policy: Policy, module: string, name: string): Verdict {
  // Pickles call the same few globals millions of times: the tables are read once per name,
  // and the cache is keyed by the two strings as they are (no key string built per call).
  let byModule = verdictCache.get(policy);
  if (!byModule) verdictCache.set(policy, (byModule = new Map()));
  let byName = byModule.get(module);
  let v = byName?.get(name);
  if (v) return v;
  v = classifyUncached(policy, module, name);
  if (cachedNames < 100_000) {
    if (!byName) byModule.set(module, (byName = new Map()));
    byName.set(name, v);
    cachedNames++;
  }
  return v;
}

function classifyUncached(policy: Policy, module: string, name: string): Verdict {
  let worst: Verdict | undefined;
  for (const r of dottedReadings(module, name)) {
    const rule = denyMatch(policy, r.module, r.name);
    if (rule && (worst?.tier !== 'deny' || maxSeverity(worst.rule.severity, rule.severity) === rule.severity)) {
      worst = { tier: 'deny', rule, module: r.module, name: r.name };
    }
  }
  if (worst) return worst;
  for (const r of dottedReadings(module, name)) {
    const key = `${r.module}.${r.name}`;
    if (policy.loaders.has(key)) return { tier: 'loader', name: key };
    if (Object.hasOwn(policy.codeBuilders, key)) return { tier: 'code', kind: policy.codeBuilders[key], name: key };
    if (policy.allow.has(`${r.module}:${r.name}`)) return { tier: 'allow' };
  }
  return { tier: 'unknown' };
}

/** getattr(<global>, '<literal>'[, default]) is a static attribute lookup: the name it yields. */
function staticGetattr(c: PyCall): { module: string; name: string; base: PyGlobal } | undefined {
  const g = c.callee;
  if (!isObj(g) || g.t !== 'global' || `${g.module}.${g.name}` !== 'builtins.getattr') return undefined;
  const args = c.args;
  if (!isObj(args) || args.t !== 'container' || args.kind !== 'tuple' || args.count < 2 || args.count > 3) return undefined;
  const base = args.items[0];
  const attr = args.items[1];
  if (!isObj(base) || base.t !== 'global' || typeof attr !== 'string') return undefined;
  return { module: base.module, name: `${base.name}.${attr}`, base };
}

/** A payload handed to a loader, to be scanned as a nested file after the stream. */
export interface NestedPayload {
  loader: string;
  offset: number;
  /** Raw bytes in the scanned source. */
  span?: { offset: number; length: number };
  /** Bytes rebuilt from a str (protocol ≤ 2 `_codecs.encode(s, 'latin1')`). */
  bytes?: Buffer;
  finding: Finding;
}

interface Unknown {
  g: PyGlobal;
  severity: Severity;
  usage: string;
  call?: string;
  count: number;
}

const looksLikeClass = (name: string): boolean => /^[A-Z]/.test(name.split('.').pop() ?? '');

/**
 * Turns simulator events into findings. Denylisted names are reported where
 * they are imported, with the first call's rendered arguments; unknown names
 * are collected and reported at the end of the stream at a severity that
 * depends on how they were used:
 *   LOW     imported, or instantiated the way pickled objects are
 *           (NEWOBJ, copyreg reconstructors, a Class called with plain
 *           non-string data, then BUILD/SETITEMS with any state)
 *   MEDIUM  a class called with str/bytes arguments; a function called with
 *           plain data; anything called with globals or call results
 *   HIGH    a function called with str/bytes arguments
 * Structural evidence (monkey-patching, calling a call's result, computed
 * STACK_GLOBAL operands, EXT) is reported whatever the names.
 */
export class PickleJudge implements PickleEvents {
  readonly findings: Finding[] = [];
  readonly nested: NestedPayload[] = [];
  /** Persistent ids of the current stream, for container formats (torch) to read. */
  readonly persistents: PyPersistent[] = [];
  private readonly unknowns = new Map<string, Unknown>();
  private readonly denied = new Map<string, Finding>();
  private readonly seen = new Set<string>();
  private readonly reflective = new Map<string, { g: PyGlobal; state: 'imported' | 'default' | 'resolved' | 'reported' }>();
  private codeBearing: { offset: number; names: Set<string>; builders: Set<string> } | undefined;

  constructor(
    private readonly policy: Policy = DEFAULT_POLICY,
    private readonly maxFindings = 1000,
  ) {}

  private add(f: Finding, dedupeKey?: string): Finding | undefined {
    if (dedupeKey) {
      if (this.seen.has(dedupeKey)) return undefined;
      this.seen.add(dedupeKey);
    }
    if (this.findings.length >= this.maxFindings) return undefined;
    this.findings.push(f);
    return f;
  }

  private verdictOf(g: PyGlobal): Verdict {
    return classify(this.policy, g.module, g.name);
  }

  onImport(g: PyGlobal, op: string): void {
    const v = this.verdictOf(g);
    const key = `${g.module}.${g.name}`;
    const shown = g.rawModule === g.module && g.rawName === g.name ? key : `${g.rawModule}.${g.rawName} (= ${key})`;
    const listed = this.policy.blacklist?.match(key) ?? this.policy.blacklist?.match(`${g.rawModule}.${g.rawName}`);
    if (listed) this.add(blacklistFinding(listed, 'global', key, g.offset, g.rawModule, g.rawName), `blacklist:${key}`);
    if (REFLECTIVE.has(key)) {
      if (!this.reflective.has(key)) this.reflective.set(key, { g, state: 'imported' });
      return;
    }
    if (v.tier === 'deny') {
      if (this.denied.has(key)) return;
      const f = this.add({
        severity: v.rule.severity,
        rule: 'pickle/unsafe-global',
        description: `Use of unsafe operator '${g.rawName}' from module '${g.rawModule}': ${v.module}.${v.name} ${v.rule.why}`,
        module: g.rawModule,
        operator: g.rawName,
        offset: g.offset,
        scanner: SCANNER,
        details: { opcode: op, resolved: key, tier: 'denylist' },
      });
      if (f) this.denied.set(key, f);
      return;
    }
    const dunder = g.name.split('.').find((part) => DANGEROUS_DUNDERS.has(part));
    if (dunder && v.tier !== 'allow') {
      this.add(
        {
          severity: 'HIGH',
          rule: 'pickle/dunder-global',
          description: `Global ${shown} reaches the interpreter internal '${dunder}'`,
          module: g.rawModule,
          operator: g.rawName,
          offset: g.offset,
          scanner: SCANNER,
        },
        `dunder:${key}`,
      );
    } else if (g.name.includes('.') && v.tier !== 'allow') {
      this.add(
        {
          severity: 'MEDIUM',
          rule: 'pickle/dotted-global',
          description: `Global ${shown} walks a dotted attribute path; find_class follows it to another object`,
          module: g.rawModule,
          operator: g.rawName,
          offset: g.offset,
          scanner: SCANNER,
        },
        `dotted:${key}`,
      );
    }
    if (v.tier === 'unknown' && !this.unknowns.has(key)) {
      this.unknowns.set(key, { g, severity: 'LOW', usage: 'imported', count: 0 });
    }
    if (v.tier === 'loader' && !this.denied.has(key)) {
      // Judged at the call, by what it loads; an uncalled loader is still reported.
      this.unknowns.set(key, { g, severity: 'MEDIUM', usage: 'loader imported', count: 0 });
    }
  }

  onDynamicImport(module: PyValue, name: PyValue, offset: number): void {
    this.add({
      severity: 'CRITICAL',
      rule: 'pickle/dynamic-global',
      description: `STACK_GLOBAL imports a name computed at load time (${renderValue(module)}, ${renderValue(name)}): the import cannot be known without running the pickle`,
      module: strOf(module) ?? '?',
      operator: strOf(name) ?? '?',
      offset,
      scanner: SCANNER,
    });
  }

  onCall(c: PyCall): void {
    let callee = c.callee;
    // torch's legacy persistent id ('module', Class, file, source) loads as the class itself.
    if (isObj(callee) && callee.t === 'persid') {
      const pid = callee.pid;
      if (isObj(pid) && pid.t === 'container' && pid.items[0] === 'module' && isObj(pid.items[1]) && pid.items[1].t === 'global') {
        callee = pid.items[1];
      }
    }
    if (isObj(callee) && callee.t === 'call') {
      this.callOfCall(callee, c);
      return;
    }
    if (!isObj(callee) || callee.t !== 'global') {
      this.add(
        {
          severity: 'MEDIUM',
          rule: 'pickle/call-of-opaque',
          description: `${c.op} calls an object the scanner cannot identify (${renderValue(callee)})`,
          module: '',
          operator: '',
          offset: c.offset,
          call: renderCall(callee, c.args),
          scanner: SCANNER,
        },
        `opaque-call:${c.offset}`,
      );
      return;
    }
    this.callGlobal(callee, callee.module, callee.name, c);
  }

  /** A call of the global `module.name` (a real import, or one reached by a static getattr). */
  private callGlobal(g: PyGlobal, module: string, name: string, c: PyCall): void {
    const v = classify(this.policy, module, name);
    // The overwhelmingly common case (torch rebuilds, numpy, sklearn classes) costs one cache read.
    if (v.tier === 'allow' && module !== 'copyreg') return;
    const key = `${module}.${name}`;
    if (REFLECTIVE.has(key)) {
      this.reflectiveCall(g, key, c);
      return;
    }
    const denied = this.denied.get(key);
    if (denied) {
      denied.call ??= renderCall(c.callee, c.args);
      denied.details = { ...denied.details, calls: ((denied.details?.calls as number) ?? 0) + 1 };
    }
    if (v.tier === 'loader' || (v.tier === 'deny' && this.policy.loaders.has(key))) {
      this.loaderCall(g, key, c, v.tier === 'deny' ? denied : undefined);
      return;
    }
    if (v.tier === 'deny') {
      if (!denied) this.denyFinding(g, v, c);
      return;
    }
    if (v.tier === 'code') {
      this.codeBuilderCall(v.kind, key, c);
      return;
    }
    if (v.tier === 'allow' && (key === 'copyreg._reconstructor' || key === 'copyreg.__newobj__' || key === 'copyreg.__newobj_ex__')) {
      const cls = firstArg(c.args);
      if (isObj(cls) && cls.t === 'global') this.use(cls, 'LOW', 'instantiated via copyreg', c);
      return;
    }
    if (v.tier !== 'unknown') return;
    if (!this.unknowns.has(key)) this.unknowns.set(key, { g, severity: 'LOW', usage: 'imported', count: 0 });
    if (c.op === 'NEWOBJ' || c.op === 'NEWOBJ_EX') {
      this.use(g, 'LOW', 'instantiated (NEWOBJ)', c, key);
      return;
    }
    const a = argShape(c.args, this.policy);
    const cls = looksLikeClass(name);
    let sev: Severity;
    let usage: string;
    if (a === 'complex') [sev, usage] = ['MEDIUM', 'called with objects or callables as arguments'];
    else if (a === 'text') [sev, usage] = cls ? ['MEDIUM', 'instantiated with string arguments'] : ['HIGH', 'called with string arguments'];
    else if (cls) [sev, usage] = ['LOW', 'instantiated with plain data'];
    else [sev, usage] = ['MEDIUM', 'called as a function'];
    this.use(g, sev, usage, c, key);
  }

  private denyFinding(g: PyGlobal, v: Extract<Verdict, { tier: 'deny' }>, c: PyCall | undefined, via?: string): void {
    const key = `${v.module}.${v.name}`;
    const known = this.denied.get(key);
    if (known) {
      // One finding per target; the call of a looked-up function says most about what would run.
      if (c && (known.call === undefined || (isObj(c.callee) && c.callee.t === 'call'))) known.call = renderCall(c.callee, c.args);
      return;
    }
    const f = this.add({
      severity: v.rule.severity,
      rule: 'pickle/unsafe-global',
      description: `Use of unsafe operator '${v.name}' from module '${v.module}'${via ? ` (reached ${via})` : ''}: ${key} ${v.rule.why}`,
      module: v.module,
      operator: v.name,
      offset: c?.offset ?? g.offset,
      ...(c ? { call: renderCall(c.callee, c.args) } : {}),
      scanner: SCANNER,
      details: { resolved: key, tier: 'denylist' },
    });
    if (f) this.denied.set(key, f);
  }

  /** getattr/setattr/delattr: modelscan's floor says CRITICAL unless the call is a static, harmless lookup. */
  private reflectiveCall(g: PyGlobal, key: string, c: PyCall): void {
    const r = this.reflective.get(key) ?? { g, state: 'imported' as const };
    this.reflective.set(key, r);
    const target = key === 'builtins.getattr' ? staticGetattr(c) : undefined;
    if (target) {
      const def = c.args && isObj(c.args) && c.args.t === 'container' ? c.args.items[2] : undefined;
      if (isObj(def) && def.t === 'global') {
        const dk = `${def.module}.${def.name}`;
        const d = this.reflective.get(dk);
        if (d && d.state === 'imported') d.state = 'default';
      }
      const v = classify(this.policy, target.module, target.name);
      if (r.state !== 'reported') r.state = 'resolved';
      if (v.tier === 'deny') this.denyFinding(g, v, c, `through getattr(${target.base.module}.${target.base.name}, …)`);
      else if (v.tier === 'unknown') {
        const vg: PyGlobal = { ...g, rawModule: target.module, rawName: target.name, module: target.module, name: target.name };
        const vk = `${target.module}.${target.name}`;
        if (!this.unknowns.has(vk))
          this.unknowns.set(vk, {
            g: vg,
            severity: 'MEDIUM',
            usage: 'reached through getattr',
            count: 0,
            call: renderCall(c.callee, c.args),
          });
      }
      return;
    }
    if (r.state === 'reported') return;
    r.state = 'reported';
    const v = classify(this.policy, g.module, g.name);
    if (v.tier === 'deny') this.denyFinding(g, v, c);
  }

  private callOfCall(inner: PyCall, c: PyCall): void {
    const viaGetattr = staticGetattr(inner);
    if (viaGetattr) {
      this.callGlobal(viaGetattr.base, viaGetattr.module, viaGetattr.name, c);
      // If the attribute may not exist, getattr returns its default: that is what gets called then.
      const def = isObj(inner.args) && inner.args.t === 'container' ? inner.args.items[2] : undefined;
      if (isObj(def) && def.t === 'global' && classify(this.policy, viaGetattr.module, viaGetattr.name).tier === 'unknown') {
        this.callGlobal(def, def.module, def.name, c);
      }
      return;
    }
    const root = rootGlobal(inner);
    const rootKey = root ? `${root.module}.${root.name}` : '';
    const v = root ? classify(this.policy, root.module, root.name) : undefined;
    if (v?.tier === 'code' && (v.kind === 'function' || v.kind === 'setstate')) {
      this.add({
        severity: 'CRITICAL',
        rule: 'pickle/code-executed',
        description: `A function rebuilt from bytecode shipped in the pickle (${rootKey}) is called during load`,
        module: root!.module,
        operator: root!.name,
        offset: c.offset,
        call: renderCall(inner, c.args),
        scanner: SCANNER,
      });
      return;
    }
    if (v?.tier === 'code' && v.kind === 'type') {
      // cloudpickle's _builtin_type('CodeType')(…): building a code object, not running it.
      this.codeBuilderCall('code', rootKey, c);
      return;
    }
    this.add({
      severity: 'HIGH',
      rule: 'pickle/call-of-call-result',
      description: `${c.op} calls the result of another call (${root ? rootKey : 'unknown'}(…)(…)): a gadget chain`,
      module: root?.module ?? '',
      operator: root?.name ?? '',
      offset: c.offset,
      call: renderCall(inner, c.args),
      scanner: SCANNER,
    });
  }

  /** dill/cloudpickle rebuilding code: code-bearing, and the code's names are read for what it touches. */
  private codeBuilderCall(kind: CodeKind, key: string, c: PyCall): void {
    if (kind === 'import') {
      const mod = firstArg(c.args);
      if (typeof mod === 'string') {
        const v = classify(this.policy, mod, '*');
        const wild = this.policy.deny.find((r) => r.names === '*' && (r.module === mod || mod.startsWith(r.module + '.')));
        if (v.tier === 'deny' || wild) {
          this.add({
            severity: wild?.severity ?? 'CRITICAL',
            rule: 'pickle/unsafe-global',
            description: `${key} imports module '${mod}' for code shipped in the pickle`,
            module: mod,
            operator: '*',
            offset: c.offset,
            call: renderCall(c.callee, c.args),
            scanner: SCANNER,
          });
        }
      }
    }
    if (kind === 'setstate') {
      const target = firstArg(c.args);
      if (isObj(target) && target.t === 'global') {
        this.add({
          severity: 'CRITICAL',
          rule: 'pickle/build-on-global',
          description: `${key} rewrites the imported object ${target.module}.${target.name}`,
          module: target.module,
          operator: target.name,
          offset: c.offset,
          call: renderCall(c.callee, c.args),
          scanner: SCANNER,
        });
      }
    }
    const cb = (this.codeBearing ??= { offset: c.offset, names: new Set(), builders: new Set() });
    cb.builders.add(key);
    if (kind === 'code') collectNames(c.args, cb.names, 0);
  }

  private use(g: PyGlobal, sev: Severity, usage: string, c: PyCall, key = `${g.module}.${g.name}`): void {
    const u = this.unknowns.get(key);
    if (!u) return;
    u.count++;
    if (u.usage === 'imported' || maxSeverity(u.severity, sev) !== u.severity) {
      u.severity = maxSeverity(u.severity, sev);
      u.usage = usage;
      u.call = renderCall(g, c.args);
    }
  }

  private loaderCall(g: PyGlobal, key: string, c: PyCall, denied: Finding | undefined): void {
    this.unknowns.delete(key);
    const arg = firstArg(c.args);
    const payload = payloadOf(arg);
    const f: Finding = denied ?? {
      severity: 'LOW',
      rule: 'pickle/nested-load',
      description: `${key} loads an embedded payload; it was scanned as a nested file`,
      module: g.rawModule,
      operator: g.rawName,
      offset: c.offset,
      call: renderCall(g, c.args),
      scanner: SCANNER,
    };
    if (!payload) {
      f.severity = 'CRITICAL';
      f.description = `${key} loads a payload built at load time (${renderValue(arg)}); it cannot be scanned`;
      f.rule = 'pickle/unscannable-load';
    }
    if (!denied) this.add(f);
    if (payload) this.nested.push({ loader: key, offset: c.offset, ...payload, finding: f });
  }

  onBuild(target: PyValue, state: PyValue, offset: number): void {
    if (isObj(target) && target.t === 'global') {
      const v = this.verdictOf(target);
      this.add({
        severity: v.tier === 'deny' ? 'CRITICAL' : 'HIGH',
        rule: 'pickle/build-on-global',
        description: `BUILD sets attributes on the imported object ${target.module}.${target.name} itself (monkey-patching)`,
        module: target.rawModule,
        operator: target.rawName,
        offset,
        call: `${target.module}.${target.name}.__setstate__(${renderValue(state)})`,
        scanner: SCANNER,
      });
    }
  }

  onMutate(target: PyValue, op: string, offset: number): void {
    if (isObj(target) && target.t === 'global') {
      this.add({
        severity: 'HIGH',
        rule: 'pickle/mutate-global',
        description: `${op} modifies the imported object ${target.module}.${target.name} itself`,
        module: target.rawModule,
        operator: target.rawName,
        offset,
        scanner: SCANNER,
      });
    }
  }

  onExt(code: number, offset: number): void {
    this.add(
      {
        severity: 'MEDIUM',
        rule: 'pickle/ext-opcode',
        description: `EXT opcode loads object #${code} from the copyreg extension registry, which real models never use`,
        module: 'copyreg',
        operator: `extension ${code}`,
        offset,
        scanner: SCANNER,
      },
      `ext:${code}`,
    );
  }

  onPersistent(p: PyPersistent): void {
    // Persistent ids are how torch references storages; the container format judges them.
    if (this.persistents.length < 1_000_000) this.persistents.push(p);
  }

  onOddity(kind: string, message: string, offset: number): void {
    this.add(
      { severity: 'LOW', rule: `pickle/${kind}`, description: message, module: '', operator: '', offset, scanner: SCANNER },
      `odd:${kind}`,
    );
  }

  /** Reports the unknown globals collected during the stream; call once at its end. */
  flush(): void {
    for (const [key, r] of this.reflective) {
      if (r.state !== 'imported') continue;
      const v = classify(this.policy, r.g.module, r.g.name);
      if (v.tier === 'deny') this.denyFinding(r.g, v, undefined);
      else
        this.add({
          severity: 'CRITICAL',
          rule: 'pickle/unsafe-global',
          description: `${key} imported`,
          module: r.g.module,
          operator: r.g.name,
          offset: r.g.offset,
          scanner: SCANNER,
        });
    }
    this.reflective.clear();
    if (this.codeBearing) {
      const risky = [...this.codeBearing.names].filter((n) => DANGEROUS_CODE_NAMES.has(n));
      this.add({
        severity: risky.length ? 'HIGH' : 'LOW',
        rule: 'pickle/code-by-value',
        description:
          `The pickle carries Python code by value (${[...this.codeBearing.builders].join(', ')}); it runs when the model calls it` +
          (risky.length ? `, and it references ${risky.slice(0, 8).join(', ')}` : ''),
        module: '',
        operator: '',
        offset: this.codeBearing.offset,
        scanner: SCANNER,
        details: { names: [...this.codeBearing.names].slice(0, 64) },
      });
      this.codeBearing = undefined;
    }
    for (const [key, u] of this.unknowns) {
      this.add({
        severity: maxSeverity(u.severity, this.policy.unknownFloor),
        rule: 'pickle/unknown-global',
        description: `Global ${key} is not on the allowlist of names models need (${u.usage})`,
        module: u.g.rawModule,
        operator: u.g.rawName,
        offset: u.g.offset,
        ...(u.call ? { call: u.call } : {}),
        scanner: SCANNER,
        details: { resolved: key, usage: u.usage, tier: 'unknown', ...(u.count ? { calls: u.count } : {}) },
      });
    }
    this.unknowns.clear();
  }
}

/** Strings in a code object's constructor arguments (co_names, co_consts, …), bounded. */
function collectNames(v: PyValue, out: Set<string>, depth: number): void {
  if (out.size > 256 || depth > 4) return;
  if (typeof v === 'string') {
    if (v.length <= 64) out.add(v);
    return;
  }
  if (isObj(v) && v.t === 'container') for (const x of v.items) collectNames(x, out, depth + 1);
}

function firstArg(args: PyValue): PyValue | undefined {
  return isObj(args) && args.t === 'container' && args.kind === 'tuple' && args.count > 0 ? args.items[0] : undefined;
}

/** 'plain' data, 'text' (contains str/bytes), or 'complex' (globals, calls, references). */
function argShape(args: PyValue, policy: Policy): 'plain' | 'text' | 'complex' {
  if (!isObj(args) || args.t !== 'container') return isObj(args) ? 'complex' : 'plain';
  let text = false;
  const visit = (v: PyValue, depth: number): boolean => {
    if (typeof v === 'string') {
      text = true;
      return true;
    }
    if (!isObj(v)) return true;
    if (v.t === 'bytes' || v.t === 'longstr') {
      text = true;
      return true;
    }
    if (v.t === 'call') {
      // Data rebuilt by allowlisted constructors (numpy arrays, dtypes) is still data.
      const g = rootGlobal(v);
      return !!g && classify(policy, g.module, g.name).tier === 'allow';
    }
    if (v.t !== 'container') return false;
    if (depth > 4) return v.plain;
    return v.items.every((x) => visit(x, depth + 1));
  };
  if (!args.items.every((x) => visit(x, 0))) return 'complex';
  return text ? 'text' : 'plain';
}

/** Where a loader's argument bytes can be read from, if they are literal. */
function payloadOf(arg: PyValue | undefined): { span?: { offset: number; length: number }; bytes?: Buffer } | undefined {
  if (!isObj(arg)) return typeof arg === 'string' ? { bytes: Buffer.from(arg, 'latin1') } : undefined;
  if (arg.t === 'bytes') return bytesPayload(arg);
  if (arg.t === 'call') {
    // Protocol ≤ 2 writes bytes as _codecs.encode('<latin-1 text>', 'latin1').
    const g = rootGlobal(arg.callee);
    const s = firstArg(arg.args);
    if (g && g.module === '_codecs' && g.name === 'encode' && typeof s === 'string') return { bytes: Buffer.from(s, 'latin1') };
  }
  return undefined;
}

function bytesPayload(b: PyBytes): { span?: { offset: number; length: number }; bytes?: Buffer } | undefined {
  if (b.offset >= 0) return { span: { offset: b.offset, length: b.length } };
  if (b.prefix.length === b.length) return { bytes: Buffer.from(b.prefix, 'latin1') };
  return undefined;
}
