/**
 * The graph as a picture: DOT text laid out by Graphviz (`@hpcc-js/wasm-graphviz`, WASM, loaded once on first
 * use). Ops are coloured by kind, edges carry shapes, modules are clusters, and modules deeper than
 * `depth` collapse to one box each so that a ResNet-101 stays readable (by default the depth is chosen so
 * that at most about `maxNodes` boxes are drawn). Fused nodes are drawn bold red with what they fused.
 * `optimized: false` draws the graph as traced, before any pass; the default draws what runs (after the
 * passes and lowering to ONNX).
 */
import type { Graph } from "./graph";
import type { Compiled } from "./compile";
import type { IRGraph, IRNode } from "./ir";
import { moduleClasses, sourceText } from "./repr";

/** Options of `graph.display()`. */
export interface DisplayOptions {
  /** false: the graph before passes (as traced); true (default): what runs, after passes and lowering. */
  optimized?: boolean;
  /** Module depth drawn open; deeper modules collapse to one box. Default: the largest depth that keeps the
   * picture under `maxNodes` boxes. 0 collapses every top-level module. */
  depth?: number;
  /** Target upper bound on boxes when choosing the depth automatically (default 150). */
  maxNodes?: number;
  /** Draw backward and optimizer ops too (default true). */
  backward?: boolean;
}

const KIND_COLORS: [RegExp, string, string][] = [
  [/^(matmul|gemm|linear|conv|fusedconv|convtranspose|bmm|addmm)/i, "#aec7e8", "compute"],
  [/(norm|softmax)/i, "#c5b0d5", "normalisation"],
  [/^(sum|mean|reduce|max$|min$|argmax|argmin)/i, "#ffbb78", "reduction"],
  [/^(reshape|expand|permute|transpose|flatten|squeeze|unsqueeze|slice|gather|concat|cat|split|pad|identity)/i, "#dddddd", "movement"],
  [/^cast/i, "#ffff99", "cast"],
  [/pool/i, "#98df8a", "pooling"],
  [/(relu|sigmoid|tanh|gelu|silu|elu|softplus|clip)/i, "#c7e9c0", "activation"],
];

function colorOf(op: string): string {
  for (const [re, c] of KIND_COLORS) if (re.test(op)) return c;
  return "#f7f7f7"; // elementwise arithmetic and the rest
}

const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
const shapeText = (g: IRGraph, v: string) => { const m = g.meta.get(v); return m ? (m.shape.length ? m.shape.join("×") : "scalar") : ""; };

const depthOf = (scope: string) => (scope ? scope.split(".").length : 0);
const prefix = (scope: string, k: number) => scope.split(".").slice(0, k).join(".");

/** The box a node is drawn in at `depth`: itself, or the module at depth+1 that contains it. */
function boxId(n: IRNode, depth: number): string {
  return depthOf(n.scope) > depth ? `m_${prefix(n.scope, depth + 1)}` : `n${n.id}`;
}

function autoDepth(nodes: IRNode[], maxNodes: number): number {
  const maxDepth = Math.max(0, ...nodes.map((n) => depthOf(n.scope)));
  for (let d = maxDepth; d > 0; d--) if (new Set(nodes.map((n) => boxId(n, d))).size <= maxNodes) return d;
  return 0;
}

/** What a picture of an IR needs besides the IR: its caption, module classes by path, and node tooltips. */
export interface IRView {
  caption(depth: number): string;
  /** Module path → class name (cluster labels). */
  classes: Map<string, string>;
  /** Tooltip of a node (its source line), or "". */
  tip(n: IRNode): string;
}

/** DOT text of one compiled entry. */
export function graphDot(graph: Graph, entry: Compiled, opts: DisplayOptions = {}): string {
  const g = opts.optimized === false ? entry.traced : entry.lowered;
  const ctors = moduleClasses(graph);
  const classes = new Map([...ctors].map(([k, c]) => [k, c.name]));
  return irDot(g, { caption: (depth) => caption(graph, entry, opts, depth), classes, tip: (n) => (n.sourceLine ? sourceText(n, graph.constructor.name, ctors) : "") }, opts);
}

