/**
 * MaxPool without unused Indices: a MaxPool whose second output (Indices) nothing reads and no graph output
 * names loses that output, so ONNX Runtime computes the pooled values only. Inference graphs never read the
 * indices (only maxPool's gradient does), and ORT's WebGPU MaxPool cannot produce them at all ("The Indices
 * output is not supported yet", ORT 1.30). Trigger: MaxPool. Bails when the indices are used.
 */
import type { IRGraph, IRNode } from "../ir";
import type { RewritePass, RewriteResult } from "./pass";

function indicesUnused(g: IRGraph, n: IRNode): boolean {
  const idx = n.outputs[1];
  if (!idx) return false;
  return !g.outputNames().has(idx) && !g.nodes.some((m) => m.inputs.includes(idx));
}

export const maxPoolUnusedIndices: RewritePass = {
  name: "maxpool_unused_indices",
  stage: "onnx",
  targetOps: ["MaxPool"],
  match(g: IRGraph, n: IRNode): boolean {
    return !n.domain && n.outputs.length === 2 && indicesUnused(g, n);
  },
  apply(_g: IRGraph, n: IRNode): RewriteResult {
    n.outputs = [n.outputs[0]];
    return "modified";
  },
};
