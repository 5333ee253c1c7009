/**
 * Saving a graph as a Triton model repository entry and loading it back.
 *
 * `saveGraph(graph, dir)` writes `dir/config.pbtxt` and `dir/1/model.onnx` (the entry's name is dir's base
 * name): inputs INPUT_0.., outputs OUTPUT_0.., TYPE_ data types, `max_batch_size` with dynamic batching when
 * the graph is batch-polymorphic (checked by tracing at a second batch size, see batch.ts), else
 * `max_batch_size: 0` with full shapes. Writing is atomic: the entry is built beside the target and renamed
 * into place, so a failure leaves any earlier entry intact. `loadGraph(dir)` returns an inference graph
 * running the saved model.
 */
import * as fs from "fs";
import * as path from "path";
import { Tensor } from "../tensor/tensor";
import { ortTypeOf, dtypeFromOrt, DType, TypedArray } from "../tensor/dtype";
import { createSession, NativeSession, ort } from "../backend/ort";
import { device as parseDevice, executionProviders } from "../backend/device";
import { decodeModel } from "../onnx/proto";
import { Graph } from "./graph";
import { emitModel } from "./emit";

/** One input or output of a model entry (dims without the batch dimension when max_batch_size > 0; -1 = dynamic). */
export interface EntryTensor { name: string; dtype: string; dims: number[] }
/** What writeModelEntry writes (the serving package's signature). */
export interface ModelEntry {
  name: string;
  onnx: Uint8Array;
  maxBatchSize: number;
  inputs: EntryTensor[];
  outputs: EntryTensor[];
  dynamicBatching?: { maxQueueDelayMicroseconds?: number; preferredBatchSize?: number[] };
  labels?: string[];
  version?: number;
}

const TRITON_TYPES: Record<string, string> = {
  float32: "TYPE_FP32", float16: "TYPE_FP16", float64: "TYPE_FP64", int64: "TYPE_INT64", int32: "TYPE_INT32",
  int8: "TYPE_INT8", uint8: "TYPE_UINT8", bool: "TYPE_BOOL",
};

function tensorConfig(t: EntryTensor): string {
  const type = TRITON_TYPES[t.dtype];
  if (!type) throw new Error(`model entry: tensor '${t.name}' has dtype '${t.dtype}', which Triton cannot take`);
  return `  {\n    name: "${t.name}"\n    data_type: ${type}\n    dims: [ ${t.dims.join(", ")} ]\n  }`;
}

/** The config.pbtxt text of an entry. */
export function entryConfig(e: ModelEntry): string {
  const lines = [
    `name: "${e.name}"`, `platform: "onnxruntime_onnx"`, `backend: "onnxruntime"`, `max_batch_size: ${e.maxBatchSize}`,
    `input [\n${e.inputs.map(tensorConfig).join(",\n")}\n]`,
    `output [\n${e.outputs.map((o, i) => tensorConfig(o).replace(/\n  }$/, i === 0 && e.labels ? `\n    label_filename: "labels.txt"\n  }` : "\n  }")).join(",\n")}\n]`,
  ];
  if (e.dynamicBatching) {
    const db = e.dynamicBatching;
    lines.push(`dynamic_batching {\n${db.preferredBatchSize?.length ? `  preferred_batch_size: [ ${db.preferredBatchSize.join(", ")} ]\n` : ""}  max_queue_delay_microseconds: ${db.maxQueueDelayMicroseconds ?? 0}\n}`);
  }
  lines.push(`instance_group [\n  {\n    count: 1\n    kind: KIND_AUTO\n  }\n]`, `default_model_filename: "model.onnx"`);
  return lines.join("\n") + "\n";
}

/**
 * Writes `<dir>/<entry.name>` atomically (adapter with the serving package's `writeModelEntry` signature;
 * src/serving's implementation replaces it once that lands in main).
 */
export function writeModelEntry(dir: string, e: ModelEntry): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(e.name) || e.name.startsWith(".")) throw new Error(`model name '${e.name}' must use letters, digits, '_', '-' and '.' and not start with '.'`);
  const version = e.version ?? 1;
  const config = entryConfig(e);
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, e.name);
  const tmp = fs.mkdtempSync(path.join(dir, `.${e.name}.tmp-`));
  try {
    if (fs.existsSync(target)) {
      for (const d of fs.readdirSync(target, { withFileTypes: true })) {
        if (d.isDirectory() && /^[1-9]\d*$/.test(d.name) && Number(d.name) !== version) fs.cpSync(path.join(target, d.name), path.join(tmp, d.name), { recursive: true });
      }
    }
    fs.mkdirSync(path.join(tmp, String(version)));
    fs.writeFileSync(path.join(tmp, String(version), "model.onnx"), e.onnx);
    fs.writeFileSync(path.join(tmp, "config.pbtxt"), config);
    if (e.labels) fs.writeFileSync(path.join(tmp, "labels.txt"), e.labels.join("\n") + "\n");
    if (fs.existsSync(target)) {
      const old = `${tmp}.old`;
      fs.renameSync(target, old);
      try { fs.renameSync(tmp, target); } catch (err) { fs.renameSync(old, target); throw err; }
      fs.rmSync(old, { recursive: true, force: true });
    } else fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return target;
}

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
    sig.inputs.forEach((s, i) => { const t = inputs[i]; feeds[s.name] = new OrtTensor(ortTypeOf(t.dtype), t._host(), t.shape); });
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
