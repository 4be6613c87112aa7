import type { Severity } from '../scan/findings.js';
import type { Bindings } from './bindings.js';
import { type Folder, isConstant, showValue } from './fold.js';
import { childNodes, filterParts, is, type Node } from './jinja-ast.js';

/** One thing wrong with one construct; issues of the same statement are reported together. */
export interface Issue {
  root: Node;
  severity: Severity;
  rule: string;
  reason: string;
  /** Text to look for in the template source to place the finding. */
  needle?: string;
}

export class TemplateTooDeep extends Error {
  constructor(readonly limit: number) {
    super(`nested more than ${limit} levels deep`);
  }
}

export const MAX_NESTING = 400;
/** jinja2.sandbox.MAX_RANGE: a larger range is refused even by the sandbox; outside it, the list is built in memory. */
const MAX_RANGE = 100_000;
const MAX_REPEAT = 10_000_000;
const MAX_EXPONENT = 10_000;

/** Jinja globals that are harmless to call but lead to `__globals__` when used as objects. */
const CALLABLE_GADGETS = new Set(['cycler', 'joiner', 'namespace', 'lipsum']);
/** Names that only mean something to a web framework or to Jinja's internals: reaching them at all is the attack. */
const OBJECT_GADGETS = new Set(['self', 'request', 'config', 'url_for', 'get_flashed_messages', 'session']);
/** Python builtins Jinja does not provide: a template only names them to reach code. */
const PYTHON_BUILTINS = new Set([
  'getattr',
  'setattr',
  'delattr',
  'eval',
  'exec',
  'compile',
  'open',
  'globals',
  'locals',
  'vars',
  'breakpoint',
  'input',
  'type',
  'object',
]);
/** Filters whose `attribute` argument is looked up with the environment's getattr (dotted paths allowed). */
const ATTRIBUTE_FILTERS = new Map<string, { positional?: number }>(
  Object.entries({
    selectattr: { positional: 0 },
    rejectattr: { positional: 0 },
    groupby: { positional: 0 },
    map: {},
    sort: {},
    sum: {},
    unique: {},
    min: {},
    max: {},
    join: {},
  }),
);
const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>=', 'in', 'not in']);
/** Operators whose operands end up in their result as they are. */
const PASS_THROUGH = new Set(['~', '+', 'and', 'or']);
/** A Python special name anywhere in a value: `__class__`, `__globals__`… */
const DUNDER = /__[A-Za-z0-9]\w*?__/;

/**
 * Walks a parsed chat template and records every construct that reaches
 * beyond the data a chat template is given: private and dunder attributes
 * (spelled out, built from pieces, or passed to `attr`-like filters),
 * framework and Jinja globals used as objects, Python builtins, and ranges
 * or repetitions that exhaust the renderer. Never renders anything.
 */
export class Judge {
  readonly issues: Issue[] = [];
  private root: Node | undefined;
  private visited = 0;
  /** Inside a subtree already reported for building a dunder: its parts are not reported again. */
  private builtReported = false;

  constructor(
    private readonly bindings: Bindings,
    private readonly fold: Folder,
    private readonly checkpoint?: () => void,
  ) {}

  statements(list: readonly Node[], depth = 0): void {
    if (depth > MAX_NESTING) throw new TemplateTooDeep(MAX_NESTING);
    for (const s of list) this.statement(s, depth + 1);
  }

