/**
 * `flow.onnx.load(path)`: an ONNX model (as torch.onnx.export writes it) as an inference module. `forward`
 * runs it through one ONNX Runtime session (synchronously, like every eager op); `graph` is the decoded
 * model as plain data (nodes, initializers, inputs/outputs); `display()` draws its nodes (Graphviz, the
 * nn.Graph picture machinery), clustered by the module names torch.onnx.export put in the node names.
 *
 * Inside nn.Graph: `build(x) { return this.om.forward(x) }` records one `_onnxSubgraph` op (this file's op
 * table entry). Its shape rule takes the output shapes from the model's declared outputs (symbolic dims such as
 * "batch" bound from the inputs; otherwise one ONNX Runtime run on zeros, cached per input shape); its lowering
 * re-emits every imported node with renamed values and the weights as initializers, so the imported graph is
 * part of the graph's one ONNX model and session, and the graph's ONNX-stage passes (conv+BN folding,
 * pad→conv, add→output) see its nodes. Imported models are inference-only: the op has no gradient.
 */
import * as fs from "fs";
import { Tensor } from "../tensor/tensor";
import { DType, TypedArray, allocArray, dtypeFromOrt, ortTypeOf, viewBytes } from "../tensor/dtype";
import { Device, device as parseDevice, executionProviders, checkUsable } from "../backend/device";
import { createSession, NativeSession, ort } from "../backend/ort";
import { OnnxAttr, OnnxModel, OnnxNode, OnnxTensor, decodeModel } from "../onnx/proto";
import { defineOp, Meta } from "../ops/registry";
import { OnnxBuilder } from "../ops/builder";
import { activeTracer, bind } from "../ops/dispatch";
import { OPSET } from "../onnx/opset";
import { enterModule, exitModule } from "../graph/scope";
import { IRGraph } from "../graph/ir";
import { displayIR, DisplayOptions } from "../graph/display";

/** Attributes of the `_onnxSubgraph` op: the model's id (for caches and CSE keys) and, not enumerable, the module. */
interface SubgraphAttrs { model: number }
const MODULE = Symbol("flowbook.onnx.module");
let nextModelId = 0;

function moduleOf(a: SubgraphAttrs): OnnxModule {
  const m = (a as unknown as Record<symbol, OnnxModule>)[MODULE];
  if (!m) throw new Error("_onnxSubgraph: the op's attributes do not carry their imported model (record it through OnnxModule.forward)");
  return m;
}

defineOp<SubgraphAttrs>({
  name: "_onnxSubgraph",
  infer: (ins, a) => moduleOf(a)._outputMeta(ins),
  lower: (b, ins, a, inMeta) => moduleOf(a)._lowerInto(b, ins, inMeta),
});

/** The lowest default-domain opset whose node semantics flowbook's opset keeps (Squeeze/Unsqueeze/Split/ReduceSum changed in 13). */
const MIN_IMPORT_OPSET = 13;

/** A graph input or output: name, dtype, and dims (a string names a dynamic dimension such as "batch"). */
export interface IOSpec { name: string; dtype: DType; shape: (number | string)[] }

/** One node of the imported graph in a form that maps onto flowbook ops. */
export interface ImportedNode {
  opType: string; domain: string; name: string;
  inputs: string[]; outputs: string[];
  /** Attributes as plain values (ints → number, floats → number, strings, tensors → Tensor, lists). */
  attrs: Record<string, unknown>;
}

/** Options for {@link load}. */
export interface OnnxLoadOptions {
  /** Device whose execution provider runs the session (default cpu). */
  device?: string | Device;
  /** ORT graph optimisation level (default "all"). */
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
}

