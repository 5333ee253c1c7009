/**
 * `flow.onnx.load(path)`: an ONNX model (as torch.onnx.export writes it) as an inference module. `forward`
 * runs it through one ONNX Runtime session (synchronously, like every eager op); `graph` is the decoded
 * model as plain data (nodes, initializers, inputs/outputs) for display and for nn.Graph to map onto
 * flowbook ops (`nodes()` lists each node with its attributes unwrapped and its initializer inputs resolved).
 */
import * as fs from "fs";
import { Tensor } from "../tensor/tensor";
import { DType, TypedArray, dtypeFromOrt, ortTypeOf, viewBytes } from "../tensor/dtype";
import { Device, device as parseDevice, executionProviders, checkUsable } from "../backend/device";
import { createSession, NativeSession, ort } from "../backend/ort";
import { OnnxAttr, OnnxModel, OnnxTensor, decodeModel } from "../onnx/proto";

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

  constructor(bytes: Uint8Array, readonly source: string, opts: OnnxLoadOptions = {}) {
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
    const outs = this.run(args);
    return outs.length === 1 ? outs[0] : outs;
  }

  /** Same as forward, always returning an array of outputs. */
  run(args: (Tensor | Record<string, Tensor>)[]): Tensor[] {
    const byName = args.length === 1 && !(args[0] instanceof Tensor) ? args[0] as Record<string, Tensor> : null;
    if (!byName && args.length !== this.inputs.length) {
      throw new TypeError(`${this.source}: forward() takes ${this.inputs.length} input(s) (${this.inputs.map((i) => i.name).join(", ")}), got ${args.length}`);
    }
    const { Tensor: OrtTensor } = ort();
    const feeds: Record<string, unknown> = {};
    this.inputs.forEach((spec, i) => {
      const t = byName ? byName[spec.name] : args[i] as Tensor;
      if (!(t instanceof Tensor)) throw new TypeError(`${this.source}: input '${spec.name}' is missing or not a Tensor`);
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

function checkInput(spec: IOSpec, t: Tensor, source: string): void {
  if (t.dtype !== spec.dtype) throw new TypeError(`${source}: input '${spec.name}' expects ${spec.dtype}, got ${t.dtype}`);
  const ok = spec.shape.length === t.ndim && spec.shape.every((d, i) => typeof d !== "number" || d < 0 || d === t.shape[i]);
  if (!ok) throw new RangeError(`${source}: input '${spec.name}' expects shape [${spec.shape.join(", ")}], got [${t.shape.join(", ")}]`);
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
