/**
 * Convolutions: two primitives, `conv` (ONNX Conv) and `convTranspose` (ONNX ConvTranspose), for any number
 * of spatial dimensions; conv1d/conv2d/convTranspose1d/convTranspose2d are thin wrappers. Each primitive's
 * gradient is written with the other:
 *   conv:          dx = convTranspose(dy, w) with output padding restoring x's size
 *                  dw = conv of x and dy with batch and channels swapping roles (convWeightGrad)
 *   convTranspose: dx = conv(dy, w);  dw = convWeightGrad(dy, x)  (convTranspose is conv's adjoint)
 */
import { Tensor } from "../../tensor/tensor";
import { defineOp, Meta } from "../../ops/registry";
import { bind1 } from "../../ops/dispatch";
import { parseArgs, tuple } from "../../ops/args";
import { int, ints } from "../../onnx/proto";
import { reshape, permute } from "../../ops/shape";
import { sum } from "../../ops/reduce";
import { lowerConv64, lowerConvTranspose64 } from "./conv64";
import { full } from "../../tensor/creation";
import { isGradEnabled } from "../../autograd/mode";

/** Attributes of both conv primitives; `pads` are ONNX-ordered (all begins, then all ends). */
export interface ConvAttrs { stride: number[]; pads: number[]; dilation: number[]; groups: number; outputPadding?: number[] }

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;
const fmtX = (s: readonly number[]) => `(${s.join(" x ")})`;

function checkCommon(op: string, [x, w, b]: readonly Meta[], k: number): void {
  if (x.shape.length !== k + 2) throw new RangeError(`${op}: expected a ${k + 2}-D input [N, C, ${k === 1 ? "L" : "H, W"}], got input of size: ${fmt(x.shape)}`);
  if (w.shape.length !== k + 2) throw new RangeError(`${op}: weight should have ${k + 2} dimensions, got weight of size ${fmt(w.shape)}`);
  if (x.dtype !== w.dtype) throw new TypeError(`${op}: Input type (${x.dtype}) and weight type (${w.dtype}) should be the same`);
  if (b && b.dtype !== x.dtype) throw new TypeError(`${op}: Input type (${x.dtype}) and bias type (${b.dtype}) should be the same`);
}

function convShapeRule(inputs: readonly Meta[], { stride, pads, dilation, groups }: ConvAttrs): Meta[] {
  const [x, w, b] = inputs, k = stride.length;
  checkCommon("conv", inputs, k);
  if (w.shape[0] < groups) throw new RangeError(`Given groups=${groups}, expected weight to be at least ${groups} at dimension 0, but got weight of size ${fmt(w.shape)} instead`);
  if (w.shape[0] % groups !== 0) throw new RangeError(`Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${fmt(w.shape)} instead`);
  if (x.shape[1] !== w.shape[1] * groups) {
    throw new RangeError(`Given groups=${groups}, weight of size ${fmt(w.shape)}, expected input${fmt(x.shape)} to have ${w.shape[1] * groups} channels, but got ${x.shape[1]} channels instead`);
  }
  if (b && (b.shape.length !== 1 || b.shape[0] !== w.shape[0])) {
    throw new RangeError(`Given weight of size ${fmt(w.shape)}, expected bias to be 1-dimensional with ${w.shape[0]} elements, but got bias of size ${fmt(b.shape)} instead`);
  }
  const padded = x.shape.slice(2).map((d, i) => d + pads[i] + pads[k + i]);
  const span = w.shape.slice(2).map((kk, i) => dilation[i] * (kk - 1) + 1);
  if (padded.some((p, i) => p < span[i])) {
    throw new RangeError(`Calculated padded input size per channel: ${fmtX(padded)}. Kernel size: ${fmtX(span)}. Kernel size can't be greater than actual input size`);
  }
  const out = padded.map((p, i) => Math.floor((p - span[i]) / stride[i]) + 1);
  return [{ shape: [x.shape[0], w.shape[0], ...out], dtype: x.dtype }];
}

