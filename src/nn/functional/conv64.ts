/**
 * float64 lowerings of Conv and ConvTranspose. ONNX Runtime's CPU provider has no double Conv kernels, and
 * float64 matters for gradcheck, so both are written here with ops it does run in double:
 *   conv          = im2col by one strided Slice per kernel offset, Concat, then a grouped MatMul
 *   convTranspose = conv (stride 1, dilation d) of the zero-interleaved input with the spatially flipped,
 *                   in/out-swapped kernel, padded by d·(k-1) - p (+ output padding at the end)
 */
import type { OnnxBuilder } from "../../ops/builder";
import type { Meta } from "../../ops/registry";
import { int, ints } from "../../onnx/proto";
import type { ConvAttrs } from "./conv";

const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** @internal Every kernel offset tuple, row-major. */
export function offsets(kernel: readonly number[]): number[][] {
  return kernel.reduce<number[][]>((acc, k) => acc.flatMap((o) => range(0, k).map((i) => [...o, i])), [[]]);
}

/** Conv without bias on float64 values `x` [N, C, *S] and `w` [Cout, C/g, *K], no padding applied here. */
function im2colConv(b: OnnxBuilder, x: string, xs: readonly number[], w: string, ws: readonly number[], stride: number[], dilation: number[], groups: number, outSp: number[]): string {
  const k = stride.length, [n, c] = xs, cout = ws[0], kernel = ws.slice(2), kt = prod(kernel);
  const axes = b.int64s(range(2, 2 + k)), steps = b.int64s(stride);
  const cols = offsets(kernel).map((o) => {
    const starts = o.map((oi, i) => oi * dilation[i]);
    const s = b.op("Slice", [x, b.int64s(starts), b.int64s(starts.map((st, i) => st + (outSp[i] - 1) * stride[i] + 1)), axes, steps]);
    return kt === 1 ? s : b.op("Unsqueeze", [s, b.int64s([2])]);
  });
  const stacked = kt === 1 ? cols[0] : b.op("Concat", cols, { axis: int(2) });
  const p = prod(outSp);
  const colsR = b.op("Reshape", [stacked, b.int64s([n, groups, (c / groups) * kt, p])]);
  const wR = b.op("Reshape", [w, b.int64s([groups, cout / groups, (c / groups) * kt])]);
  return b.op("Reshape", [b.op("MatMul", [wR, colsR]), b.int64s([n, cout, ...outSp])]);
}

/** Pads (positive amounts) and crops (negative amounts) the spatial dims; `lo`/`hi` per spatial dim. */
function padOrCrop(b: OnnxBuilder, x: string, shape: number[], lo: number[], hi: number[]): [string, number[]] {
  const k = lo.length;
  let v = x;
  if (lo.some((p) => p < 0) || hi.some((p) => p < 0)) {
    const starts = lo.map((p) => Math.max(-p, 0)), ends = hi.map((p, i) => shape[2 + i] - Math.max(-p, 0));
    v = b.op("Slice", [v, b.int64s(starts), b.int64s(ends), b.int64s(range(2, 2 + k))]);
  }
  const plo = lo.map((p) => Math.max(p, 0)), phi = hi.map((p) => Math.max(p, 0));
  if (plo.some((p) => p) || phi.some((p) => p)) v = b.op("Pad", [v, b.int64s([0, 0, ...plo, 0, 0, ...phi])]);
  return [v, [...shape.slice(0, 2), ...shape.slice(2).map((d, i) => d + lo[i] + hi[i])]];
}

function addBias(b: OnnxBuilder, y: string, bias: string | undefined, outRank: number): string {
  if (!bias) return y;
  return b.op("Add", [y, b.op("Reshape", [bias, b.int64s([1, -1, ...new Array(outRank - 2).fill(1)])])]);
}

/** @internal float64 Conv lowering. */
export function lowerConv64(b: OnnxBuilder, [x, w, bias]: string[], a: ConvAttrs, [xm, wm]: readonly Meta[], [om]: readonly Meta[]): string {
  const k = a.stride.length;
  const [xp, ps] = padOrCrop(b, x, [...xm.shape], a.pads.slice(0, k), a.pads.slice(k));
  const y = im2colConv(b, xp, ps, w, wm.shape, a.stride, a.dilation, a.groups, om.shape.slice(2));
  return addBias(b, y, bias, om.shape.length);
}

/** @internal float64 ConvTranspose lowering. */
export function lowerConvTranspose64(b: OnnxBuilder, [x, w, bias]: string[], a: ConvAttrs, [xm, wm]: readonly Meta[], [om]: readonly Meta[]): string {
  const k = a.stride.length, [n, cin] = xm.shape, sp = xm.shape.slice(2), kernel = wm.shape.slice(2), g = a.groups;
  const op = a.outputPadding ?? a.stride.map(() => 0);
  // Zero-interleave: [N, C, S0, 1, S1, 1, ...] padded to stride s on the unit axes, flattened, trailing zeros cut.
  let v = x, shape = [...xm.shape];
  if (a.stride.some((s) => s > 1)) {
    const inter = [n, cin, ...sp.flatMap((d) => [d, 1])];
    const padEnds = [0, 0, ...a.stride.flatMap((s) => [0, s - 1])];
    v = b.op("Pad", [b.op("Reshape", [x, b.int64s(inter)]), b.int64s([...new Array(inter.length).fill(0), ...padEnds])]);
    v = b.op("Reshape", [v, b.int64s([n, cin, ...sp.map((d, i) => d * a.stride[i])])]);
    const up = sp.map((d, i) => (d - 1) * a.stride[i] + 1);
    v = b.op("Slice", [v, b.int64s(up.map(() => 0)), b.int64s(up), b.int64s(range(2, 2 + k))]);
    shape = [n, cin, ...up];
  }
  const lo = kernel.map((kk, i) => a.dilation[i] * (kk - 1) - a.pads[i]);
  const hi = kernel.map((kk, i) => a.dilation[i] * (kk - 1) - a.pads[k + i] + op[i]);
  const [xp, ps] = padOrCrop(b, v, shape, lo, hi);
  // Kernel: flip every spatial axis, swap in/out channels within each group: [g*Oc, Ic, *K].
  const ic = cin / g, oc = wm.shape[1];
  const flipped = b.op("Slice", [w, b.int64s(kernel.map((kk) => kk - 1)), b.int64s(kernel.map((kk) => -kk - 1)), b.int64s(range(2, 2 + k)), b.int64s(kernel.map(() => -1))]);
  const swapped = b.op("Transpose", [b.op("Reshape", [flipped, b.int64s([g, ic, oc, ...kernel])])], { perm: ints([0, 2, 1, ...range(3, 3 + k)]) });
  const wc = b.op("Reshape", [swapped, b.int64s([g * oc, ic, ...kernel])]);
  const y = im2colConv(b, xp, ps, wc, [g * oc, ic, ...kernel], a.stride.map(() => 1), a.dilation, g, om.shape.slice(2));
  return addBias(b, y, bias, om.shape.length);
}
