/**
 * The shape of a pass. Node rewrites (ONNX Runtime's RewriteRule) name the ops they trigger on, check
 * cheapest conditions first in `match`, and say what `apply` did; whole-graph passes (ORT's GraphTransformer:
 * liveness, CSE, cast insertion) implement `run` and return how many changes they made.
 */
import type { IRGraph, IRNode } from "../ir";
import type { Device } from "../../backend/device";

/** What a rewrite did: nothing (it may bail after looking closer), changed the node, or removed it. */
export type RewriteResult = "unchanged" | "modified" | "removedNode";

/** Facts passes need about the graph being compiled. */
export interface PassContext {
  /** Training graphs feed parameters each step; inference graphs bake them (so they can be folded). */
  training: boolean;
  device: Device;
  /** AMP settings when enableAmp is on. */
  amp?: { dtype: "float16" | "bfloat16"; allow: string[]; deny: string[] };
}

/** Which IR a pass runs on: traced flowbook ops, ONNX nodes after lowering, or both (once in each stage). */
export type Stage = "ir" | "onnx" | "both";

/** A node rewrite. */
export interface RewritePass {
  readonly name: string;
  readonly stage: Stage;
  /** Op names (stage "ir") or ONNX op types (stage "onnx") that trigger `match`; "*" = every node. */
  readonly targetOps: readonly string[];
  match(g: IRGraph, node: IRNode, ctx: PassContext): boolean;
  apply(g: IRGraph, node: IRNode, ctx: PassContext): RewriteResult;
}

/** A whole-graph pass. */
export interface GraphPass {
  readonly name: string;
  readonly stage: Stage;
  readonly targetOps: readonly string[];
  run(g: IRGraph, ctx: PassContext): number;
}

/** Either kind. */
export type Pass = RewritePass | GraphPass;

/** Runs one pass over `g`; returns the number of changes. */
export function runPass(g: IRGraph, p: Pass, ctx: PassContext): number {
  if ("run" in p) return p.run(g, ctx);
  let changes = 0;
  const any = p.targetOps.includes("*");
  for (const node of [...g.nodes]) {
    if (!any && !p.targetOps.includes(node.op)) continue;
    if (!g.nodes.includes(node)) continue; // removed by an earlier rewrite in this sweep
    if (!p.match(g, node, ctx)) continue;
    if (p.apply(g, node, ctx) !== "unchanged") changes++;
  }
  return changes;
}

/** The single consumer of `value`, or null when it has none, several, or is a graph output. */
export function soleConsumer(g: IRGraph, value: string): IRNode | null {
  if (g.outputNames().has(value)) return null;
  let found: IRNode | null = null;
  for (const n of g.nodes) {
    if (!n.inputs.includes(value)) continue;
    if (found || n.inputs.filter((i) => i === value).length > 1) return null;
    found = n;
  }
  return found;
}
