/** Constructors of common rich outputs: `html`, `md`, `svg`. */
import { RichOutput } from "./bundle";

/**
 * HTML output.
 * @example html("<b>bold</b>")   // last expression of a cell → rendered HTML
 */
export function html(source: string): RichOutput {
  return new RichOutput({ "text/html": source, "text/plain": stripTags(source) });
}

/**
 * Markdown output.
 * @example md("# Title\nsome *text*")
 */
export function md(source: string): RichOutput {
  return new RichOutput({ "text/markdown": source, "text/plain": source });
}

/**
 * SVG output.
 * @example svg('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="5" cx="5" cy="5"/></svg>')
 */
export function svg(source: string): RichOutput {
  return new RichOutput({ "image/svg+xml": source, "text/plain": "<svg image>" });
}

function stripTags(source: string): string {
  return source.replace(/<[^>]*>/g, "").trim() || "<html>";
}
