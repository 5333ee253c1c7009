/**
 * Writes one Triton model repository entry (`<dir>/<name>/config.pbtxt`, `<version>/model.onnx`,
 * `labels.txt`) for the graph saver. Atomic: the entry is built beside the target in a temporary
 * directory and renamed into place, so readers (and a running server's reload) see either the old
 * entry or the new one, and a failure leaves the earlier entry intact.
 */
import * as fs from "fs";
import * as path from "path";
import { ModelConfig, TensorConfig, writeConfig } from "./config";
import { wireFromFlowbook } from "./dtypes";
import { checkModelName } from "./paths";

/** One input or output of an entry, in flowbook's terms. */
export interface EntryTensor {
  name: string;
  /** flowbook dtype: float32, float16, float64, int64, int32, int8, uint8 or bool. */
  dtype: string;
  /** Shape without the batch dimension; -1 is dynamic. */
  dims: number[];
}

/** What {@link writeModelEntry} writes. */
export interface ModelEntry {
  name: string;
  /** The serialized ONNX model. */
  onnx: Uint8Array;
  /** 0 for a model without a batch dimension. */
  maxBatchSize: number;
  inputs: EntryTensor[];
  outputs: EntryTensor[];
  dynamicBatching?: { maxQueueDelayMicroseconds?: number; preferredBatchSize?: number[] };
  /** Class labels of the first output (enables `score:index:label` classification). */
  labels?: string[];
  /** Version directory to write; default 1. Other existing versions are kept. */
  version?: number;
}

function tensor(t: EntryTensor, kind: string): TensorConfig {
  const dataType = wireFromFlowbook(t.dtype);
  if (!dataType) throw new Error(`${kind} '${t.name}' has dtype '${t.dtype}'; a model entry takes float32, float16, float64, int64, int32, int8, uint8 or bool`);
  if (!t.dims.every((d) => Number.isInteger(d) && d >= -1)) throw new Error(`${kind} '${t.name}' has dims ${JSON.stringify(t.dims)}; use non-negative integers or -1 for dynamic sizes`);
  return { name: t.name, dataType, dims: [...t.dims] };
}

/** The config.pbtxt text of an entry. */
export function entryConfig(entry: ModelEntry): string {
  const outputs = entry.outputs.map((t) => tensor(t, "output"));
  if (entry.labels && outputs.length) outputs[0].labelFilename = "labels.txt";
  const db = entry.dynamicBatching;
  const config: ModelConfig = {
    name: entry.name,
    platform: "onnxruntime_onnx",
    backend: "onnxruntime",
    maxBatchSize: entry.maxBatchSize,
    inputs: entry.inputs.map((t) => tensor(t, "input")),
    outputs,
    dynamicBatching: db ? { maxQueueDelayMicroseconds: db.maxQueueDelayMicroseconds ?? 0, preferredBatchSize: db.preferredBatchSize ?? [] } : undefined,
    instanceCount: 1,
    instanceKind: "KIND_AUTO", // Triton then picks the GPU where there is one.
    versionPolicy: { latest: 1 },
    defaultModelFilename: "model.onnx",
  };
  return writeConfig(config);
}

/**
 * Writes `<dir>/<entry.name>` atomically and returns its path.
 * @example writeModelEntry("models", { name: "resnet", onnx, maxBatchSize: 8, inputs: [{ name: "INPUT_0", dtype: "float32", dims: [3, 224, 224] }], outputs: [{ name: "OUTPUT_0", dtype: "float32", dims: [1000] }] })
 */
export function writeModelEntry(dir: string, entry: ModelEntry): string {
  checkModelName(entry.name);
  const version = entry.version ?? 1;
  if (!Number.isInteger(version) || version < 1) throw new Error(`version must be a positive integer; got ${version}`);
  if (entry.maxBatchSize < 0 || !Number.isInteger(entry.maxBatchSize)) throw new Error(`maxBatchSize must be a non-negative integer; got ${entry.maxBatchSize}`);
  const config = entryConfig(entry); // validate before touching the disk
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, entry.name);
  const tmp = fs.mkdtempSync(path.join(dir, `.${entry.name}.tmp-`));
  try {
    carryOtherVersions(target, tmp, version);
    fs.mkdirSync(path.join(tmp, String(version)));
    fs.writeFileSync(path.join(tmp, String(version), "model.onnx"), entry.onnx);
    fs.writeFileSync(path.join(tmp, "config.pbtxt"), config);
    if (entry.labels) fs.writeFileSync(path.join(tmp, "labels.txt"), entry.labels.join("\n") + "\n");
    swapIn(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return target;
}

/** Other versions of an existing entry stay served after the rewrite. */
function carryOtherVersions(target: string, tmp: string, version: number): void {
  if (!fs.existsSync(target)) return;
  for (const d of fs.readdirSync(target, { withFileTypes: true })) {
    if (d.isDirectory() && /^[1-9]\d*$/.test(d.name) && Number(d.name) !== version) fs.cpSync(path.join(target, d.name), path.join(tmp, d.name), { recursive: true });
  }
}

/** Replaces `target` by `tmp` with renames; restores the old entry if the second rename fails. */
function swapIn(tmp: string, target: string): void {
  if (!fs.existsSync(target)) { fs.renameSync(tmp, target); return; }
  const old = `${tmp}.old`;
  fs.renameSync(target, old);
  try {
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.renameSync(old, target);
    throw err;
  }
  fs.rmSync(old, { recursive: true, force: true });
}