/** An imported ONNX model that runs as an inference module. */
export class OnnxModule {
  /** The decoded model (protobuf as plain objects). */
  readonly graph: OnnxModel;
  /** Graph inputs that are not initializers, in the order forward() takes them. */
  readonly inputs: IOSpec[];
  /** Graph outputs, in the order forward() returns them. */
  readonly outputs: IOSpec[];
  /** Where the session runs. */
  readonly device: Device;
  private readonly session: NativeSession;
  /** The `_onnxSubgraph` op's attributes for this model (the module rides along, not enumerable). */
  private readonly opAttrs: SubgraphAttrs;
  /** Output shapes found by running the model, per input-shape key (for outputs whose dims the model leaves open). */
  private readonly probed = new Map<string, number[][]>();
  /** Initializer names already emitted into a builder (a model called twice in one graph keeps one copy). */
  private readonly emitted = new WeakMap<OnnxBuilder, Map<string, string>>();

  constructor(bytes: Uint8Array, readonly source: string, opts: OnnxLoadOptions = {}) {
    this.opAttrs = { model: nextModelId++ };
    Object.defineProperty(this.opAttrs, MODULE, { value: this, enumerable: false });
    this.graph = decodeModel(bytes);
    this.device = checkUsable(parseDevice(opts.device ?? "cpu"));
    const inits = new Set(this.graph.graph.initializers.map((t) => t.name));
    this.inputs = this.graph.graph.inputs.filter((v) => !inits.has(v.name)).map((v) => ({ name: v.name, dtype: v.dtype, shape: v.dims }));
    this.outputs = this.graph.graph.outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.dims }));
    this.session = createSession(bytes, {
      executionProviders: executionProviders(this.device) as never,
      graphOptimizationLevel: opts.graphOptimizationLevel ?? "all",
    }, source);
  }

  /**
   * Runs the model: one tensor per graph input (positional, or one record by input name). Returns the single
   * output, or an array when the model has several.
   * @example const m = flow.onnx.load("resnet18.onnx"); const logits = m.forward(flow.zeros(1, 3, 224, 224));
   */
  forward(...args: (Tensor | Record<string, Tensor>)[]): Tensor | Tensor[] {
    const outs = activeTracer() ? this.trace(args) : this.run(args);
    return outs.length === 1 ? outs[0] : outs;
  }

  /** Inside nn.Graph's build: records the model as one op, in this module's scope. */
  private trace(args: (Tensor | Record<string, Tensor>)[]): Tensor[] {
    const ins = this.positional(args);
    const scoped = enterModule(this);
    try { return bind("_onnxSubgraph", ins, this.opAttrs); } finally { if (scoped) exitModule(); }
  }

  private positional(args: (Tensor | Record<string, Tensor>)[]): Tensor[] {
    const byName = args.length === 1 && !(args[0] instanceof Tensor) ? args[0] as Record<string, Tensor> : null;
    if (!byName && args.length !== this.inputs.length) {
      throw new TypeError(`${this.source}: forward() takes ${this.inputs.length} input(s) (${this.inputs.map((i) => i.name).join(", ")}), got ${args.length}`);
    }
    return this.inputs.map((spec, i) => {
      const t = byName ? byName[spec.name] : args[i] as Tensor;
      if (!(t instanceof Tensor)) throw new TypeError(`${this.source}: input '${spec.name}' is missing or not a Tensor`);
      return t;
    });
  }

  /** @internal The `_onnxSubgraph` shape rule: output shapes and dtypes for these input shapes. */
  _outputMeta(ins: readonly Meta[]): Meta[] {
    if (ins.length !== this.inputs.length) throw new TypeError(`${this.source}: forward() takes ${this.inputs.length} input(s) (${this.inputs.map((i) => i.name).join(", ")}), got ${ins.length}`);
    const bound = new Map<string, number>();
    ins.forEach((m, i) => {
      const spec = this.inputs[i];
      checkInput(spec, m, this.source);
      spec.shape.forEach((d, k) => {
        if (typeof d !== "string" || !d) return;
        const prev = bound.get(d);
        if (prev !== undefined && prev !== m.shape[k]) throw new RangeError(`${this.source}: dimension '${d}' is ${prev} in one input and ${m.shape[k]} in input '${spec.name}'`);
        bound.set(d, m.shape[k]);
      });
    });
    let shapes: (number | null)[][] = this.outputs.map((o) => o.shape.map((d) => (typeof d === "number" ? (d >= 0 ? d : null) : bound.get(d) ?? null)));
    if (shapes.some((s) => s.some((d) => d === null))) {
      shapes = this.probe(ins.map((m) => [...m.shape]));
    }
    return this.outputs.map((o, i) => ({ shape: shapes[i] as number[], dtype: o.dtype }));
  }

  /** Output shapes by running the model once on zeros of these input shapes (cached). */
  private probe(shapes: number[][]): number[][] {
    const key = JSON.stringify(shapes);
    let hit = this.probed.get(key);
    if (!hit) {
      const zeros = shapes.map((s, i) => Tensor._fromArray(allocArray(this.inputs[i].dtype, s.reduce((a, b) => a * b, 1)), s, this.inputs[i].dtype));
      hit = this.run(zeros).map((t) => [...t.shape]);
      this.probed.set(key, hit);
    }
    return hit;
  }

  /**
   * @internal The `_onnxSubgraph` lowering: re-emits every node of the model into `b` with values renamed
   * (model inputs → `ins`, weights → initializers, the rest → fresh names), and returns the output names.
   */
  _lowerInto(b: OnnxBuilder, ins: string[], _inMeta: readonly Meta[]): string[] {
    const opset = this.graph.opsets.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version ?? 0;
    if (opset < MIN_IMPORT_OPSET || opset > OPSET) {
      throw new Error(`${this.source}: the model uses ONNX opset ${opset}; nn.Graph compiles at opset ${OPSET} and can take in models of opset ${MIN_IMPORT_OPSET} to ${OPSET} (re-export with torch.onnx.export(..., opset_version=${OPSET})). Eager forward() runs it as is.`);
    }
    const names = new Map<string, string>();
    this.inputs.forEach((spec, i) => names.set(spec.name, ins[i]));
    let inits = this.emitted.get(b);
    if (!inits) {
      inits = new Map();
      for (const t of this.graph.graph.initializers) inits.set(t.name, b.rawInitializer(b.fresh(`w_${safeName(t.name)}`), t.dtype, [...t.dims], t.raw));
      this.emitted.set(b, inits);
    }
    for (const [k, v] of inits) if (!names.has(k)) names.set(k, v);
    const prefix = b.fresh("onnx");
    const rename = (v: string) => {
      let n = names.get(v);
      if (n === undefined) { n = `${prefix}/${v}`; names.set(v, n); }
      return n;
    };
    for (const node of this.graph.graph.nodes) {
      const domain = node.domain ?? "";
      if (domain !== "" && domain !== "ai.onnx" && domain !== "com.microsoft") throw new Error(`${this.source}: node '${node.name ?? node.opType}' is in the custom domain '${domain}', which nn.Graph cannot compile`);
      if (Object.values(node.attrs ?? {}).some((a) => "g" in a)) throw new Error(`${this.source}: node '${node.name ?? node.opType}' (${node.opType}) has a subgraph attribute; nn.Graph cannot re-emit control flow from imported models yet (forward() runs it eagerly)`);
      const copy: OnnxNode & { subScope?: string } = {
        opType: node.opType, domain: domain === "ai.onnx" ? undefined : node.domain, attrs: node.attrs ?? {},
        inputs: node.inputs.map((v) => (v === "" ? "" : rename(v))), outputs: node.outputs.map((v) => (v === "" ? "" : rename(v))),
        name: node.name,
      };
      const sub = scopeOfNodeName(node.name);
      if (sub) copy.subScope = sub;
      b.nodes.push(copy);
    }
    for (const vi of this.graph.graph.valueInfo ?? []) {
      if (vi.dims.every((d) => typeof d === "number" && d >= 0) && names.has(vi.name)) b.valueMeta.set(names.get(vi.name)!, { shape: vi.dims as number[], dtype: vi.dtype });
    }
    return this.outputs.map((o) => rename(o.name));
  }

  /** nn.Graph reads modules through namedModules (scopes in its text form and picture): this module has no children. */
  namedModules(): [string, unknown][] { return [["", this]]; }
  /** The weights live in the model; no parameters are trained. */
  namedParameters(): [string, Tensor][] { return []; }

  /** The model as an IR of ONNX nodes (what display draws), nodes scoped by the module paths in their names. */
  toIR(): IRGraph {
    const g = new IRGraph();
    const meta = (name: string, dtype: DType, dims: (number | string)[]) => g.meta.set(name, { shape: dims as number[], dtype });
    this.inputs.forEach((s, index) => { g.inputs.push({ name: s.name, kind: "input", index }); meta(s.name, s.dtype, s.shape); });
    for (const t of this.graph.graph.initializers) meta(t.name, t.dtype, t.dims);
    for (const v of this.graph.graph.valueInfo ?? []) meta(v.name, v.dtype, v.dims);
    for (const o of this.outputs) { g.outputs.push({ name: o.name, kind: "output" }); meta(o.name, o.dtype, o.shape); }
    for (const n of this.graph.graph.nodes) {
      g.add({ kind: "onnx", op: n.opType, domain: n.domain, inputs: [...n.inputs], outputs: [...n.outputs], attrs: n.attrs ?? {}, scope: scopeOfNodeName(n.name), phase: "forward", sourceLine: n.name });
    }
    return g;
  }

  /**
   * The model as a picture: its ONNX nodes coloured by kind, clustered by module (from torch.onnx.export's
   * node names), shapes on edges where the model declares them; large models collapse deep modules to boxes.
   */
  display(opts: DisplayOptions = {}): Promise<Record<string, string>> {
    const g = this.toIR();
    return displayIR(g, {
      caption: (depth) => `${this.source}: ${g.nodes.length} ONNX nodes (opset ${this.graph.opsets.map((o) => `${o.domain || "ai.onnx"} ${o.version}`).join(", ")}); modules deeper than ${depth} collapsed`,
      classes: new Map(), tip: (n) => n.sourceLine ?? "",
    }, this.toString(), opts);
  }

  /** Jupyter display: the picture. */
  [Symbol.for("Jupyter.display")](): Promise<Record<string, string>> { return this.display(); }

  /** Same as forward, always returning an array of outputs. */
  run(args: (Tensor | Record<string, Tensor>)[]): Tensor[] {
    const ins = this.positional(args);
    const { Tensor: OrtTensor } = ort();
    const feeds: Record<string, unknown> = {};
    this.inputs.forEach((spec, i) => {
      const t = ins[i];
      checkInput(spec, t, this.source);
      feeds[spec.name] = t._deviceValue ?? new OrtTensor(ortTypeOf(t.dtype), t._host(`${this.source} input '${spec.name}'`), t.shape);
    });
    const fetches: Record<string, null> = {};
    for (const o of this.outputs) fetches[o.name] = null;
    let res: Record<string, { type: string; data: unknown; dims: readonly number[] }>;
    try {
      res = this.session.run(feeds as never, fetches, {}) as never;
    } catch (e) {
      throw new Error(`${this.source}: ONNX Runtime failed: ${(e as Error).message}`);
    }
    return this.outputs.map((o) => {
      const v = res[o.name];
      return Tensor._fromArray(v.data as TypedArray, [...v.dims], dtypeFromOrt(v.type), this.device);
    });
  }

  /** The graph's nodes with attributes as plain values, in topological (file) order. */
  nodes(): ImportedNode[] {
    return this.graph.graph.nodes.map((n) => ({
      opType: n.opType, domain: n.domain ?? "", name: n.name ?? "", inputs: [...n.inputs], outputs: [...n.outputs],
      attrs: Object.fromEntries(Object.entries(n.attrs ?? {}).map(([k, a]) => [k, attrValue(a)])),
    }));
  }

  /** Initializers (weights) by name as tensors (views of the model bytes where aligned). */
  initializers(): Record<string, Tensor> {
    return Object.fromEntries(this.graph.graph.initializers.map((t) => [t.name, onnxTensorToTensor(t)]));
  }

  /** Op type → count, for a quick look at what the model uses. */
  opCounts(): Record<string, number> {
    const c: Record<string, number> = {};
    for (const n of this.graph.graph.nodes) c[n.opType] = (c[n.opType] ?? 0) + 1;
    return c;
  }

  /** Frees the ONNX Runtime session. */
  dispose(): void { this.session.dispose(); }

  toString(): string {
    const sig = (l: IOSpec[]) => l.map((s) => `${s.name}: ${s.dtype}[${s.shape.join(", ")}]`).join(", ");
    return `OnnxModule(${this.source}: (${sig(this.inputs)}) -> (${sig(this.outputs)}), ${this.graph.graph.nodes.length} nodes)`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string { return this.toString(); }
}

