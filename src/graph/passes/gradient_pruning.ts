/**
 * Gradient pruning: backward ops whose results reach no graph output are removed before any other pass
 * spends time on them. Gradient rules compute a cotangent for every input of an op; when a parameter has
 * `requiresGrad = false` (a frozen or deployed model that only needs input gradients) its cotangents are
 * computed by the rule but read by nothing, and this pass deletes that work. Trigger: backward-phase nodes.
 */
import type { IRGraph, IRNode } from "../ir";
import type { GraphPass } from "./pass";

export const gradientPruning: GraphPass = {
  name: "gradient_pruning",
  stage: "ir",
  targetOps: ["*"],
  run(g: IRGraph): number {
    const live = g.outputNames();
    const dead = new Set<IRNode>();
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i];
      if (n.phase === "backward" && !n.outputs.some((o) => live.has(o))) { dead.add(n); continue; }
      for (const x of n.inputs) live.add(x);
    }
    if (!dead.size) return 0;
    g.remove(dead);
    g.notes.push(`gradient_pruning: removed ${dead.size} backward op(s) nothing reads`);
    return dead.size;
  },
};
