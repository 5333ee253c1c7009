/**
 * One compile of an nn.Graph for one input signature: trace `build` (and, for training graphs, backward and
 * the optimizer step), run the passes, lower to ONNX, create the ONNX Runtime session. Each step is timed, so
 * compile time is always reported apart from run time. `runCompiled` feeds a compiled entry and writes its
 * in-place results back into the eager tensors.
 */
import { Tensor } from "../tensor/tensor";
import { ortTypeOf, dtypeFromOrt, TypedArray, carrierDType, toCarrier, fromCarrier } from "../tensor/dtype";
import { setTracer } from "../ops/dispatch";
import { noGrad } from "../autograd/mode";
import { onesLike } from "../tensor/creation";
import { Device } from "../backend/device";
import { createSession, NativeSession, ort } from "../backend/ort";
import { canReside, deviceTensor, feedValue } from "../backend/gpu";
import { activeProfile } from "../profiler/events";
import { runProfiled } from "./profiling";
import { markDeviceWrite } from "./versions";
import { executionProviders } from "../backend/device";
import { GraphTracer, HyperReplay } from "./tracer";
import { IRGraph } from "./ir";
import { setModuleNames, scopeDepth, resetScopes } from "./scope";
import { flatten, unflatten, Template } from "./tree";
import { pipeline, runPasses, PassContext } from "./passes/index";
import { lowerGraph, emitModel } from "./emit";
import type { GraphConfig } from "./config";
import { tensorRTWhy } from "./config";
import { functionLocation } from "./source";

/** What nn.Graph needs from an optimizer: its parameter groups and a step that updates them in place. */
export interface OptimizerLike { step(): void; paramGroups: { params: Tensor[] }[] }
/** What nn.Graph needs from an LR scheduler. */
export interface SchedulerLike { step(): void }

/** Which program a call compiles: inference, a gradient-accumulation micro-step, or a full training step. */
export type Variant = "infer" | "accum" | "step";

/** Everything a trace needs. */
export interface TraceRequest {
  build: (...args: any[]) => unknown;
  /** The user's build method (named in errors raised after it returned). */
  buildFn?: Function;
  className: string;
  args: unknown[];
  variant: Variant;
  device: Device;
  optimizers: OptimizerLike[];
  /** Where each optimizer was added (the user's addOptimizer line), for the optimizer ops' source line. */
  optimizerLines?: (string | undefined)[];
  moduleNames: WeakMap<object, string>;
  labels: Map<Tensor, string>;
  /** Static loss scale (1 = none). */
  lossScale: number;
  /** Gradient accumulators per parameter (accumulation only). */
  gradBuffers?: Map<Tensor, Tensor>;
}

/** Times of one compile, in milliseconds. */
export interface CompileTimes { traceMs: number; passesMs: number; lowerMs: number; emitMs: number; sessionMs: number; totalMs: number }

/** A compiled signature. */
export interface Compiled {
  key: string;
  variant: Variant;
  device: Device;
  /** The IR as traced (before passes). */
  traced: IRGraph;
  /** After the traced-IR passes (flowbook ops). */
  optimized: IRGraph;
  /** After lowering and the ONNX passes: what runs. */
  lowered: IRGraph;
  /** The lowered graph with a symbolic batch dimension, once made (dynamicBatch, or saving). */
  dynamic: IRGraph | null;
  session: NativeSession;
  bytes: Uint8Array;
  /** The session's options (the profiler makes a profiling session with the same ones). */
  options: Record<string, unknown>;
  inTemplate: Template;
  /** Shape-only stand-ins of the inputs it was compiled for (re-tracing for a dynamic batch). */
  exampleInputs: unknown[];
  outTemplate: Template;
  /** Number of user output tensors (the first outputs). */
  userOutputs: number;
  baked: { tensor: Tensor; version: string }[];
  /** Names of the optimizer-phase scalar inputs, in replay order, and their values for the first run. */
  hyperNames: string[];
  pendingHyper: Tensor[] | null;
  knownKeys: Set<unknown>;
  /** Parameters whose gradient the optimizer read (the replay gives them placeholder gradients). */
  gradParams: Tensor[];
  passLog: { name: string; changes: number; ms: number }[];
  times: CompileTimes;
  runs: number;
}

const now = () => performance.now();

