/**
 * Pad → Conv: an explicit zero `Pad` of the spatial dimensions whose only consumer is a Conv's input becomes
 * the Conv's own `pads`. Trigger: Pad. Bails on non-constant padding, non-zero fill, reflect/edge modes,
 * negative pads, padding of the batch or channel dimension, `auto_pad`, or a Pad read elsewhere.
 */
import type { IRGraph, IRNode } from "../ir";
import type { RewritePass, RewriteResult } from "./pass";
import { soleConsumer } from "./pass";
import { constFloats, constInts, intsAttr, strAttr } from "./onnx_util";

const CONVS = new Set(["Conv", "FusedConv"]);

function spatialPads(g: IRGraph, pad: IRNode): number[] | null {
  const pads = constInts(g, pad.inputs[1]);
  if (!pads || pads.some((p) => p < 0)) return null;
  const rank = pads.length / 2;
  if (rank < 3 || pads[0] || pads[1] || pads[rank] || pads[rank + 1]) return null;
  return [...pads.slice(2, rank), ...pads.slice(rank + 2)];
}

export const fusePadToConv: RewritePass = {
  name: "fuse_pad_to_conv",
  stage: "onnx",
  targetOps: ["Pad"],
  match(g: IRGraph, pad: IRNode): boolean {
    if ((strAttr(pad.attrs, "mode") ?? "constant") !== "constant") return false;
    if (pad.inputs[3]) return false; // axes
    if (pad.inputs[2]) { const v = constFloats(g, pad.inputs[2]) ?? constInts(g, pad.inputs[2]); if (!v || v.length !== 1 || v[0] !== 0) return false; }
    const conv = soleConsumer(g, pad.outputs[0]);
    if (!conv || !CONVS.has(conv.op) || conv.inputs[0] !== pad.outputs[0]) return false;
    if ((strAttr(conv.attrs, "auto_pad") ?? "NOTSET") !== "NOTSET") return false;
    return spatialPads(g, pad) !== null;
  },
  apply(g: IRGraph, pad: IRNode): RewriteResult {
    const conv = soleConsumer(g, pad.outputs[0])!;
    const add = spatialPads(g, pad)!;
    const old = intsAttr(conv.attrs, "pads") ?? new Array(add.length).fill(0);
    if (old.length !== add.length) return "unchanged";
    conv.attrs = { ...conv.attrs, pads: { ints: old.map((p, i) => p + add[i]) } };
    conv.inputs[0] = pad.inputs[0];
    conv.fused = [...(conv.fused ?? [conv.op]), "Pad"];
    g.remove(new Set([pad]));
    return "removedNode";
  },
};
