/**
 * Automatic mixed precision: float32 inputs of allow-listed ops (matmul, convolutions) are cast to float16
 * (or bfloat16: `ctx.amp.dtype`), and the op runs in that dtype; "follow" ops (relu, add, reshape, pooling, ...) stay in float16 when all their
 * floating inputs already are; everything else, and every deny-listed op (softmax, norms, losses, reductions,
 * exp/log), runs in float32 with float16 inputs cast back up. Graph outputs and in-place writes keep their
 * traced dtype, so parameters stay float32 master weights. Trigger: allow-listed op nodes (the pass walks the
 * whole graph in order because dtypes propagate). Casts of baked weights are folded by constant folding,
 * which runs after this pass. bfloat16 values are lowered as float32 rounded to bfloat16 (ops/lower.ts).
 */
import type { IRGraph, IRNode } from "../ir";
import type { GraphPass, PassContext } from "./pass";
import { getOp } from "../../ops/registry";
import type { DType } from "../../tensor/dtype";

/** Ops that run in float16 under AMP (PyTorch autocast's "lower precision" list). */
export const AMP_ALLOW = ["matmul", "linear", "bmm", "addmm", "conv1d", "conv2d", "conv3d", "conv", "conv_transpose2d"];
/** Ops that follow their inputs' precision. */
export const AMP_FOLLOW = ["relu", "add", "sub", "mul", "neg", "maximum", "minimum", "reshape", "permute", "expand",
  "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "pad", "cat", "flatten", "sigmoid", "tanh", "dropout", "where"];
/** Ops that always run in float32 (numerically sensitive: PyTorch autocast's float32 list). */
export const AMP_DENY = ["softmax", "log_softmax", "batch_norm", "layer_norm", "group_norm", "instance_norm",
  "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "sum", "mean",
  "exp", "log", "pow", "sqrt", "div", "reciprocal"];

export const autoMixedPrecision: GraphPass = {
  name: "auto_mixed_precision",
  stage: "ir",
  targetOps: AMP_ALLOW,
  run(g: IRGraph, ctx: PassContext): number {
    const LOW: DType = ctx.amp?.dtype ?? "float16";
    const allow = new Set([...AMP_ALLOW, ...(ctx.amp?.allow ?? [])]);
    const deny = new Set([...AMP_DENY, ...(ctx.amp?.deny ?? [])]);
    const follow = new Set(AMP_FOLLOW.filter((o) => !deny.has(o)));
    const casts = new Map<string, string>();
    const out: IRNode[] = [];
    let lowered = 0;
    const tracedDtypes = new Map(g.outputs.map((o) => [o.name, g.meta.get(o.name)!.dtype]));
    const dtypeOf = (v: string) => g.meta.get(v)!.dtype;
    const castTo = (v: string, dtype: DType, at: IRNode): string => {
      const key = `${v}->${dtype}`;
      let name = casts.get(key);
      if (!name) {
        name = `${v}_${dtype === "float16" ? "f16" : dtype === "bfloat16" ? "bf16" : "f32"}`;
        g.meta.set(name, { shape: g.meta.get(v)!.shape, dtype });
        out.push({ id: -1, kind: "op", op: "cast", inputs: [v], outputs: [name], attrs: { dtype }, scope: at.scope, sourceLine: at.sourceLine, phase: at.phase } as IRNode);
        casts.set(key, name);
      }
      return name;
    };
    const isFloatValue = (v: string) => { const d = dtypeOf(v); return d === "float32" || d === LOW; };
    for (const n of g.nodes) {
      if (n.kind !== "op" || n.op === "cast") { out.push(n); continue; }
      const floats = n.inputs.filter(isFloatValue);
      let target: DType = "float32";
      if (!deny.has(n.op) && floats.length && allow.has(n.op)) target = LOW;
      else if (follow.has(n.op) && floats.length && floats.some((v) => dtypeOf(v) === LOW) && floats.every((v) => dtypeOf(v) === LOW || g.meta.get(v)!.shape.length === 0)) target = LOW;
      const attempt = (t: DType) => {
        const ins = n.inputs.map((v) => (isFloatValue(v) && dtypeOf(v) !== t ? castTo(v, t, n) : v));
        try { return { ins, meta: getOp(n.op).infer(ins.map((v) => g.meta.get(v)!), n.attrs) }; } catch { return null; }
      };
      // An op whose shape rule refuses float16 runs in float32 as traced.
      let res = attempt(target);
      if (!res && target === LOW) { target = "float32"; res = attempt(target); }
      if (!res) throw new Error(`auto_mixed_precision: op '${n.op}' no longer accepts its traced dtypes`);
      const { ins: newInputs, meta: outMeta } = res;
      n.inputs = newInputs;
      n.outputs.forEach((o, i) => g.meta.set(o, outMeta[i]));
      if (target === LOW && allow.has(n.op)) lowered++;
      out.push(n);
    }
    // Graph outputs and in-place writes keep the dtype they were traced with (float32 master weights).
    const last = out[out.length - 1];
    for (const o of g.outputs) {
      const traced = tracedDtypes.get(o.name)!;
      if (dtypeOf(o.name) !== traced) o.name = castTo(o.name, traced, last);
    }
    g.nodes = out.map((n) => (n.id === -1 ? reId(g, n) : n));
    if (lowered) g.notes.push(`auto_mixed_precision: ${lowered} op(s) in ${LOW}, ${casts.size} cast(s) inserted`);
    return lowered;
  },
};

// Cast nodes are created with id -1 and given real ids through IRGraph.add, keeping their positions.
function reId(g: IRGraph, n: IRNode): IRNode {
  const fresh = g.add({ ...n });
  g.nodes.pop();
  return fresh;
}