function convTransposeShapeRule(inputs: readonly Meta[], { stride, pads, dilation, groups, outputPadding }: ConvAttrs): Meta[] {
  const [x, w, b] = inputs, k = stride.length, op = outputPadding ?? stride.map(() => 0);
  checkCommon("conv_transpose", inputs, k);
  if (x.shape[1] !== w.shape[0]) {
    throw new RangeError(`Given transposed=1, weight of size ${fmt(w.shape)}, expected input${fmt(x.shape)} to have ${w.shape[0]} channels, but got ${x.shape[1]} channels instead`);
  }
  if (w.shape[0] % groups !== 0) throw new RangeError(`Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${fmt(w.shape)} instead`);
  const cout = w.shape[1] * groups;
  if (b && (b.shape.length !== 1 || b.shape[0] !== cout)) {
    throw new RangeError(`Given transposed=1, weight of size ${fmt(w.shape)}, expected bias to be 1-dimensional with ${cout} elements, but got bias of size ${fmt(b.shape)} instead`);
  }
  if (op.some((p, i) => p >= stride[i] && p >= dilation[i])) {
    throw new RangeError(`output padding must be smaller than either stride or dilation, but got output_padding ${fmt(op)}, stride ${fmt(stride)}, dilation ${fmt(dilation)}`);
  }
  const out = x.shape.slice(2).map((d, i) => (d - 1) * stride[i] - pads[i] - pads[k + i] + dilation[i] * (w.shape[2 + i] - 1) + op[i] + 1);
  if (out.some((o) => o <= 0)) throw new RangeError(`conv_transpose: Given input size per channel: ${fmtX(x.shape.slice(2))}. Calculated output size per channel: ${fmtX(out)}. Output size is too small`);
  return [{ shape: [x.shape[0], cout, ...out], dtype: x.dtype }];
}

const convOnnxAttrs = (a: ConvAttrs, w: Meta) => ({
  strides: ints(a.stride), pads: ints(a.pads), dilations: ints(a.dilation), group: int(a.groups), kernel_shape: ints(w.shape.slice(2) as number[]),
});

defineOp<ConvAttrs>({
  name: "conv",
  infer: convShapeRule,
  lower: (b, ins, a, inMeta, outMeta) => [inMeta[0].dtype === "float64"
    ? lowerConv64(b, ins, a, inMeta, outMeta)
    : b.op("Conv", ins, convOnnxAttrs(a, inMeta[1]))],
  vjp: ({ grads: [g], inputs: [x, w, bias], attrs }) => {
    const k = attrs.stride.length;
    // dx: the transposed conv of dy gives back x's size up to stride leftovers, restored by output padding.
    const outputPadding = x.shape.slice(2).map((d, i) => {
      const span = attrs.dilation[i] * (w.shape[2 + i] - 1) + 1;
      return (d + attrs.pads[i] + attrs.pads[k + i] - span) % attrs.stride[i];
    });
    const gx = x.requiresGrad ? bind1("convTranspose", [g!, w], { ...attrs, outputPadding }) : null;
    const gw = w.requiresGrad ? convWeightGrad(x, g!, w.shape, attrs) : null;
    const gb = bias?.requiresGrad ? sum(g!, [0, ...range(2, g!.ndim)]) : null;
    return bias ? [gx, gw, gb] : [gx, gw];
  },
  // Weights that are not being trained are baked into the eager session, where ORT pre-packs them for its
  // NCHWc kernels (bench/nn/conv.ts: 3x3 convs 10-20% faster); trained weights change every step and stay inputs.
  bakeInputs: (inputs) => [1, 2].filter((i) => i < inputs.length && !(inputs[i].requiresGrad && isGradEnabled())),
});

defineOp<ConvAttrs>({
  name: "convTranspose",
  infer: convTransposeShapeRule,
  lower: (b, ins, a, inMeta, outMeta) => [inMeta[0].dtype === "float64"
    ? lowerConvTranspose64(b, ins, a, inMeta, outMeta)
    : b.op("ConvTranspose", ins, { ...convOnnxAttrs(a, inMeta[1]), output_padding: ints(a.outputPadding ?? a.stride.map(() => 0)) })],
  vjp: ({ grads: [g], inputs: [x, w, bias], attrs }) => {
    const { outputPadding: _op, ...convAttrs } = attrs;
    const gx = x.requiresGrad ? bind1("conv", [g!, w], convAttrs) : null;
    const gw = w.requiresGrad ? convWeightGrad(g!, x, w.shape, convAttrs) : null;
    const gb = bias?.requiresGrad ? sum(g!, [0, ...range(2, g!.ndim)]) : null;
    return bias ? [gx, gw, gb] : [gx, gw];
  },
});

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/**
 * Gradient of conv(x, w) with respect to w, for cotangent gy: a conv in which the batch plays the channels'
 * role. x [N, g*Ig, *S] → [Ig, g*N, *S]; gy [N, g*Og, *So] → [g*Og, N, *So]; conv with group g, stride =
 * forward dilation, dilation = forward stride, the forward pads → [Ig, g*Og, *K'], cropped to the kernel size
 * K, then permuted to [g*Og, Ig, *K].
 */