/** Traces `build` into an IR. */
export function traceBuild(req: TraceRequest): { ir: IRGraph; inTemplate: Template; outTemplate: Template; userOutputs: number; baked: Compiled["baked"]; hyper: { name: string; tensor: Tensor }[]; knownKeys: Set<unknown>; gradParams: Tensor[] } {
  const training = req.variant !== "infer";
  const tracer = new GraphTracer(training, req.device, req.labels);
  const flatIn: Tensor[] = [];
  const inTemplate = flatten(req.args, flatIn, "inputs");
  const symIn = flatIn.map((t, i) => tracer.input(t, i));
  const params = [...new Set(req.optimizers.flatMap((o) => o.paramGroups.flatMap((g) => g.params)))];
  const savedGrads = params.map((p) => p.grad);
  for (const p of params) p.grad = req.gradBuffers?.get(p) ?? null;
  for (const b of req.gradBuffers?.values() ?? []) tracer.forceFed(b, "grad");
  const restoreBackward = wrapBackward(tracer, req.lossScale);
  const prevTracer = setTracer(tracer), prevNames = setModuleNames(req.moduleNames), depth = scopeDepth();
  let out: unknown;
  let gradParams: Tensor[] = [];
  const gradOutputs: { name: string; target: Tensor }[] = [];
  try {
    out = req.build(...(unflatten(inTemplate, symIn) as unknown[]));
    if (out instanceof Promise) throw new TypeError(`${req.className}.build() returned a Promise; build must be synchronous (no async/await inside it)`);
    if (training) {
      gradParams = params.filter((p) => p.grad?._symbolic);
      if (req.variant === "accum") {
        for (const p of gradParams) gradOutputs.push({ name: tracer.valueOf(p.grad!), target: req.gradBuffers!.get(p)! });
      } else {
        tracer.phase = "backward";
        if (req.lossScale !== 1) for (const p of gradParams) p.grad = p.grad!.mul(1 / req.lossScale);
        tracer.phase = "optimizer";
        noGrad(() => req.optimizers.forEach((o, i) => {
          const start = tracer.ir.nodes.length;
          o.step();
          // The optimizer's ops run inside flowbook; they point at the optimizer and the addOptimizer line.
          const where = req.optimizerLines?.[i];
          const line = `${o.constructor?.name ?? "optimizer"}.step${where ? ` (added at ${where})` : ""}`;
          for (const n of tracer.ir.nodes.slice(start)) n.sourceLine = line;
        }));
      }
    }
  } finally {
    setTracer(prevTracer);
    setModuleNames(prevNames);
    resetScopes(depth);
    restoreBackward();
    params.forEach((p, i) => { p.grad = savedGrads[i]; });
    tracer.restoreGrads();
  }
  const flatOut: Tensor[] = [];
  const outTemplate = out === undefined ? { t: "value" as const, v: undefined } : flatten(out, flatOut, "output", (v, path) => {
    // build() has returned: no frame of it is live, so name where it is defined (and the last op it traced).
    const at = req.buildFn ? functionLocation(req.buildFn) : null;
    const last = [...tracer.ir.nodes].reverse().find((n) => n.sourceLine && /\bbuild \(/.test(n.sourceLine))?.sourceLine?.replace(/^Function\.build\b/, `${req.className}.build`);
    const where = at ? ` (build defined at ${at}${last ? `; its last traced op at ${last}` : ""})` : last ? ` (its last traced op at ${last})` : "";
    throw new TypeError(`${req.className}.build()${where} returned ${describe(v)} at ${path}; a graph's outputs must be Tensors, or arrays/objects of Tensors`);
  });
  const ir = tracer.ir;
  for (const t of flatOut) ir.outputs.push({ name: tracer.valueOf(t), kind: "output" });
  for (const g of gradOutputs) ir.outputs.push({ name: g.name, kind: "grad", target: g.target });
  for (const [target, name] of tracer.assigned) ir.outputs.push({ name, kind: "assign", target });
  const { baked, hyper } = tracer.finishCaptures();
  return { ir, inTemplate, outTemplate, userOutputs: flatOut.length, baked, hyper: hyper.map((h) => ({ name: h.name, tensor: h.tensor })), knownKeys: tracer.knownKeys(), gradParams };
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return `a ${(v as object).constructor?.name ?? "object"}`;
  return `a ${typeof v} (${String(v)})`;
}

/**
 * While tracing, `loss.backward()` marks its ops as the backward phase (so they show the backward() line and
 * phase) and applies the static loss scale to its seed.
 */
function wrapBackward(tracer: GraphTracer, scale: number): () => void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  const desc = Object.getOwnPropertyDescriptor(proto, "backward");
  if (!desc || typeof desc.value !== "function") return () => {};
  const orig = desc.value as (this: Tensor, g?: Tensor | null, o?: unknown) => void;
  Object.defineProperty(proto, "backward", {
    ...desc,
    value(this: Tensor, gradient?: Tensor | null, opts?: unknown) {
      const prev = tracer.phase;
      tracer.phase = "backward";
      try {
        if (scale !== 1) gradient = (gradient ?? onesLike(this)).mul(scale);
        return orig.call(this, gradient, opts);
      } finally { tracer.phase = prev; }
    },
  });
  return () => Object.defineProperty(proto, "backward", desc);
}

