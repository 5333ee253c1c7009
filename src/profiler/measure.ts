/**
 * Timing helpers shared by the speed-up table and the pipeline lessons: repetitions after warm-up, median and
 * spread, how a model is called, and HTML/text table rendering.
 */
import * as os from "os";
import { Tensor } from "../tensor/tensor";

/** Summary of repeated timings, in milliseconds. */
export interface TimingStats {
  /** Every timed repetition, in run order. */
  samples: number[];
  median: number;
  min: number;
  max: number;
  /** 25th and 75th percentiles. */
  p25: number;
  p75: number;
  /** Interquartile range as a fraction of the median (0.05 = ±5 % around the median is half of it). */
  relSpread: number;
}

/** Median, extremes and quartiles of `samples` (ms). Throws on an empty list. */
export function stats(samples: number[]): TimingStats {
  if (!samples.length) throw new RangeError("stats: no samples");
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = (s.length - 1) * p, lo = Math.floor(i), hi = Math.ceil(i);
    return s[lo] + (s[hi] - s[lo]) * (i - lo);
  };
  const median = q(0.5);
  return { samples: [...samples], median, min: s[0], max: s[s.length - 1], p25: q(0.25), p75: q(0.75), relSpread: median > 0 ? (q(0.75) - q(0.25)) / median : 0 };
}

/** Runs `fn` `warmup` times untimed, then `repeat` times timed. */
export function timeIt(fn: () => void, warmup: number, repeat: number): TimingStats {
  if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`repeat must be a positive integer, got ${repeat}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`warmup must be a non-negative integer, got ${warmup}`);
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return stats(t);
}

/** A model the helpers can run: a flow.nn.Module (callable), a plain function, or an object with forward(). */
export type ModelLike = ((...inputs: any[]) => any) | { forward(...inputs: any[]): any };

/** Calls the model on the inputs (module call, so hooks and graph scopes apply). */
export function callModel(model: ModelLike, inputs: Tensor[]): any {
  if (typeof model === "function") return model(...inputs);
  if (model && typeof model.forward === "function") return model.forward(...inputs);
  throw new TypeError("expected a model: a flow.nn.Module, a function of the inputs, or an object with forward()");
}

/** Normalises `input` to a non-empty array of Tensors. */
export function inputList(input: unknown, what = "input"): Tensor[] {
  const xs = Array.isArray(input) ? input : [input];
  if (!xs.length || xs.some((x) => !(x instanceof Tensor))) throw new TypeError(`${what}: expected a Tensor or an array of Tensors`);
  return xs as Tensor[];
}

/** All tensors in a nested output. */
export function tensorsOf(out: unknown, acc: Tensor[] = []): Tensor[] {
  if (out instanceof Tensor) acc.push(out);
  else if (Array.isArray(out)) for (const o of out) tensorsOf(o, acc);
  else if (out && typeof out === "object") for (const o of Object.values(out)) tensorsOf(o, acc);
  return acc;
}

/**
 * Makes sure an output's values exist before the clock stops: tensors on a GPU device are read back (a
 * device may finish asynchronously); CPU results are already computed when the call returns.
 */
export function settle(out: unknown): void {
  for (const t of tensorsOf(out)) if (t.device.type !== "cpu") t.toTypedArray();
}

/** Sets train/eval mode on a module if it has one; returns a function restoring the previous mode. */
export function withMode(model: unknown, training: boolean): () => void {
  const m = model as { training?: boolean; train?: (on: boolean) => unknown };
  if (!m || typeof m.train !== "function" || typeof m.training !== "boolean") return () => {};
  const prev = m.training;
  m.train(training);
  return () => { m.train!(prev); };
}

/** The machine's 1-minute load average and CPU count (timings on a loaded machine are noisy). */
export function machineLoad(): { loadAvg1: number; cpus: number } {
  return { loadAvg1: os.loadavg()[0], cpus: os.cpus().length };
}

/** HTML-escapes text. */
export const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A fixed-width text table: the first `leftCols` columns left-aligned, the rest right-aligned. */
export function textTable(head: string[], rows: string[][], leftCols = 1): string {
  const cells = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? "").length)));
  const line = widths.map((w) => "-".repeat(w)).join("  ");
  const fmt = (c: string[]) => c.map((s, i) => (i < leftCols || i === c.length - 1 ? (s ?? "").padEnd(widths[i]) : (s ?? "").padStart(widths[i]))).join("  ").trimEnd();
  return [line, fmt(head), line, ...rows.map(fmt), line].join("\n");
}

/** An HTML table with a class name; cells are escaped. */
export function htmlTable(cls: string, head: string[], rows: string[][], rowClass: (i: number) => string = () => ""): string {
  const h = head.map((c) => `<th>${esc(c)}</th>`).join("");
  const b = rows.map((r, i) => `<tr${rowClass(i) ? ` class="${rowClass(i)}"` : ""}>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table class="${cls}"><thead><tr>${h}</tr></thead><tbody>\n${b}\n</tbody></table>`;
}

/** "1234.5" with a sensible number of digits. */
export function fmtNum(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  return v >= 100 ? v.toFixed(0) : v.toFixed(digits);
}
