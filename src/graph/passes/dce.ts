/**
 * Dead-code elimination: removes nodes none of whose outputs reach a graph output, then constants and
 * captured inputs nothing reads. Trigger: every node. User inputs are kept (they are the call's arguments).
 */
import type { IRGraph } from "../ir";
import type { GraphPass } from "./pass";

export const deadCodeElimination: GraphPass = {
  name: "dead_code_elimination",
  stage: "ir",
  targetOps: ["*"],
  run(g: IRGraph): number {
    const live = g.outputNames();
    const dead = new Set<typeof g.nodes[number]>();
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i];
      if (n.outputs.some((o) => live.has(o))) for (const x of n.inputs) live.add(x);
      else dead.add(n);
    }
    g.remove(dead);
    for (const name of [...g.constants.keys()]) if (!live.has(name)) g.constants.delete(name);
    g.inputs = g.inputs.filter((i) => i.kind === "input" || live.has(i.name));
    if (dead.size) g.notes.push(`dead_code_elimination: removed ${dead.size} node(s)`);
    return dead.size;
  },
};
