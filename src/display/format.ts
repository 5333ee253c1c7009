/** Turning any value into a MIME bundle. */
import * as util from "util";
import { DISPLAY_SYMBOL, MimeBundle, isDisplayable } from "./bundle";

/**
 * Formats a value for display, synchronously when possible: the `[Symbol.for("Jupyter.display")]()` method
 * first (its result may be a Promise), then duck-typed fallbacks (`_repr_html_`, `_repr_markdown_`, PNG/JPEG
 * Buffers), then `text/plain` from `util.inspect`. Keeping the sync path sync keeps outputs in call order.
 */
export function formatNow(value: unknown): MimeBundle | Promise<MimeBundle> {
  if (isDisplayable(value)) {
    const bundle = value[DISPLAY_SYMBOL]();
    return isPromiseLike(bundle) ? Promise.resolve(bundle).then((b) => checkBundle(b, value)) : checkBundle(bundle, value);
  }
  return fallbackBundle(value);
}

/**
 * Formats a value as a MIME bundle (async form of {@link formatNow}).
 * @example
 * await format(1)                       // { "text/plain": "1" }
 * await format({ [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<b>hi</b>" }) })
 */
export async function format(value: unknown): Promise<MimeBundle> {
  return formatNow(value);
}

/** `text/plain` as the kernel prints values: like Node's REPL, without colours. */
export function inspectText(value: unknown): string {
  return util.inspect(value, { depth: 4, colors: false, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

function fallbackBundle(value: unknown): MimeBundle {
  const v = value as any;
  if (v && typeof v._repr_html_ === "function") return { "text/html": v._repr_html_(), "text/plain": inspectText(value) };
  if (v && typeof v._repr_markdown_ === "function") return { "text/markdown": v._repr_markdown_(), "text/plain": inspectText(value) };
  if (Buffer.isBuffer(value)) {
    const mime = sniffImage(value);
    if (mime) return { [mime]: value.toString("base64"), "text/plain": `<${mime} image, ${value.length} bytes>` };
  }
  return { "text/plain": inspectText(value) };
}

/** PNG or JPEG from the first bytes, or null. */
export function sniffImage(bytes: Uint8Array): "image/png" | "image/jpeg" | null {
  if (bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return "image/png";
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  return null;
}

function checkBundle(bundle: unknown, source: unknown): MimeBundle {
  if (!bundle || typeof bundle !== "object" || Array.isArray(bundle)) {
    const name = (source as any)?.constructor?.name ?? typeof source;
    throw new TypeError(`${name}[Symbol.for("Jupyter.display")]() returned ${inspectText(bundle)}; it must return a MIME bundle such as {"text/plain": "..."}`);
  }
  return bundle as MimeBundle;
}

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return !!x && typeof (x as any).then === "function";
}
