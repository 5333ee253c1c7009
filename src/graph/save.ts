/**
 * Saving a graph as a Triton model repository entry and loading it back.
 *
 * `saveGraph(graph, dir)` writes `dir/config.pbtxt` and `dir/1/model.onnx` (the entry's name is dir's base
 * name): inputs INPUT_0.., outputs OUTPUT_0.., TYPE_ data types, `max_batch_size` with dynamic batching when
 * the graph is batch-polymorphic (checked by tracing at a second batch size, see batch.ts), else
 * `max_batch_size: 0` with full shapes. Writing is atomic: the entry is built beside the target and renamed
 * into place, so a failure leaves any earlier entry intact. `loadGraph(dir)` returns an inference graph
 * running the saved model. The entry is written by serving's `writeModelEntry`, so `flow.serving.serve` runs it
 * as is.
 *
 * Both are registered with `flow.save` / `flow.load` (formats "graph" and "graph-state"):
 *   flow.save(graph, "models/cnn")                       // a Triton entry (directory)
 *   const g = flow.load("models/cnn")                    // a directory holding config.pbtxt → LoadedGraph
 *   flow.save(graph.stateDict(), "ckpt.safetensors")     // resume state: tensors + a JSON skeleton in metadata
 *   graph.loadStateDict(flow.load("ckpt.safetensors"))
 */
import * as fs from "fs";
import * as path from "path";
import { Tensor } from "../tensor/tensor";
import { ortTypeOf, dtypeFromOrt, DType, TypedArray, carrierDType, toCarrier } from "../tensor/dtype";
import { writeModelEntry } from "../serving/write_entry";
import { feedValue } from "../backend/gpu";
import { registerFormat, readSafetensors, writeSafetensors } from "../io/index";
import { createSession, NativeSession, ort } from "../backend/ort";
import { device as parseDevice, executionProviders } from "../backend/device";
import { decodeModel } from "../onnx/proto";
import { Graph } from "./graph";
import { emitModel } from "./emit";

/** Options of saveGraph. */
export interface SaveGraphOptions {
  /** Largest batch Triton may form (default 64); 0 saves fixed shapes without batching. */
  maxBatchSize?: number;
  /** Class labels of the first output (Triton classification). */
  labels?: string[];
  /** Version directory (default 1). */
  version?: number;
  /** Triton's dynamic batcher queue delay in microseconds (default 0). */
  maxQueueDelayMicroseconds?: number;
}

/**
 * Saves the inference graph's last compiled signature as a Triton model repository entry at `dir`
 * (`dir/config.pbtxt`, `dir/<version>/model.onnx`). The graph must have been called once (that call fixes
 * the shapes). Returns `dir`.
 * @example flow.save(new InferGraph(), "models/resnet101")
 */
export function saveGraph(graph: Graph, dir: string, opts: SaveGraphOptions = {}): string {
  const entry = graph.lastCompiled();
  if (!entry) throw new Error(`saveGraph: ${graph.constructor.name} has not been compiled yet; call it once with an example input, then save`);
  if (entry.variant !== "infer") throw new Error(`saveGraph: ${graph.constructor.name} is a training graph; save an inference graph over the same model (class Infer extends flow.nn.Graph { build(x) { return this.model.forward(x) } })`);
  let maxBatch = opts.maxBatchSize ?? 64;
  let g = entry.lowered;
  if (maxBatch > 0) {
    try { g = graph.dynamicOf(entry); } catch (e) {
      if (opts.maxBatchSize !== undefined) throw e;
      maxBatch = 0; // not batch-polymorphic: fixed shapes, no batching
    }
  }
  const userIns = g.inputs.filter((i) => i.kind === "input");
  if (userIns.length !== g.inputs.length) throw new Error("saveGraph: the graph feeds captured tensors as inputs (in-place writes during inference?); only pure inference graphs can be saved");
  const inputNames = userIns.map((_, i) => `INPUT_${i}`);
  const outputNames = g.outputs.map((_, i) => `OUTPUT_${i}`);
  if (g.outputs.some((o) => o.kind !== "output")) throw new Error("saveGraph: the graph writes tensors in place (e.g. batch norm in training mode); call model.eval() before tracing the inference graph");
  const { bytes } = emitModel(g, { name: path.basename(dir), dynamicBatch: maxBatch > 0, inputNames, outputNames });
  const dims = (name: string) => { const s = g.meta.get(name)!.shape; return maxBatch > 0 ? s.slice(1) : [...s]; };
  writeModelEntry(path.dirname(path.resolve(dir)), {
    name: path.basename(path.resolve(dir)), onnx: bytes, maxBatchSize: maxBatch, version: opts.version, labels: opts.labels,
    inputs: userIns.map((inp, i) => ({ name: inputNames[i], dtype: g.meta.get(inp.name)!.dtype, dims: dims(inp.name) })),
    outputs: g.outputs.map((o, i) => ({ name: outputNames[i], dtype: g.meta.get(o.name)!.dtype, dims: dims(o.name) })),
    dynamicBatching: maxBatch > 0 ? { maxQueueDelayMicroseconds: opts.maxQueueDelayMicroseconds ?? 0 } : undefined,
  });
  return dir;
}

