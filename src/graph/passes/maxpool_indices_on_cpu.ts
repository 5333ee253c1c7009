/**
 * MaxPool with Indices on webgpu: ORT's WebGPU MaxPool has no Indices output, and a training graph needs
 * them for maxPool's gradient. The pass sandwiches such a MaxPool between Casts to and from float64, a dtype
 * the WebGPU provider does not implement, so that ONNX Runtime's partitioner places the three nodes on its
 * CPU provider (copying the input down and the result up inside the session). The values are exact (float32
 * and float16 widen to float64 and narrow back without rounding; max only selects), and the indices are the
 * CPU kernel's, the same as on a CPU device. Trigger: MaxPool with two outputs, on webgpu only.
 */
import type { IRGraph, IRNode } from "../ir";
import type { PassContext, RewritePass, RewriteResult } from "./pass";
import { int } from "../../onnx/proto";
import { onnxTypeOf } from "../../tensor/dtype";

export const maxPoolIndicesOnCpu: RewritePass = {
  name: "maxpool_indices_on_cpu",
  stage: "onnx",
  targetOps: ["MaxPool"],
  match(g: IRGraph, n: IRNode, ctx: PassContext): boolean {
    if (ctx.device.type !== "webgpu" || n.domain || n.outputs.length !== 2) return false;
    const m = g.meta.get(n.outputs[0]);
    return !!m && m.dtype !== "float64";
  },
  apply(g: IRGraph, n: IRNode): RewriteResult {
    const [x] = n.inputs, [y] = n.outputs;
    const xm = g.meta.get(x), ym = g.meta.get(y);
    if (!xm || !ym) return "unchanged";
    const x64 = `${x}_f64_for_${n.id}`, y64 = `${y}_f64`;
    g.meta.set(x64, { shape: [...xm.shape], dtype: "float64" });
    g.meta.set(y64, { shape: [...ym.shape], dtype: "float64" });
    const at = g.nodes.indexOf(n);
    const base = { kind: "onnx" as const, sourceLine: n.sourceLine, scope: n.scope, phase: n.phase };
    const down = g.add({ ...base, op: "Cast", inputs: [x], outputs: [x64], attrs: { to: int(onnxTypeOf("float64")) } });
    const up = g.add({ ...base, op: "Cast", inputs: [y64], outputs: [y], attrs: { to: int(onnxTypeOf(ym.dtype)) } });
    g.nodes.pop(); g.nodes.pop(); // g.add appends; place the casts around the MaxPool instead
    n.inputs = [x64, ...n.inputs.slice(1)];
    n.outputs = [y64, n.outputs[1]];
    n.fused = [...(n.fused ?? ["MaxPool"]), "on CPU"];
    g.nodes.splice(at, 1, down, n, up);
    return "modified";
  },
};