/** Runs the passes `config` enables on a copy of `traced`, then lowers to ONNX and runs the ONNX passes. */
export function optimizeAndLower(traced: IRGraph, config: GraphConfig, ctx: PassContext): { optimized: IRGraph; lowered: IRGraph; passLog: Compiled["passLog"]; passesMs: number; lowerMs: number } {
  const enabled = config.enabledPasses(ctx.device);
  const optimized = traced.clone();
  const t0 = now();
  const log1 = runPasses(optimized, pipeline("ir", enabled, config.disabled), ctx);
  const t1 = now();
  const lowered = lowerGraph(optimized);
  const t2 = now();
  const log2 = runPasses(lowered, pipeline("onnx", enabled, config.disabled), ctx);
  const t3 = now();
  // A pass that runs in both stages (dead-code elimination, conv+BN folding) is reported once, summed.
  const passLog: Compiled["passLog"] = [];
  for (const p of [...log1, ...log2]) {
    const seen = passLog.find((q) => q.name === p.name);
    if (seen) { seen.changes += p.changes; seen.ms += p.ms; } else passLog.push({ ...p });
  }
  return { optimized, lowered, passLog, passesMs: t1 - t0 + (t3 - t2), lowerMs: t2 - t1 };
}

/** Execution providers for a graph session on `dev`, with the config's provider options. */
export function providersFor(dev: Device, config: GraphConfig): unknown[] {
  const base = executionProviders(dev);
  if (config.tensorRT && tensorRTWhy(dev) === null) return [{ name: "tensorrt", deviceId: dev.index }, ...base];
  return base;
}

/**
 * Session options of a compiled graph on `dev`: its execution providers, ORT's optimisation level and, on GPU
 * devices, every output that a GPU buffer can hold left there (`preferredOutputLocation: "gpu-buffer"`), so
 * results and updated parameters stay on the device between calls.
 */
export function graphSessionOptions(lowered: IRGraph, config: GraphConfig, dev: Device, outputNames: string[]): Record<string, unknown> {
  const opts: Record<string, unknown> = { executionProviders: providersFor(dev, config), graphOptimizationLevel: config.ortOptimizationLevel };
  if (dev.type !== "cpu") {
    opts.preferredOutputLocation = Object.fromEntries(outputNames.map((n, i) => [n, canReside(lowered.meta.get(lowered.outputs[i].name)?.dtype ?? "float64") ? "gpu-buffer" : "cpu"]));
    // ORT warns on every session that some nodes (shape ops, MaxPool with indices) run on its CPU provider.
    opts.logSeverityLevel = 3;
  }
  return opts;
}

// Sessions on GPU devices are never disposed: tensors may still hold GPU buffers their runs produced, and
// releasing such a buffer after its session is gone crashes the process (ORT's WebGPU allocator belongs to the
// session). They are kept here instead (a recompile or clearCache leaves at most one dead session each).
const retired: NativeSession[] = [];

/** Releases a graph session that is no longer used (kept alive on GPU devices, see above). */
export function retireSession(session: NativeSession, dev: Device): void {
  if (dev.type === "cpu") session.dispose();
  else retired.push(session);
}

/** Creates the ONNX Runtime session of a lowered graph. */
export function createGraphSession(lowered: IRGraph, config: GraphConfig, dev: Device, name: string, dynamicBatch = false): { session: NativeSession; bytes: Uint8Array; options: Record<string, unknown>; emitMs: number; sessionMs: number } {
  const t0 = now();
  const { bytes, outputNames } = emitModel(lowered, { name, dynamicBatch });
  const t1 = now();
  const options = graphSessionOptions(lowered, config, dev, outputNames);
  const session = createSession(bytes, options as never, `the compiled graph '${name}'`);
  return { session, bytes, options, emitMs: t1 - t0, sessionMs: now() - t1 };
}