export function convWeightGrad(x: Tensor, gy: Tensor, wShape: readonly number[], a: ConvAttrs): Tensor {
  const { groups: g, stride, dilation } = a, k = stride.length;
  // An empty batch contributes nothing (and ONNX Runtime's Conv does not return on zero input channels).
  if (x.numel() === 0 || gy.numel() === 0) return full([...wShape], 0, { dtype: gy.dtype, device: gy.device });
  const [n, c] = x.shape, ig = c / g, sp = x.shape.slice(2), kernel = wShape.slice(2);
  const spAxes = range(3, 3 + k);
  const xs = reshape(permute(reshape(x, [n, g, ig, ...sp]), [2, 1, 0, ...spAxes]), [ig, g * n, ...sp]);
  const gs = permute(gy, [1, 0, ...range(2, 2 + k)]);
  // Rows of x past the last window are unused: shrink the end pad to skip them, or crop the result after.
  const pads = [...a.pads], crop = new Array<number>(k).fill(0);
  for (let i = 0; i < k; i++) {
    const extent = sp[i] + a.pads[i] + a.pads[k + i] - (gy.shape[2 + i] - 1) * stride[i] - 1;
    const extra = Math.floor(extent / dilation[i]) + 1 - kernel[i];
    if (extra <= 0) continue;
    if (pads[k + i] >= extra * dilation[i]) pads[k + i] -= extra * dilation[i];
    else crop[i] = extra;
  }
  let gw = bind1("conv", [xs, gs], { stride: dilation, dilation: stride, pads, groups: g });
  if (crop.some((v) => v)) gw = bind1("pad", [gw], { pads: [0, 0, ...crop.map(() => 0), 0, 0, ...crop.map((v) => -v)], mode: "constant", value: 0 });
  return permute(gw, [1, 0, ...range(2, 2 + k)]);
}

// ---- public wrappers ---------------------------------------------------------------------------

type IntOrList = number | number[];
type ConvOpts = { stride: IntOrList; padding: IntOrList | "same" | "valid"; dilation: IntOrList; groups: number };
type ConvTOpts = { stride: IntOrList; padding: IntOrList; outputPadding: IntOrList; groups: number; dilation: IntOrList };

function convPads(fn: string, padding: ConvOpts["padding"], w: Tensor, stride: number[], dilation: number[]): number[] {
  const k = stride.length;
  if (padding === "valid") return new Array(2 * k).fill(0);
  if (padding === "same") {
    if (stride.some((s) => s !== 1)) throw new RangeError(`${fn}: padding='same' is not supported for strided convolutions`);
    // PyTorch puts the odd extra pixel of an even kernel at the end.
    const total = w.shape.slice(2).map((kk, i) => dilation[i] * (kk - 1));
    return [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))];
  }
  if (typeof padding === "string") throw new RangeError(`${fn}: Invalid padding string '${padding}', should be one of {'valid', 'same'}`);
  const p = tuple(fn, "padding", padding, k);
  if (p.some((v) => v < 0)) throw new RangeError(`${fn}: negative padding is not supported, got ${fmt(p)}`);
  return [...p, ...p];
}

function checkPositive(fn: string, name: string, v: number[]): number[] {
  if (v.some((x) => x <= 0)) throw new RangeError(`${fn}: non-positive ${name} is not supported, got ${fmt(v)}`);
  return v;
}

// PyTorch accepts unbatched inputs ([C, *S]); they run as a batch of one.
function batched<T>(x: Tensor, k: number, f: (xb: Tensor) => Tensor): Tensor {
  if (x.ndim !== k + 1) return f(x);
  const y = f(reshape(x, [1, ...x.shape]));
  return reshape(y, y.shape.slice(1));
}

