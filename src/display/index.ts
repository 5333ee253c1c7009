/**
 * Rich display for flowbook: MIME bundles, the `Symbol.for("Jupyter.display")` protocol, helpers and progress bars.
 * Everything works outside a notebook too (text fallbacks), so library code may call it freely.
 * @packageDocumentation
 */
export { DISPLAY_SYMBOL, isDisplayable, RichOutput } from "./bundle";
export type { Displayable, MimeBundle } from "./bundle";
export { format, formatNow, inspectText, sniffImage } from "./format";
export { clearOutput, display, DisplayHandle, updateDisplay } from "./display";
export type { DisplayCallOptions } from "./display";
export { currentDisplay, DISPLAY_HOST_KEY, newDisplayId, registerDisplayHost } from "./hook";
export type { DisplayHost, DisplayOptions, DisplayTarget } from "./hook";
export { html, md, svg } from "./helpers";
export { image, ImageOutput } from "./image";
export type { ImageOptions } from "./image";
export { plot, PlotOutput, resetPlotlySession } from "./plot";
export type { Figure } from "./plot";
export { progress, ProgressState } from "./progress";
export type { ProgressOptions } from "./progress";
