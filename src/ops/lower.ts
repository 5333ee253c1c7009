/**
 * `lowerOp`: the one entry point from an op table entry to ONNX nodes, used by eager single-op sessions and by
 * nn.Graph's emitter. It adds what no single lowering should know: bfloat16.
 *
 * ONNX Runtime's CPU provider has no bfloat16 kernels beyond Cast (nor does onnxruntime-node pass bfloat16
 * tensors in or out), so a bfloat16 value travels through a session in a float32 carrier that holds only
 * bfloat16-representable numbers: the op is lowered for float32, runs in float32, and each bfloat16 output is
 * rounded to bfloat16 (Cast to BFLOAT16 and back, round-to-nearest-even). That is bfloat16 arithmetic as
 * bfloat16 hardware and PyTorch's CPU kernels do it (float32 accumulation, bfloat16 results), without their
 * speed.
 */
import type { Meta, OpDef } from "./registry";
import type { OnnxBuilder } from "./builder";
import { carrierDType, onnxTypeOf } from "../tensor/dtype";
import { int } from "../onnx/proto";

// Ops whose outputs are always some of their inputs' values (moved, selected or compared): rounding them again
// would change nothing.
const VALUE_PRESERVING = new Set(["reshape", "permute", "expand", "slice", "concat", "tile", "gather", "indexSelect",
  "gatherND", "clone", "relu", "neg", "abs", "maximum", "minimum", "where", "maxPool", "amax", "amin", "max_dim", "min_dim", "topk"]);

/** True when any input or output of the op is bfloat16. */
export function involvesBfloat16(inMeta: readonly Meta[], outMeta: readonly Meta[]): boolean {
  for (const m of inMeta) if (m.dtype === "bfloat16") return true;
  for (const m of outMeta) if (m.dtype === "bfloat16") return true;
  return false;
}

const carrierMeta = (m: Meta): Meta => (m.dtype === "bfloat16" ? { shape: m.shape, dtype: carrierDType(m.dtype) } : m);
function carrierAttrs(attrs: unknown): unknown {
  if (!attrs || typeof attrs !== "object" || Array.isArray(attrs)) return attrs;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === "bfloat16") { out[k] = "float32"; changed = true; } else out[k] = v;
  }
  return changed ? out : attrs;
}

/** Lowers `op` into `b`; returns its output value names (bfloat16 handled as described above). */
export function lowerOp(op: OpDef<any>, b: OnnxBuilder, inputs: string[], attrs: unknown, inMeta: readonly Meta[], outMeta: readonly Meta[]): string[] {
  if (!involvesBfloat16(inMeta, outMeta)) return op.lower(b, inputs, attrs as never, inMeta, outMeta);
  const outs = op.lower(b, inputs, carrierAttrs(attrs) as never, inMeta.map(carrierMeta), outMeta.map(carrierMeta));
  return outs.map((v, i) => {
    if (outMeta[i].dtype !== "bfloat16") return v;
    if (VALUE_PRESERVING.has(op.name) && inMeta.some((m) => m.dtype === "bfloat16")) return v;
    return roundToBfloat16(b, v);
  });
}

/** float32 value `v` rounded to the nearest bfloat16, still in float32. */
export function roundToBfloat16(b: OnnxBuilder, v: string): string {
  return b.op("Cast", [b.op("Cast", [v], { to: int(onnxTypeOf("bfloat16")) })], { to: int(onnxTypeOf("float32")) });
}
