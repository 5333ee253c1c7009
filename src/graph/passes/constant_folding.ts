/**
 * Constant folding: a traced op whose inputs are all baked constants is evaluated once, at compile time, by
 * the eager path (the same op table entry), and its outputs become constants. Trigger: every op node.
 * Not folded: impure ops, and ops whose output would be much larger than their inputs (an expand of a
 * scalar would only bloat the model).
 */
import type { IRGraph, IRNode } from "../ir";
import type { RewritePass, RewriteResult } from "./pass";
import { getOp } from "../../ops/registry";
import { runEager } from "../../backend/eager";
import { numelOf } from "../../tensor/tensor";

const GROWTH_LIMIT = 4;
const SMALL = 4096;

export const constantFolding: RewritePass = {
  name: "constant_folding",
  stage: "ir",
  targetOps: ["*"],
  match(g: IRGraph, n: IRNode): boolean {
    if (n.kind !== "op" || n.inputs.length === 0) return false;
    if (!n.inputs.every((i) => g.constants.has(i))) return false;
    if (getOp(n.op).impure) return false;
    const inSize = n.inputs.reduce((s, i) => s + g.constants.get(i)!.numel(), 0);
    const outSize = n.outputs.reduce((s, o) => s + numelOf(g.meta.get(o)!.shape), 0);
    return outSize <= SMALL || outSize <= GROWTH_LIMIT * inSize;
  },
  apply(g: IRGraph, n: IRNode): RewriteResult {
    const op = getOp(n.op);
    const outs = runEager(op, n.inputs.map((i) => g.constants.get(i)!), n.attrs, n.outputs.map((o) => g.meta.get(o)!));
    n.outputs.forEach((o, i) => g.constants.set(o, outs[i]));
    g.remove(new Set([n]));
    return "removedNode";
  },
};