/** An inference graph loaded from a model repository entry: calling it runs the saved model. */
export class LoadedGraph extends Graph {
  /** @internal */ declare private session: NativeSession;
  /** The entry directory and model file it came from. */
  declare readonly modelPath: string;
  /** Input and output names, dtypes and shapes (-1 = dynamic). */
  declare readonly signature: { inputs: { name: string; dtype: DType; shape: number[] }[]; outputs: { name: string; dtype: DType; shape: number[] }[] };

  constructor(modelPath: string, bytes: Uint8Array, deviceName = "cpu") {
    super();
    const dev = parseDevice(deviceName);
    const model = decodeModel(bytes);
    const info = (v: { name: string; dtype: DType; dims: (number | string)[] }) => ({ name: v.name, dtype: v.dtype, shape: v.dims.map((d) => (typeof d === "number" ? d : -1)) });
    Object.defineProperty(this, "modelPath", { value: modelPath });
    Object.defineProperty(this, "signature", { value: { inputs: model.graph.inputs.filter((i) => !model.graph.initializers.some((t) => t.name === i.name)).map(info), outputs: model.graph.outputs.map(info) } });
    Object.defineProperty(this, "session", { value: createSession(bytes, { executionProviders: executionProviders(dev) as never, graphOptimizationLevel: "all" }, modelPath) });
  }

  /** Runs the saved model: one Tensor per input, in order; returns a Tensor, or an array for several outputs. */
  run(...inputs: Tensor[]): any {
    const sig = this.signature;
    if (inputs.length !== sig.inputs.length) throw new TypeError(`${path.basename(path.dirname(path.dirname(this.modelPath)))}: expected ${sig.inputs.length} input tensor(s) (${sig.inputs.map((i) => i.name).join(", ")}), got ${inputs.length}`);
    const { Tensor: OrtTensor } = ort();
    const feeds: Record<string, unknown> = {};
    sig.inputs.forEach((s, i) => { const t = inputs[i]; feeds[s.name] = t.device.type !== "cpu" ? feedValue(t) : new OrtTensor(ortTypeOf(carrierDType(t.dtype)) as never, toCarrier(t.dtype, t._host()) as never, t.shape); });
    const fetches = Object.fromEntries(sig.outputs.map((o) => [o.name, null]));
    const r = this.session.run(feeds as never, fetches, {});
    const outs = sig.outputs.map((o) => { const v = r[o.name] as any; return Tensor._fromArray(v.data as TypedArray, [...v.dims], dtypeFromOrt(v.type), inputs[0]?.device ?? "cpu"); });
    return outs.length === 1 ? outs[0] : outs;
  }

  build(): never { throw new Error("a loaded graph runs its saved model; it has no build()"); }

  toString(): string {
    const sig = this.signature;
    const t = (x: { name: string; dtype: DType; shape: number[] }) => `${x.name}:tensor(..., size=(${x.shape.join(", ")}), dtype=flow.${x.dtype})`;
    return [`(GRAPH:LoadedGraph:${this.modelPath}): (`, ...sig.inputs.map((i) => `  (INPUT:${t(i)})`), ...sig.outputs.map((o) => `  (OUTPUT:${t(o)})`), ")"].join("\n");
  }

  [Symbol.for("Jupyter.display")](): Promise<Record<string, string>> { return Promise.resolve({ "text/plain": this.toString() }); }
}

/**
 * Loads a model repository entry written by saveGraph (the highest version directory) as an inference graph.
 * @example const g = flow.load("models/resnet101"); const y = g(x)
 */
