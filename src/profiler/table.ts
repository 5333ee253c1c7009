/** The profiler's per-op table (PyTorch's key_averages().table()), as text and HTML. */
import { DISPLAY_SYMBOL, MimeBundle } from "../display/bundle";
import type { ProfileEvent } from "./events";

/** One aggregated row. */
export interface OpRow { op: string; shapes: string; source: string; calls: number; totalMs: number; avgMs: number; selfPct: number }

/** Sorting and size of the table. */
export interface TableOptions { sortBy?: "total" | "calls" | "avg" | "op"; rowLimit?: number }

/** Groups events by op (and shapes when `byShapes`), sorted by total time. */
export function aggregate(events: ProfileEvent[], byShapes: boolean): OpRow[] {
  const groups = new Map<string, OpRow>();
  let all = 0;
  for (const e of events) {
    const shapes = byShapes && e.shapes ? e.shapes.map((s) => `[${s.join(", ")}]`).join(", ") : "";
    const key = `${e.source}|${e.op}|${shapes}`;
    const g = groups.get(key) ?? { op: e.op, shapes, source: e.source, calls: 0, totalMs: 0, avgMs: 0, selfPct: 0 };
    g.calls++; g.totalMs += e.ms; all += e.ms;
    groups.set(key, g);
  }
  const rows = [...groups.values()];
  for (const r of rows) { r.avgMs = r.totalMs / r.calls; r.selfPct = all ? (100 * r.totalMs) / all : 0; }
  return rows.sort((a, b) => b.totalMs - a.totalMs);
}

const SORTERS: Record<NonNullable<TableOptions["sortBy"]>, (a: OpRow, b: OpRow) => number> = {
  total: (a, b) => b.totalMs - a.totalMs,
  calls: (a, b) => b.calls - a.calls,
  avg: (a, b) => b.avgMs - a.avgMs,
  op: (a, b) => a.op.localeCompare(b.op),
};

/** A displayable per-op table. */
export class OpTable {
  readonly rows: OpRow[];
  constructor(all: OpRow[], opts: TableOptions, readonly wallMs: number, readonly copies: { hostToDevice: number; deviceToHost: number }) {
    const sorter = SORTERS[opts.sortBy ?? "total"];
    if (!sorter) throw new TypeError(`table(): unknown sortBy '${opts.sortBy}'; use one of ${Object.keys(SORTERS).join(", ")}`);
    this.rows = [...all].sort(sorter).slice(0, opts.rowLimit ?? 100);
  }

  private columns(): [string, (r: OpRow) => string][] {
    const cols: [string, (r: OpRow) => string][] = [["Op", (r) => r.op], ["Source", (r) => r.source]];
    if (this.rows.some((r) => r.shapes)) cols.push(["Input shapes", (r) => r.shapes]);
    cols.push(["Calls", (r) => String(r.calls)], ["Total ms", (r) => r.totalMs.toFixed(3)], ["Self %", (r) => r.selfPct.toFixed(1)], ["Avg ms", (r) => r.avgMs.toFixed(4)]);
    return cols;
  }

  /** Fixed-width text table. */
  toString(): string {
    const cols = this.columns();
    const cells = [cols.map(([h]) => h), ...this.rows.map((r) => cols.map(([, f]) => f(r)))];
    const widths = cols.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
    const line = widths.map((w) => "-".repeat(w)).join("  ");
    const fmt = (c: string[]) => c.map((s, i) => (i < 2 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join("  ");
    return [line, fmt(cells[0]), line, ...cells.slice(1).map(fmt), line, `Wall time: ${this.wallMs.toFixed(3)} ms; host→device copies: ${this.copies.hostToDevice}, device→host copies: ${this.copies.deviceToHost}`].join("\n");
  }

  [DISPLAY_SYMBOL](): MimeBundle {
    const cols = this.columns();
    const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
    const head = cols.map(([h]) => `<th>${esc(h)}</th>`).join("");
    const body = this.rows.map((r) => `<tr>${cols.map(([, f]) => `<td>${esc(f(r))}</td>`).join("")}</tr>`).join("\n");
    const html = `<table class="flowbook-profile"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>` +
      `<p>Wall time ${this.wallMs.toFixed(3)} ms · host→device copies ${this.copies.hostToDevice} · device→host copies ${this.copies.deviceToHost}</p>`;
    return { "text/html": html, "text/plain": this.toString() };
  }
}
