/**
 * The pipeline lessons as measurements: images/s per batch size (`batchSweep`), what frozen parameters save
 * when only an input gradient is wanted (`inputGradientCost`), and what common-subexpression elimination
 * saves on a repeated forward (`repeatedForwardCost`). Each returns a displayable table with the raw numbers.
 */
import { Tensor } from "../tensor/tensor";
import { noGrad } from "../autograd/mode";
import { repeat as repeatOp, narrow } from "../ops/shape";
import { Graph } from "../graph/graph";
import type { GraphConfig } from "../graph/config";
import { DISPLAY_SYMBOL, MimeBundle } from "../display/bundle";
import { plot, PlotOutput } from "../display/plot";
import { TimingStats, timeIt, ModelLike, callModel, inputList, settle, machineLoad, textTable, htmlTable, esc, fmtNum, withMode } from "./measure";
import { inferenceGraph } from "./speedup";

/** One measured case. */
export interface CaseRow {
  /** What was measured ("graph, batch 16", "eager, parameters require grad", ...). */
  case: string;
  mode: "eager" | "graph";
  /** Images per call. */
  batch: number;
  timing: TimingStats | null;
  imagesPerSec: number | null;
  /** Speed-up over the table's reference row (its first measured row unless stated). */
  speedup: number | null;
  /** ONNX nodes of the compiled graph (graph rows; null for eager rows). */
  ops: number | null;
  compileMs: number | null;
  notes: string;
  error?: string;
}

/** A table of measured cases (data in `rows`), as text, HTML and a plotly chart. */
export class CaseTable {
  constructor(readonly title: string, readonly rows: CaseRow[], readonly meta: { device: string; warmup: number; repeat: number; loadAvg1: number; cpus: number; date: string }, private readonly chartKind: "bar" | "batch" = "bar") {}

  private cells(): { head: string[]; rows: string[][] } {
    return {
      head: ["case", "batch", "images/s", "ms/call (median)", "spread (IQR)", "speed-up", "ops", "compile ms", "notes"],
      rows: this.rows.map((r) => [
        r.case, String(r.batch), fmtNum(r.imagesPerSec), r.timing ? r.timing.median.toFixed(2) : "—",
        r.timing ? `±${((r.timing.relSpread * 100) / 2).toFixed(1)}%` : "—", r.speedup === null ? "—" : `${r.speedup.toFixed(2)}×`,
        r.ops === null ? "—" : String(r.ops), r.compileMs === null ? "—" : r.compileMs.toFixed(0), r.error ? `failed: ${r.error}` : r.notes,
      ]),
    };
  }

  private caption(): string {
    const m = this.meta;
    return `${this.title} on ${m.device}: median of ${m.repeat} calls after ${m.warmup} warm-up calls, compile time excluded; load average ${m.loadAvg1.toFixed(2)} on ${m.cpus} CPUs, ${m.date}`;
  }

  toString(): string { const { head, rows } = this.cells(); return `${this.caption()}\n${textTable(head, rows)}`; }

  /** images/s per case (bar), or per batch size for each mode (lines) for a batch sweep. */
  chart(): PlotOutput {
    if (this.chartKind === "batch") {
      const modes = [...new Set(this.rows.map((r) => r.mode))];
      return plot({
        data: modes.map((m) => { const rs = this.rows.filter((r) => r.mode === m && r.imagesPerSec !== null); return { type: "scatter", mode: "lines+markers", name: m, x: rs.map((r) => r.batch), y: rs.map((r) => r.imagesPerSec) }; }),
        layout: { title: { text: this.title }, xaxis: { title: { text: "batch size" }, type: "log" }, yaxis: { title: { text: "images/s" } }, height: 380 },
      });
    }
    return plot({
      data: [{ type: "bar", x: this.rows.map((r) => r.case), y: this.rows.map((r) => r.imagesPerSec ?? 0), text: this.rows.map((r) => (r.speedup === null ? "" : `${r.speedup.toFixed(2)}×`)), textposition: "outside" }],
      layout: { title: { text: this.title }, yaxis: { title: { text: "images/s" } }, height: 380 },
    });
  }