function convNd(fn: string, k: number, input: Tensor, weight: Tensor, args: unknown[]): Tensor {
  const a = parseArgs<ConvOpts & { bias: Tensor | null }>(fn, args, ["bias", "stride", "padding", "dilation", "groups"], { bias: null, stride: 1, padding: 0, dilation: 1, groups: 1 });
  const bias = a.bias;
  const stride = checkPositive(fn, "stride", tuple(fn, "stride", a.stride, k));
  const dilation = checkPositive(fn, "dilation", tuple(fn, "dilation", a.dilation, k));
  if (!Number.isInteger(a.groups) || a.groups <= 0) throw new RangeError(`${fn}: non-positive groups is not supported, got ${a.groups}`);
  if (input.ndim !== k + 1 && input.ndim !== k + 2) {
    throw new RangeError(`Expected ${k + 1}D (unbatched) or ${k + 2}D (batched) input to ${fn}, but got input of size: ${fmt(input.shape)}`);
  }
  const pads = convPads(fn, a.padding, weight, stride, dilation);
  const ins = bias ? [weight, bias] : [weight];
  return batched(input, k, (xb) => bind1("conv", [xb, ...ins], { stride, pads, dilation, groups: a.groups }));
}

function convTransposeNd(fn: string, k: number, input: Tensor, weight: Tensor, args: unknown[]): Tensor {
  const a = parseArgs<ConvTOpts & { bias: Tensor | null }>(fn, args, ["bias", "stride", "padding", "outputPadding", "groups", "dilation"], { bias: null, stride: 1, padding: 0, outputPadding: 0, groups: 1, dilation: 1 });
  const bias = a.bias;
  const stride = checkPositive(fn, "stride", tuple(fn, "stride", a.stride, k));
  const dilation = checkPositive(fn, "dilation", tuple(fn, "dilation", a.dilation, k));
  const p = tuple(fn, "padding", a.padding, k), outputPadding = tuple(fn, "outputPadding", a.outputPadding, k);
  if (p.some((v) => v < 0)) throw new RangeError(`${fn}: negative padding is not supported, got ${fmt(p)}`);
  if (input.ndim !== k + 1 && input.ndim !== k + 2) {
    throw new RangeError(`Expected ${k + 1}D (unbatched) or ${k + 2}D (batched) input to ${fn}, but got input of size: ${fmt(input.shape)}`);
  }
  const ins = bias ? [weight, bias] : [weight];
  return batched(input, k, (xb) => bind1("convTranspose", [xb, ...ins], { stride, pads: [...p, ...p], dilation, groups: a.groups, outputPadding }));
}

/**
 * 1-D convolution over [N, C, L] (or unbatched [C, L]) with weight [Cout, C/groups, K].
 * Options in PyTorch's order: stride, padding (int, "same" or "valid"), dilation, groups.
 * @example F.conv1d(x, w, b, { stride: 2, padding: 1 })
 */
export function conv1d(input: Tensor, weight: Tensor, ...args: unknown[]): Tensor {
  return convNd("conv1d", 1, input, weight, args);
}

/**
 * 2-D convolution over [N, C, H, W] (or unbatched [C, H, W]) with weight [Cout, C/groups, KH, KW].
 * Options in PyTorch's order: stride, padding (int, [ph, pw], "same" or "valid"), dilation, groups
 * (groups = C gives a depthwise convolution).
 * @example F.conv2d(x, w, b, { stride: 2, padding: 1 })
 */
export function conv2d(input: Tensor, weight: Tensor, ...args: unknown[]): Tensor {
  return convNd("conv2d", 2, input, weight, args);
}

/**
 * Transposed 1-D convolution over [N, Cin, L] with weight [Cin, Cout/groups, K].
 * Options in PyTorch's order: stride, padding, outputPadding, groups, dilation.
 */
export function convTranspose1d(input: Tensor, weight: Tensor, ...args: unknown[]): Tensor {
  return convTransposeNd("conv_transpose1d", 1, input, weight, args);
}

/**
 * Transposed 2-D convolution ("deconvolution") over [N, Cin, H, W] with weight [Cin, Cout/groups, KH, KW].
 * Options in PyTorch's order: stride, padding, outputPadding, groups, dilation.
 * @example F.convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 })
 */
export function convTranspose2d(input: Tensor, weight: Tensor, ...args: unknown[]): Tensor {
  return convTransposeNd("conv_transpose2d", 2, input, weight, args);
}
