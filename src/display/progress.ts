/**
 * `progress(iterable, {total, desc})`: a progress bar that updates one notebook output in place
 * (update_display_data) with count, rate and ETA; outside a notebook it redraws a text bar on stderr.
 */
import { RichOutput } from "./bundle";
import { currentDisplay, DisplayTarget, newDisplayId } from "./hook";

/** Options of {@link progress}. */
export interface ProgressOptions {
  /** Number of items, when the iterable has no `length`/`size`. */
  total?: number;
  /** Label before the bar. */
  desc?: string;
  /** Minimum milliseconds between redraws (default 100). */
  intervalMs?: number;
}

/** The state of one bar; rendering is separate so both outputs (notebook, terminal) share it. */
export class ProgressState {
  count = 0;
  readonly startedAt = Date.now();
  constructor(readonly total: number | undefined, readonly desc: string) {}

  /** Items per second so far. */
  rate(now = Date.now()): number {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? this.count / seconds : 0;
  }

  /** One-line text form: `desc  45%|████▌     | 45/100 [00:02<00:03, 20.1 it/s]`. */
  text(now = Date.now()): string {
    const elapsed = (now - this.startedAt) / 1000;
    const rate = this.rate(now);
    const label = this.desc ? `${this.desc} ` : "";
    if (!this.total) return `${label}${this.count} it [${clock(elapsed)}, ${rate.toFixed(1)} it/s]`;
    const fraction = Math.min(1, this.count / this.total);
    const eta = rate > 0 ? (this.total - this.count) / rate : NaN;
    return `${label}${String(Math.round(fraction * 100)).padStart(3)}%|${bar(fraction, 20)}| ${this.count}/${this.total} ` +
      `[${clock(elapsed)}<${clock(eta)}, ${rate.toFixed(1)} it/s]`;
  }

  /** HTML form with a native <progress> element. */
  html(now = Date.now()): string {
    const max = this.total ?? Math.max(1, this.count);
    const escaped = this.text(now).replace(/&/g, "&amp;").replace(/</g, "&lt;");
    return `<div style="font-family:monospace"><progress value="${this.count}" max="${max}" style="width:30ch;vertical-align:middle"></progress> ${escaped}</div>`;
  }
}

/** Where a bar is drawn. */
interface BarView { draw(state: ProgressState, final: boolean): void }

class NotebookBar implements BarView {
  private readonly id = newDisplayId();
  private shown = false;
  constructor(private readonly target: DisplayTarget) {}
  draw(state: ProgressState): void {
    const bundle = new RichOutput({ "text/html": state.html(), "text/plain": state.text() }).bundle;
    if (this.shown) this.target.updateDisplay(this.id, bundle);
    else { this.target.display(bundle, { displayId: this.id }); this.shown = true; }
  }
}

class TerminalBar implements BarView {
  draw(state: ProgressState, final: boolean): void {
    process.stderr.write(`\r${state.text()}${final ? "\n" : ""}`);
  }
}

/**
 * Wraps an iterable (sync or async) and shows its progress.
 * @example
 * for (const batch of progress(loader, { desc: "epoch 1" })) train(batch);
 * for await (const x of progress(stream(), { total: 1000 })) use(x);
 */
export function progress<T>(items: Iterable<T>, options?: ProgressOptions): Generator<T>;
export function progress<T>(items: AsyncIterable<T>, options?: ProgressOptions): AsyncGenerator<T>;
export function progress<T>(items: Iterable<T> | AsyncIterable<T>, options: ProgressOptions = {}): Generator<T> | AsyncGenerator<T> {
  const state = new ProgressState(options.total ?? sizeOf(items), options.desc ?? "");
  const target = currentDisplay();
  const view: BarView = target ? new NotebookBar(target) : new TerminalBar();
  const ticker = throttle(() => view.draw(state, false), options.intervalMs ?? 100);
  if (Symbol.asyncIterator in (items as object)) return asyncTrack(items as AsyncIterable<T>, state, view, ticker);
  return syncTrack(items as Iterable<T>, state, view, ticker);
}

function* syncTrack<T>(items: Iterable<T>, state: ProgressState, view: BarView, tick: () => void): Generator<T> {
  view.draw(state, false);
  try {
    for (const item of items) { yield item; state.count++; tick(); }
  } finally { view.draw(state, true); }
}

async function* asyncTrack<T>(items: AsyncIterable<T>, state: ProgressState, view: BarView, tick: () => void): AsyncGenerator<T> {
  view.draw(state, false);
  try {
    for await (const item of items) { yield item; state.count++; tick(); }
  } finally { view.draw(state, true); }
}

function sizeOf(items: unknown): number | undefined {
  const n = (items as any)?.length ?? (items as any)?.size;
  return typeof n === "number" ? n : undefined;
}

function throttle(fn: () => void, ms: number): () => void {
  let last = 0;
  return () => { const now = Date.now(); if (now - last >= ms) { last = now; fn(); } };
}

function bar(fraction: number, width: number): string {
  const eighths = Math.round(fraction * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = eighths % 8 ? " ▏▎▍▌▋▊▉"[eighths % 8] : "";
  return ("█".repeat(full) + partial).padEnd(width);
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const mm = String(Math.floor(s / 60) % 60).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}