function checkInput(spec: IOSpec, t: Meta, source: string): void {
  if (t.dtype !== spec.dtype) throw new TypeError(`${source}: input '${spec.name}' expects ${spec.dtype}, got ${t.dtype}`);
  const ok = spec.shape.length === t.shape.length && spec.shape.every((d, i) => typeof d !== "number" || d < 0 || d === t.shape[i]);
  if (!ok) throw new RangeError(`${source}: input '${spec.name}' expects shape [${spec.shape.join(", ")}], got [${t.shape.join(", ")}]`);
}

/** A value name usable inside a generated name. */
const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 60);

/**
 * The module path torch.onnx.export encodes in a node name ("/layer1/layer1.0/conv1/Conv" → "layer1.0.conv1"):
 * each segment after the first is either the parent's qualified name plus a child, or a child name.
 */
export function scopeOfNodeName(name: string | undefined): string {
  if (!name || !name.startsWith("/")) return "";
  const segs = name.split("/").filter(Boolean).slice(0, -1);
  const parts: string[] = [];
  let qualified = "";
  for (const s of segs) {
    const child = qualified && s.startsWith(qualified + ".") ? s.slice(qualified.length + 1) : s;
    parts.push(child);
    qualified = qualified ? `${qualified}.${child}` : child;
  }
  return parts.join(".");
}