  private statement(s: Node, depth: number): void {
    this.root = s;
    if (is(s, 'Set')) {
      this.target(s.assignee, depth);
      if (s.value) this.expr(s.value, depth);
      else {
        const built = this.fold.body(s.body).find((v) => DUNDER.test(v));
        if (built) this.add('CRITICAL', 'template/ssti', `builds the name '${dunderIn(built)}'`, dunderIn(built));
        this.statements(s.body, depth);
      }
    } else if (is(s, 'For')) {
      this.target(s.loopvar, depth);
      this.expr(s.iterable, depth);
      this.statements(s.body, depth);
      this.statements(s.defaultBlock, depth);
    } else if (is(s, 'If')) {
      this.expr(s.test, depth);
      this.statements(s.body, depth);
      this.statements(s.alternate, depth);
    } else if (is(s, 'Macro')) {
      this.target(s.name, depth);
      for (const a of s.args) {
        this.root = s;
        if (is(a, 'KeywordArgumentExpression')) {
          this.target(a.key, depth);
          this.expr(a.value, depth);
        } else this.target(a, depth);
      }
      this.statements(s.body, depth);
    } else if (is(s, 'CallStatement')) {
      this.expr(s.call, depth);
      for (const a of s.callerArgs ?? []) this.expr(a, depth);
      this.statements(s.body, depth);
    } else if (is(s, 'FilterStatement')) {
      this.filter(s.filter, undefined, depth);
      this.statements(s.body, depth);
    } else if (is(s, 'StringLiteral') || is(s, 'Comment') || is(s, 'Break') || is(s, 'Continue')) {
      // Template text and control flow: nothing is looked up.
    } else if (is(s, 'Program')) {
      this.statements(s.body, depth);
    } else {
      // An output `{{ … }}`: printing a value is harmless, what it computes on the way is judged.
      this.expr(s, depth, { quiet: true });
    }
  }

  /** Names being assigned (loop variables, set targets, macro parameters). */
  private target(t: Node, depth: number): void {
    if (is(t, 'Identifier')) {
      if (t.value.startsWith('__')) this.add('CRITICAL', 'template/ssti', `assigns the special name '${t.value}'`, t.value);
    } else if (is(t, 'TupleLiteral') || is(t, 'ArrayLiteral')) {
      for (const x of t.value) this.target(x, depth + 1);
    } else this.expr(t, depth);
  }

  /**
   * `quiet`: the value is only printed or compared, so the text it holds is harmless;
   * `named`: the value is an attribute name judged by the caller (a subscript key, an |attr argument).
   */
  private expr(n: Node, depth: number, opts: ExprOptions = {}): void {
    if (depth > MAX_NESTING) throw new TemplateTooDeep(MAX_NESTING);
    if (++this.visited % 4096 === 0) this.checkpoint?.();
    const d = depth + 1;
    const sub = (x: Node, o: ExprOptions = {}) => this.expr(x, d, o);
    const wasBuilt = this.builtReported;
    if (!opts.quiet && !this.builtReported && buildsText(n)) {
      const built = this.fold.strings(n).find((v) => DUNDER.test(v));
      if (built) {
        if (!opts.named) {
          const what = is(n, 'StringLiteral') ? 'spells' : 'builds';
          this.add('CRITICAL', 'template/ssti', `${what} the name '${dunderIn(built)}'`, dunderIn(built));
        }
        this.builtReported = true;
      }
    }
    try {
      if (is(n, 'Identifier')) this.identifier(n.value, opts.callee === true);
      else if (is(n, 'MemberExpression')) {
        sub(n.object);
        if (!n.computed) {
          if (is(n.property, 'Identifier') && n.property.value.startsWith('_'))
            this.add('CRITICAL', 'template/ssti', `reads the attribute '${n.property.value}'`, `.${n.property.value}`);
        } else if (is(n.property, 'SliceExpression')) sub(n.property);
        else {
          sub(n.property, { named: true });
          this.computedKey(n.property);
        }
      } else if (is(n, 'CallExpression')) this.call(n, d);
      else if (is(n, 'FilterExpression')) {
        sub(n.operand);
        this.filter(n.filter, n.operand, d);
      } else if (is(n, 'TestExpression')) sub(n.operand);
      else if (is(n, 'BinaryExpression')) {
        const op = n.operator.value;
        // Compared values are never names; the parts of printed text are printed too.
        const quiet = COMPARISONS.has(op) || (opts.quiet === true && PASS_THROUGH.has(op));
        sub(n.left, { quiet });
        sub(n.right, { quiet });
        this.exhaustion(n, op);
      } else if (is(n, 'Ternary')) {
        sub(n.condition);
        sub(n.trueExpr, { quiet: opts.quiet });
        sub(n.falseExpr, { quiet: opts.quiet });
      } else if (is(n, 'SelectExpression')) {
        sub(n.lhs, { quiet: opts.quiet });
        sub(n.test);
      } else if (is(n, 'KeywordArgumentExpression')) {
        if (n.key.value.startsWith('__')) this.add('CRITICAL', 'template/ssti', `passes the keyword '${n.key.value}'`, n.key.value);
        sub(n.value);
      } else if (is(n, 'StringLiteral') || is(n, 'IntegerLiteral') || is(n, 'FloatLiteral')) {
        // Constants were judged above through what they build.
      } else for (const c of childNodes(n)) sub(c);
    } finally {
      this.builtReported = wasBuilt;
    }
  }

