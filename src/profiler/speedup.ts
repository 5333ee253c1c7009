/**
 * `flow.profiler.speedupTable(...)`: the speed-up table. It measures a model eagerly, then as an nn.Graph,
 * then with each graph option switched on cumulatively (the order you list them), each row after warm-up with
 * compile time excluded and several repetitions (median and spread). Rows: step, images/s, step speed-up,
 * cumulative speed-up, notes; for inference and, when `train` is given, for a training step. An option that
 * cannot act on the device (graph.config's report says "not applicable on <device>") gets a row that says so
 * and is not measured: its speed-up is never claimed.
 *
 * @example
 * const t = flow.profiler.speedupTable({ model, input: flow.randn(16, 3, 224, 224),
 *   steps: ["fuseConvBn", "fusePadToConv", "fuseAddToOutput", "amp", "tensorrt"],
 *   train: { optimizer: opt, loss: (out, y) => F.crossEntropy(out, y), target: labels } });
 * t            // in a notebook: an HTML table and a plotly bar chart
 * t.rows       // the raw numbers (every sample in ms)
 */
import type { Tensor } from "../tensor/tensor";
import { Device } from "../backend/device";
import { noGrad } from "../autograd/mode";
import { Graph } from "../graph/graph";
import type { GraphConfig, OrtOptimizationLevel } from "../graph/config";
import type { OptimizerLike } from "../graph/compile";
import { DISPLAY_SYMBOL, MimeBundle } from "../display/bundle";
import { plot, PlotOutput } from "../display/plot";
import {
  TimingStats, timeIt, ModelLike, callModel, inputList, settle, withMode, machineLoad, textTable, htmlTable, esc, fmtNum,
} from "./measure";

/** A named step: a graph.config switch (see `SPEEDUP_STEPS`), or your own. */
export interface CustomStep {
  /** Row label (shown as "+ name"). */
  name: string;
  /** Switches the option on in a graph's config. */
  apply(config: GraphConfig): void;
  /** The `config.report()` option row that says whether it can act on the device. */
  option?: string;
  /** The pass whose rewrite count goes into the notes. */
  pass?: string;
}

/** A step: a built-in name ("amp", "fuseConvBn", "ortLevel:disabled", ...) or a custom step. */
export type StepSpec = string | CustomStep;

interface StepDef extends CustomStep { trainingNA?: string }

const ORT_LEVELS = ["disabled", "basic", "extended", "all"];

/** The built-in step names and the graph.config method each one calls. */
export const SPEEDUP_STEPS: Readonly<Record<string, string>> = {
  amp: "config.enableAmp(true)",
  fusePadToConv: "config.allowFusePadToConv(true)",
  fuseAddToOutput: "config.allowFuseAddToOutput(true)",
  fuseConvBn: "config.allowFuseConvBn(true) (inference only)",
  cudnnSearch: "config.enableCudnnConvHeuristicSearchAlgo(true)",
  tensorrt: "config.enableTensorRT(true)",
  dynamicBatch: "config.dynamicBatch(true)",
  "amp:bfloat16": "config.enableAmp(true, {dtype: \"bfloat16\"})",
  "ortLevel:<disabled|basic|extended|all>": "config.ortOptimizationLevel = level",
};

