/**
 * nn.Graph's IR: a list of nodes in topological order over named values. A node is either a flowbook op
 * (`kind: "op"`, an entry of the op table, as traced) or an ONNX node (`kind: "onnx"`, after lowering). The
 * same structure serves both stages so that dead-code elimination, display and the text form work on either;
 * each node keeps where it came from (module scope, the user's source line, forward/backward/optimizer phase).
 *
 * Values are named by strings (ONNX names). Graph inputs are fed on every run (user inputs, and for training
 * graphs the parameters, optimizer state and hyper-parameters); constants are baked into the model.
 */
import type { Meta } from "../ops/registry";
import type { Tensor } from "../tensor/tensor";

/** Which part of a training step produced a node. */
export type Phase = "forward" | "backward" | "optimizer";

/** One node. */
export interface IRNode {
  readonly id: number;
  kind: "op" | "onnx";
  /** flowbook op name (kind "op") or ONNX op type (kind "onnx"). */
  op: string;
  /** ONNX domain ("" = default, "com.microsoft" for contrib ops). */
  domain?: string;
  /** Input value names; "" marks an omitted optional ONNX input. */
  inputs: string[];
  outputs: string[];
  /** Op attributes (kind "op") or ONNX attributes (kind "onnx"). */
  attrs: any;
  /** The user's line that produced the node (for backward ops: the `backward()` line). */
  sourceLine?: string;
  /** Dotted module path ("" = the graph's own build). */
  scope: string;
  phase: Phase;
  /** Names of ops a fusion pass folded into this node (the display marks fused nodes). */
  fused?: string[];
}

/** What a graph input stands for. */
export type InputKind = "input" | "param" | "state" | "hyper" | "grad";
/** A graph input: a user input (`index` = position in the flattened inputs) or a captured tensor fed each run. */
export interface IRInput { name: string; kind: InputKind; tensor?: Tensor; index?: number }

/** What a graph output is for. */
export type OutputKind = "output" | "assign" | "grad";
/** A graph output: a user output, or a new value written back into `target` after each run. */
export interface IROutput { name: string; kind: OutputKind; target?: Tensor }

let nextNodeId = 1;

/** A traced graph. */
export class IRGraph {
  /** Shape and dtype of values where known (every traced value; ONNX intermediates may be unknown). */
  meta = new Map<string, Meta>();
  nodes: IRNode[] = [];
  inputs: IRInput[] = [];
  /** Baked values (initializers). */
  constants = new Map<string, Tensor>();
  outputs: IROutput[] = [];
  /** Display names of values (parameter paths), when they differ from the value name. */
  labels = new Map<string, string>();
  /** What passes did, in order (shown by debug() and the text form). */
  notes: string[] = [];

  /** Appends a node and returns it. */
  add(n: Omit<IRNode, "id">): IRNode {
    const node = { ...n, id: nextNodeId++ } as IRNode;
    this.nodes.push(node);
    return node;
  }

  /** Map value name → node producing it. */
  producers(): Map<string, IRNode> {
    const m = new Map<string, IRNode>();
    for (const n of this.nodes) for (const o of n.outputs) m.set(o, n);
    return m;
  }

  /** Map value name → nodes reading it. */
  consumers(): Map<string, IRNode[]> {
    const m = new Map<string, IRNode[]>();
    for (const n of this.nodes) for (const i of n.inputs) if (i) { const l = m.get(i); if (l) l.push(n); else m.set(i, [n]); }
    return m;
  }

  /** Names that must survive (graph outputs). */
  outputNames(): Set<string> { return new Set(this.outputs.map((o) => o.name)); }

  /** Replaces every use of value `from` (node inputs and graph outputs) by `to`. */
  replaceUses(from: string, to: string): void {
    for (const n of this.nodes) n.inputs = n.inputs.map((i) => (i === from ? to : i));
    for (const o of this.outputs) if (o.name === from) o.name = to;
  }

  /** Removes nodes (by identity). */
  remove(dead: Set<IRNode>): void { if (dead.size) this.nodes = this.nodes.filter((n) => !dead.has(n)); }

  /** Count of nodes per op name, e.g. `{matmul: 2, add: 1}` (what pass tests assert). */
  opCounts(): Record<string, number> {
    const c: Record<string, number> = {};
    for (const n of this.nodes) c[n.op] = (c[n.op] ?? 0) + 1;
    return c;
  }

  /** A copy whose node list and maps can be rewritten without touching this one (tensors are shared). */
  clone(): IRGraph {
    const g = new IRGraph();
    g.meta = new Map(this.meta);
    g.nodes = this.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], fused: n.fused && [...n.fused] }));
    g.inputs = this.inputs.map((i) => ({ ...i }));
    g.constants = new Map(this.constants);
    g.outputs = this.outputs.map((o) => ({ ...o }));
    g.labels = new Map(this.labels);
    g.notes = [...this.notes];
    return g;
  }

  /** Display name of a value: its parameter path if it has one. */
  label(name: string): string { return this.labels.get(name) ?? name; }
}
