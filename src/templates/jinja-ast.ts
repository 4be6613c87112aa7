/**
 * The shape of the AST that @huggingface/jinja's `parse` returns (its node
 * classes are not exported). The analysis only reads these fields; a node of
 * a type not listed here is still walked through its fields, so a newer
 * parser version cannot hide a subtree.
 */
export interface Node {
  readonly type: string;
}

export interface Program extends Node {
  type: 'Program';
  body: Node[];
}
export interface If extends Node {
  type: 'If';
  test: Node;
  body: Node[];
  alternate: Node[];
}
export interface For extends Node {
  type: 'For';
  loopvar: Node;
  iterable: Node;
  body: Node[];
  defaultBlock: Node[];
}
export interface SetStatement extends Node {
  type: 'Set';
  assignee: Node;
  value: Node | null;
  body: Node[];
}
export interface Macro extends Node {
  type: 'Macro';
  name: Identifier;
  args: Node[];
  body: Node[];
}
export interface FilterStatement extends Node {
  type: 'FilterStatement';
  filter: Node;
  body: Node[];
}
export interface CallStatement extends Node {
  type: 'CallStatement';
  call: CallExpression;
  callerArgs: Node[] | null;
  body: Node[];
}
export interface Identifier extends Node {
  type: 'Identifier';
  value: string;
}
export interface StringLiteral extends Node {
  type: 'StringLiteral';
  value: string;
}
export interface NumberLiteral extends Node {
  type: 'IntegerLiteral' | 'FloatLiteral';
  value: number;
}
export interface ListLiteral extends Node {
  type: 'ArrayLiteral' | 'TupleLiteral';
  value: Node[];
}
export interface ObjectLiteral extends Node {
  type: 'ObjectLiteral';
  value: Map<Node, Node>;
}
export interface MemberExpression extends Node {
  type: 'MemberExpression';
  object: Node;
  property: Node;
  computed: boolean;
}
export interface CallExpression extends Node {
  type: 'CallExpression';
  callee: Node;
  args: Node[];
}
export interface BinaryExpression extends Node {
  type: 'BinaryExpression';
  operator: { value: string };
  left: Node;
  right: Node;
}
export interface UnaryExpression extends Node {
  type: 'UnaryExpression';
  operator: { value: string };
  argument: Node;
}
export interface FilterExpression extends Node {
  type: 'FilterExpression';
  operand: Node;
  filter: Node;
}
export interface TestExpression extends Node {
  type: 'TestExpression';
  operand: Node;
  negate: boolean;
  test: Identifier;
}
export interface SelectExpression extends Node {
  type: 'SelectExpression';
  lhs: Node;
  test: Node;
}
export interface Ternary extends Node {
  type: 'Ternary';
  condition: Node;
  trueExpr: Node;
  falseExpr: Node;
}
export interface SliceExpression extends Node {
  type: 'SliceExpression';
  start?: Node;
  stop?: Node;
  step?: Node;
}
export interface KeywordArgument extends Node {
  type: 'KeywordArgumentExpression';
  key: Identifier;
  value: Node;
}
export interface Spread extends Node {
  type: 'SpreadExpression' | 'KeywordSpreadExpression';
  argument: Node;
}

/** Statements with nothing in them to judge. */
export interface Marker<T extends string> extends Node {
  type: T;
}

/** Narrows a node to the interface its `type` names. */
export function is<K extends keyof NodeTypes>(n: Node | null | undefined, type: K): n is NodeTypes[K] {
  return n != null && n.type === type;
}

interface NodeTypes {
  Program: Program;
  Comment: Marker<'Comment'>;
  Break: Marker<'Break'>;
  Continue: Marker<'Continue'>;
  If: If;
  For: For;
  Set: SetStatement;
  Macro: Macro;
  FilterStatement: FilterStatement;
  CallStatement: CallStatement;
  Identifier: Identifier;
  StringLiteral: StringLiteral;
  IntegerLiteral: NumberLiteral;
  FloatLiteral: NumberLiteral;
  ArrayLiteral: ListLiteral;
  TupleLiteral: ListLiteral;
  ObjectLiteral: ObjectLiteral;
  MemberExpression: MemberExpression;
  CallExpression: CallExpression;
  BinaryExpression: BinaryExpression;
  UnaryExpression: UnaryExpression;
  FilterExpression: FilterExpression;
  TestExpression: TestExpression;
  SelectExpression: SelectExpression;
  Ternary: Ternary;
  SliceExpression: SliceExpression;
  KeywordArgumentExpression: KeywordArgument;
  SpreadExpression: Spread;
  KeywordSpreadExpression: Spread;
}

export function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

/** Every child node of any node, whatever its type: the fallback for node types this module does not know. */
export function childNodes(n: Node): Node[] {
  const out: Node[] = [];
  const add = (v: unknown): void => {
    if (isNode(v)) out.push(v);
    else if (Array.isArray(v)) for (const x of v) add(x);
    else if (v instanceof Map)
      for (const [k, x] of v) {
        add(k);
        add(x);
      }
  };
  for (const [k, v] of Object.entries(n)) if (k !== 'type' && k !== 'operator') add(v);
  return out;
}

/**
 * A filter as the parser builds it: a name, or a call of the name (whose
 * result may be called again: `x|attr('a')(1)` comes out as a call of a call).
 * Returns the filter's name, its own arguments, and the arguments of any
 * further calls on its result.
 */
export function filterParts(f: Node): { name: string | undefined; args: Node[]; laterArgs: Node[] } {
  const laterArgs: Node[] = [];
  let node = f;
  const stack: CallExpression[] = [];
  while (is(node, 'CallExpression')) {
    stack.push(node);
    node = node.callee;
  }
  const name = is(node, 'Identifier') ? node.value : undefined;
  const own = stack.pop();
  for (const c of stack) laterArgs.push(...c.args);
  return { name, args: own ? own.args : [], laterArgs };
}