  private identifier(name: string, isCallee: boolean): void {
    if (name.startsWith('__')) {
      this.add('CRITICAL', 'template/ssti', `names the Python special '${name}'`, name);
      return;
    }
    if (!this.bindings.isFree(name)) return;
    if (OBJECT_GADGETS.has(name)) this.add('CRITICAL', 'template/ssti', `reaches the global '${name}'`, name);
    else if (CALLABLE_GADGETS.has(name) && !isCallee)
      this.add('CRITICAL', 'template/ssti', `uses the Jinja global '${name}' as an object (a path to its __globals__)`, name);
  }

  /** `x[key]`: Jinja falls back from items to attributes, so a key is an attribute name too. */
  private computedKey(key: Node): void {
    const values = this.fold.strings(key);
    const priv = values.find((v) => v.startsWith('_'));
    if (priv) {
      const shown = showValue(priv);
      this.add('CRITICAL', 'template/ssti', `reads the attribute '${shown}' by subscript`, shown);
    } else if (!isConstant(values) && mentionsText(key))
      this.add('HIGH', 'template/computed-attribute', `looks up a key it builds at render time ('${showValue(values[0])}')`);
  }

  private call(n: Node & { callee: Node; args: Node[] }, d: number): void {
    const { callee, args } = n;
    this.expr(callee, d, { callee: true });
    for (const a of args) this.expr(a, d);
    if (is(callee, 'Identifier') && this.bindings.isFree(callee.value)) {
      if (PYTHON_BUILTINS.has(callee.value))
        this.add('HIGH', 'template/ssti', `calls ${callee.value}(), a Python builtin Jinja does not provide`, `${callee.value}(`);
      if (callee.value === 'range') {
        const big = args.map((a) => this.fold.int(a)).find((v) => v !== undefined && Math.abs(v) > MAX_RANGE);
        if (big !== undefined)
          this.add('CRITICAL', 'template/dos', `builds range(${bigText(big)}), over the sandbox's ${MAX_RANGE}-item cap`, 'range(');
      }
    }
    if (is(callee, 'MemberExpression') && !callee.computed && is(callee.property, 'Identifier')) {
      const method = callee.property.value;
      if (method === 'format' || method === 'format_map') this.formatString(callee.object, method);
    }
  }

