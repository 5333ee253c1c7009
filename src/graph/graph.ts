/**
 * nn.Graph: turns eager code into one compiled ONNX Runtime program per input signature (OneFlow's
 * nn.Graph). Subclass it, keep modules as attributes, write `build`:
 *
 * @example
 * class TrainGraph extends flow.nn.Graph {
 *   constructor() { super(); this.model = model; this.addOptimizer(opt, { lrScheduler: sched }); }
 *   build(x: flow.Tensor, y: flow.Tensor) { const loss = lossFn(this.model.forward(x), y); loss.backward(); return loss; }
 * }
 * const g = new TrainGraph();
 * const loss = g(x, y);            // or g.run(x, y): one compiled step (forward, backward, optimizer update)
 *
 * What tracing means (read before writing build):
 * - build runs once per input signature (shapes, dtypes, device, non-tensor arguments) with symbolic tensors;
 *   later calls run the compiled program. JS control flow is traced once: an `if` on a JS value takes the
 *   branch it took while tracing, forever, for that signature. Reading a tensor's data inside build
 *   (`item()`, `tolist()`) throws an error naming your line.
 * - Parameters are shared with eager mode: a training graph feeds them each step and writes the updated values
 *   (and optimizer state) back into the same tensors, so eager code sees them after each call. Inference graphs
 *   bake parameters into the program and recompile when one has changed since (its storage version moved).
 * - With an optimizer added, the graph runs it after build (you do not call `optimizer.step()` in build), then
 *   clears the gradients; the LR scheduler steps after every optimizer step. Scalars the optimizer computes from
 *   JS numbers (lr, bias corrections) are graph inputs, recomputed each call by replaying its step symbolically.
 *   In-place writes go through dispatch's `assign`: flowbook's in-place ops (`add_`, `copy_`, ...), the
 *   flow.optim optimizers (parameters and state are written in place, never replaced) and BatchNorm's running
 *   statistics all do, so any of them inside a traced step becomes graph state written back after each run.
 *   Writes into part of a captured tensor cannot be traced (an error says so); in-place ops on views of
 *   symbolic tensors change the view only.
 * - Modules called inside build (`this.model(x)`) push their path as the scope of the ops they record, so
 *   the text form and the picture group ops by module.
 * - Devices: a graph compiles for its inputs' device. On webgpu the session keeps outputs (results, updated
 *   parameters and state) in GPU buffers and device-resident inputs are fed without copies.
 * - Inside `flow.profiler.profile(...)` graph calls add one event per ONNX node, timed by ONNX Runtime's own
 *   profiler (see profiling.ts).
 * - Outputs must be Tensors, or arrays/objects of Tensors.
 */
import { Tensor } from "../tensor/tensor";
import { Device, getDefaultDevice } from "../backend/device";
import { callerLine } from "../ops/dispatch";
import { GraphConfig } from "./config";
import {
  Compiled, OptimizerLike, SchedulerLike, Variant, retireSession, traceBuild, optimizeAndLower, createGraphSession, replayHyper, runCompiled,
} from "./compile";
import { flatten, unflatten, templateKey } from "./tree";
import { versionOf } from "./versions";
import { graphRepr, ReprStage } from "./repr";
import { growBatch, makeBatchDynamic } from "./batch";
import type { IRGraph } from "./ir";
import type { PassContext } from "./passes/index";
import { displayGraph, DisplayOptions } from "./display";
import type { SpeedupOptions, SpeedupTable } from "../profiler/speedup";

/** Times of one graph call, in milliseconds (compileMs is 0 when the signature was cached). */
export interface CallTiming { signature: string; compiled: boolean; compileMs: number; runMs: number; totalMs: number }

type CallListener = (graph: Graph, timing: CallTiming, entry: Compiled) => void;
const callListeners = new Set<CallListener>();
/** Subscribes to every graph call (the profiler's hook); returns an unsubscribe function. */
export function onGraphCall(l: CallListener): () => void { callListeners.add(l); return () => callListeners.delete(l); }

