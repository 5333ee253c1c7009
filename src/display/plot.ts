/**
 * `plot(figure)`: a Plotly figure as `application/vnd.plotly.v1+json` (JupyterLab's renderer) plus a `text/html`
 * fallback that renders offline: the first plot of a kernel session carries plotly.js (from plotly.js-dist-min),
 * later ones reuse the `window.Plotly` it defined.
 */
import * as fs from "fs";
import { DISPLAY_SYMBOL, Displayable, MimeBundle } from "./bundle";

/** A Plotly figure: traces, layout, config (see https://plotly.com/javascript/reference/). */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

let plotlySent = false;
let plotCount = 0;

/** A figure ready for display. */
export class PlotOutput implements Displayable {
  constructor(readonly figure: Figure) {}

  [DISPLAY_SYMBOL](): MimeBundle {
    const figure = { data: this.figure.data, layout: this.figure.layout ?? {}, config: this.figure.config ?? {} };
    return {
      "application/vnd.plotly.v1+json": figure,
      "text/html": plotHtml(figure),
      "text/plain": `<plot: ${figure.data.length} trace(s)>`,
    };
  }
}

/**
 * A Plotly chart.
 * @example plot({ data: [{ x: [1, 2, 3], y: [2, 1, 3], type: "scatter" }], layout: { title: { text: "loss" } } })
 */
export function plot(figure: Figure): PlotOutput {
  if (!figure || !Array.isArray(figure.data)) throw new TypeError('plot(): expected a figure {data: [...traces], layout?}; got no "data" array');
  return new PlotOutput(figure);
}

/** Forgets that plotly.js was sent (a new kernel session, or tests). */
export function resetPlotlySession(): void {
  plotlySent = false;
}

function plotHtml(figure: Figure): string {
  const id = `flowbook-plot-${process.pid}-${++plotCount}`;
  const library = plotlySent ? "" : `<script type="text/javascript">${plotlyScript()}</script>\n`;
  plotlySent = true;
  const json = JSON.stringify(figure).replace(/</g, "\\u003c");
  return `${library}<div id="${id}"></div>\n<script type="text/javascript">(function(){var f=${json};` +
    `function draw(){window.Plotly.newPlot("${id}",f.data,f.layout,f.config);}` +
    `if(window.Plotly){draw();}else{var t=setInterval(function(){if(window.Plotly){clearInterval(t);draw();}},50);}})();</script>`;
}

function plotlyScript(): string {
  // Runs plotly as a plain script even where a page defines AMD `define` (classic Notebook's require.js).
  const source = fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
  return `(function(){var define=undefined;${source.replace(/<\/script/gi, "<\\/script")}\n}).call(window);`;
}
