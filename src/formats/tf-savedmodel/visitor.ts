import type { ProbeCheck, ProtoVisitor } from '../../protobuf/walker.js';
import { type Finding, namedFinding } from '../../scan/findings.js';
import { pathEscape, quote } from '../onnx/paths.js';
import { findLambdas } from './keras-lambda.js';
import { isAllowedOp, opRule, PASS_THROUGH } from './ops.js';

export const TF_SCANNER = 'modelscan.scanners.SavedModelTensorflowOpScan';
const tfFinding = namedFinding(TF_SCANNER, 'Tensorflow');
export const LAMBDA_SCANNER = 'modelscan.scanners.SavedModelLambdaDetectScan';

interface NodeInfo {
  name: string;
  op: string;
  at: number;
  inputs: string[];
  attrs: Map<string, string>;
  /** First string of a Const's `value` tensor. */
  constString?: ConstString;
}

/** The nodes of one GraphDef or one FunctionDef body: names resolve within it. */
interface Scope {
  where: string;
  /** The top graph of a meta graph, whose constants asset_file_def may rebind. */
  top: boolean;
  consts: Map<string, ConstString>;
  alias: Map<string, string>;
  pending: NodeInfo[];
}

interface ConstString {
  text: string;
  /** Read whole, not cut at the length a path can have. */
  complete: boolean;
}

interface Frame {
  type: string;
  at: number;
  node?: NodeInfo;
  key?: string;
  firstString?: ConstString;
  identifier?: string;
  nodePath?: string;
}

/** A constant path found escaping the model folder, held until asset_file_def says whether the loader rebinds it. */
interface PathUse {
  finding: Finding;
  constNode: string;
  top: boolean;
}

const MAX_INPUTS = 8;
const MAX_ATTRS = 64;
/** Per scope: string constants and pass-through edges remembered to trace filenames; past this, paths go untraced. */
const MAX_TRACE = 200_000;
const MAX_PENDING = 100_000;
const MAX_UNKNOWN = 10_000;

/**
 * Turns the walk of a SavedModel (or a bare GraphDef / MetaGraphDef, or
 * keras_metadata.pb) into findings. Every NodeDef is judged wherever it
 * sits: the meta graphs' graphs, every function in their libraries, and
 * graphs serialized inside attributes. Ops that reach files or Python are
 * reported when their scope (graph or function) ends, with the constant
 * paths they use traced through Identity edges; ops the scanner doesn't
 * know are reported once each at the end, unless they name a function of
 * the library (a function call).
 */
export class TfVisitor implements ProtoVisitor {
  private readonly stack: Frame[] = [];
  private readonly scopes: Scope[] = [];
  private readonly functionNames = new Set<string>();
  private readonly unknown = new Map<string, { count: number; at: number; node: string; where: string }>();
  private readonly assetTensors = new Set<string>();
  private pathUses: PathUse[] = [];
  private graphDepth = 0;

  constructor(private readonly report: (f: Finding) => void) {}

  enter(type: string, at: number): void {
    const f: Frame = { type, at };
    this.stack.push(f);
    if (type === 'GraphDef') {
      const parent = this.stack[this.stack.length - 2];
      const nested = this.graphDepth > 0 || (parent !== undefined && parent.type !== 'MetaGraphDef');
      this.scopes.push(this.scope(nested ? 'a GraphDef serialized inside an attribute' : 'the graph', !nested));
      this.graphDepth++;
    } else if (type === 'FunctionDef') {
      this.scopes.push(this.scope('a library function', false));
    } else if (type === 'NodeDef') {
      f.node = { name: '', op: '', at, inputs: [], attrs: new Map() };
    }
  }

