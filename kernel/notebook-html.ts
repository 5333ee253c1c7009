/** A self-contained HTML page of an executed notebook (what run-notebook writes beside the .nbconvert.ipynb). */

type Cell = { cell_type: string; source: string | string[]; outputs?: Output[]; execution_count?: number | null };
type Output = { output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown>; ename?: string; evalue?: string; traceback?: string[] };

const joined = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join("") : t ?? "");
const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");

/** Renders cells and outputs; rich outputs in order of preference: html, svg, png, jpeg, markdown, plain. */
export function notebookToHtml(nb: { cells: Cell[] }, title: string): string {
  const body = nb.cells.map(renderCell).join("\n");
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(title)}</title><style>
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto}.in{border-left:3px solid #3178c6}.err{background:#fde8e8}
.count{color:#888;font:12px monospace}.md{margin:1em 0}</style></head><body>
${body}
</body></html>
`;
}

function renderCell(cell: Cell): string {
  const source = joined(cell.source);
  if (cell.cell_type === "markdown") return `<div class="md">${renderMarkdown(source)}</div>`;
  if (cell.cell_type !== "code") return `<pre>${escape(source)}</pre>`;
  const outputs = (cell.outputs ?? []).map(renderOutput).join("\n");
  return `<div class="count">[${cell.execution_count ?? " "}]</div><pre class="in">${escape(source)}</pre>\n${outputs}`;
}

function renderOutput(o: Output): string {
  if (o.output_type === "stream") return `<pre>${escape(stripAnsi(joined(o.text)))}</pre>`;
  if (o.output_type === "error") return `<pre class="err">${escape(stripAnsi((o.traceback ?? [`${o.ename}: ${o.evalue}`]).join("\n")))}</pre>`;
  const data = o.data ?? {};
  const text = (mime: string) => joined(data[mime] as string | string[]);
  if (data["text/html"]) return `<div>${text("text/html")}</div>`;
  if (data["image/svg+xml"]) return `<div>${text("image/svg+xml")}</div>`;
  if (data["image/png"]) return `<img src="data:image/png;base64,${text("image/png")}">`;
  if (data["image/jpeg"]) return `<img src="data:image/jpeg;base64,${text("image/jpeg")}">`;
  if (data["text/markdown"]) return `<div>${renderMarkdown(text("text/markdown"))}</div>`;
  return `<pre>${escape(text("text/plain"))}</pre>`;
}

/** Just enough Markdown for notebook prose: headings, paragraphs, code spans, emphasis, fenced code. */
function renderMarkdown(md: string): string {
  const blocks = md.split(/\n{2,}/);
  return blocks.map((block) => {
    const fence = /^```\w*\n([\s\S]*?)\n?```$/.exec(block.trim());
    if (fence) return `<pre>${escape(fence[1])}</pre>`;
    const heading = /^(#{1,6})\s+(.*)$/.exec(block.trim());
    if (heading && !block.trim().includes("\n")) return `<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`;
    return `<p>${block.split("\n").map((line) => {
      const h = /^(#{1,6})\s+(.*)$/.exec(line);
      return h ? `<strong>${inline(h[2])}</strong>` : inline(line);
    }).join("<br>")}</p>`;
  }).join("\n");
}

function inline(s: string): string {
  return escape(s).replace(/`([^`]+)`/g, "<code>$1</code>").replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>").replace(/\*([^*]+)\*/g, "<em>$1</em>");
}
