/**
 * The text form of a graph, after OneFlow's nn.Graph repr: the module tree as nested blocks, graph inputs and
 * outputs with shape and dtype, parameters, and every operator with its output shapes and dtypes and the
 * user's source line (backward ops point at the `backward()` line).
 *
 * Three views of one compiled signature (`graph.repr(stage)`; `toString()` is "compiled"):
 *   "compiled"  what runs: the ONNX nodes after every pass (fusions included: a folded batch norm or pad is
 *               gone, a fused conv is marked `fused=[...]`). Values a lowering made internally have no traced
 *               shape and print by name only.
 *   "optimized" flowbook's ops after the traced-IR passes (before lowering and the ONNX-stage fusions).
 *   "traced"    flowbook's ops as traced, before any pass.
 */
import type { Graph } from "./graph";
import type { Compiled } from "./compile";
import type { IRGraph, IRNode } from "./ir";
import type { Meta } from "../ops/registry";
import * as path from "path";

const metaText = (m: Meta | undefined) => (m ? `size=(${m.shape.join(", ")}${m.shape.length === 1 ? "," : ""}), dtype=flow.${m.dtype}` : "size=?");

/** Shortens a stack frame to `fn (file:line:col)` with the file's base name. */
export function shortLine(line: string | undefined): string {
  if (!line) return "";
  return line.replace(/\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?/, (_m, p: string, l: string, c: string) => `(${path.basename(p)}:${l}:${c})`);
}

// flowbook's own layer classes: their forward frames are never the user's line (callerLine skips them).
let libraryClasses: Set<unknown> | null = null;
function isLibraryClass(ctor: unknown): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  libraryClasses ??= new Set(Object.values(require("../nn/layers/index") as Record<string, unknown>));
  return libraryClasses.has(ctor);
}

/**
 * The class whose method made a frame that V8 names `Proxy.<method>` (flow.nn modules are Proxies): the
 * innermost module on the node's scope path that is not one of flowbook's own layers.
 */
function ownerClass(scope: string, classes: Map<string, Function>): string {
  const parts = scope ? scope.split(".") : [];
  for (let k = parts.length; k > 0; k--) {
    const c = classes.get(parts.slice(0, k).join("."));
    if (c && !isLibraryClass(c)) return c.name;
  }
  return "Module";
}

/** Module path → class (constructor) for every module attribute of the graph and their submodules. */
export function moduleClasses(graph: Graph): Map<string, Function> {
  const m = new Map<string, Function>();
  for (const [attr, mod] of graph.modules()) {
    m.set(attr, (mod as object).constructor);
    for (const [p, sub] of mod.namedModules() as Iterable<[string, unknown]>) if (p) m.set(`${attr}.${p}`, (sub as object).constructor);
  }
  return m;
}

/** A node's source line for display: short file name, and the graph's and modules' class names (not V8's). */
export function sourceText(n: IRNode, cls: string, classes: Map<string, Function>): string {
  return shortLine(n.sourceLine).replace(/^Function\.build\b/, `${cls}.build`).replace(/^Proxy\.(\w+)/, (_m, f: string) => `${ownerClass(n.scope, classes)}.${f}`);
}

function opLine(g: IRGraph, n: IRNode, cls: string, classes: Map<string, Function> = new Map()): string {
  const outs = n.outputs.map((o) => { const m = g.meta.get(o); return m ? `${o}:(${metaText(m)})` : o; }).join(", ");
  const ins = n.inputs.map((i) => (i ? g.label(i) : "_")).join(", ");
  const fused = n.fused ? ` fused=[${n.fused.join("+")}]` : "";
  const phase = n.phase === "forward" ? "" : ` [${n.phase}]`;
  // build() runs with the graph (a callable, so V8 calls its type "Function") as `this`.
  const at = n.sourceLine ? ` at ${sourceText(n, cls, classes)}` : "";
  return `(OPERATOR: ${n.op}(${ins}) -> (${outs})${fused}${phase}${at})`;
}

const indent = (lines: string[]) => lines.map((l) => "  " + l);

function block(head: string, body: string[]): string[] {
  return body.length ? [`${head}: (`, ...indent(body), ")"] : [`${head}: ()`];
}

/** Which IR the text form shows. */
export type ReprStage = "compiled" | "optimized" | "traced";

const STAGE_NOTE: Record<ReprStage, string> = {
  compiled: "what runs: ONNX nodes after all passes; graph.repr(\"optimized\") / repr(\"traced\") show flowbook's ops",
  optimized: "flowbook ops after the traced-IR passes, before lowering and the ONNX-stage fusions",
  traced: "flowbook ops as traced, before any pass",
};