  /** str.format can walk attributes from inside the format string: `'{0.__class__}'.format(x)`. */
  private formatString(recv: Node, method: string): void {
    const formats = this.fold.strings(recv);
    for (const f of formats) {
      const m = /\{[^{}!:]*?[.[]\s*['"]?_[^{}]*\}/.exec(f);
      if (m) {
        this.add('CRITICAL', 'template/ssti', `formats '${showValue(m[0])}', which reads a private attribute`, m[0]);
        return;
      }
    }
    if (!isConstant(formats))
      this.add(
        'HIGH',
        'template/computed-attribute',
        `calls ${method}() on a format string built at render time (fields can read attributes)`,
        `.${method}(`,
      );
  }

  /** `operand|name(args)`; operand is undefined for a `{% filter %}` block. */
  private filter(f: Node, _operand: Node | undefined, d: number): void {
    const { name, args, laterArgs } = filterParts(f);
    const spec = name === undefined ? undefined : ATTRIBUTE_FILTERS.get(name);
    const namedAt = name === 'attr' ? 0 : spec?.positional;
    args.forEach((a, i) => {
      this.expr(a, d, { named: i === namedAt });
    });
    for (const a of laterArgs) this.expr(a, d);
    if (name === 'attr') {
      if (!args[0]) return;
      const names = this.fold.strings(args[0]);
      const priv = names.find((v) => v.startsWith('_'));
      if (priv) this.add('CRITICAL', 'template/ssti', `reads the attribute '${showValue(priv)}' through |attr`, 'attr(');
      else if (!isConstant(names))
        this.add('CRITICAL', 'template/ssti', `reads an attribute through |attr with a computed name ('${showValue(names[0])}')`, 'attr(');
      return;
    }
    if (!spec) return;
    const paths: Node[] = [];
    for (const a of args) if (is(a, 'KeywordArgumentExpression') && a.key.value === 'attribute') paths.push(a.value);
    if (spec.positional !== undefined && args[spec.positional] && !is(args[spec.positional], 'KeywordArgumentExpression'))
      paths.push(args[spec.positional]);
    if (name === 'map' && args.length >= 2 && !is(args[0], 'KeywordArgumentExpression') && this.fold.strings(args[0]).includes('attr'))
      paths.push(args[1]);
    for (const p of paths) {
      const values = this.fold.strings(p);
      const priv = values.find((v) => v.split('.').some((seg) => seg.startsWith('_')));
      if (priv) this.add('CRITICAL', 'template/ssti', `reads the attribute '${showValue(priv)}' through |${name}`, `${name}(`);
      else if (!isConstant(values))
        this.add('HIGH', 'template/computed-attribute', `looks up an attribute named at render time through |${name}`, `${name}(`);
    }
  }

  private exhaustion(n: Node & { left: Node; right: Node }, op: string): void {
    if (op === '**') {
      const e = this.fold.int(n.right);
      if (e !== undefined && e > MAX_EXPONENT) this.add('CRITICAL', 'template/dos', `raises to the power ${bigText(e)}`, '**');
    } else if (op === '*') {
      const l = this.fold.int(n.left);
      const r = this.fold.int(n.right);
      const times = l === undefined ? r : r === undefined ? l : undefined;
      if (times !== undefined && times > MAX_REPEAT) this.add('CRITICAL', 'template/dos', `repeats a value ${bigText(times)} times`, '*');
    }
  }

  private add(severity: Severity, rule: string, reason: string, needle?: string): void {
    this.issues.push({ root: this.root!, severity, rule, reason, ...(needle ? { needle } : {}) });
  }
}

interface ExprOptions {
  quiet?: boolean;
  named?: boolean;
  callee?: boolean;
}

/** Node types whose value may be text built from other text. */
function buildsText(n: Node): boolean {
  if (is(n, 'StringLiteral') || is(n, 'FilterExpression') || is(n, 'CallExpression') || is(n, 'Ternary') || is(n, 'Identifier'))
    return true;
  if (is(n, 'MemberExpression')) return n.computed;
  if (is(n, 'BinaryExpression')) return ['~', '+', '*', '%', 'or', 'and'].includes(n.operator.value);
  return false;
}

/** Whether a key expression works on text (a literal, a filter, a method call) rather than being a plain variable or index. */
function mentionsText(n: Node): boolean {
  if (is(n, 'StringLiteral') || is(n, 'FilterExpression') || is(n, 'CallExpression')) return true;
  return childNodes(n).some((c) => (is(c, 'Identifier') ? false : mentionsText(c)));
}

function dunderIn(v: string): string {
  return DUNDER.exec(v)?.[0] ?? showValue(v);
}

function bigText(v: number): string {
  return Number.isFinite(v) ? String(v) : 'an astronomically large number';
}
