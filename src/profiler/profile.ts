/**
 * `flow.profiler.profile(fn)`: records every op that `fn` runs (eager ops through the dispatcher, graph nodes
 * from ONNX Runtime's profiler), and presents them as a per-op table, a bar chart by op type, a timeline,
 * and a Chrome trace.
 */
import * as fs from "fs";
import { observeOps } from "../ops/dispatch";
import { copyStats } from "../backend/gpu";
import { ProfileEvent, ProfileSink, setActiveProfile } from "./events";
import { DISPLAY_SYMBOL, MimeBundle } from "../display/bundle";
import { plot, PlotOutput } from "../display/plot";
import { OpTable, TableOptions, aggregate } from "./table";

/** Options of `profile()`. */
export interface ProfileOptions {
  /** Record input shapes and group the table by them (PyTorch's record_shapes). */
  recordShapes?: boolean;
}

/** A finished profile. */
export class Profile implements ProfileSink {
  readonly events: ProfileEvent[] = [];
  /** Wall time of the profiled function, ms. */
  wallMs = 0;
  /** Host↔device copies made while profiling. */
  copies = { hostToDevice: 0, deviceToHost: 0, bytesHostToDevice: 0, bytesDeviceToHost: 0 };
  readonly wantsGraphNodes = true;
  private readonly t0 = performance.now();

  constructor(readonly options: ProfileOptions) {}

  /** @internal */ now(): number { return performance.now() - this.t0; }
  /** @internal */ addEvents(events: ProfileEvent[]): void { this.events.push(...events); }

  /** Per-op table (op, input shapes, calls, total ms, self %, avg), sorted and limited. */
  table(opts: TableOptions = {}): OpTable {
    return new OpTable(aggregate(this.events, !!this.options.recordShapes), opts, this.wallMs, this.copies);
  }

  /** Plotly bar chart of total time by op type. */
  chart(opts: { top?: number } = {}): PlotOutput {
    const rows = aggregate(this.events, false).slice(0, opts.top ?? 20).reverse();
    return plot({
      data: [{ type: "bar", orientation: "h", x: rows.map((r) => r.totalMs), y: rows.map((r) => r.op), text: rows.map((r) => `${r.calls} calls`), hovertemplate: "%{y}: %{x:.3f} ms (%{text})<extra></extra>" }],
      layout: { title: { text: "Time by op type" }, xaxis: { title: { text: "total ms" } }, margin: { l: 140 }, height: 120 + 22 * rows.length },
    });
  }

  /** Plotly timeline: one row per source (eager, each graph), one bar per op execution. */
  timeline(opts: { maxEvents?: number } = {}): PlotOutput {
    const events = this.events.slice(0, opts.maxEvents ?? 5000);
    const ops = [...new Set(events.map((e) => e.op))];
    const traces = ops.map((op) => {
      const es = events.filter((e) => e.op === op);
      return { type: "bar", orientation: "h", name: op, base: es.map((e) => e.startMs), x: es.map((e) => Math.max(e.ms, 1e-3)), y: es.map((e) => e.source), hovertemplate: `${op} %{x:.3f} ms at %{base:.2f} ms<extra></extra>` };
    });
    return plot({ data: traces, layout: { title: { text: "Timeline" }, barmode: "overlay", xaxis: { title: { text: "ms since start" } }, height: 200 + 40 * new Set(events.map((e) => e.source)).size, showlegend: ops.length <= 30 } });
  }

  /** Writes a Chrome trace (chrome://tracing, Perfetto) and returns the path. */
  exportChromeTrace(path: string): string {
    const trace = this.events.map((e) => ({ name: e.op, cat: e.source, ph: "X", ts: e.startMs * 1000, dur: e.ms * 1000, pid: 1, tid: e.source, args: { shapes: e.shapes, device: e.device, node: e.node } }));
    fs.writeFileSync(path, JSON.stringify({ traceEvents: trace, displayTimeUnit: "ms" }));
    return path;
  }

  /** Table plus chart. */
  async [DISPLAY_SYMBOL](): Promise<MimeBundle> {
    const table = this.table({ rowLimit: 15 })[DISPLAY_SYMBOL]();
    const chart = this.chart()[DISPLAY_SYMBOL]();
    return { ...chart, "text/html": `${table["text/html"]}\n${chart["text/html"]}`, "text/plain": table["text/plain"] };
  }

  /** The table as text. */
  toString(): string { return this.table().toString(); }
}

/**
 * Profiles `fn` (sync or async) and returns the profile.
 * @example const prof = await flow.profiler.profile(() => model.forward(x), { recordShapes: true }); prof.table({ sortBy: "total", rowLimit: 10 })
 */
export function profile(fn: () => unknown, opts?: ProfileOptions): Profile | Promise<Profile> {
  const p = new Profile(opts ?? {});
  const copies0 = { ...copyStats };
  const stop = observeOps({
    onOp: (op, inputs, outputs, ms) => p.events.push({
      op, ms, startMs: p.now() - ms, source: "eager", device: outputs[0]?.device.name ?? inputs[0]?.device.name ?? "cpu",
      ...(p.options.recordShapes ? { shapes: inputs.map((t) => [...t.shape]) } : {}),
    }),
  });
  const prev = setActiveProfile(p);
  const t0 = performance.now();
  const finish = () => {
    stop();
    setActiveProfile(prev);
    p.wallMs = performance.now() - t0;
    for (const k of Object.keys(p.copies) as (keyof typeof copyStats)[]) p.copies[k] = copyStats[k] - copies0[k];
    return p;
  };
  let r: unknown;
  try { r = fn(); } catch (e) { finish(); throw e; }
  if (r instanceof Promise) return r.then(finish, (e) => { finish(); throw e; });
  return finish();
}
