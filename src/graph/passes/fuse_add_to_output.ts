/**
 * Add → conv output: a residual `Add(Conv(x), z)` whose Conv output is read only by the Add becomes ONNX
 * Runtime's com.microsoft FusedConv(x, W, b, Z = z), and a Relu that is the Add's only consumer becomes its
 * `activation`. The conv then writes conv + z (+ relu) in one pass over the output. Trigger: Add. Bails when
 * no input is such a Conv, when z's shape differs from the conv output's (no broadcasting in Z), or for
 * non-float32 values (the CPU kernel is float only).
 */
import type { IRGraph, IRNode } from "../ir";
import type { RewritePass, RewriteResult } from "./pass";
import { soleConsumer } from "./pass";
import { Tensor } from "../../tensor/tensor";

interface Match { conv: IRNode; z: string; relu: IRNode | null }

function find(g: IRGraph, add: IRNode): Match | null {
  for (let k = 0; k < 2; k++) {
    const conv = g.nodes.find((n) => n.outputs.includes(add.inputs[k]));
    if (!conv || conv.op !== "Conv" || conv.domain || soleConsumer(g, conv.outputs[0]) !== add) continue;
    const z = add.inputs[1 - k];
    const cm = g.meta.get(conv.outputs[0]), zm = g.meta.get(z);
    if (!cm || !zm || cm.dtype !== "float32" || zm.dtype !== "float32" || cm.shape.join() !== zm.shape.join()) continue;
    const next = soleConsumer(g, add.outputs[0]);
    return { conv, z, relu: next && next.op === "Relu" && !next.domain ? next : null };
  }
  return null;
}

export const fuseAddToOutput: RewritePass = {
  name: "fuse_add_to_output",
  stage: "onnx",
  targetOps: ["Add"],
  match(g: IRGraph, add: IRNode): boolean {
    return !add.domain && find(g, add) !== null;
  },
  apply(g: IRGraph, add: IRNode): RewriteResult {
    const { conv, z, relu } = find(g, add)!;
    let bias = conv.inputs[2];
    if (!bias) {
      const m = g.meta.get(conv.inputs[1])?.shape[0];
      if (m === undefined) return "unchanged";
      bias = `${conv.outputs[0]}_zero_bias`;
      g.constants.set(bias, Tensor._fromArray(new Float32Array(m), [m], "float32"));
      g.meta.set(bias, { shape: [m], dtype: "float32" });
    }
    const out = (relu ?? add).outputs[0];
    conv.op = "FusedConv";
    conv.domain = "com.microsoft";
    conv.inputs = [conv.inputs[0], conv.inputs[1], bias, z];
    conv.outputs = [out];
    conv.attrs = { ...conv.attrs, ...(relu ? { activation: { s: "Relu" } } : {}) };
    conv.fused = [...(conv.fused ?? ["Conv"]), "Add", ...(relu ? ["Relu"] : [])];
    // The fused node takes the Add's place: z (a shortcut branch) may be computed after the conv.
    g.nodes = g.nodes.filter((n) => n !== conv && n !== relu).map((n) => (n === add ? conv : n));
    return "removedNode";
  },
};