  html(): string { const { head, rows } = this.cells(); return `<p>${esc(this.caption())}</p>${htmlTable("flowbook-cases", head, rows)}`; }

  toJSON(): { title: string; meta: CaseTable["meta"]; rows: CaseRow[] } { return { title: this.title, meta: this.meta, rows: this.rows }; }

  [DISPLAY_SYMBOL](): MimeBundle {
    const chart = this.chart()[DISPLAY_SYMBOL]();
    return { ...chart, "text/html": `${this.html()}\n${chart["text/html"]}`, "text/plain": this.toString() };
  }
}

interface Common { warmup?: number; repeat?: number }

function meta(device: string, o: Common) {
  const l = machineLoad();
  return { device, warmup: o.warmup ?? 3, repeat: o.repeat ?? 10, loadAvg1: l.loadAvg1, cpus: l.cpus, date: new Date().toISOString() };
}

function caseRow(p: Partial<CaseRow> & { case: string; mode: CaseRow["mode"]; batch: number }): CaseRow {
  return { timing: null, imagesPerSec: null, speedup: null, ops: null, compileMs: null, notes: "", ...p };
}

/** Fills imagesPerSec and speed-up (over row `ref`, default the first measured row). */
export function fillCaseSpeedups(rows: CaseRow[], ref?: number): CaseRow[] {
  const refRow = ref !== undefined ? rows[ref] : rows.find((r) => r.timing && !r.error);
  const refMs = refRow?.timing && !refRow.error ? refRow.timing.median : null;
  for (const r of rows) {
    if (!r.timing || r.error) { r.imagesPerSec = null; r.speedup = null; continue; }
    r.imagesPerSec = r.timing.median > 0 ? r.batch / (r.timing.median / 1000) : null;
    r.speedup = refMs !== null && r.timing.median > 0 ? refMs / r.timing.median : null;
  }
  return rows;
}

function short(e: unknown): string { const m = (e instanceof Error ? e.message : String(e)).split("\n")[0]; return m.length > 200 ? `${m.slice(0, 197)}...` : m; }

/** A batch of `b` from one example batch: its first item repeated along dimension 0. */
function batchOf(x: Tensor, b: number): Tensor {
  const one = narrow(x, 0, 0, 1);
  return repeatOp(one, [b, ...new Array(x.ndim - 1).fill(1)]);
}

/** Options of `batchSweep`. */
export interface BatchSweepOptions extends Common {
  model: ModelLike;
  /** An example batch (its first item is repeated to each batch size), or a function making the input of a batch size. */
  input: Tensor | Tensor[] | ((batch: number) => Tensor | Tensor[]);
  /** Batch sizes to measure (default [1, 4, 16, 64]). */
  batchSizes?: number[];
  /** Which modes (default ["eager", "graph"]). */
  modes?: ("eager" | "graph")[];
  /** Graph options for the graph rows. */
  configure?: (config: GraphConfig) => void;
}

/**
 * Inference images/s per batch size, eager and graph: where throughput stops growing with the batch.
 * @example flow.profiler.batchSweep({ model, input: x, batchSizes: [1, 8, 32] })
 */