const STATE = Symbol("flowbook.graph.state");
interface GraphState {
  optimizers: { opt: OptimizerLike; scheduler?: SchedulerLike; line?: string }[];
  cache: Map<string, Compiled>;
  debugLevel: number;
  lossScale: number;
  microStep: number;
  gradBuffers: Map<Tensor, Tensor> | null;
  calls: CallTiming[];
  last: Compiled | null;
}

/** Callable graphs: `graph(x)` is `graph.run(x)`. */
export interface Graph { (...inputs: any[]): any }

/** Base class of static graphs. */
export class Graph {
  /** Optimisation switches (`graph.config.enableAmp(true)`, ...). */
  declare readonly config: GraphConfig;
  /** @internal */ declare [STATE]: GraphState;

  constructor() {
    // The instance is a function whose prototype chain is the subclass's, so `graph(x)` works; a class
    // extending Graph gets this function as its `this` (JS class semantics for a constructor returning an object).
    const self = function (...inputs: unknown[]) { return self.run(...inputs); } as unknown as Graph;
    delete (self as unknown as { name?: string }).name;
    delete (self as unknown as { length?: number }).length;
    Object.setPrototypeOf(self, new.target.prototype);
    Object.defineProperty(self, "config", { value: new GraphConfig(), enumerable: false });
    Object.defineProperty(self, STATE, {
      value: { optimizers: [], cache: new Map(), debugLevel: 0, lossScale: 1, microStep: 0, gradBuffers: null, calls: [], last: null } satisfies GraphState,
      enumerable: false,
    });
    return self;
  }

  /** The computation: override in a subclass. It receives the call's arguments (tensors are symbolic). */
  build(..._inputs: any[]): any {
    throw new Error(`${this.constructor.name}: nn.Graph subclasses must define build(...inputs)`);
  }

  /** Registers an optimizer (and optionally its LR scheduler); the graph becomes a training graph. */
  addOptimizer(optimizer: OptimizerLike, opts: { lrScheduler?: SchedulerLike } = {}): this {
    if (!optimizer || typeof optimizer.step !== "function" || !Array.isArray(optimizer.paramGroups)) throw new TypeError("addOptimizer: expected an optimizer (with step() and paramGroups)");
    this[STATE].optimizers.push({ opt: optimizer, scheduler: opts.lrScheduler, line: callerLine() });
    this.clearCache();
    return this;
  }