/** DOT text of any IR (a compiled graph's, or an imported ONNX model's). */
export function irDot(g: IRGraph, view: IRView, opts: DisplayOptions = {}): string {
  const nodes = g.nodes.filter((n) => opts.backward !== false || n.phase === "forward");
  const depth = opts.depth ?? autoDepth(nodes, opts.maxNodes ?? 150);
  // Each node is drawn either as itself or inside a collapsed module box.
  const boxOf = new Map<IRNode, string>();
  const collapsed = new Map<string, { count: number; ops: Map<string, number> }>();
  for (const n of nodes) {
    const id = boxId(n, depth);
    boxOf.set(n, id);
    if (!id.startsWith("m_")) continue;
    const e = collapsed.get(id) ?? { count: 0, ops: new Map() };
    e.count++;
    e.ops.set(n.op, (e.ops.get(n.op) ?? 0) + 1);
    collapsed.set(id, e);
  }
  const lines: string[] = [
    "digraph G {",
    `  graph [rankdir=TB, fontname="Helvetica", fontsize=10, labelloc=t, label="${esc(view.caption(depth))}"];`,
    `  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=9, height=0.25];`,
    `  edge [fontname="Helvetica", fontsize=7, color="#666666", arrowsize=0.5];`,
  ];
  // Clusters: open modules (scope depth <= depth) group their drawn nodes.
  const clusterMembers = new Map<string, string[]>();
  const put = (scope: string, line: string) => { const l = clusterMembers.get(scope); if (l) l.push(line); else clusterMembers.set(scope, [line]); };
  for (const n of nodes) {
    const box = boxOf.get(n)!;
    if (box.startsWith("m_")) continue;
    const fused = n.fused ? `\\n⚡ ${esc(n.fused.join("+"))}` : "";
    const outShape = n.outputs[0] ? `\\n${shapeText(g, n.outputs[0])}` : "";
    const phase = n.phase === "forward" ? "" : `, style="rounded,filled,dashed"`;
    const border = n.fused ? `, color="#d62728", penwidth=2, fontcolor="#d62728"` : "";
    const t = view.tip(n);
    const tip = t ? `, tooltip="${esc(t)}"` : "";
    put(n.scope, `"${box}" [label="${esc(n.op)}${outShape}${fused}", fillcolor="${colorOf(n.op)}"${phase}${border}${tip}];`);
  }
  for (const [id, e] of collapsed) {
    const scope = id.slice(2);
    const top = [...e.ops].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([o, c]) => `${o}×${c}`).join(" ");
    put(prefix(scope, depthOf(scope) - 1), `"${id}" [label="${esc(scope)}\\n${e.count} ops: ${esc(top)}", shape=box3d, style=filled, fillcolor="#e8eef7"];`);
  }
  lines.push(...renderClusters(clusterMembers, view.classes));
  for (const i of g.inputs.filter((x) => x.kind === "input")) lines.push(`  "${i.name}" [label="${esc(i.name)}\\n${shapeText(g, i.name)}", shape=ellipse, fillcolor="#ffffff"];`);
  g.outputs.filter((o) => o.kind === "output").forEach((o, k) => lines.push(`  "out_${k}" [label="output ${k}\\n${shapeText(g, o.name)}", shape=ellipse, fillcolor="#ffffff"];`));
  // Edges, deduplicated between boxes, labelled with the value's shape.
  const producer = new Map<string, string>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, boxOf.get(n)!);
  for (const i of g.inputs.filter((x) => x.kind === "input")) producer.set(i.name, i.name);
  const edges = new Set<string>();
  const edge = (from: string, to: string, v: string) => {
    const k = `${from}->${to}`;
    if (from === to || edges.has(k)) return;
    edges.add(k);
    lines.push(`  "${from}" -> "${to}" [label="${esc(shapeText(g, v))}"];`);
  };
  for (const n of nodes) for (const i of n.inputs) { const p = producer.get(i); if (p) edge(p, boxOf.get(n)!, i); }
  g.outputs.filter((o) => o.kind === "output").forEach((o, k) => { const p = producer.get(o.name); if (p) edge(p, `out_${k}`, o.name); });
  lines.push("}");
  return lines.join("\n");
}