  string(type: string, field: number, value: Buffer, at: number, len: number): void {
    const n = this.stack.length;
    const f = this.stack[n - 1];
    switch (type) {
      case 'NodeDef': {
        const node = f.node!;
        const text = value.toString('utf8');
        if (field === 1) node.name = text;
        else if (field === 2) node.op = text;
        else if (field === 3 && node.inputs.length < MAX_INPUTS) node.inputs.push(text);
        break;
      }
      case 'AttrEntry':
        if (field === 1) f.key = value.toString('utf8');
        break;
      case 'AttrValue': {
        const entry = this.stack[n - 2];
        const node = this.stack[n - 3]?.node;
        if (field === 2 && entry?.key !== undefined && node && node.attrs.size < MAX_ATTRS)
          node.attrs.set(entry.key, value.toString('utf8'));
        break;
      }
      case 'TensorProto':
        if (field === 8) f.firstString ??= { text: value.toString('utf8'), complete: len === value.length };
        break;
      case 'OpDef':
        if (field === 1 && this.stack[n - 2]?.type === 'FunctionDef') {
          const name = value.toString('utf8');
          this.functionNames.add(name);
          const s = this.scopes[this.scopes.length - 1];
          if (s) s.where = `function ${quote(name)}`;
        }
        break;
      case 'AssetFileDef':
        if (field === 2) this.assetPath(value.toString('utf8'), len === value.length, at);
        break;
      case 'TensorInfo':
        if (field === 1 && this.stack[n - 2]?.type === 'AssetFileDef') this.assetTensors.add(value.toString('utf8').replace(/:\d+$/, ''));
        break;
      case 'SavedUserObject':
        if (field === 1) f.identifier = value.toString('utf8');
        else if (field === 3) this.kerasMetadata(value, at, len, f);
        break;
      case 'KerasSavedObject':
        if (field === 3) f.nodePath = value.toString('utf8');
        else if (field === 4) f.identifier = value.toString('utf8');
        else if (field === 5) this.kerasMetadata(value, at, len, f);
        break;
    }
  }

  int(): void {}

  bytes(): void {}

  leave(type: string): void {
    const f = this.stack.pop()!;
    switch (type) {
      case 'TensorProto': {
        const n = this.stack.length;
        const node = this.stack[n - 3]?.node;
        if (this.stack[n - 1]?.type === 'AttrValue' && this.stack[n - 2]?.key === 'value' && node) node.constString ??= f.firstString;
        break;
      }
      case 'NodeDef':
        this.node(f.node!);
        break;
      case 'GraphDef':
        this.graphDepth--;
        this.flushScope(this.scopes.pop()!);
        break;
      case 'FunctionDef':
        this.flushScope(this.scopes.pop()!);
        break;
      case 'MetaGraphDef':
        this.flushPaths();
        break;
    }
  }

  /** Reports everything still held. Call once after the walk, also when it failed part-way. */
  finish(): void {
    while (this.scopes.length > 0) this.flushScope(this.scopes.pop()!);
    this.flushPaths();
    for (const [op, u] of this.unknown) {
      if (this.functionNames.has(op)) continue;
      const times = u.count > 1 ? ` (${u.count} nodes)` : '';
      this.emit(
        'MEDIUM',
        'tf/unknown-op',
        `node ${quote(u.node)} in ${u.where} uses op ${quote(op)}${times}, which is not a TensorFlow op this scanner knows: loading needs it registered by code outside the model`,
        op,
        u.at,
        { nodes: u.count },
      );
    }
    this.unknown.clear();
  }

  private scope(where: string, top: boolean): Scope {
    return { where, top, consts: new Map(), alias: new Map(), pending: [] };
  }

  private node(node: NodeInfo): void {
    const scope = this.scopes[this.scopes.length - 1];
    if (!scope) return;
    if (node.op === 'Const' && node.constString !== undefined && scope.consts.size < MAX_TRACE)
      scope.consts.set(node.name, node.constString);
    if (PASS_THROUGH.has(node.op) && node.inputs.length > 0 && scope.alias.size < MAX_TRACE) scope.alias.set(node.name, node.inputs[0]);
    if (opRule(node.op)) {
      if (scope.pending.length < MAX_PENDING) scope.pending.push(node);
      else this.judge(node, scope);
    } else if (node.op !== '' && !isAllowedOp(node.op)) {
      const u = this.unknown.get(node.op);
      if (u) u.count++;
      else if (this.unknown.size < MAX_UNKNOWN) this.unknown.set(node.op, { count: 1, at: node.at, node: node.name, where: scope.where });
      else if (!this.functionNames.has(node.op)) {
        this.emit(
          'MEDIUM',
          'tf/unknown-op',
          `node ${quote(node.name)} uses op ${quote(node.op)}, which this scanner doesn't know`,
          node.op,
          node.at,
        );
      }
    }
  }

  private flushScope(scope: Scope): void {
    for (const node of scope.pending) this.judge(node, scope);
    scope.pending = [];
  }

  /** The constant a node input comes from, followed through pass-through ops, if it is one. */
  private trace(scope: Scope, input: string | undefined): { value: string; complete: boolean; node: string } | undefined {
    if (input === undefined) return undefined;
    let name = input;
    for (let hops = 0; hops < 32; hops++) {
      name = name.replace(/^\^/, '').split(':')[0];
      const c = scope.consts.get(name);
      if (c !== undefined) return { value: c.text, complete: c.complete, node: name };
      const next = scope.alias.get(name);
      if (next === undefined) return undefined;
      name = next;
    }
    return undefined;
  }