/** The repr of `graph` for its compiled entry (or its module tree before the first call). */
export function graphRepr(graph: Graph, entry: Compiled | null, stage: ReprStage = "compiled"): string {
  const name = graph.constructor.name;
  const cfg = graph.report().filter((r) => r.state !== "off" && r.state !== "default").map((r) => `${r.option}=${r.state}`).join(", ");
  const body: string[] = [`(CONFIG:training=${graph.training}${cfg ? ", " + cfg : ""})`];
  if (!entry) {
    for (const [attr, m] of graph.modules()) body.push(`(MODULE:${attr}:${(m as object).constructor.name}())`);
    body.push("(not compiled yet: call the graph once to trace it)");
    return block(`(GRAPH:${name})`, body).join("\n");
  }
  if (!STAGE_NOTE[stage]) throw new RangeError(`graph.repr: stage must be "compiled", "optimized" or "traced", got ${JSON.stringify(stage)}`);
  const g = stage === "compiled" ? entry.lowered : stage === "optimized" ? entry.optimized : entry.traced;
  body.push(`(STAGE:${stage}: ${STAGE_NOTE[stage]}; ${g.nodes.length} ${stage === "compiled" ? "ONNX nodes" : "ops"})`);
  for (const i of g.inputs.filter((x) => x.kind === "input")) body.push(`(INPUT:${i.name}:tensor(..., ${metaText(g.meta.get(i.name))}))`);
  const byScope = new Map<string, IRNode[]>();
  for (const n of g.nodes) { const l = byScope.get(n.scope); if (l) l.push(n); else byScope.set(n.scope, [n]); }
  const scopes = new Set<string>();
  for (const s of byScope.keys()) { const parts = s.split("."); for (let k = 1; k <= parts.length; k++) if (s) scopes.add(parts.slice(0, k).join(".")); }
  const params = [...g.inputs.filter((i) => i.kind === "param" || i.kind === "state").map((i) => i.name), ...[...g.constants.keys()].filter((c) => g.labels.has(c) || !c.startsWith("_"))];
  const classes = moduleClasses(graph);
  const render = (scope: string): string[] => {
    const lines: string[] = [];
    for (const p of params) {
      const label = g.label(p);
      const owner = label.includes(".") ? label.slice(0, label.lastIndexOf(".")) : "";
      if (owner === scope && (g.labels.has(p) || scope)) lines.push(`(PARAMETER:${label}:tensor(..., ${metaText(g.meta.get(p))}${g.inputs.some((i) => i.name === p && i.kind === "param") ? ", requires_grad=True" : ""}))`);
    }
    for (const child of [...scopes].filter((s) => s.startsWith(scope ? scope + "." : "") && s !== scope && !s.slice(scope ? scope.length + 1 : 0).includes("."))) {
      lines.push(...block(`(MODULE:${child}:${classes.get(child)?.name ?? "?"}())`, render(child)));
    }
    for (const n of byScope.get(scope) ?? []) lines.push(opLine(g, n, name, classes));
    return lines;
  };
  body.push(...render(""));
  const targetName = (t: unknown) => { const i = g.inputs.find((x) => x.tensor === t); return i ? g.label(i.name) : "?"; };
  g.outputs.forEach((o) => body.push(`(OUTPUT:${o.kind === "output" ? "" : o.kind + ":"}${o.target ? `${targetName(o.target)} <- ${o.name}` : o.name}:tensor(..., ${metaText(g.meta.get(o.name))}))`));
  const fused = entry.lowered.nodes.filter((n) => n.fused);
  if (fused.length) {
    const counts = new Map<string, number>();
    for (const n of fused) { const k = `${n.op}(${n.fused!.join("+")})`; counts.set(k, (counts.get(k) ?? 0) + 1); }
    body.push(`(FUSED: ${[...counts].map(([k, c]) => `${k} x${c}`).join(", ")})`);
  }
  const t = entry.times;
  body.push(`(PASSES: ${entry.passLog.filter((p) => p.changes).map((p) => `${p.name}:${p.changes}`).join(", ") || "no changes"})`);
  body.push(`(COMPILE: ${t.totalMs.toFixed(1)} ms = trace ${t.traceMs.toFixed(1)} + passes ${t.passesMs.toFixed(1)} + lower ${t.lowerMs.toFixed(1)} + emit ${t.emitMs.toFixed(1)} + session ${t.sessionMs.toFixed(1)}; ${entry.traced.nodes.length} traced ops -> ${entry.optimized.nodes.length} after the IR passes -> ${entry.lowered.nodes.length} ONNX nodes)`);
  return block(`(GRAPH:${name})`, body).join("\n");
}
