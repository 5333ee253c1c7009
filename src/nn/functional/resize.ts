/**
 * interpolate: one primitive lowered to ONNX Resize with the coordinate mapping PyTorch uses:
 *   nearest:                       "asymmetric" + nearest_mode "floor"  (src = floor(dst * in/out))
 *   (bi)linear, alignCorners=false: "half_pixel"   (src = (dst + 0.5) * in/out - 0.5, clamped at 0)
 *   (bi)linear, alignCorners=true:  "align_corners" (src = dst * (in - 1)/(out - 1))
 * When the caller gave a scale factor, Resize gets the scales (PyTorch then maps coordinates with
 * 1/scaleFactor, not in/out). Resampling is linear in the input, one matrix A per spatial dimension
 * (y = A_h · x · A_wᵀ), so the gradient is dx = A_hᵀ · dy · A_w with A built here by PyTorch's formulas.
 */
import { Tensor } from "../../tensor/tensor";
import { defineOp } from "../../ops/registry";
import { bind1 } from "../../ops/dispatch";
import { parseArgs } from "../../ops/args";
import { str } from "../../onnx/proto";
import { matmul } from "../../ops/linalg";
import { constTensor } from "./take";

interface ResizeAttrs { mode: "nearest" | "linear"; alignCorners: boolean; size: number[]; scales: number[] | null }

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

defineOp<ResizeAttrs>({
  name: "interpolate",
  infer: ([x], { size }) => [{ shape: [...x.shape.slice(0, 2), ...size], dtype: x.dtype }],
  lower: (b, [x], a, [m]) => {
    const { mode, alignCorners, size, scales } = a;
    // ONNX Runtime has no double Resize: apply the resampling matrices directly (y = A_h · x · A_wᵀ).
    if (m.dtype === "float64") {
      const sp = m.shape.slice(2), k = sp.length;
      const mat = (i: number, t: boolean) => {
        const v = resampleMatrix(a, sp[i], size[i], scales?.[i] ?? null, false);
        if (!t) return b.constant("float64", [size[i], sp[i]], v);
        return b.constant("float64", [sp[i], size[i]], Array.from({ length: v.length }, (_, j) => v[(j % size[i]) * sp[i] + Math.floor(j / size[i])]));
      };
      const y = b.op("MatMul", [x, mat(k - 1, true)]);
      return [k === 2 ? b.op("MatMul", [mat(0, false), y]) : y];
    }
    const coord = mode === "nearest" ? "asymmetric" : alignCorners ? "align_corners" : "half_pixel";
    const attrs = { mode: str(mode), coordinate_transformation_mode: str(coord), nearest_mode: str("floor") };
    if (scales) return [b.op("Resize", [x, "", b.constant("float32", [m.shape.length], [1, 1, ...scales])], attrs)];
    return [b.op("Resize", [x, "", "", b.int64s([...m.shape.slice(0, 2), ...size])], attrs)];
  },
  vjp: ({ grads: [g], inputs: [x], attrs }) => {
    const k = attrs.size.length, sp = x.shape.slice(2);
    const mats = sp.map((n, i) => constTensor(resampleMatrix(attrs, n, attrs.size[i], attrs.scales?.[i] ?? null, g!.dtype !== "float64"), [attrs.size[i], n], g!));
    // dx = A_hᵀ · dy · A_w (2-D), dy · A_w (1-D).
    let gx = matmul(g!, mats[k - 1]);
    if (k === 2) gx = matmul(mats[0].transpose(0, 1), gx);
    return [gx];
  },
});

/** PyTorch's source-coordinate scale (area_pixel_compute_scale). */
function coordScale(a: ResizeAttrs, inSize: number, outSize: number, scale: number | null): number {
  if (a.mode === "linear" && a.alignCorners) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  return scale !== null && scale > 0 ? 1 / scale : inSize / outSize;
}

