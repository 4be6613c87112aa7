import { is, type Node } from './jinja-ast.js';

/** What a name may hold: an expression, a `{% set %}…{% endset %}` body, an item of a loop's iterable, or something unknowable. */
export type Binding =
  | { kind: 'expr'; node: Node }
  | { kind: 'body'; body: Node[] }
  | { kind: 'item'; iterable: Node }
  | { kind: 'unknown' };

/**
 * Every value each name is assigned anywhere in the template, whatever the
 * scope: a flow-insensitive over-approximation, so a name the template sets
 * to a dunder in one branch is folded with that value everywhere.
 * `ns.attr` assignments are keyed by their dotted path.
 */
export class Bindings {
  private readonly map = new Map<string, Binding[]>();

  get(name: string): readonly Binding[] | undefined {
    return this.map.get(name);
  }

  /** Not assigned anywhere in the template: the name comes from the renderer (messages, a Jinja global…). */
  isFree(name: string): boolean {
    return !this.map.has(name);
  }

  add(name: string, b: Binding): void {
    const list = this.map.get(name);
    if (list) {
      if (list.length < 256) list.push(b);
    } else this.map.set(name, [b]);
  }

  /** Collects the bindings of a statement list; `depth` bounds the recursion through nested bodies. */
  collect(stmts: readonly Node[], depth: number): void {
    if (depth <= 0) throw new RangeError('statements nested too deeply');
    for (const s of stmts) {
      if (is(s, 'Set')) {
        this.assign(s.assignee, s.value ? { kind: 'expr', node: s.value } : { kind: 'body', body: s.body });
        if (!s.value) this.collect(s.body, depth - 1);
      } else if (is(s, 'For')) {
        if (is(s.loopvar, 'Identifier')) this.add(s.loopvar.value, { kind: 'item', iterable: s.iterable });
        else this.assign(s.loopvar, { kind: 'unknown' });
        this.collect(s.body, depth - 1);
        this.collect(s.defaultBlock, depth - 1);
      } else if (is(s, 'If')) {
        this.collect(s.body, depth - 1);
        this.collect(s.alternate, depth - 1);
      } else if (is(s, 'Macro')) {
        this.add(s.name.value, { kind: 'unknown' });
        for (const a of s.args) this.param(a);
        this.collect(s.body, depth - 1);
      } else if (is(s, 'CallStatement')) {
        for (const a of s.callerArgs ?? []) this.param(a);
        this.collect(s.body, depth - 1);
      } else if (is(s, 'FilterStatement')) {
        this.collect(s.body, depth - 1);
      }
    }
  }

  private param(a: Node): void {
    if (is(a, 'Identifier')) this.add(a.value, { kind: 'unknown' });
    else if (is(a, 'KeywordArgumentExpression')) this.add(a.key.value, { kind: 'unknown' });
  }

  private assign(target: Node, b: Binding): void {
    if (is(target, 'Identifier')) this.add(target.value, b);
    else if (is(target, 'MemberExpression') && !target.computed && is(target.object, 'Identifier') && is(target.property, 'Identifier')) {
      this.add(`${target.object.value}.${target.property.value}`, b);
    } else if (is(target, 'TupleLiteral') || is(target, 'ArrayLiteral')) {
      // `set a, b = '__cla', 'ss__'` pairs up; anything else is unknowable.
      const values = b.kind === 'expr' && (is(b.node, 'TupleLiteral') || is(b.node, 'ArrayLiteral')) ? b.node.value : undefined;
      target.value.forEach((t, i) => {
        this.assign(t, values && values.length === target.value.length ? { kind: 'expr', node: values[i] } : { kind: 'unknown' });
      });
    }
  }
}