/**
 * Collects the optimizer-phase scalars of this step by replaying `optimizer.step()` symbolically (see
 * tracer.ts). The JS side of the optimizer (step counters, the scheduler's lr) advances exactly as in eager.
 */
export function replayHyper(c: Compiled, optimizers: OptimizerLike[]): Tensor[] {
  if (c.pendingHyper) { const h = c.pendingHyper; c.pendingHyper = null; return h; }
  if (!c.hyperNames.length && !optimizers.length) return [];
  const rt = new HyperReplay(c.knownKeys);
  const saved = c.gradParams.map((p) => p.grad);
  for (const p of c.gradParams) p.grad = new Tensor([...p.shape], p.dtype, p.device, null, 0, { graph: rt, id: 0 });
  const prev = setTracer(rt);
  try {
    noGrad(() => { for (const o of optimizers) o.step(); });
  } finally {
    setTracer(prev);
    c.gradParams.forEach((p, i) => { p.grad = saved[i]; });
  }
  if (rt.values.length !== c.hyperNames.length) {
    throw new Error(`nn.Graph: the optimizer used ${rt.values.length} scalar hyper-parameters in this step but ${c.hyperNames.length} when the graph was traced; an optimizer whose step changes shape between calls cannot be replayed (call graph.clearCache() to retrace)`);
  }
  return rt.values;
}

/** Runs a compiled entry; returns every graph output (user outputs first) and writes back in-place results. */
export function runCompiled(c: Compiled, userInputs: Tensor[], hyper: Tensor[], source = "graph"): Tensor[] {
  const onDevice = c.device.type !== "cpu";
  const { Tensor: OrtTensor } = ort();
  const hyperByName = new Map(c.hyperNames.map((n, i) => [n, hyper[i]]));
  const feeds: Record<string, unknown> = {};
  for (const inp of c.lowered.inputs) {
    const t = inp.kind === "input" ? userInputs[inp.index!] : inp.kind === "hyper" ? hyperByName.get(inp.name)! : inp.tensor!;
    // On a GPU device, device-resident values are fed as they are (IO binding); host values are uploaded
    // once (and counted) and stay resident on the tensor.
    feeds[inp.name] = onDevice ? feedValue(t) : t._deviceValue ?? new OrtTensor(ortTypeOf(carrierDType(t.dtype)) as never, toCarrier(t.dtype, t._host()) as never, t.shape);
  }
  const names = c.session.outputMetadata.map((m) => m.name);
  const fetches: Record<string, null> = Object.fromEntries(names.map((n) => [n, null]));
  const run = (s: NativeSession) => s.run(feeds as never, fetches, {});
  let result: Record<string, any>;
  try {
    const sink = activeProfile();
    result = sink?.wantsGraphNodes ? runProfiled(c.bytes, c.options, sink, source, c.device.name, run) : run(c.session);
  } catch (e) {
    throw new Error(`nn.Graph: ONNX Runtime failed running the compiled graph: ${(e as Error).message}`);
  }
  const outs = names.map((n, i) => {
    const v = result[n];
    const m = c.lowered.meta.get(c.lowered.outputs[i].name);
    const shape = [...(v.dims as number[])], dtype = dtypeFromOrt(v.type);
    if (v.location === "gpu-buffer") return deviceTensor(v, shape, dtype ?? m?.dtype, c.device);
    // bfloat16 outputs come back in their float32 carrier (see ops/lower).
    if (m?.dtype === "bfloat16") return Tensor._fromArray(fromCarrier("bfloat16", v.data as TypedArray), shape, "bfloat16", c.device);
    return Tensor._fromArray(v.data as TypedArray, shape, dtype, c.device);
  });
  c.lowered.outputs.forEach((o, i) => { if (o.target) writeBack(o.target, outs[i]); });
  c.runs++;
  return outs.slice(0, c.userOutputs);
}

/** A graph's new value of `target` (parameter, buffer, optimizer state, gradient accumulator) written into it. */
function writeBack(target: Tensor, value: Tensor): void {
  if (value._deviceValue && target.device.type !== "cpu" && target.dtype === value.dtype) {
    // Stays on the device: the tensor now holds the output's GPU buffer; a stale host copy is dropped.
    target._deviceValue = value._deviceValue;
    target._storage = null;
    markDeviceWrite(target);
    return;
  }
  target._assignHost(value._host());
}
