/**
 * `pad`: one primitive for constant (negative amounts crop), reflect and replicate padding, lowered to ONNX
 * Pad (modes constant/reflect/edge) with a Slice for negative amounts. PyTorch's pad list names the last
 * dimension first: `[left, right, top, bottom, ...]`.
 */
import { Tensor } from "../../tensor/tensor";
import { defineOp, Meta } from "../../ops/registry";
import { bind1 } from "../../ops/dispatch";
import { parseArgs } from "../../ops/args";
import { str } from "../../onnx/proto";
import { indexTensor, takeGrad } from "./take";

/** Padding modes of F.pad. */
export type PadMode = "constant" | "reflect" | "replicate";
/** @internal begins[d] = pads[d], ends[d] = pads[ndim + d] (ONNX order, one pair per dimension). */
interface PadAttrs { pads: number[]; mode: PadMode; value: number }

function padShapeRule([x]: readonly Meta[], { pads, mode }: PadAttrs): Meta[] {
  const n = x.shape.length;
  const shape = x.shape.map((d, i) => {
    const [lo, hi] = [pads[i], pads[n + i]];
    if (mode === "reflect" && (lo >= d || hi >= d) && (lo || hi)) {
      throw new RangeError(`pad: Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${lo}, ${hi}) at dimension ${i} of input [${x.shape.join(", ")}]`);
    }
    if (mode === "replicate" && d === 0 && (lo || hi)) throw new RangeError(`pad: replicate padding of dimension ${i} needs a non-empty input, got [${x.shape.join(", ")}]`);
    if (mode !== "constant" && (lo < 0 || hi < 0)) throw new RangeError(`pad: negative padding (${lo}, ${hi}) is only supported in constant mode`);
    const out = d + lo + hi;
    if (out < 0) throw new RangeError(`The input size ${d}, plus negative padding ${lo} and ${hi} resulted in a negative output size, which is invalid. Check dimension ${i} of your input.`);
    return out;
  });
  return [{ shape, dtype: x.dtype }];
}

defineOp<PadAttrs>({
  name: "pad",
  infer: padShapeRule,
  lower: (b, [x], { pads, mode, value }, [m]) => {
    const n = m.shape.length;
    let v = x;
    if (pads.some((p) => p < 0)) {
      const axes = [...Array(n).keys()].filter((i) => pads[i] < 0 || pads[n + i] < 0);
      const starts = axes.map((i) => Math.max(0, -pads[i]));
      const ends = axes.map((i) => m.shape[i] - Math.max(0, -pads[n + i]));
      v = b.op("Slice", [v, b.int64s(starts), b.int64s(ends), b.int64s(axes)]);
    }
    const pos = pads.map((p) => Math.max(0, p));
    if (pos.every((p) => p === 0)) return [v];
    const onnxMode = mode === "replicate" ? "edge" : mode;
    const ins = mode === "constant" ? [v, b.int64s(pos), b.scalar(m.dtype, value)] : [v, b.int64s(pos)];
    return [b.op("Pad", ins, { mode: str(onnxMode) })];
  },
  vjp: ({ grads: [g], inputs: [x], attrs: { pads, mode } }) => [padVjp(g!, x, pads, mode)],
});

// Constant padding is undone by cropping (negative padding); reflect/replicate padding is a gather per
// dimension, so its adjoint sums the padded copies back with _nnTakeGrad, one dimension at a time.
function padVjp(g: Tensor, x: Tensor, pads: number[], mode: PadMode): Tensor {
  if (mode === "constant") return bind1("pad", [g], { pads: pads.map((p) => -p), mode, value: 0 });
  const n = x.ndim;
  for (let d = 0; d < n; d++) {
    if (!pads[d] && !pads[n + d]) continue;
    g = takeGrad(g, indexTensor(padSource(x.shape[d], pads[d], pads[n + d], mode), g), d, x.shape[d]);
  }
  return g;
}

/** Index of the input element each padded position reads, along one dimension. */
export function padSource(size: number, lo: number, hi: number, mode: "reflect" | "replicate"): number[] {
  return Array.from({ length: size + lo + hi }, (_, i) => {
    const j = i - lo;
    if (mode === "replicate") return Math.min(Math.max(j, 0), size - 1);
    return j < 0 ? -j : j >= size ? 2 * (size - 1) - j : j;
  });
}

/** Converts PyTorch's pad list (last dimension first) into ONNX begin/end pads for every dimension. */
export function onnxPads(fn: string, pad: readonly number[], ndim: number): number[] {
  if (pad.length % 2 !== 0) throw new RangeError(`${fn}: Padding length must be divisible by 2`);
  if (pad.length / 2 > ndim) throw new RangeError(`${fn}: Padding length too large (${pad.length} values for a ${ndim}-D input)`);
  if (pad.some((p) => !Number.isInteger(p))) throw new TypeError(`${fn}: padding must be integers, got [${pad.join(", ")}]`);
  const out = new Array<number>(2 * ndim).fill(0);
  for (let k = 0; k < pad.length / 2; k++) {
    const d = ndim - 1 - k;
    out[d] = pad[2 * k];
    out[ndim + d] = pad[2 * k + 1];
  }
  return out;
}

/**
 * Pads `input`; `pad` lists amounts for the last dimension first: `[left, right]`, `[left, right, top, bottom]`.
 * Modes: "constant" (fill with `value`; negative amounts crop), "reflect" (mirror without repeating the edge),
 * "replicate" (repeat the edge).
 * @example F.pad(x, [1, 1, 2, 0], { mode: "reflect" })
 */
export function pad(input: Tensor, pad: number[], ...args: unknown[]): Tensor {
  const a = parseArgs<{ mode: PadMode; value: number }>("pad", args, ["mode", "value"], { mode: "constant", value: 0 });
  if (!["constant", "reflect", "replicate"].includes(a.mode)) throw new RangeError(`pad: Unrecognised padding mode ${JSON.stringify(a.mode)}; use "constant", "reflect" or "replicate"`);
  if (a.mode !== "constant" && a.value !== 0) throw new RangeError(`pad: Padding mode "${a.mode}" doesn't take in value argument`);
  const pads = onnxPads("pad", pad, input.ndim);
  if (pads.every((p) => p === 0)) return input;
  return bind1("pad", [input], { pads, mode: a.mode, value: a.value });
}