/** An ONNX constant tensor as a flowbook Tensor. */
export function onnxTensorToTensor(t: OnnxTensor): Tensor {
  return Tensor._fromArray(viewBytes(t.dtype, t.raw), [...t.dims], t.dtype);
}

function attrValue(a: OnnxAttr): unknown {
  if ("i" in a) return a.i;
  if ("f" in a) return a.f;
  if ("s" in a) return a.s;
  if ("t" in a) return onnxTensorToTensor(a.t);
  if ("ints" in a) return a.ints;
  if ("floats" in a) return a.floats;
  if ("strings" in a) return a.strings;
  return a.g;
}

/**
 * Loads an ONNX model file (or bytes) as an inference module.
 * @example
 * const m = flow.onnx.load("model.onnx");
 * m.inputs;                  // [{name: "input", dtype: "float32", shape: ["batch", 3, 224, 224]}]
 * const y = m.forward(x);    // a Tensor
 * m.opCounts();              // {Conv: 20, Relu: 17, ...}
 */
export function load(path: string | Uint8Array, opts: OnnxLoadOptions = {}): OnnxModule {
  const bytes = typeof path === "string" ? readModel(path) : path;
  return new OnnxModule(bytes, typeof path === "string" ? path : "ONNX model bytes", opts);
}

function readModel(path: string): Uint8Array {
  try {
    const b = fs.readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // not a Buffer: its slice() would not copy
  } catch (e) {
    throw new Error(`flow.onnx.load: cannot read ${path}: ${(e as Error).message}`);
  }
}