export function batchSweep(o: BatchSweepOptions): CaseTable {
  const sizes = o.batchSizes ?? [1, 4, 16, 64];
  if (!sizes.length || sizes.some((b) => !Number.isInteger(b) || b < 1)) throw new RangeError(`batchSweep: batchSizes must be positive integers, got [${sizes.join(", ")}]`);
  const modes = o.modes ?? ["eager", "graph"];
  const make = (b: number) => (typeof o.input === "function" ? inputList(o.input(b), "batchSweep: input(batch)") : inputList(o.input, "batchSweep: input").map((x) => batchOf(x, b)));
  const warmup = o.warmup ?? 3, rep = o.repeat ?? 10;
  const rows: CaseRow[] = [];
  let device = "cpu";
  const restore = withMode(o.model, false);
  try {
    for (const mode of modes) {
      const g = mode === "graph" ? inferenceGraph(o.model) : null;
      if (g) { o.configure?.(g.config); g.config.maxCachedSignatures = 1; }
      for (const b of sizes) {
        const xs = make(b);
        device = xs[0].device.name;
        try {
          if (g) {
            settle(g.run(...xs));
            const entry = g.lastCompiled()!;
            rows.push(caseRow({ case: `graph, batch ${b}`, mode, batch: b, compileMs: entry.times.totalMs, ops: entry.lowered.nodes.length, timing: timeIt(() => settle(g.run(...xs)), warmup, rep) }));
          } else {
            rows.push(caseRow({ case: `eager, batch ${b}`, mode, batch: b, timing: timeIt(() => settle(noGrad(() => callModel(o.model, xs))), warmup, rep) }));
          }
        } catch (e) { rows.push(caseRow({ case: `${mode}, batch ${b}`, mode, batch: b, error: short(e) })); }
      }
      g?.clearCache();
    }
  } finally { restore(); }
  // Speed-up here: images/s relative to the same mode's smallest batch.
  for (const mode of modes) {
    const rs = rows.filter((r) => r.mode === mode);
    fillCaseSpeedups(rs);
    const first = rs.find((r) => r.imagesPerSec !== null);
    for (const r of rs) r.speedup = first && r.imagesPerSec !== null ? r.imagesPerSec / first.imagesPerSec! : null;
  }
  for (const r of rows) r.notes = r.speedup === null ? r.notes : `images/s ×${r.speedup.toFixed(2)} of batch ${rows.find((x) => x.mode === r.mode && x.imagesPerSec !== null)!.batch}`;
  return new CaseTable("Batch size sweep (inference)", rows, meta(device, o), "batch");
}

/** Options of `inputGradientCost`. */
export interface InputGradientOptions extends Common {
  model: ModelLike & { parameters?: () => Iterable<Tensor> };
  input: Tensor;
  /** Parameters to freeze (default: model.parameters()). */
  parameters?: Tensor[];
}

/**
 * The cost of an input gradient (saliency, adversarial examples, a deployed model asked "why") with the
 * model's parameters requiring grad vs frozen (`requiresGrad = false`), eager and as an nn.Graph. Eagerly,
 * parameters that require grad get gradients computed for nothing; the graph's gradient pruning removes work
 * nothing reads. Parameters' requiresGrad is restored afterwards.
 */
export function inputGradientCost(o: InputGradientOptions): CaseTable {
  const params = o.parameters ?? (typeof o.model.parameters === "function" ? [...o.model.parameters()] : []);
  if (!params.length) throw new TypeError("inputGradientCost: the model has no parameters (pass `parameters`)");
  const x = o.input.detach().requiresGrad_(true);
  const batch = x.shape[0] ?? 1;
  const warmup = o.warmup ?? 3, rep = o.repeat ?? 10;
  const saved = params.map((p) => p.requiresGrad);
  const restore = withMode(o.model, false);
  const rows: CaseRow[] = [];
  const eager = () => { x.grad = null; for (const p of params) p.grad = null; const y = callModel(o.model, [x]) as Tensor; y.sum().backward(); settle(x.grad); };
  class InputGrad extends Graph {
    model = o.model;
    build(a: Tensor) { (callModel(this.model, [a]) as Tensor).sum().backward(); return a.grad!; }
  }
  try {
    for (const frozen of [false, true]) {
      for (const p of params) p.requiresGrad = !frozen;
      const what = frozen ? "parameters frozen" : "parameters require grad";
      try { rows.push(caseRow({ case: `eager, ${what}`, mode: "eager", batch, timing: timeIt(eager, warmup, rep) })); }
      catch (e) { rows.push(caseRow({ case: `eager, ${what}`, mode: "eager", batch, error: short(e) })); }
      const g = new InputGrad();
      try {
        settle(g.run(x));
        const entry = g.lastCompiled()!;
        const pruned = entry.passLog.find((l) => l.name === "gradient_pruning")?.changes ?? 0;
        const bwd = entry.optimized.nodes.filter((n) => n.phase === "backward").length;
        rows.push(caseRow({
          case: `graph, ${what}`, mode: "graph", batch, ops: entry.lowered.nodes.length, compileMs: entry.times.totalMs,
          timing: timeIt(() => settle(g.run(x)), warmup, rep), notes: `gradient_pruning removed ${pruned} backward op(s); ${bwd} remain`,
        }));
      } catch (e) { rows.push(caseRow({ case: `graph, ${what}`, mode: "graph", batch, error: short(e) })); }
      finally { g.clearCache(); }
    }
  } finally {
    params.forEach((p, i) => { p.requiresGrad = saved[i]; p.grad = null; });
    restore();
  }
  return new CaseTable("Input gradient: parameters requiring grad vs frozen", fillCaseSpeedups(rows), meta(x.device.name, o));
}