  /**
   * Static loss scaling for training graphs (pair with `config.enableAmp`): the backward pass starts from
   * loss·scale and gradients are divided by scale before the optimizer reads them.
   */
  setGradScaler(scaler: number | { scale: number }): this {
    const s = typeof scaler === "number" ? scaler : scaler.scale;
    if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`setGradScaler: the scale must be a positive finite number, got ${s}`);
    this[STATE].lossScale = s;
    this.clearCache();
    return this;
  }

  /** True when an optimizer was added. */
  get training(): boolean { return this[STATE].optimizers.length > 0; }

  /** Logs build, pass and compile steps with their times (0 = quiet, 1 = steps, 2 = also passes and the IR). */
  debug(level = 1): this { this[STATE].debugLevel = level; return this; }

  /** Drops every compiled signature (the next call traces and compiles again). */
  clearCache(): void {
    for (const c of this[STATE].cache.values()) retireSession(c.session, c.device);
    this[STATE].cache.clear();
    this[STATE].last = null;
  }

  /** Runs the graph (compiling on the first call of a signature). */
  run(...inputs: any[]): any {
    const st = this[STATE];
    const t0 = performance.now();
    const flat: Tensor[] = [];
    const tpl = flatten(inputs, flat, "inputs");
    const dev = flat[0]?.device ?? getDefaultDevice();
    const variant = this._variant();
    const key = this._signature(flat, tpl, variant, dev);
    let entry = st.cache.get(key);
    if (entry && entry.baked.some((b) => versionOf(b.tensor) !== b.version)) {
      this._log(1, `recompiling ${key}: a baked tensor changed since it was compiled`);
      retireSession(entry.session, entry.device);
      st.cache.delete(key);
      entry = undefined;
    }
    let compiled = false;
    if (!entry) { entry = this._compile(inputs, key, variant, dev); compiled = true; }
    else { st.cache.delete(key); st.cache.set(key, entry); } // LRU order
    const compileMs = compiled ? entry.times.totalMs : 0;
    const t1 = performance.now();
    const hyper = variant === "step" ? replayHyper(entry, st.optimizers.map((o) => o.opt)) : [];
    const outs = runCompiled(entry, flat, hyper, this.constructor.name);
    this._afterRun(variant);
    const runMs = performance.now() - t1;
    const timing: CallTiming = { signature: key, compiled, compileMs, runMs, totalMs: performance.now() - t0 };
    st.calls.push(timing);
    if (st.calls.length > 1000) st.calls.shift();
    st.last = entry;
    this._log(1, `run ${runMs.toFixed(2)} ms${compiled ? ` (compile ${compileMs.toFixed(1)} ms, reported separately)` : ""}`);
    for (const l of callListeners) l(this, timing, entry);
    return unflatten(entry.outTemplate, outs);
  }

  /** Timings of recent calls (compile and run apart). */
  callTimings(): readonly CallTiming[] { return this[STATE].calls; }

  /** The compiled signatures, most recently used last. */
  compiledSignatures(): readonly Compiled[] { return [...this[STATE].cache.values()]; }

  /** @internal The entry used by the last call. */
  lastCompiled(): Compiled | null { return this[STATE].last; }

  private _variant(): Variant {
    const st = this[STATE];
    if (!st.optimizers.length) return "infer";
    return st.microStep === this.config.accumulationSteps - 1 ? "step" : "accum";
  }

  private _signature(flat: Tensor[], tpl: ReturnType<typeof flatten>, variant: Variant, dev: Device): string {
    const dyn = this.config.dynamicBatchDim && variant === "infer";
    const shapes = flat.map((t) => `${t.dtype}[${(dyn && t.shape.length ? ["batch", ...t.shape.slice(1)] : t.shape).join(",")}]${t.requiresGrad ? "g" : ""}`);
    return `${variant}|${dev.name}|${shapes.join(" ")}|${templateKey(tpl)}`;
  }

  private _compile(inputs: unknown[], key: string, variant: Variant, dev: Device): Compiled {
    const st = this[STATE];
    const name = this.constructor.name;
    this._log(1, `compiling ${name} for ${key}`);
    const t0 = performance.now();
    const gradBuffers = variant !== "infer" && this.config.accumulationSteps > 1 ? this._gradBuffers() : undefined;
    const { moduleNames, labels } = this._moduleInfo();
    const tr = traceBuild({
      build: (...a: unknown[]) => this.build(...a), buildFn: this.build, className: name, args: inputs, variant, device: dev,
      optimizers: variant === "infer" ? [] : st.optimizers.map((o) => o.opt), optimizerLines: st.optimizers.map((o) => o.line),
      moduleNames, labels, lossScale: st.lossScale, gradBuffers,
    });
    const t1 = performance.now();
    this._log(1, `  traced ${tr.ir.nodes.length} ops in ${(t1 - t0).toFixed(1)} ms`);
    const ctx = { training: variant !== "infer", device: dev, amp: this.config.amp.enabled ? this.config.amp : undefined };
    const { optimized, lowered, passLog, passesMs, lowerMs } = optimizeAndLower(tr.ir, this.config, ctx);
    for (const p of passLog) this._log(2, `  pass ${p.name}: ${p.changes} change(s), ${p.ms.toFixed(2)} ms`);
    this._log(1, `  passes ${passesMs.toFixed(1)} ms, lowered to ${lowered.nodes.length} ONNX nodes in ${lowerMs.toFixed(1)} ms`);
    const dynamic = this.config.dynamicBatchDim && variant === "infer" ? this._batchDynamic(inputs, lowered, ctx) : null;
    const { session, bytes, options, emitMs, sessionMs } = createGraphSession(dynamic ?? lowered, this.config, dev, name, !!dynamic);
    this._log(1, `  emitted ${(bytes.length / 1024).toFixed(0)} KiB in ${emitMs.toFixed(1)} ms; ONNX Runtime session (${this.config.ortOptimizationLevel}) in ${sessionMs.toFixed(1)} ms`);
    const totalMs = performance.now() - t0;
    const entry: Compiled = {
      key, variant, device: dev, traced: tr.ir, optimized, lowered: dynamic ?? lowered, dynamic, session, bytes, options, inTemplate: flatten(inputs, [], "inputs"), exampleInputs: growBatch(inputs, 0) as unknown[], outTemplate: tr.outTemplate,
      userOutputs: tr.userOutputs, baked: tr.baked, hyperNames: tr.hyper.map((h) => h.name), pendingHyper: tr.hyper.map((h) => h.tensor),
      knownKeys: tr.knownKeys, gradParams: tr.gradParams, passLog, runs: 0,
      times: { traceMs: t1 - t0, passesMs, lowerMs, emitMs, sessionMs, totalMs },
    };
    if (st.debugLevel >= 2) console.log(graphRepr(this, entry));
    st.cache.set(key, entry);
    while (st.cache.size > this.config.maxCachedSignatures) {
      const [oldKey, old] = st.cache.entries().next().value as [string, Compiled];
      st.cache.delete(oldKey);
      retireSession(old.session, old.device);
      this._log(1, `dropped compiled signature ${oldKey} (cache holds ${this.config.maxCachedSignatures})`);
    }
    return entry;
  }

  /**
   * The lowered graph of `inputs` with dimension 0 symbolic: traces again at batch + 1 and compares (see
   * batch.ts); throws, naming the op and line, when build bakes the batch size.
   */
  private _batchDynamic(inputs: unknown[], lowered: IRGraph, ctx: PassContext): IRGraph {
    const flat: Tensor[] = [];
    flatten(inputs, flat, "inputs");
    const batch = flat[0]?.shape[0];
    if (batch === undefined || flat.some((t) => t.shape[0] !== batch)) throw new Error(`dynamic batch: every input needs the same dimension 0 (got ${flat.map((t) => `[${t.shape.join(", ")}]`).join(", ")})`);
    const { moduleNames, labels } = this._moduleInfo();
    let probe: ReturnType<typeof traceBuild>;
    try {
      probe = traceBuild({
        build: (...a: unknown[]) => this.build(...a), className: this.constructor.name, args: growBatch(inputs, 1) as unknown[], variant: "infer",
        device: ctx.device, optimizers: [], moduleNames, labels, lossScale: 1,
      });
    } catch (e) {
      throw new Error(`dynamic batch: the graph is not batch-polymorphic: tracing build() at batch ${batch + 1} failed (${(e as Error).message}). Avoid writing the batch size as a number in build() (use -1 in reshape).`);
    }
    const probeLowered = optimizeAndLower(probe.ir, this.config, ctx).lowered;
    const dyn = lowered.clone();
    makeBatchDynamic(dyn, probeLowered, batch);
    return dyn;
  }

  /** @internal The batch-dynamic form of a compiled inference entry (made once; used by saving). */
  dynamicOf(entry: Compiled): IRGraph {
    if (!entry.dynamic) {
      if (entry.variant !== "infer") throw new Error("only inference graphs can have a dynamic batch dimension");
      const ctx = { training: false, device: entry.device, amp: this.config.amp.enabled ? this.config.amp : undefined };
      entry.dynamic = this._batchDynamic(entry.exampleInputs, entry.lowered, ctx);
    }
    return entry.dynamic;
  }

  private _afterRun(variant: Variant): void {
    const st = this[STATE];
    if (variant === "infer") return;
    const params = st.optimizers.flatMap((o) => o.opt.paramGroups.flatMap((g) => g.params));
    if (variant === "accum") {
      st.microStep++;
      for (const p of params) p.grad = st.gradBuffers?.get(p) ?? p.grad;
      return;
    }
    st.microStep = 0;
    for (const b of st.gradBuffers?.values() ?? []) b._assignHost(new Float32Array(b.numel()) as never);
    for (const p of params) p.grad = null;
    for (const o of st.optimizers) o.scheduler?.step();
  }

  private _gradBuffers(): Map<Tensor, Tensor> {
    const st = this[STATE];
    if (!st.gradBuffers) {
      st.gradBuffers = new Map();
      for (const o of st.optimizers) for (const g of o.opt.paramGroups) for (const p of g.params) {
        if (p.requiresGrad && !st.gradBuffers.has(p)) st.gradBuffers.set(p, Tensor._fromArray(new Float32Array(p.numel()) as never, [...p.shape], p.dtype, p.device));
      }
    }
    return st.gradBuffers;
  }

  /** Module paths (for scopes) and parameter/buffer names (for labels), from the graph's module attributes. */
  private _moduleInfo(): { moduleNames: WeakMap<object, string>; labels: Map<Tensor, string> } {
    const moduleNames = new WeakMap<object, string>();
    const labels = new Map<Tensor, string>();
    for (const [attr, v] of Object.entries(this)) {
      if (!isModuleLike(v)) continue;
      for (const [path, m] of iter(v.namedModules())) moduleNames.set(m as object, path ? `${attr}.${path}` : attr);
      for (const getter of ["namedParameters", "namedBuffers"] as const) {
        const f = (v as unknown as Record<string, unknown>)[getter];
        if (typeof f === "function") for (const [path, t] of iter((f as () => unknown).call(v))) if (t instanceof Tensor) labels.set(t, `${attr}.${path}`);
      }
    }
    return { moduleNames, labels };
  }

  /** @internal Module-like attributes of the graph, by attribute name (for the text form). */
  modules(): [string, ModuleLike][] {
    return Object.entries(this).filter((e): e is [string, ModuleLike] => isModuleLike(e[1]));
  }

  private _log(level: number, msg: string): void {
    if (this[STATE].debugLevel >= level) console.log(`[nn.Graph ${this.constructor.name}] ${msg}`);
  }

  /**
   * OneFlow-style text form of what runs: module tree, inputs/outputs, and the compiled operators (ONNX nodes
   * after every pass, fused ones marked) with shapes, dtypes and source lines. See `repr` for the other views.
   */
  toString(): string { return graphRepr(this, this[STATE].last, "compiled"); }

  /**
   * The text form of the last compiled signature at one stage: "compiled" (what runs, the default),
   * "optimized" (flowbook ops after the traced-IR passes) or "traced" (as traced, before any pass).
   */
  repr(stage: ReprStage = "compiled"): string { return graphRepr(this, this[STATE].last, stage); }

  /** Node's util.inspect shows the text form. */
  [Symbol.for("nodejs.util.inspect.custom")](): string { return this.toString(); }

  /** The graph as an SVG picture (Graphviz), for notebooks. */
  display(opts: DisplayOptions = {}): Promise<Record<string, string>> { return displayGraph(this, this[STATE].last, opts); }

  /** Jupyter display: the picture of the last compiled signature (or the text form before any call). */
  [Symbol.for("Jupyter.display")](): Promise<Record<string, string>> { return this.display(); }

  /**
   * The speed-up table of this inference graph (`flow.profiler.speedupTable` with build() as the model): build
   * run eagerly, then compiled as a graph with this graph's config, then each step switched on cumulatively.
   * Each row after warm-up, compile time excluded, median and spread of several calls.
   * @example g.speedupTable(flow.randn(16, 3, 224, 224), { steps: ["fuseConvBn", "fuseAddToOutput", "amp"] })
   */
  speedupTable(input: Tensor | Tensor[], opts: Omit<SpeedupOptions, "model" | "input" | "train"> = {}): SpeedupTable {
    if (this.training) {
      throw new Error(`${this.constructor.name}.speedupTable: this is a training graph (its build calls backward()); measure training steps with flow.profiler.speedupTable({ model, input, train: { optimizer, loss, target } })`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { speedupTable } = require("../profiler/speedup") as typeof import("../profiler/speedup");
    const base = this.config.clone();
    const build = (...xs: unknown[]) => this.build(...xs);
    return speedupTable({
      ...opts, model: build, input,
      baseConfig: (c) => { Object.assign(c, base.clone()); opts.baseConfig?.(c); },
      title: opts.title ?? `${this.constructor.name}: speed-up`,
    });
  }

  /** Each option's state on the device of the last call (or the default device): on/off/not applicable. */
  report(): ReturnType<GraphConfig["report"]> { return this.config.report(this[STATE].last?.device ?? getDefaultDevice()); }

  /**
   * State for resuming training: every module attribute's state dict (under the attribute's name: `model`
   * holds `conv1.weight`, ...), each optimizer's (`_optimizer0`, ...) and LR scheduler's (`_lrScheduler0`), plus
   * the accumulation position (`_graph`). Values are the eager tensors (shared with the graph).
   */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [attr, m] of this.modules()) if (typeof m.stateDict === "function") out[attr] = m.stateDict();
    this[STATE].optimizers.forEach((o, i) => {
      const sd = (o.opt as { stateDict?: () => unknown }).stateDict;
      if (typeof sd === "function") out[`_optimizer${i}`] = sd.call(o.opt);
      const ssd = (o.scheduler as { stateDict?: () => unknown } | undefined)?.stateDict;
      if (typeof ssd === "function") out[`_lrScheduler${i}`] = ssd.call(o.scheduler);
    });
    out._graph = { microStep: this[STATE].microStep, lossScale: this[STATE].lossScale };
    return out;
  }

  /** Loads what `stateDict()` returned; compiled programs are dropped (optimizer state tensors may be new objects). */
  loadStateDict(sd: Record<string, unknown>): void {
    for (const [attr, m] of this.modules()) if (sd[attr] !== undefined && typeof m.loadStateDict === "function") m.loadStateDict(sd[attr]);
    this[STATE].optimizers.forEach((o, i) => {
      const ld = (o.opt as { loadStateDict?: (s: unknown) => void }).loadStateDict;
      if (sd[`_optimizer${i}`] !== undefined && typeof ld === "function") ld.call(o.opt, sd[`_optimizer${i}`]);
      const lds = (o.scheduler as { loadStateDict?: (s: unknown) => void } | undefined)?.loadStateDict;
      if (sd[`_lrScheduler${i}`] !== undefined && typeof lds === "function") lds.call(o.scheduler, sd[`_lrScheduler${i}`]);
    });
    const g = sd._graph as { microStep?: number; lossScale?: number } | undefined;
    if (g?.microStep !== undefined) this[STATE].microStep = g.microStep;
    if (g?.lossScale !== undefined) this[STATE].lossScale = g.lossScale;
    this.clearCache();
  }
}

/** What nn.Graph reads from a module attribute. */
export interface ModuleLike {
  namedModules(): Iterable<[string, unknown]> | Map<string, unknown>;
  namedParameters?(): Iterable<[string, Tensor]>;
  stateDict?(): unknown;
  loadStateDict?(sd: unknown): void;
}

function isModuleLike(v: unknown): v is ModuleLike {
  // flow.nn.Module instances are callable (typeof "function"); TinyModule-style objects are plain objects.
  return (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as ModuleLike).namedModules === "function";
}

function iter<T>(x: unknown): Iterable<[string, T]> {
  if (x instanceof Map) return x.entries() as Iterable<[string, T]>;
  if (x && typeof (x as Iterable<unknown>)[Symbol.iterator] === "function") return x as Iterable<[string, T]>;
  if (x && typeof x === "object") return Object.entries(x) as [string, T][];
  return [];
}
