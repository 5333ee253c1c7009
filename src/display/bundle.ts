/** MIME bundles: the unit of rich output in Jupyter (`{"text/html": "...", "text/plain": "..."}`). */

/** A MIME type → data map, as in display_data's `data`. */
export type MimeBundle = Record<string, unknown>;

/** The symbol an object implements to control how it is displayed (Deno's convention). */
export const DISPLAY_SYMBOL: unique symbol = Symbol.for("Jupyter.display") as any;

/** Anything with a `[Symbol.for("Jupyter.display")]()` method returning a bundle, now or later. */
export interface Displayable {
  [DISPLAY_SYMBOL](): MimeBundle | Promise<MimeBundle>;
}

/** True when `value` implements the display symbol. */
export function isDisplayable(value: unknown): value is Displayable {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as any)[DISPLAY_SYMBOL] === "function";
}

/** Wraps a ready bundle as a displayable object (what `html()`, `md()`, `svg()` return). */
export class RichOutput implements Displayable {
  constructor(readonly bundle: MimeBundle) {}
  [DISPLAY_SYMBOL](): MimeBundle { return this.bundle; }
  /** Plain-text form, so a RichOutput logged with console.log stays readable. */
  toString(): string { return String(this.bundle["text/plain"] ?? Object.values(this.bundle)[0] ?? ""); }
}
