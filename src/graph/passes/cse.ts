/**
 * Common-subexpression elimination: a node with the same op, attributes and inputs as an earlier one is
 * replaced by it (a repeated identical forward is computed once). Trigger: every node; impure ops (random)
 * never merge. Works on traced ops and on ONNX nodes alike.
 */
import type { IRGraph, IRNode } from "../ir";
import type { GraphPass } from "./pass";
import { getOp } from "../../ops/registry";

function isImpure(n: IRNode): boolean {
  if (n.kind === "onnx") return /Random|Dropout/.test(n.op);
  return !!getOp(n.op).impure;
}

const attrKey = (a: unknown) => JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v));

export const commonSubexpressionElimination: GraphPass = {
  name: "common_subexpression_elimination",
  stage: "ir",
  targetOps: ["*"],
  run(g: IRGraph): number {
    const seen = new Map<string, IRNode>();
    const rename = new Map<string, string>();
    const dead = new Set<IRNode>();
    for (const n of g.nodes) {
      n.inputs = n.inputs.map((i) => rename.get(i) ?? i);
      if (isImpure(n) || n.outputs.length === 0) continue;
      const key = `${n.kind}|${n.domain ?? ""}|${n.op}|${n.inputs.join(",")}|${attrKey(n.attrs)}`;
      const first = seen.get(key);
      if (!first) { seen.set(key, n); continue; }
      n.outputs.forEach((o, i) => rename.set(o, first.outputs[i]));
      dead.add(n);
    }
    for (const o of g.outputs) o.name = rename.get(o.name) ?? o.name;
    g.remove(dead);
    if (dead.size) g.notes.push(`common_subexpression_elimination: merged ${dead.size} node(s)`);
    return dead.size;
  },
};