/** The [out, in] matrix of one dimension's resampling, with PyTorch's index and weight formulas. */
export function resampleMatrix(a: ResizeAttrs, inSize: number, outSize: number, scale: number | null, f32 = true): number[] {
  const m = new Array<number>(outSize * inSize).fill(0);
  // PyTorch computes the scale in float for float32 tensors and in double for float64 ones.
  const s = f32 ? Math.fround(coordScale(a, inSize, outSize, scale)) : coordScale(a, inSize, outSize, scale);
  for (let o = 0; o < outSize; o++) {
    if (a.mode === "nearest") {
      const src = outSize === inSize ? o : Math.min(Math.floor(f32 ? Math.fround(o * s) : o * s), inSize - 1);
      m[o * inSize + src] = 1;
      continue;
    }
    const src = a.alignCorners ? s * o : Math.max(s * (o + 0.5) - 0.5, 0);
    const i0 = Math.floor(src), i1 = i0 + (i0 < inSize - 1 ? 1 : 0), l1 = src - i0;
    m[o * inSize + i0] += 1 - l1;
    m[o * inSize + i1] += l1;
  }
  return m;
}

type InterpOpts = { size: number | number[] | null; scaleFactor: number | number[] | null; mode: "nearest" | "linear" | "bilinear"; alignCorners: boolean | null; recomputeScaleFactor: boolean | null };

/**
 * Resizes [N, C, L] or [N, C, H, W] to `size` or by `scaleFactor` (output = floor(in · scale)). Modes:
 * "nearest" (PyTorch's legacy nearest: src = floor(dst · in/out)), "linear" (3-D), "bilinear" (4-D), with
 * alignCorners for the interpolating modes. Options in PyTorch's order: size, scaleFactor, mode,
 * alignCorners, recomputeScaleFactor.
 * @example F.interpolate(x, { scaleFactor: 2, mode: "bilinear", alignCorners: false })
 */
export function interpolate(input: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<InterpOpts>("interpolate", args, ["size", "scaleFactor", "mode", "alignCorners", "recomputeScaleFactor"], { size: null, scaleFactor: null, mode: "nearest", alignCorners: null, recomputeScaleFactor: null });
  const k = input.ndim - 2;
  if (k !== 1 && k !== 2) throw new RangeError(`interpolate: expected a 3-D [N, C, L] or 4-D [N, C, H, W] input, got ${fmt(input.shape)}`);
  if (a.mode === "nearest" && a.alignCorners !== null) throw new RangeError("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear");
  const need = a.mode === "linear" ? 1 : a.mode === "bilinear" ? 2 : k;
  if (a.mode !== "nearest" && a.mode !== "linear" && a.mode !== "bilinear") throw new RangeError(`interpolate: unsupported mode ${JSON.stringify(a.mode)} (nearest, linear, bilinear)`);
  if (need !== k) throw new RangeError(`Got ${input.ndim}D input, but ${a.mode} mode needs ${need + 2}D input`);
  if ((a.size === null) === (a.scaleFactor === null)) throw new RangeError(a.size === null ? "either size or scale_factor should be defined" : "only one of size or scale_factor should be defined");
  const sp = input.shape.slice(2);
  let size: number[], scales: number[] | null = null;
  if (a.size !== null) {
    size = typeof a.size === "number" ? new Array(k).fill(a.size) : [...a.size];
    if (size.length !== k) throw new RangeError(`Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of ${fmt(sp)} and output size of ${fmt(size)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.`);
  } else {
    const sf = typeof a.scaleFactor === "number" ? new Array(k).fill(a.scaleFactor) : [...a.scaleFactor!];
    if (sf.length !== k) throw new RangeError(`Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of ${fmt(sp)} and scale_factor of shape ${fmt(sf)}.`);
    size = sp.map((d, i) => Math.floor(d * sf[i]));
    // ONNX Resize derives the size from float32 scales; pass them only where that gives PyTorch's size.
    const agrees = sp.every((d, i) => Math.floor(d * Math.fround(sf[i])) === size[i]);
    if (!a.recomputeScaleFactor && agrees) scales = sf;
  }
  if (size.some((s) => !Number.isInteger(s) || s <= 0)) throw new RangeError(`interpolate: Input and output sizes should be greater than 0, but got input ${fmt(sp)} and output ${fmt(size)}`);
  const mode = a.mode === "nearest" ? "nearest" : "linear";
  return bind1("interpolate", [input], { mode, alignCorners: !!a.alignCorners, size, scales });
}
