/** `display`, `updateDisplay` and `clearOutput`: the functions cells and library code call to show things. */
import { MimeBundle } from "./bundle";
import { formatNow, inspectText } from "./format";
import { currentDisplay, DisplayOptions, newDisplayId } from "./hook";

/** A handle on a shown output, to replace it in place later. */
export interface DisplayHandle {
  /** The display id (sent as transient display_id). */
  readonly displayId: string;
  /** Replaces this output with the display of `value`. */
  update(value: unknown): void;
}

/**
 * Shows `value` as a new output of the running cell (outside a notebook: prints its text/plain to stdout).
 * @example
 * const h = display(html("<b>training…</b>"), { displayId: "status" });
 * h.update(md("**done**"));
 */
export function display(value: unknown, options: DisplayOptions = {}): DisplayHandle {
  const displayId = options.displayId ?? newDisplayId();
  const target = currentDisplay();
  withBundle(value, (bundle) => {
    if (target) target.display(bundle, { ...options, displayId });
    else process.stdout.write(`${String(bundle["text/plain"] ?? inspectText(value))}\n`);
  });
  return { displayId, update: (next) => updateDisplay(displayId, next) };
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