/** Resolves a step spec to its definition; unknown names throw with the known ones. */
export function resolveStep(spec: StepSpec): StepDef {
  if (typeof spec !== "string") {
    if (!spec || typeof spec.name !== "string" || typeof spec.apply !== "function") throw new TypeError("speedupTable: a custom step needs {name, apply(config)}");
    return spec;
  }
  switch (spec) {
    case "amp": return { name: spec, option: "enableAmp", pass: "auto_mixed_precision", apply: (c) => { c.enableAmp(true); } };
    case "amp:bfloat16": return { name: spec, option: "enableAmp", pass: "auto_mixed_precision", apply: (c) => { c.enableAmp(true, { dtype: "bfloat16" }); } };
    case "fusePadToConv": return { name: spec, option: "allowFusePadToConv", pass: "fuse_pad_to_conv", apply: (c) => { c.allowFusePadToConv(true); } };
    case "fuseAddToOutput": return { name: spec, option: "allowFuseAddToOutput", pass: "fuse_add_to_output", apply: (c) => { c.allowFuseAddToOutput(true); } };
    case "fuseConvBn": return {
      name: spec, option: "allowFuseConvBn", pass: "fuse_conv_bn", apply: (c) => { c.allowFuseConvBn(true); },
      trainingNA: "not applicable to training graphs (batch-norm folding needs the baked weights of an inference graph)",
    };
    case "cudnnSearch": return { name: spec, option: "enableCudnnConvHeuristicSearchAlgo", apply: (c) => { c.enableCudnnConvHeuristicSearchAlgo(true); } };
    case "tensorrt": return { name: spec, option: "enableTensorRT", apply: (c) => { c.enableTensorRT(true); } };
    case "dynamicBatch": return {
      name: spec, option: "dynamicBatch", apply: (c) => { c.dynamicBatch(true); },
      trainingNA: "not applicable to training graphs (the dynamic batch dimension is for inference graphs)",
    };
  }
  const m = /^ortLevel:(\w+)$/.exec(spec);
  if (m) {
    if (!ORT_LEVELS.includes(m[1])) throw new RangeError(`speedupTable: unknown ONNX Runtime level '${m[1]}' in step '${spec}' (use ${ORT_LEVELS.map((l) => `ortLevel:${l}`).join(", ")})`);
    return { name: spec, option: "ortOptimizationLevel", apply: (c) => { c.ortOptimizationLevel = m[1] as OrtOptimizationLevel; } };
  }
  throw new RangeError(`speedupTable: unknown step '${spec}' (known: ${Object.keys(SPEEDUP_STEPS).join(", ")}, or a custom {name, apply(config)})`);
}

/** The training part of a speed-up table. */
export interface SpeedupTrainOptions {
  /** The optimizer over the model's parameters (the graph registers it with addOptimizer). */
  optimizer: OptimizerLike & { zeroGrad?: () => void };
  /** loss(output, ...targets) → scalar Tensor (a function or a loss module). */
  loss: ((output: any, ...targets: Tensor[]) => Tensor) | { forward(output: any, ...targets: Tensor[]): Tensor };
  /** The target(s) fed with the input. */
  target: Tensor | Tensor[];
}

/** Options of `speedupTable`. */
export interface SpeedupOptions {
  /** A flow.nn.Module (or a function of the inputs, or an object with forward()). */
  model: ModelLike;
  /** The input batch (or several inputs); dimension 0 is the batch. */
  input: Tensor | Tensor[];
  /** Options switched on one after another (cumulatively), in this order. Default: none (eager and graph only). */
  steps?: StepSpec[];
  /** Adds training-step rows (eager step vs graph step, then the steps). Runs real optimizer steps on the model. */
  train?: SpeedupTrainOptions;
  /** Inference rows (default true); false with `train` gives a training-only table. */
  inference?: boolean;
  /** Measure eager mode first (default true); without it speed-ups are relative to the plain graph. */
  eager?: boolean;
  /** Images per call (default: dimension 0 of the first input). */
  batchSize?: number;
  /** Untimed calls before timing each row (default 3; the compiling call is extra). */
  warmup?: number;
  /** Timed calls per row (default 10). */
  repeat?: number;
  /** Applied to every graph's config before the steps (e.g. `c => { c.ortOptimizationLevel = "disabled" }`). */
  baseConfig?: (config: GraphConfig) => void;
  /** A title for the table (default "Speed-up"). */
  title?: string;
  /** Called after each row is measured (progress). */
  onRow?: (row: SpeedupRow) => void;
}

/** One row of the table. Times are per call (one batch). */
export interface SpeedupRow {
  mode: "inference" | "training";
  /** "eager", "nn.Graph" or "+ <step>". */
  step: string;
  /** False when the option cannot act on the device (or graph kind): the row is not measured. */
  applicable: boolean;
  /** Repetition times (ms), or null when not measured. */
  timing: TimingStats | null;
  imagesPerSec: number | null;
  /** Speed-up over the previous measured row of the same mode. */
  stepSpeedup: number | null;
  /** Speed-up over the first measured row of the mode (eager, when measured). */
  cumulativeSpeedup: number | null;
  /** Trace + passes + session creation of the row's graph (excluded from timing); null for eager. */
  compileMs: number | null;
  notes: string;
  /** Set when the row failed to compile or run (the option is then left out of later rows). */
  error?: string;
}

