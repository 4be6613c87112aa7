import type { ProtoVisitor } from '../../protobuf/walker.js';
import { type Finding, namedFinding } from '../../scan/findings.js';
import { judgeDomain } from './domains.js';
import { pathEscape, quote } from './paths.js';
import { sizeMismatch, type TensorFacts } from './tensor.js';

export const ONNX_SCANNER = 'modelscan.scanners.OnnxScan';
const onnxFinding = namedFinding(ONNX_SCANNER, 'onnx');

interface Frame {
  type: string;
  at: number;
  name?: string;
  op?: string;
  domain?: string;
  key?: string;
  value?: string;
  /** The value was read whole (not cut at the length paths can have). */
  complete?: boolean;
  valueAt?: number;
  tensor?: TensorFacts;
}

/** Nodes in a non-built-in domain, judged once the model's local functions are known. */
interface CustomUse {
  domain: string;
  op: string;
  node: string;
  at: number;
  count: number;
}

/** Distinct (domain, op) pairs remembered; a model with more is reported as it goes. */
const MAX_CUSTOM = 10_000;

/**
 * Turns the walk of a ModelProto into findings: external-data locations that
 * leave the model's folder, operators from domains the runtime lacks (unless
 * the model defines them as local functions), and tensors whose shape and
 * data disagree. Nodes of every graph are seen: the main graph, If/Loop/Scan
 * bodies in attributes, training graphs and local functions.
 */
export class OnnxVisitor implements ProtoVisitor {
  private readonly stack: Frame[] = [];
  private readonly functions = new Set<string>();
  private readonly custom = new Map<string, CustomUse>();
  irVersion: number | undefined;
  graphs = 0;

  constructor(private readonly report: (f: Finding) => void) {}

  enter(type: string, at: number): void {
    const f: Frame = { type, at };
    if (type === 'TensorProto') f.tensor = { name: '', dims: [], dtype: 0, floatBytes: 0, doubleBytes: 0 };
    if (type === 'GraphProto') this.graphs++;
    this.stack.push(f);
  }

  string(type: string, field: number, value: Buffer, at: number, len: number): void {
    const f = this.stack[this.stack.length - 1];
    const text = value.toString('utf8');
    switch (type) {
      case 'NodeProto':
        if (field === 3) f.name = text;
        else if (field === 4) f.op = text;
        else if (field === 7) f.domain = text;
        break;
      case 'FunctionProto':
        if (field === 1) f.name = text;
        else if (field === 10) f.domain = text;
        break;
      case 'TensorProto':
        if (field === 8) f.tensor!.name = text;
        break;
      case 'StringStringEntryProto':
        if (field === 1) f.key = text;
        else if (field === 2) {
          f.value = text;
          f.complete = len === value.length;
          f.valueAt = at;
        }
        break;
    }
  }

  int(type: string, field: number, value: number): void {
    const f = this.stack[this.stack.length - 1];
    if (type === 'TensorProto') {
      const t = f.tensor!;
      if (field === 1) t.dims.push(value);
      else if (field === 2) t.dtype = value;
    } else if (type === 'ModelProto' && field === 1 && this.stack.length === 1) {
      this.irVersion = value;
    }
  }

  bytes(type: string, field: number, _at: number, len: number): void {
    if (type !== 'TensorProto') return;
    const t = this.stack[this.stack.length - 1].tensor!;
    if (field === 9) t.raw = len;
    else if (field === 4) t.floatBytes += len;
    else if (field === 10) t.doubleBytes += len;
  }

  leave(type: string): void {
    const f = this.stack.pop()!;
    switch (type) {
      case 'StringStringEntryProto':
        this.externalEntry(f);
        break;
      case 'TensorProto': {
        const problem = sizeMismatch(f.tensor!);
        if (problem) {
          this.emit('MEDIUM', 'onnx/tensor-size', `tensor ${quote(f.tensor!.name)} ${problem}`, 'tensor', f.at);
        }
        break;
      }
      case 'NodeProto':
        this.node(f);
        break;
      case 'FunctionProto':
        this.functions.add(`${f.domain ?? ''}\0${f.name ?? ''}`);
        break;
    }
  }

  /** Reports the custom-domain operators that no local function defines. Call once, after the walk (even a failed one). */
  finish(): void {
    for (const use of this.custom.values()) this.reportCustom(use);
    this.custom.clear();
  }

  private externalEntry(f: Frame): void {
    const parent = this.stack[this.stack.length - 1];
    if (parent?.type !== 'TensorProto' || f.value === undefined) return;
    if (f.key === 'length') parent.tensor!.externalLength = f.value;
    if (f.key !== 'location') return;
    const why = pathEscape(f.value, f.complete);
    if (!why) return;
    this.emit(
      'HIGH',
      'onnx/external-data-path',
      `tensor ${quote(parent.tensor!.name)} loads its data from ${quote(f.value)}, which ${why}: loading the model reads that file into the tensor`,
      'external_data',
      f.valueAt ?? f.at,
      { location: f.value, tensor: parent.tensor!.name },
    );
  }

  private node(f: Frame): void {
    const domain = f.domain ?? '';
    if (!judgeDomain(domain)) return;
    const op = f.op ?? '';
    const key = `${domain}\0${op}`;
    const seen = this.custom.get(key);
    if (seen) {
      seen.count++;
      return;
    }
    const use = { domain, op, node: f.name ?? '', at: f.at, count: 1 };
    if (this.custom.size < MAX_CUSTOM) this.custom.set(key, use);
    else this.reportCustom(use);
  }

  private reportCustom(use: CustomUse): void {
    if (this.functions.has(`${use.domain}\0${use.op}`)) return;
    const j = judgeDomain(use.domain)!;
    const times = use.count > 1 ? ` (${use.count} nodes)` : '';
    this.emit(
      j.severity,
      'onnx/custom-domain',
      `node ${quote(use.node)} uses operator ${quote(use.op)} from domain ${quote(use.domain)}${times}, which ${j.why}`,
      use.op,
      use.at,
      { domain: use.domain, nodes: use.count },
      use.domain,
    );
  }

  private emit(...args: Parameters<typeof onnxFinding>): void {
    this.report(onnxFinding(...args));
  }
}
