/**
 * Eager execution of one op: a TypeScript host kernel for small CPU tensors where the op has one, else a
 * cached single-op ONNX Runtime session keyed by op, attributes, dtypes, shapes and device.
 */
import * as os from "os";
import { Tensor, numelOf } from "../tensor/tensor";
import { allocArray, carrierDType, dtypeFromOrt, fromCarrier, ortTypeOf, toCarrier, TypedArray } from "../tensor/dtype";
import { involvesBfloat16, lowerOp } from "../ops/lower";
import type { Meta, OpDef } from "../ops/registry";
import { OnnxBuilder } from "../ops/builder";
import { encodeModel } from "../onnx/proto";
import { createSession, NativeSession } from "./ort";
import { Device, executionProviders, device as parseDevice } from "./device";
import { IR_VERSION, OPSET } from "../onnx/opset";
import { canReside, deviceTensor, feedValue, download, transferTo } from "./gpu";
import { setHostFromDevice } from "../tensor/tensor";

setHostFromDevice(download);

export { OPSET, IR_VERSION } from "../onnx/opset";

// Crossover measured by bench/ops/crossover.ts (host kernel vs session, CPU time, 1 thread): host wins up to ~1K elements for add/relu/sum,
// loses from ~1K for exp/sigmoid/mul and for everything at 4K.
const DEFAULT_HOST_MAX = 1024;
const MAX_SESSIONS = 4096;
/**
 * Ops whose largest input or output has fewer elements than this run single-threaded: below it, waking a pool
 * thread costs more than it saves, and each session with more than one thread owns a thread pool of its own.
 */
const PARALLEL_MIN_NUMEL = 1 << 16;