/**
 * Fills stepSpeedup / cumulativeSpeedup / imagesPerSec of `rows` from their medians, per mode: the first
 * measured row of a mode is its baseline, each row is compared with the previous measured row. Not-applicable
 * and failed rows get nulls and are skipped as "previous".
 */
export function computeSpeedups(rows: SpeedupRow[], batchSize: number): SpeedupRow[] {
  const base = new Map<string, number>(), prev = new Map<string, number>();
  for (const r of rows) {
    if (!r.applicable || !r.timing || r.error) { r.imagesPerSec = null; r.stepSpeedup = null; r.cumulativeSpeedup = null; continue; }
    const ms = r.timing.median;
    r.imagesPerSec = ms > 0 ? batchSize / (ms / 1000) : null;
    const b = base.get(r.mode), p = prev.get(r.mode);
    if (b === undefined) { base.set(r.mode, ms); r.stepSpeedup = 1; r.cumulativeSpeedup = 1; }
    else { r.stepSpeedup = ms > 0 ? p! / ms : null; r.cumulativeSpeedup = ms > 0 ? b / ms : null; }
    prev.set(r.mode, ms);
  }
  return rows;
}

/** The measured speed-up table: rows as data, a text form, and (in notebooks) an HTML table and a bar chart. */
export class SpeedupTable {
  constructor(
    readonly rows: SpeedupRow[],
    readonly meta: { title: string; device: string; batchSize: number; warmup: number; repeat: number; loadAvg1: number; cpus: number; date: string; model: string; inputShapes: number[][] },
  ) {}

  /** Rows of one mode. */
  mode(mode: "inference" | "training"): SpeedupRow[] { return this.rows.filter((r) => r.mode === mode); }

  private cells(): { head: string[]; rows: string[][] } {
    const head = ["mode", "step", "images/s", "ms/batch (median)", "spread (IQR)", "step speed-up", "cumulative", "compile ms", "notes"];
    const rows = this.rows.map((r) => [
      r.mode, r.step,
      r.error ? "failed" : r.applicable ? fmtNum(r.imagesPerSec) : "n/a",
      r.timing ? r.timing.median.toFixed(2) : "—",
      r.timing ? `±${((r.timing.relSpread * 100) / 2).toFixed(1)}%` : "—",
      r.stepSpeedup === null ? "—" : `${r.stepSpeedup.toFixed(2)}×`,
      r.cumulativeSpeedup === null ? "—" : `${r.cumulativeSpeedup.toFixed(2)}×`,
      r.compileMs === null ? "—" : r.compileMs.toFixed(0),
      r.error ? `failed: ${r.error}` : r.notes,
    ]);
    return { head, rows };
  }

  private caption(): string {
    const m = this.meta;
    return `${m.title}: ${m.model}, input ${m.inputShapes.map((s) => `[${s.join(", ")}]`).join(", ")} on ${m.device}, batch ${m.batchSize}; ` +
      `median of ${m.repeat} calls after ${m.warmup} warm-up calls, compile time excluded; load average ${m.loadAvg1.toFixed(2)} on ${m.cpus} CPUs, ${m.date}`;
  }

  /** Fixed-width text table. */
  toString(): string {
    const { head, rows } = this.cells();
    return `${this.caption()}\n${textTable(head, rows, 2)}`;
  }

  /** Plotly bar chart of images/s per step (one colour per mode); not-applicable rows are labelled, not drawn. */
  chart(): PlotOutput {
    const modes = [...new Set(this.rows.map((r) => r.mode))];
    const data = modes.map((mode) => {
      const rs = this.mode(mode);
      return {
        type: "bar", name: mode, x: rs.map((r) => r.step), y: rs.map((r) => r.imagesPerSec ?? 0),
        text: rs.map((r) => (r.error ? "failed" : !r.applicable ? "n/a" : r.cumulativeSpeedup === null ? "" : `${r.cumulativeSpeedup.toFixed(2)}×`)),
        textposition: "outside",
        hovertext: rs.map((r) => (r.error ? `failed: ${r.error}` : r.notes || r.step)),
        hovertemplate: "%{x}: %{y:.1f} images/s (%{text})<br>%{hovertext}<extra>%{fullData.name}</extra>",
      };
    });
    return plot({
      data,
      layout: {
        title: { text: `${this.meta.title} (${this.meta.device}, batch ${this.meta.batchSize})` }, barmode: "group",
        yaxis: { title: { text: "images/s" } }, xaxis: { title: { text: "step (cumulative)" } }, height: 420,
      },
    });
  }

