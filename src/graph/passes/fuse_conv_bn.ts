/**
 * Conv + batch-norm folding (inference): an inference-mode batch norm whose input is a convolution read by
 * nothing else, with baked weights and statistics, is folded into the convolution's weights and bias:
 * W' = W·s, b' = (b − mean)·s + β with s = γ/√(var + ε). Trigger: `_batchNormEval` (traced ops) or
 * BatchNormalization (ONNX nodes). Bails in training graphs (weights are fed, not baked), on training-mode BN,
 * non-float32 or non-constant weights.
 *
 * It runs in both stages. On the traced IR it runs before auto mixed precision, so the folding is done in
 * float32 on the master weights and AMP then casts the folded weights (fold, then cast); on the lowered IR it
 * catches what only lowering exposes (an imported ONNX model's Conv → BatchNormalization, weights that constant
 * folding produced).
 */
import type { IRGraph, IRNode } from "../ir";
import type { PassContext, RewritePass, RewriteResult } from "./pass";
import { soleConsumer } from "./pass";
import { constFloats } from "./onnx_util";
import { Tensor } from "../../tensor/tensor";

/** Op names of the pattern for each node kind. */
const NAMES = { op: { conv: "conv", bn: "_batchNormEval" }, onnx: { conv: "Conv", bn: "BatchNormalization" } } as const;

function convOf(g: IRGraph, bn: IRNode): IRNode | null {
  const conv = g.nodes.find((n) => n.outputs.includes(bn.inputs[0]));
  if (!conv || conv.kind !== bn.kind || conv.op !== NAMES[bn.kind].conv || conv.domain) return null;
  return soleConsumer(g, conv.outputs[0]) === bn ? conv : null;
}

function epsilonOf(bn: IRNode): number {
  return bn.kind === "op" ? (bn.attrs as { eps: number }).eps : (bn.attrs.epsilon as { f?: number } | undefined)?.f ?? 1e-5;
}

export const fuseConvBn: RewritePass = {
  name: "fuse_conv_bn",
  stage: "both",
  targetOps: ["_batchNormEval", "BatchNormalization"],
  match(g: IRGraph, bn: IRNode, ctx: PassContext): boolean {
    if (ctx.training || bn.outputs.length !== 1 || bn.op !== NAMES[bn.kind].bn) return false;
    if (bn.kind === "onnx" && (bn.attrs.training_mode as { i?: number } | undefined)?.i) return false;
    if (!bn.inputs.slice(1, 5).every((i) => constFloats(g, i))) return false;
    const conv = convOf(g, bn);
    return !!conv && !!constFloats(g, conv.inputs[1]) && (!conv.inputs[2] || !!constFloats(g, conv.inputs[2]));
  },
  apply(g: IRGraph, bn: IRNode): RewriteResult {
    const conv = convOf(g, bn)!;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((i) => constFloats(g, i)!);
    const eps = epsilonOf(bn);
    const wT = g.constants.get(conv.inputs[1])!;
    const w = wT._host() as Float32Array;
    const m = wT.shape[0], per = w.length / m;
    const b = conv.inputs[2] ? constFloats(g, conv.inputs[2])! : new Float32Array(m);
    const w2 = new Float32Array(w.length), b2 = new Float32Array(m);
    for (let o = 0; o < m; o++) {
      const s = gamma[o] / Math.sqrt(variance[o] + eps);
      for (let k = 0; k < per; k++) w2[o * per + k] = w[o * per + k] * s;
      b2[o] = (b[o] - mean[o]) * s + beta[o];
    }
    // New constants: the original weight may be shared by another conv.
    const wName = `${conv.inputs[1]}_bn_folded`, bName = `${conv.outputs[0]}_bias_bn_folded`;
    g.constants.set(wName, Tensor._fromArray(w2, [...wT.shape], "float32"));
    g.constants.set(bName, Tensor._fromArray(b2, [m], "float32"));
    g.meta.set(wName, { shape: [...wT.shape], dtype: "float32" });
    g.meta.set(bName, { shape: [m], dtype: "float32" });
    conv.inputs = [conv.inputs[0], wName, bName];
    conv.outputs = [bn.outputs[0]];
    conv.fused = [...(conv.fused ?? ["Conv"]), "BatchNormalization"];
    g.remove(new Set([bn]));
    return "removedNode";
  },
};
