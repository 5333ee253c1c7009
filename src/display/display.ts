/** `display`, `updateDisplay` and `clearOutput`: the functions cells and library code call to show things. */
import { MimeBundle } from "./bundle";
import { formatNow, inspectText } from "./format";
import { currentDisplay, DisplayOptions, newDisplayId } from "./hook";

/** A handle on a shown output, to replace it in place later (what `display(value, {displayId})` returns). */
export class DisplayHandle {
  /** @param displayId the display id (sent as transient display_id). */
  constructor(readonly displayId: string) {}

  /** Replaces this output with the display of `value`. */
  update(value: unknown, options: { metadata?: Record<string, unknown> } = {}): void {
    updateDisplay(this.displayId, value, options);
  }

  /** Shows `value` as a new output under the same display id (later updates replace both). */
  display(value: unknown, options: Omit<DisplayCallOptions, "displayId"> = {}): void {
    display(value, { ...options, displayId: this.displayId });
  }

  /** IPython's repr: `<DisplayHandle display_id=...>`. */
  toString(): string { return `<DisplayHandle display_id=${this.displayId}>`; }
  /** Shown as its `toString()` by console.log and as a cell's value. */
  [Symbol.for("nodejs.util.inspect.custom")](): string { return this.toString(); }
}

/** Options of {@link display}: `displayId: true` picks a fresh id, a string names it. */
export interface DisplayCallOptions extends Omit<DisplayOptions, "displayId"> {
  /** `true` for a fresh id, or the id to update this output later with `updateDisplay(id, value)`. */
  displayId?: string | true;
}

/**
 * Shows `value` as a new output of the running cell (outside a notebook: prints its text/plain to stdout).
 * Like IPython's `display()`, it returns nothing, so `display(x)` as a cell's last line adds no execute_result;
 * ask for a handle with a display id: `{displayId: true}` (a fresh one, IPython's `display_id=True`) or
 * `{displayId: "name"}`, then update the output with `handle.update(v)` or `updateDisplay("name", v)`.
 * @example
 * display(md("**plain output**"));
 * const h = display(html("<b>training…</b>"), { displayId: true });
 * h.update(md("**done**"));
 * display(html("<i>0%</i>"), { displayId: "status" });
 * updateDisplay("status", html("<i>100%</i>"));
 */
export function display(value: unknown, options: DisplayCallOptions & { displayId: string | true }): DisplayHandle;
export function display(value: unknown, options?: DisplayCallOptions): void;
export function display(value: unknown, options: DisplayCallOptions = {}): DisplayHandle | void {
  const asked = options.displayId;
  const displayId = asked === true ? newDisplayId() : asked;
  const target = currentDisplay();
  withBundle(value, (bundle) => {
    if (target) target.display(bundle, { ...options, displayId });
    else process.stdout.write(`${String(bundle["text/plain"] ?? inspectText(value))}\n`);
  });
  if (displayId !== undefined) return new DisplayHandle(displayId);
}

/** Replaces every output shown with `displayId` by the display of `value`. */
export function updateDisplay(displayId: string, value: unknown, options: { metadata?: Record<string, unknown> } = {}): void {
  const target = currentDisplay();
  if (!target) return;
  withBundle(value, (bundle) => target.updateDisplay(displayId, bundle, options));
}

/** Clears the running cell's output; with `{wait: true}` the clearing happens when the next output arrives. */
export function clearOutput(options: { wait?: boolean } = {}): void {
  currentDisplay()?.clearOutput(options.wait ?? false);
}

/** Formats then calls `use`, synchronously when the value formats synchronously (keeps output order). */
function withBundle(value: unknown, use: (bundle: MimeBundle) => void): void {
  const bundle = formatNow(value);
  if (bundle instanceof Promise) {
    bundle.then(use, (err) => process.stderr.write(`display failed: ${err?.message ?? err}\n`));
  } else use(bundle);
}