  /** The HTML table (not-applicable rows greyed). */
  html(): string {
    const { head, rows } = this.cells();
    const style = `<style>table.flowbook-speedup tr.na td{color:#888}table.flowbook-speedup tr.failed td{color:#b00}table.flowbook-speedup td{text-align:right}table.flowbook-speedup td:nth-child(-n+2),table.flowbook-speedup td:last-child{text-align:left}</style>`;
    return `${style}<p><b>${esc(this.meta.title)}</b> ${esc(this.caption().slice(this.meta.title.length + 2))}</p>` +
      htmlTable("flowbook-speedup", head, rows, (i) => (this.rows[i].error ? "failed" : this.rows[i].applicable ? "" : "na"));
  }

  /** Raw numbers (every sample) and the settings, for saving or plotting elsewhere. */
  toJSON(): { meta: SpeedupTable["meta"]; rows: SpeedupRow[] } { return { meta: this.meta, rows: this.rows }; }

  /** Table and chart. */
  [DISPLAY_SYMBOL](): MimeBundle {
    const chart = this.chart()[DISPLAY_SYMBOL]();
    return { ...chart, "text/html": `${this.html()}\n${chart["text/html"]}`, "text/plain": this.toString() };
  }
}

/** Calls a loss (function or module). */
function callLoss(loss: SpeedupTrainOptions["loss"], out: unknown, targets: Tensor[]): Tensor {
  if (typeof loss === "function") return loss(out, ...targets);
  if (loss && typeof loss.forward === "function") return loss.forward(out, ...targets);
  throw new TypeError("speedupTable: train.loss must be a function (output, ...targets) => Tensor or a loss module");
}

function modelName(model: ModelLike): string {
  const n = (model as { constructor?: { name?: string } }).constructor?.name;
  if (typeof model === "function" && (!n || n === "Function")) return model.name || "function";
  return n && n !== "Object" ? n : "model";
}

/** @internal Inference graph over a model (the model is an attribute so module scopes and names apply). */
export function inferenceGraph(model: ModelLike): Graph {
  class SpeedupInference extends Graph {
    model = model;
    build(...xs: Tensor[]) { return callModel(this.model, xs); }
  }
  return new SpeedupInference();
}

/** @internal Training-step graph: loss, backward and the optimizer in one program. */
export function trainingGraph(model: ModelLike, train: SpeedupTrainOptions, nInputs: number): Graph {
  class SpeedupTrainStep extends Graph {
    model = model;
    constructor() { super(); this.addOptimizer(train.optimizer); }
    build(...args: Tensor[]) {
      const loss = callLoss(train.loss, callModel(this.model, args.slice(0, nInputs)), args.slice(nInputs));
      loss.backward();
      return loss;
    }
  }
  return new SpeedupTrainStep();
}

function zeroGrad(opt: SpeedupTrainOptions["optimizer"]): void {
  if (typeof opt.zeroGrad === "function") opt.zeroGrad();
  else for (const g of opt.paramGroups) for (const p of g.params) p.grad = null;
}

function short(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const first = msg.split("\n")[0];
  return first.length > 240 ? `${first.slice(0, 237)}...` : first;
}

/**
 * Measures eager, nn.Graph and each step switched on cumulatively; see the module comment.
 * Synchronous (flowbook's eager API is); it takes about (steps + 2) × (warmup + repeat + 1) model calls per mode.
 */