function renderClusters(members: Map<string, string[]>, classes: Map<string, string>): string[] {
  const scopes = new Set<string>();
  for (const s of members.keys()) { const parts = s ? s.split(".") : []; for (let k = 1; k <= parts.length; k++) scopes.add(parts.slice(0, k).join(".")); }
  const render = (scope: string, ind: string): string[] => {
    const out: string[] = (members.get(scope) ?? []).map((l) => ind + l);
    const children = [...scopes].filter((s) => s !== scope && (scope ? s.startsWith(scope + ".") : true) && s.split(".").length === (scope ? scope.split(".").length + 1 : 1));
    for (const c of children) {
      out.push(`${ind}subgraph "cluster_${c}" {`, `${ind}  label="${esc(c)}${classes.get(c) ? ` (${classes.get(c)})` : ""}"; style="rounded,dashed"; color="#999999"; fontsize=9;`);
      out.push(...render(c, ind + "  "), `${ind}}`);
    }
    return out;
  };
  return render("", "  ");
}

function caption(graph: Graph, entry: Compiled, opts: DisplayOptions, depth: number): string {
  const sigs = graph.compiledSignatures();
  const stage = opts.optimized === false ? `as traced (${entry.traced.nodes.length} ops, before passes)` : `as run (${entry.lowered.nodes.length} ONNX nodes after passes)`;
  return `${graph.constructor.name}: ${stage}; modules deeper than ${depth} collapsed; ${sigs.length}/${graph.config.maxCachedSignatures} compiled signatures; compile ${entry.times.totalMs.toFixed(0)} ms`;
}

type GraphvizLike = { dot(src: string): string };
let graphviz: Promise<GraphvizLike> | null = null;
/** Loads the Graphviz WASM module once. */
function loadGraphviz(): Promise<GraphvizLike> {
  if (!graphviz) {
    graphviz = (async () => {
      let mod: { Graphviz: { load(): Promise<GraphvizLike> } };
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        mod = require("@hpcc-js/wasm-graphviz");
      } catch {
        mod = await (new Function("s", "return import(s)") as (s: string) => Promise<typeof mod>)("@hpcc-js/wasm-graphviz");
      }
      return mod.Graphviz.load();
    })();
  }
  return graphviz;
}

/** SVG of DOT text. */
export async function renderDot(dot: string): Promise<string> {
  // Inline SVG starts at <svg>: graphviz's XML declaration (with its encoding) and DOCTYPE make nbconvert's HTML
  // export fail (lxml refuses a str with an encoding declaration) and are not valid inside an HTML page.
  const svg = (await loadGraphviz()).dot(dot);
  const start = svg.indexOf("<svg");
  return start > 0 ? svg.slice(start) : svg;
}

/** The MIME bundle of any IR: SVG picture plus a text form. */
export async function displayIR(g: IRGraph, view: IRView, text: string, opts: DisplayOptions = {}): Promise<Record<string, string>> {
  return { "image/svg+xml": await renderDot(irDot(g, view, opts)), "text/plain": text };
}

/** The MIME bundle of a graph: SVG picture plus the text form. */
export async function displayGraph(graph: Graph, entry: Compiled | null, opts: DisplayOptions): Promise<Record<string, string>> {
  const text = graph.toString();
  if (!entry) return { "text/plain": text };
  return { "image/svg+xml": await renderDot(graphDot(graph, entry, opts)), "text/plain": text };
}
