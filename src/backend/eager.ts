/**
 * Eager execution of one op: a TypeScript host kernel for small CPU tensors where the op has one, else a
 * cached single-op ONNX Runtime session keyed by op, attributes, dtypes, shapes and device.
 */
import { Tensor, numelOf } from "../tensor/tensor";
import { allocArray, dtypeFromOrt, ortTypeOf, TypedArray } from "../tensor/dtype";
import type { Meta, OpDef } from "../ops/registry";
import { OnnxBuilder } from "../ops/builder";
import { encodeModel } from "../onnx/proto";
import { createSession, NativeSession, ort } from "./ort";
import { Device, executionProviders, device as parseDevice } from "./device";
import { IR_VERSION, OPSET } from "../onnx/opset";
import { canReside, deviceTensor, feedValue, download, transferTo } from "./gpu";
import { setHostFromDevice } from "../tensor/tensor";

setHostFromDevice(download);

export { OPSET, IR_VERSION } from "../onnx/opset";

const DEFAULT_HOST_MAX = 4096;
const MAX_SESSIONS = 4096;

interface CachedSession { session: NativeSession; inputNames: string[]; outputNames: string[] }
const sessions = new Map<string, CachedSession>();
/** Counters shown by flow.memory() and the profiler. */
export const eagerStats = { sessionsCreated: 0, sessionHits: 0, hostKernelCalls: 0, sessionCalls: 0 };

/** Runs `op` eagerly and returns fresh output tensors on the inputs' device. */
export function runEager(op: OpDef<any>, inputs: Tensor[], attrs: unknown, outMeta: Meta[]): Tensor[] {
  const dev = inputs[0]?.device ?? deviceOf(attrs);
  if (outMeta.every((m) => numelOf(m.shape) === 0)) {
    return outMeta.map((m) => Tensor._fromArray(allocArray(m.dtype, 0), [...m.shape], m.dtype, dev));
  }
  if (op.host && dev.type === "cpu" && outMeta.every((m) => numelOf(m.shape) <= (op.hostMaxNumel ?? DEFAULT_HOST_MAX))) {
    const outs = op.host(inputs.map((t) => t._host()), attrs as never, inputs, outMeta);
    if (outs) eagerStats.hostKernelCalls++;
    if (outs) return outs.map((data, i) => Tensor._fromArray(data, [...outMeta[i].shape], outMeta[i].dtype, dev));
  }
  if (dev.type !== "cpu" && op.cpuFallback?.includes(dev.type)) {
    const cpu = parseDevice("cpu");
    return runSession(op, inputs.map((t) => transferTo(t, cpu)), attrs, outMeta, cpu).map((t) => transferTo(t, dev));
  }
  return runSession(op, inputs, attrs, outMeta, dev);
}

function deviceOf(attrs: unknown): Device {
  const d = (attrs as { device?: Device } | null)?.device;
  if (!d) throw new Error("an op with no tensor inputs needs a device attribute");
  return d;
}