  private judge(node: NodeInfo, scope: Scope): void {
    const rule = opRule(node.op)!;
    const who = `op ${quote(node.op)} (node ${quote(node.name)} in ${scope.where})`;
    if (rule.kind === 'deny') {
      const path = rule.path === undefined ? undefined : this.trace(scope, node.inputs[rule.path]);
      const token = node.attrs.get('token');
      const detail = path ? `: ${quote(path.value)}` : token !== undefined && rule.severity === 'CRITICAL' ? ` (${quote(token)})` : '';
      this.emit(rule.severity, 'tf/unsafe-op', `${who} ${rule.does}${detail}`, node.op, node.at, path ? { path: path.value } : undefined);
    } else if (rule.kind === 'attr') {
      const v = node.attrs.get(rule.attr) ?? '';
      if (!rule.safe(v)) this.emit('HIGH', 'tf/unsafe-op', `${who} ${rule.does}: ${rule.attr} is ${quote(v)}`, node.op, node.at);
    } else {
      for (const i of rule.inputs) {
        const path = this.trace(scope, node.inputs[i]);
        const why = path && pathEscape(path.value, path.complete);
        if (!path || !why) continue;
        const finding = tfFinding(
          'HIGH',
          'tf/unsafe-op',
          `${who} ${rule.does} at the constant path ${quote(path.value)}, which ${why}`,
          node.op,
          node.at,
          { path: path.value },
        );
        this.pathUses.push({ finding, constNode: path.node, top: scope.top });
      }
    }
  }

  /** Constant paths the loader replaces with the asset's real location are not the model's choice. */
  private flushPaths(): void {
    for (const u of this.pathUses) if (!(u.top && this.assetTensors.has(u.constNode))) this.report(u.finding);
    this.pathUses = [];
    this.assetTensors.clear();
  }

  private assetPath(filename: string, complete: boolean, at: number): void {
    const why = pathEscape(filename, complete);
    if (!why) return;
    this.emit(
      'HIGH',
      'tf/asset-path',
      `asset file ${quote(filename)} ${why}: the loader hands the graph that path under the model's assets folder, outside it`,
      'asset_file_def',
      at,
      { filename },
    );
  }

  private kerasMetadata(raw: Buffer, at: number, len: number, f: Frame): void {
    const where = f.nodePath ? ` at ${quote(f.nodePath)}` : '';
    if (len > raw.length) {
      this.report({
        severity: 'MEDIUM',
        rule: 'keras/metadata-too-large',
        description: `Keras metadata${where} is ${len} bytes; only the first ${raw.length} were checked for Lambda layers`,
        module: 'Keras',
        operator: '',
        offset: at,
        scanner: LAMBDA_SCANNER,
      });
    }
    for (const layer of findLambdas(raw)) {
      const does = layer.bytecode
        ? 'holds marshalled Python bytecode that runs when the model is loaded and called'
        : 'runs Python code when the model is loaded and called';
      const uses = layer.names.length > 0 ? `; its code uses ${layer.names.join(', ')}` : '';
      this.report({
        severity: layer.names.length > 0 ? 'CRITICAL' : 'MEDIUM',
        rule: 'keras/lambda',
        description: `Keras Lambda layer ${quote(layer.name)}${where} ${does}${uses}`,
        module: 'Keras',
        operator: 'Lambda',
        offset: at + layer.offset,
        scanner: LAMBDA_SCANNER,
        details: { layer: layer.name, names: layer.names, ...(f.identifier ? { identifier: f.identifier } : {}) },
      });
    }
  }

  private emit(...args: Parameters<typeof tfFinding>): void {
    this.report(tfFinding(...args));
  }
}

/** Bytes in a string attribute count as a GraphDef only if they parse as one with at least one real-looking node. */
export function graphProbe(): ProbeCheck {
  let nodes = 0;
  let op = '';
  return {
    visitor: {
      enter(type) {
        if (type === 'NodeDef') op = '';
      },
      leave(type) {
        if (type === 'NodeDef' && /^[A-Za-z_][A-Za-z0-9_>.-]{0,255}$/.test(op)) nodes++;
      },
      string(type, field, value) {
        if (type === 'NodeDef' && field === 2) op = value.toString('latin1');
      },
      int() {},
      bytes() {},
    },
    accepted: () => nodes > 0,
  };
}