/** Options of `repeatedForwardCost`. */
export interface RepeatedForwardOptions extends Common {
  model: ModelLike;
  input: Tensor | Tensor[];
  /** How many times the same forward is written (default 2). */
  times?: number;
}

/**
 * A forward written `times` times on the same input (a common accident: computing logits twice for two
 * metrics): eager runs it every time; the graph's common-subexpression elimination computes it once. Rows:
 * eager, graph with CSE switched off, graph (CSE on), and the single forward as a reference.
 */
export function repeatedForwardCost(o: RepeatedForwardOptions): CaseTable {
  const xs = inputList(o.input, "repeatedForwardCost: input");
  const times = o.times ?? 2;
  if (!Number.isInteger(times) || times < 2) throw new RangeError(`repeatedForwardCost: times must be an integer >= 2, got ${times}`);
  const batch = xs[0].shape[0] ?? 1;
  const warmup = o.warmup ?? 3, rep = o.repeat ?? 10;
  const restore = withMode(o.model, false);
  const repeated = (m: ModelLike, a: Tensor[]) => { const outs: unknown[] = []; for (let i = 0; i < times; i++) outs.push(callModel(m, a)); return outs; };
  class Repeated extends Graph { model = o.model; build(...a: Tensor[]) { return repeated(this.model, a); } }
  const rows: CaseRow[] = [];
  const graphRow = (label: string, g: Graph, note: (e: ReturnType<Graph["lastCompiled"]>) => string) => {
    try {
      settle(g.run(...xs));
      const entry = g.lastCompiled()!;
      rows.push(caseRow({ case: label, mode: "graph", batch, ops: entry.lowered.nodes.length, compileMs: entry.times.totalMs, timing: timeIt(() => settle(g.run(...xs)), warmup, rep), notes: note(entry) }));
    } catch (e) { rows.push(caseRow({ case: label, mode: "graph", batch, error: short(e) })); }
    finally { g.clearCache(); }
  };
  try {
    try { rows.push(caseRow({ case: `eager, forward ×${times}`, mode: "eager", batch, timing: timeIt(() => settle(noGrad(() => repeated(o.model, xs))), warmup, rep) })); }
    catch (e) { rows.push(caseRow({ case: `eager, forward ×${times}`, mode: "eager", batch, error: short(e) })); }
    const off = new Repeated();
    off.config.disablePass("common_subexpression_elimination");
    graphRow(`graph, forward ×${times}, CSE off`, off, () => "common_subexpression_elimination disabled");
    graphRow(`graph, forward ×${times}`, new Repeated(), (e) => `common_subexpression_elimination merged ${e!.passLog.find((l) => l.name === "common_subexpression_elimination")?.changes ?? 0} op(s)`);
    graphRow("graph, single forward (reference)", inferenceGraph(o.model), () => "");
  } finally { restore(); }
  return new CaseTable(`Repeated forward (×${times}) and common-subexpression elimination`, fillCaseSpeedups(rows), meta(xs[0].device.name, o));
}