function defaultNumThreads(): number {
  const env = Number(process.env.FLOWBOOK_NUM_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}
let numThreads = defaultNumThreads();

/**
 * Sets the number of threads one eager CPU op may use (ONNX Runtime's intra-op threads), like
 * `torch.set_num_threads`. Small ops always run on the calling thread. Default: the number of CPUs, or the
 * environment variable `FLOWBOOK_NUM_THREADS`.
 * @example flow.setNumThreads(1)
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`set_num_threads expects a positive integer, but got ${n}`);
  numThreads = n;
}
/** The number of threads one eager CPU op may use (see setNumThreads). */
export function getNumThreads(): number { return numThreads; }

interface CachedSession {
  session: NativeSession; inputNames: string[]; outputNames: string[];
  /** Op input positions fed to the session. */ feedIndex: number[];
  /** The fetch object passed to every run (all outputs, allocated by ORT). */ fetches: Record<string, null>;
}
const sessions = new Map<string, CachedSession>();
/** Counters shown by flow.memory() and the profiler. */
export const eagerStats = { sessionsCreated: 0, sessionHits: 0, hostKernelCalls: 0, sessionCalls: 0 };

/** Runs `op` eagerly and returns fresh output tensors on the inputs' device. */
export function runEager(op: OpDef<any>, inputs: Tensor[], attrs: unknown, outMeta: Meta[]): Tensor[] {
  const dev = inputs[0]?.device ?? deviceOf(attrs);
  if (outMeta.every((m) => numelOf(m.shape) === 0)) {
    return outMeta.map((m) => Tensor._fromArray(allocArray(m.dtype, 0), [...m.shape], m.dtype, dev));
  }
  // Host kernels are for small work: the limit applies to the largest input or output (a reduction of a
  // million elements to a thousand is not small).
  if (op.host && dev.type === "cpu" && maxNumel(inputs, outMeta) <= (op.hostMaxNumel ?? DEFAULT_HOST_MAX)) {
    const hostIns = inputs.map((t) => t._host());
    const outs = op.host(hostIns, attrs as never, inputs, outMeta);
    if (outs) {
      eagerStats.hostKernelCalls++;
      return outs.map((data, i) => {
        // A kernel that returns an input's own array (reshape, view) makes a view: it shares the input's
        // storage object, so in-place writes through either bump one version counter, as in PyTorch.
        const j = hostIns.indexOf(data);
        if (j >= 0 && inputs[j]._storage && outMeta[i].dtype === inputs[j].dtype) return new Tensor([...outMeta[i].shape], outMeta[i].dtype, dev, inputs[j]._storage, inputs[j]._offset);
        return Tensor._fromArray(data, [...outMeta[i].shape], outMeta[i].dtype, dev);
      });
    }
  }
  // GPU providers have no bfloat16 kernels either: bfloat16 work runs on the CPU provider (each crossing counted).
  if (dev.type !== "cpu" && (op.cpuFallback?.includes(dev.type) || involvesBfloat16(inputs, outMeta))) {
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
  for (const [i, bits] of baked) {
    const data = toCarrier(inMeta[i].dtype, bits);
    b.rawInitializer(inNames[i], carrierDType(inMeta[i].dtype), [...inMeta[i].shape], new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  const outs = lowerOp(op, b, inNames, attrs, inMeta, outMeta);
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
      inputs: inMeta.flatMap((m, i) => (baked.has(i) ? [] : [{ name: inNames[i], dtype: carrierDType(m.dtype), dims: [...m.shape] }])),
      outputs: outMeta.map((m, i) => ({ name: outNames[i], dtype: carrierDType(m.dtype), dims: [...m.shape] })),
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
// A tensor is baked from its second use *by the same op* at one storage version on: inference reuses weights
// call after call, while a training step uses each weight version once per op (the forward conv, then the
// backward convTranspose): counting uses across ops baked every weight at every step, one optimised session
// per conv per step (a ResNet-101 eager training step took minutes).
const lastSeen = new WeakMap<Tensor, Map<string, number>>();
function bakedInputs(op: OpDef<any>, inputs: Tensor[], attrs: unknown, dev: Device): number[] {
  if (!op.bakeInputs || dev.type !== "cpu") return [];
  const cands = op.bakeInputs(inputs, attrs as never).filter((i) => inputs[i]?._storage && !inputs[i]._deviceValue && !inputs[i].isSymbolic);
  // All or none, so that a weight's first use after an update does not leave a session for its bias alone.
  let reused = true;
  for (const i of cands) {
    const t = inputs[i];
    let seen = lastSeen.get(t);
    if (!seen) lastSeen.set(t, (seen = new Map()));
    if (seen.get(op.name) !== t._storage!.version) reused = false;
    seen.set(op.name, t._storage!.version);
  }
  return reused ? cands : [];
}

/**
 * @internal Session settings for eager CPU sessions, exposed for bench/ops: ONNX Runtime's defaults (a spinning
 * thread pool per session, a memory arena per session) are slow for thousands of single-op sessions that run
 * one after another on a shared machine.
 */
export const eagerTuning = {
  /** Pool threads spin while waiting for work (ORT's default); off, they sleep between ops. */
  spinning: false,
  /** Each session keeps its own memory arena (ORT's default); off, outputs come from malloc. */
  arena: false,
};

function cpuThreadOptions(threads: number): Record<string, unknown> {
  const o: Record<string, unknown> = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential", enableCpuMemArena: eagerTuning.arena };
  if (threads > 1 && !eagerTuning.spinning) o.extra = { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } };
  return o;
}

/** Attribute part of a session key; JSON of the attributes (BigInt as decimal), "" for none. */
function attrsKey(attrs: unknown): string {
  if (attrs === null || attrs === undefined) return "";
  if (typeof attrs === "object") {
    let empty = true;
    for (const _k in attrs) { empty = false; break; }
    if (empty) return "";
  }
  try {
    return JSON.stringify(attrs);
  } catch {
    return JSON.stringify(attrs, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  }
}

function maxNumel(inputs: readonly { shape: readonly number[] }[], outMeta: readonly Meta[]): number {
  let m = 0;
  for (const t of inputs) m = Math.max(m, numelOf(t.shape));
  for (const o of outMeta) m = Math.max(m, numelOf(o.shape));
  return m;
}

function sessionFor(op: OpDef<any>, inputs: Tensor[], attrs: unknown, outMeta: Meta[], dev: Device): CachedSession {
  const threads = dev.type === "cpu" && numThreads > 1 && maxNumel(inputs, outMeta) >= PARALLEL_MIN_NUMEL ? numThreads : 1;
  let key = op.name + "|" + dev.name + "|" + threads + "|" + attrsKey(attrs);
  for (const t of inputs) key += "|" + t.dtype + "[" + t.shape.join(",") + "]";
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
    // GPU sessions do their work on the device: one host thread each, or hundreds of cached sessions would each
    // keep a pool of CPU threads alive (a webgpu test run reached 1,500 threads).
    ...cpuThreadOptions(dev.type === "cpu" ? threads : 1),
    // GPU results stay in GPU buffers: the next op reads them there (IO binding), no host round trip.
    ...(dev.type === "cpu" ? {} : { preferredOutputLocation: Object.fromEntries(outMeta.map((_m, i) => [`out${i}`, canReside(outMeta[i].dtype) ? "gpu-buffer" : "cpu"])) }),
  } as never, `the eager '${op.name}' op`);
  const inputNames = session.inputMetadata.map((m) => m.name);
  const outputNames = session.outputMetadata.map((m) => m.name);
  const feedIndex = inMetaIndices(inputs.length, inputNames);
  const fetches: Record<string, null> = {};
  for (const n of outputNames) fetches[n] = null;
  s = { session, inputNames, outputNames, feedIndex, fetches };
  eagerStats.sessionsCreated++;
  sessions.set(key, s);
  if (sessions.size > MAX_SESSIONS) {
    const [oldKey, old] = sessions.entries().next().value as [string, CachedSession];
    sessions.delete(oldKey);
    old.session.dispose();
  }
  return s;
}

/** Indices of the op inputs the session reads (a lowering may ignore some inputs, e.g. a shape-only use). */
function inMetaIndices(n: number, inputNames: string[]): number[] {
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (inputNames.includes(`in${i}`)) idx.push(i);
  return idx;
}

const FEED_NAMES = Array.from({ length: 64 }, (_, i) => `in${i}`);

function runSession(op: OpDef<any>, inputs: Tensor[], attrs: unknown, outMeta: Meta[], dev: Device): Tensor[] {
  const s = sessionFor(op, inputs, attrs, outMeta, dev);
  const feeds: Record<string, unknown> = {};
  const cpu = dev.type === "cpu";
  for (const i of s.feedIndex) {
    const t = inputs[i];
    // The binding reads dims, location, type and data of a feed: a plain object of those is enough and skips
    // onnxruntime-common's Tensor constructor and its checks (the shape rule already checked the inputs).
    feeds[FEED_NAMES[i] ?? `in${i}`] = cpu ? { location: "cpu", type: ortTypeOf(carrierDType(t.dtype)), dims: t.shape, data: toCarrier(t.dtype, t._host()) } : feedValue(t);
  }
  eagerStats.sessionCalls++;
  let result: Record<string, any>;
  try {
    result = s.session.run(feeds as never, s.fetches, {});
  } catch (e) {
    const shapes = inputs.map((t) => `${t.dtype}[${t.shape.join(", ")}]`).join(", ");
    throw new Error(`${op.name}: ONNX Runtime failed on inputs (${shapes}): ${(e as Error).message}`);
  }
  const outs = new Array<Tensor>(s.outputNames.length);
  for (let i = 0; i < outs.length; i++) {
    const v = result[s.outputNames[i]];
    const m = outMeta[i];
    const dtype = dtypeFromOrt(v.type);
    if (dtype !== carrierDType(m.dtype)) throw new Error(`op '${op.name}': ONNX Runtime returned ${dtype}, shape rule said ${m.dtype}`);
    if (numelOf(v.dims) !== numelOf(m.shape)) throw new Error(`op '${op.name}': ONNX Runtime returned shape [${v.dims}], shape rule said [${m.shape}]`);
    outs[i] = v.location === "gpu-buffer" ? deviceTensor(v, [...m.shape], dtype, dev) : Tensor._fromArray(fromCarrier(m.dtype, v.data as TypedArray), [...m.shape], m.dtype, dev);
  }
  return outs;
}

/** Number of cached eager sessions. */
export function cachedSessionCount(): number { return sessions.size; }