export function speedupTable(opts: SpeedupOptions): SpeedupTable {
  if (!opts || typeof opts !== "object") throw new TypeError("speedupTable: expected options {model, input, steps?, train?}");
  const xs = inputList(opts.input, "speedupTable: input");
  const steps = (opts.steps ?? []).map(resolveStep);
  const warmup = opts.warmup ?? 3, repeat = opts.repeat ?? 10;
  if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`speedupTable: repeat must be a positive integer, got ${repeat}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`speedupTable: warmup must be a non-negative integer, got ${warmup}`);
  const batchSize = opts.batchSize ?? xs[0].shape[0] ?? 1;
  const dev: Device = xs[0].device;
  const doInfer = opts.inference !== false, doEager = opts.eager !== false;
  if (!doInfer && !opts.train) throw new TypeError("speedupTable: inference: false needs train options (nothing to measure)");
  const targets = opts.train ? inputList(opts.train.target, "speedupTable: train.target") : [];
  const rows: SpeedupRow[] = [];
  const push = (r: SpeedupRow) => { rows.push(r); computeSpeedups(rows, batchSize); opts.onRow?.(r); };
  const row = (mode: SpeedupRow["mode"], step: string, p: Partial<SpeedupRow>): SpeedupRow => ({
    mode, step, applicable: true, timing: null, imagesPerSec: null, stepSpeedup: null, cumulativeSpeedup: null, compileMs: null, notes: "", ...p,
  });

  const runMode = (mode: SpeedupRow["mode"]) => {
    const training = mode === "training";
    const restore = withMode(opts.model, training);
    try {
      if (doEager) {
        const fn = training
          ? () => { zeroGrad(opts.train!.optimizer); const l = callLoss(opts.train!.loss, callModel(opts.model, xs), targets); l.backward(); opts.train!.optimizer.step(); settle(l); }
          : () => { settle(noGrad(() => callModel(opts.model, xs))); };
        try { push(row(mode, "eager", { timing: timeIt(fn, warmup, repeat), notes: training ? "zeroGrad, forward, loss, backward, optimizer.step" : "no_grad forward, op by op" })); }
        catch (e) { push(row(mode, "eager", { error: short(e) })); }
      }
      const kept: StepDef[] = [];
      const measureGraph = (label: string, step: StepDef | null) => {
        const g = training ? trainingGraph(opts.model, opts.train!, xs.length) : inferenceGraph(opts.model);
        opts.baseConfig?.(g.config);
        for (const s of kept) s.apply(g.config);
        if (step) step.apply(g.config);
        const args = training ? [...xs, ...targets] : xs;
        try {
          const out = g.run(...args);
          settle(out);
          const entry = g.lastCompiled()!;
          const compileMs = entry.times.totalMs;
          const notes: string[] = [];
          if (!step) notes.push(`${entry.lowered.nodes.length} ONNX nodes; ONNX Runtime level ${g.config.ortOptimizationLevel}`);
          if (step?.pass) {
            const p = entry.passLog.find((l) => l.name === step.pass);
            notes.push(p ? `${step.pass}: ${p.changes} rewrite(s)` : `${step.pass} did not run`);
          }
          if (step?.option) {
            const rep = g.config.report(dev).find((r) => r.option === step.option);
            if (rep?.note) notes.push(rep.note);
          }
          const timing = timeIt(() => settle(g.run(...args)), warmup, repeat);
          push(row(mode, label, { timing, compileMs, notes: notes.join("; ") }));
          if (step) kept.push(step);
        } catch (e) {
          push(row(mode, label, { error: short(e) + (step ? "; left out of the following rows" : "") }));
        } finally {
          g.clearCache();
        }
      };
      measureGraph("nn.Graph", null);
      for (const s of steps) {
        const label = `+ ${s.name}`;
        if (training && s.trainingNA) { push(row(mode, label, { applicable: false, notes: s.trainingNA })); continue; }
        if (s.option) {
          // Ask the report whether the option can act here, with the cumulative config plus this step.
          const probe = training ? trainingGraph(opts.model, opts.train!, xs.length) : inferenceGraph(opts.model);
          opts.baseConfig?.(probe.config);
          for (const k of kept) k.apply(probe.config);
          s.apply(probe.config);
          const rep = probe.config.report(dev).find((r) => r.option === s.option);
          if (rep && rep.state.startsWith("not applicable")) { push(row(mode, label, { applicable: false, notes: rep.state })); continue; }
        }
        measureGraph(label, s);
      }
    } finally {
      restore();
    }
  };
  if (doInfer) runMode("inference");
  if (opts.train) runMode("training");
  const load = machineLoad();
  return new SpeedupTable(rows, {
    title: opts.title ?? "Speed-up", device: dev.name, batchSize, warmup, repeat, loadAvg1: load.loadAvg1, cpus: load.cpus,
    date: new Date().toISOString(), model: modelName(opts.model), inputShapes: xs.map((x) => [...x.shape]),
  });
}