/** Builds the single-op ONNX model of `op` for these input metas; `baked` inputs become initializers. */
export function singleOpModel(op: OpDef<any>, inMeta: readonly Meta[], attrs: unknown, outMeta: readonly Meta[], baked: ReadonlyMap<number, TypedArray> = new Map()): Uint8Array {
  const b = new OnnxBuilder();
  const inNames = inMeta.map((_, i) => `in${i}`);
  for (const [i, data] of baked) b.rawInitializer(inNames[i], inMeta[i].dtype, [...inMeta[i].shape], new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const outs = op.lower(b, inNames, attrs as never, inMeta, outMeta);
  if (outs.length !== outMeta.length) throw new Error(`op '${op.name}': lowering produced ${outs.length} outputs, shape rule ${outMeta.length}`);
  // Graph outputs are named out0, out1, ... (renamed in place; an Identity when an output is an input or repeated).
  const outNames = outs.map((o, i) => {
    const name = `out${i}`;
    if (inNames.includes(o) || outs.indexOf(o) !== i) { b.nodes.push({ opType: "Identity", inputs: [o], outputs: [name] }); return name; }
    for (const n of b.nodes) {
      n.outputs = n.outputs.map((v) => (v === o ? name : v));
      n.inputs = n.inputs.map((v) => (v === o ? name : v));
    }
    return name;
  });
  return encodeModel({
    irVersion: IR_VERSION,
    opsets: [{ domain: "", version: OPSET }, { domain: "com.microsoft", version: 1 }],
    producerName: "flowbook",
    graph: {
      name: op.name,
      nodes: b.nodes,
      initializers: b.initializers,
      inputs: inMeta.flatMap((m, i) => (baked.has(i) ? [] : [{ name: inNames[i], dtype: m.dtype, dims: [...m.shape] }])),
      outputs: outMeta.map((m, i) => ({ name: outNames[i], dtype: m.dtype, dims: [...m.shape] })),
    },
  });
}

// Inputs an op lets a CPU session bake in as constants (OpDef.bakeInputs): the session is keyed by each such
// tensor's id and storage version; a newer version of the tensor, or its collection, disposes the old sessions.
const bakedSessions = new Map<number, Map<string, number>>(); // tensor id -> session key -> storage version
const bakedGone = new FinalizationRegistry<number>((id) => dropBaked(id, -1));
function dropBaked(id: number, keepVersion: number): void {
  const keys = bakedSessions.get(id);
  if (!keys) return;
  for (const [key, version] of keys) {
    if (version === keepVersion) continue;
    keys.delete(key);
    const s = sessions.get(key);
    if (s) { sessions.delete(key); s.session.dispose(); }
  }
  if (!keys.size) bakedSessions.delete(id);
}
// A tensor is baked from its second use at one storage version on: weights are reused call after call,
// while one-off tensors (a cotangent in a weight-gradient conv) would only cost a session each.
const lastSeen = new WeakMap<Tensor, number>();
function bakedInputs(op: OpDef<any>, inputs: Tensor[], attrs: unknown, dev: Device): number[] {
  if (!op.bakeInputs || dev.type !== "cpu") return [];
  const cands = op.bakeInputs(inputs, attrs as never).filter((i) => inputs[i]?._storage && !inputs[i]._deviceValue && !inputs[i].isSymbolic);
  // All or none, so that a weight's first use after an update does not leave a session for its bias alone.
  let reused = true;
  for (const i of cands) {
    const t = inputs[i];
    if (lastSeen.get(t) !== t._storage!.version) reused = false;
    lastSeen.set(t, t._storage!.version);
  }
  return reused ? cands : [];
}

function sessionFor(op: OpDef<any>, inputs: Tensor[], attrs: unknown, outMeta: Meta[], dev: Device): CachedSession {
  let key = `${op.name}|${dev.name}|${JSON.stringify(attrs, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`;
  for (const t of inputs) key += `|${t.dtype}[${t.shape.join(",")}]`;
  const bake = bakedInputs(op, inputs, attrs, dev);
  for (const i of bake) key += `|#${inputs[i].id}v${inputs[i]._storage!.version}`;
  let s = sessions.get(key);
  if (s) {
    eagerStats.sessionHits++;
    sessions.delete(key); // LRU: re-insert as most recent
    sessions.set(key, s);
    return s;
  }
  for (const i of bake) {
    const t = inputs[i], version = t._storage!.version;
    dropBaked(t.id, version);
    if (!bakedSessions.has(t.id)) { bakedSessions.set(t.id, new Map()); bakedGone.register(t, t.id); }
    bakedSessions.get(t.id)!.set(key, version);
  }
  const bytes = singleOpModel(op, inputs, attrs, outMeta, new Map(bake.map((i) => [i, inputs[i]._host()])));
  const session = createSession(bytes, {
    executionProviders: executionProviders(dev) as never,
    // Constant inputs let ORT's full optimisation rewrite the op (Conv → blocked NCHWc kernels on x86).
    graphOptimizationLevel: bake.length ? "all" : "disabled",
    // GPU results stay in GPU buffers: the next op reads them there (IO binding), no host round trip.
    ...(dev.type === "cpu" ? {} : { preferredOutputLocation: Object.fromEntries(outMeta.map((_m, i) => [`out${i}`, canReside(outMeta[i].dtype) ? "gpu-buffer" : "cpu"])) }),
    // Each session owns a thread pool whose workers by default spin after a run; eager ops run one session
    // after another, so spinning workers of the last op steal cores from the next (ResNet-18 forward: ~2x).
    extra: { session: { intra_op: { allow_spinning: process.env.FLOWBOOK_ORT_SPIN ?? "0" } } },
  }, `the eager '${op.name}' op`);
  s = { session, inputNames: session.inputMetadata.map((m) => m.name), outputNames: session.outputMetadata.map((m) => m.name) };
  eagerStats.sessionsCreated++;
  sessions.set(key, s);
  if (sessions.size > MAX_SESSIONS) {
    const [oldKey, old] = sessions.entries().next().value as [string, CachedSession];
    sessions.delete(oldKey);
    old.session.dispose();
  }
  return s;
}

function runSession(op: OpDef<any>, inputs: Tensor[], attrs: unknown, outMeta: Meta[], dev: Device): Tensor[] {
  const s = sessionFor(op, inputs, attrs, outMeta, dev);
  const { Tensor: OrtTensor } = ort();
  const feeds: Record<string, any> = {};
  inputs.forEach((t, i) => {
    if (!s.inputNames.includes(`in${i}`)) return;
    feeds[`in${i}`] = dev.type === "cpu" ? new OrtTensor(ortTypeOf(t.dtype), t._host(), t.shape) : feedValue(t);
  });
  const fetches: Record<string, null> = {};
  for (const n of s.outputNames) fetches[n] = null;
  eagerStats.sessionCalls++;
  let result: Record<string, any>;
  try {
    result = s.session.run(feeds, fetches, {});
  } catch (e) {
    const shapes = inputs.map((t) => `${t.dtype}[${t.shape.join(", ")}]`).join(", ");
    throw new Error(`${op.name}: ONNX Runtime failed on inputs (${shapes}): ${(e as Error).message}`);
  }
  return s.outputNames.map((n, i) => {
    const v = result[n];
    const dtype = dtypeFromOrt(v.type);
    if (dtype !== outMeta[i].dtype) throw new Error(`op '${op.name}': ONNX Runtime returned ${dtype}, shape rule said ${outMeta[i].dtype}`);
    if (numelOf(v.dims) !== numelOf(outMeta[i].shape)) throw new Error(`op '${op.name}': ONNX Runtime returned shape [${v.dims}], shape rule said [${outMeta[i].shape}]`);
    if (v.location === "gpu-buffer") return deviceTensor(v, [...outMeta[i].shape], dtype, dev);
    return Tensor._fromArray(v.data as TypedArray, [...outMeta[i].shape], dtype, dev);
  });
}

/** Number of cached eager sessions. */
export function cachedSessionCount(): number { return sessions.size; }
