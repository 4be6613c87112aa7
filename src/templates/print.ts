import { childNodes, is, type Node } from './jinja-ast.js';

const MAX_DEPTH = 120;
/** Longer sources are cut: findings quote about 200 characters. */
const MAX_CHARS = 600;

/** Python-style repr of a string, as the template would spell it. */
export function pyRepr(s: string): string {
  let out = "'";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c === 0xfffe || c === 0xffff) out += '…';
    else out += ch;
    if (out.length > MAX_CHARS) break;
  }
  return `${out}'`;
}

/** Jinja source for an expression (normalised spacing, parentheses where a sub-expression is not atomic). */
export function printExpr(n: Node, depth = 0): string {
  if (depth > MAX_DEPTH) return '…';
  const p = (x: Node) => printExpr(x, depth + 1);
  const atom = (x: Node) => {
    const s = p(x);
    return ['BinaryExpression', 'Ternary', 'UnaryExpression', 'TestExpression', 'SelectExpression', 'FilterExpression'].includes(x.type)
      ? `(${s})`
      : s;
  };
  const list = (xs: readonly Node[]) => clip(xs.map(p).join(', '));
  if (is(n, 'Identifier')) return n.value;
  if (is(n, 'StringLiteral')) return pyRepr(n.value);
  if (is(n, 'IntegerLiteral') || is(n, 'FloatLiteral')) return String(n.value);
  if (is(n, 'ArrayLiteral')) return `[${list(n.value)}]`;
  if (is(n, 'TupleLiteral')) return n.value.length === 1 ? `(${p(n.value[0])},)` : `(${list(n.value)})`;
  if (is(n, 'ObjectLiteral')) return `{${clip([...n.value].map(([k, v]) => `${p(k)}: ${p(v)}`).join(', '))}}`;
  if (is(n, 'MemberExpression')) {
    const obj = atom(n.object);
    if (!n.computed) return `${obj}.${p(n.property)}`;
    return `${obj}[${p(n.property)}]`;
  }
  if (is(n, 'SliceExpression')) {
    const part = (x: Node | undefined) => (x ? p(x) : '');
    return n.step ? `${part(n.start)}:${part(n.stop)}:${part(n.step)}` : `${part(n.start)}:${part(n.stop)}`;
  }
  if (is(n, 'CallExpression')) return `${atom(n.callee)}(${list(n.args)})`;
  if (is(n, 'KeywordArgumentExpression')) return `${n.key.value}=${p(n.value)}`;
  if (is(n, 'SpreadExpression')) return `*${p(n.argument)}`;
  if (is(n, 'KeywordSpreadExpression')) return `**${p(n.argument)}`;
  if (is(n, 'BinaryExpression')) {
    return `${atom(n.left)} ${n.operator.value} ${atom(n.right)}`;
  }
  if (is(n, 'UnaryExpression')) return n.operator.value === 'not' ? `not ${atom(n.argument)}` : `${n.operator.value}${atom(n.argument)}`;
  if (is(n, 'FilterExpression')) return `${is(n.operand, 'FilterExpression') ? p(n.operand) : atom(n.operand)}|${p(n.filter)}`;
  if (is(n, 'TestExpression')) return `${atom(n.operand)} is ${n.negate ? 'not ' : ''}${n.test.value}`;
  if (is(n, 'SelectExpression')) return `${atom(n.lhs)} if ${atom(n.test)}`;
  if (is(n, 'Ternary')) return `${atom(n.trueExpr)} if ${atom(n.condition)} else ${atom(n.falseExpr)}`;
  return `<${n.type}${childNodes(n).length ? ` ${list(childNodes(n))}` : ''}>`;
}

function clip(s: string): string {
  return s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS)}…` : s;
}

/** The tag a statement starts with (not its body), or `{{ … }}` around an expression. */
export function printStatement(s: Node): string {
  if (is(s, 'Set'))
    return s.value ? `{% set ${printExpr(s.assignee)} = ${printExpr(s.value)} %}` : `{% set ${printExpr(s.assignee)} %}…{% endset %}`;
  if (is(s, 'For')) return `{% for ${printExpr(s.loopvar)} in ${printExpr(s.iterable)} %}`;
  if (is(s, 'If')) return `{% if ${printExpr(s.test)} %}`;
  if (is(s, 'Macro')) return `{% macro ${s.name.value}(${clip(s.args.map((a) => printExpr(a)).join(', '))}) %}`;
  if (is(s, 'CallStatement')) return `{% call ${printExpr(s.call)} %}`;
  if (is(s, 'FilterStatement')) return `{% filter ${printExpr(s.filter)} %}`;
  return `{{ ${printExpr(s)} }}`;
}