export function loadGraph(dir: string, opts: { device?: string; version?: number } = {}): LoadedGraph {
  if (!fs.existsSync(path.join(dir, "config.pbtxt"))) throw new Error(`loadGraph: ${dir} is not a model repository entry (no config.pbtxt)`);
  const versions = fs.readdirSync(dir).filter((d) => /^[1-9]\d*$/.test(d) && fs.existsSync(path.join(dir, d, "model.onnx"))).map(Number).sort((a, b) => a - b);
  const v = opts.version ?? versions[versions.length - 1];
  if (v === undefined || !versions.includes(v)) throw new Error(`loadGraph: ${dir} has no version directory with a model.onnx${opts.version ? ` for version ${opts.version}` : ""} (found: ${versions.join(", ") || "none"})`);
  const file = path.join(dir, String(v), "model.onnx");
  return new LoadedGraph(file, new Uint8Array(fs.readFileSync(file)), opts.device);
}

// ---- flow.save / flow.load formats ------------------------------------------------------------------

const STATE_KEY = "flowbook.graph_state";

/** A Graph.stateDict() (it carries the graph's own `_graph` record). */
function isGraphState(obj: unknown): obj is Record<string, unknown> {
  return typeof obj === "object" && obj !== null && !Array.isArray(obj) && typeof (obj as { _graph?: unknown })._graph === "object";
}

/**
 * Splits a nested state (module state dicts, optimizer state with JS numbers, lr values) into flat tensors
 * named by their path and a JSON skeleton in which each tensor is `{"$tensor": path}`.
 */
export function splitState(obj: unknown, tensors: Record<string, Tensor>, at = ""): unknown {
  if (obj instanceof Tensor) { tensors[at] = obj; return { $tensor: at }; }
  if (Array.isArray(obj)) return obj.map((v, i) => splitState(v, tensors, `${at}/${i}`));
  if (obj !== null && typeof obj === "object") return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, splitState(v, tensors, at ? `${at}/${k}` : k)]));
  if (typeof obj === "number" && !Number.isFinite(obj)) return { $number: String(obj) };
  if (typeof obj === "bigint") return { $bigint: String(obj) };
  return obj;
}

/** Rebuilds what splitState split. */
export function joinState(skel: unknown, tensors: Record<string, Tensor>): unknown {
  if (Array.isArray(skel)) return skel.map((v) => joinState(v, tensors));
  if (skel !== null && typeof skel === "object") {
    const o = skel as Record<string, unknown>;
    if (typeof o.$tensor === "string") {
      const t = tensors[o.$tensor];
      if (!t) throw new Error(`graph state: the file has no tensor '${o.$tensor}'`);
      return t;
    }
    if (typeof o.$number === "string") return Number(o.$number);
    if (typeof o.$bigint === "string") return BigInt(o.$bigint);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, joinState(v, tensors)]));
  }
  return skel;
}

function isEntryDir(p: string): boolean {
  try { return fs.statSync(p).isDirectory() && fs.existsSync(path.join(p, "config.pbtxt")); } catch { return false; }
}

function hasStateMetadata(p: string): boolean {
  if (!p.toLowerCase().endsWith(".safetensors") || !fs.existsSync(p)) return false;
  const fd = fs.openSync(p, "r");
  try {
    const head = Buffer.alloc(8);
    if (fs.readSync(fd, head, 0, 8, 0) < 8) return false;
    const n = Number(head.readBigUInt64LE(0));
    if (n > 64 << 20) return false;
    const json = Buffer.alloc(n);
    fs.readSync(fd, json, 0, n, 8);
    return json.includes(STATE_KEY);
  } finally { fs.closeSync(fd); }
}

registerFormat({
  name: "graph",
  canSave: (obj) => obj instanceof Graph,
  save: (obj, p, opts) => { saveGraph(obj as Graph, p, opts as SaveGraphOptions); },
  canLoad: (p) => isEntryDir(p),
  load: (p, opts) => loadGraph(p, opts as { device?: string; version?: number }),
});

registerFormat({
  name: "graph-state",
  canSave: (obj, p) => isGraphState(obj) && p.toLowerCase().endsWith(".safetensors"),
  save: (obj, p, opts) => {
    const tensors: Record<string, Tensor> = {};
    const skel = splitState(obj, tensors);
    writeSafetensors(p, tensors, { ...(opts.metadata ?? {}), [STATE_KEY]: JSON.stringify(skel) });
  },
  canLoad: (p) => hasStateMetadata(p),
  load: (p) => {
    const f = readSafetensors(p);
    return joinState(JSON.parse(f.metadata[STATE_KEY]), f.tensors);
  },
});
