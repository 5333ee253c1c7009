/**
 * Pooling. Two primitives, `maxPool` (ONNX MaxPool with its Indices output) and `avgPool` (ONNX
 * AveragePool), for any number of spatial dimensions; adaptiveAvgPool2d is derived (AvgPool when the input
 * divides evenly, else a product with PyTorch's pooling matrices).
 *   maxPool: dx = the cotangent scattered (added) to the argmax positions, read from the Indices output
 *   avgPool: dx = a depthwise transposed conv of dy / divisor with a kernel of ones
 */
import { Tensor } from "../../tensor/tensor";
import { defineOp, Meta } from "../../ops/registry";
import { bind, bind1 } from "../../ops/dispatch";
import { parseArgs, tuple } from "../../ops/args";
import { int, ints } from "../../onnx/proto";
import { reshape, permute } from "../../ops/shape";
import { matmul } from "../../ops/linalg";
import { mul, sub } from "../../ops/elementwise";
import { isGradEnabled } from "../../autograd/mode";
import type { OnnxBuilder } from "../../ops/builder";
import { lowerConv64, offsets } from "./conv64";
import { constTensor, indexTensor, takeGrad } from "./take";

/**
 * @internal Attributes of both pooling primitives (pads ONNX-ordered: begins then ends). `withIndices` asks
 * maxPool for its Indices output too: needed for the gradient and returnIndices, and slow in ONNX Runtime
 * (a generic kernel instead of MLAS pooling), so plain inference leaves it off.
 */
export interface PoolAttrs { kernel: number[]; stride: number[]; pads: number[]; dilation: number[]; ceilMode: boolean; countIncludePad?: boolean; withIndices?: boolean; portableIndices?: boolean }

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

/** PyTorch's pooling output size (pooling_output_shape), ceil mode included. */
export function poolOutSize(size: number, k: number, pad: number, stride: number, dilation: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * pad - dilation * (k - 1) - 1 + (ceil ? stride - 1 : 0)) / stride) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

function poolShapeRule(op: string, [x]: readonly Meta[], a: PoolAttrs): number[] {
  const k = a.kernel.length;
  if (x.shape.length !== k + 2 || x.shape.slice(1).some((d) => d === 0)) {
    throw new RangeError(`${op}: non-empty ${k + 1}D or ${k + 2}D (batch mode) tensor expected for input, got ${fmt(x.shape)}`);
  }
  a.kernel.forEach((kk, i) => {
    const eff = op.startsWith("max") ? (kk - 1) * a.dilation[i] + 1 : kk;
    if (a.pads[i] > eff / 2) {
      throw new RangeError(op.startsWith("max")
        ? `${op}: pad should be at most half of effective kernel size, but got pad=${a.pads[i]}, kernel_size=${kk} and dilation=${a.dilation[i]}`
        : `${op}: pad should be at most half of kernel size, but got pad=${a.pads[i]} and kernel_size=${kk}`);
    }
  });
  const sp = x.shape.slice(2);
  const out = sp.map((d, i) => poolOutSize(d, a.kernel[i], a.pads[i], a.stride[i], a.dilation[i], a.ceilMode));
  if (out.some((o) => o < 1)) {
    throw new RangeError(`${op}: Given input size: (${x.shape.slice(1).join("x")}). Calculated output size: (${[x.shape[1], ...out].join("x")}). Output size is too small`);
  }
  return [x.shape[0], x.shape[1], ...out];
}

const poolOnnxAttrs = (a: PoolAttrs) => ({ kernel_shape: ints(a.kernel), strides: ints(a.stride), pads: ints(a.pads), ceil_mode: int(+a.ceilMode) });

defineOp<PoolAttrs>({
  name: "maxPool",
  infer: (ins, a) => {
    const shape = poolShapeRule("max_pool2d", ins, a);
    return a.withIndices ? [{ shape, dtype: ins[0].dtype }, { shape, dtype: "int64" }] : [{ shape, dtype: ins[0].dtype }];
  },
  // Indices are flat over the whole input (N*C*H*W), as ONNX defines them; F.maxPool2d converts to per-plane.
  lower: (b, ins, a, inMeta, outMeta) => a.withIndices && a.portableIndices
    ? lowerMaxPoolArgmax(b, ins, a, inMeta, outMeta)
    : b.node("MaxPool", ins, { ...poolOnnxAttrs(a), dilations: ints(a.dilation) }, a.withIndices ? 2 : 1),
  vjp: ({ grads: [g], inputs: [x], outputs: [, idx] }) => {
    if (!idx) throw new Error("maxPool: the gradient needs the Indices output; call it with withIndices when the input requires grad");
    const n = x.numel();
    return [reshape(takeGrad(reshape(g!, [-1]), reshape(idx, [-1]), 0, n), x.shape)];
  },
});

defineOp<PoolAttrs>({
  name: "avgPool",
  infer: (ins, a) => [{ shape: poolShapeRule("avg_pool2d", ins, a), dtype: ins[0].dtype }],
  lower: (b, ins, a, inMeta, outMeta) => [inMeta[0].dtype === "float64"
    ? lowerAvgPool64(b, ins, a, inMeta, outMeta)
    : b.op("AveragePool", ins, { ...poolOnnxAttrs(a), count_include_pad: int(+!!a.countIncludePad) })],
  vjp: ({ grads: [g], inputs: [x], attrs }) => [avgPoolVjp(g!, x, attrs)],
});

// ONNX Runtime has no double AveragePool: window sums by a depthwise conv with a kernel of ones (the end pad
// grown to reach ceil-mode windows), times 1/divisor per output position, with PyTorch's divisors.
function lowerAvgPool64(b: OnnxBuilder, [x]: string[], a: PoolAttrs, [xm]: readonly Meta[], [om]: readonly Meta[]): string {
  const k = a.kernel.length, c = xm.shape[1], sp = xm.shape.slice(2), out = om.shape.slice(2);
  const ends = sp.map((d, i) => Math.max(a.pads[k + i], (out[i] - 1) * a.stride[i] + a.kernel[i] - d - a.pads[i]));
  const ones = b.constant("float64", [c, 1, ...a.kernel], new Array(c * a.kernel.reduce((p, q) => p * q, 1)).fill(1));
  const sums = lowerConv64(b, [x, ones], { stride: a.stride, pads: [...a.pads.slice(0, k), ...ends], dilation: a.kernel.map(() => 1), groups: c },
    [xm, { shape: [c, 1, ...a.kernel], dtype: "float64" }], [om]);
  const sizes = sp.map((d, i) => windowSizes(d, out[i], a.kernel[i], a.pads[i], a.stride[i], !!a.countIncludePad));
  return b.op("Mul", [sums, b.constant("float64", out, outerProduct(sizes).map((v) => 1 / v))]);
}

// MaxPool's Indices output is CPU-only in ONNX Runtime (WebGPU rejects it), so other devices get values and
// indices from ops every provider has: windows gathered by strided Slices over the -inf-padded input, then
// ReduceMax and ArgMax (first maximum, as PyTorch) over the window axis, mapped to flat input positions.
function lowerMaxPoolArgmax(b: OnnxBuilder, [x]: string[], a: PoolAttrs, [xm]: readonly Meta[], [om]: readonly Meta[]): string[] {
  const k = a.kernel.length, [n, c] = xm.shape, sp = xm.shape.slice(2), out = om.shape.slice(2);
  const span = a.kernel.map((kk, i) => (kk - 1) * a.dilation[i] + 1);
  const ends = sp.map((d, i) => Math.max(a.pads[k + i], (out[i] - 1) * a.stride[i] + span[i] - d - a.pads[i]));
  const xp = b.op("Pad", [x, b.int64s([0, 0, ...a.pads.slice(0, k), 0, 0, ...ends]), b.scalar(xm.dtype, -Infinity)]);
  const axes = b.int64s(Array.from({ length: k }, (_, i) => 2 + i)), steps = b.int64s(a.stride);
  const offs = offsets(a.kernel);
  const cols = b.op("Concat", offs.map((o) => {
    const st = o.map((oi, i) => oi * a.dilation[i]);
    const sl = b.op("Slice", [xp, b.int64s(st), b.int64s(st.map((v, i) => v + (out[i] - 1) * a.stride[i] + 1)), axes, steps]);
    return b.op("Unsqueeze", [sl, b.int64s([2])]);
  }), { axis: int(2) });
  const values = b.op("ReduceMax", [cols], { axes: ints([2]), keepdims: int(0) });
  const arg = b.op("ArgMax", [cols], { axis: int(2), keepdims: int(1) });
  // Position within the plane that kernel offset j of output o reads: sum_i (o_i*s_i - p_i + j_i*d_i) * stride_i.
  const planeStrides = sp.map((_, i) => sp.slice(i + 1).reduce((p, q) => p * q, 1));
  const outPos = offsets(out);
  const table = offs.flatMap((j) => outPos.map((o) => o.reduce((acc, oi, i) => acc + (oi * a.stride[i] - a.pads[i] + j[i] * a.dilation[i]) * planeStrides[i], 0)));
  const tableE = b.op("Expand", [b.constant("int64", [1, 1, offs.length, ...out], table), b.int64s([n, c, offs.length, ...out])]);
  const local = b.op("Reshape", [b.op("GatherElements", [tableE, arg], { axis: int(2) }), b.int64s([...om.shape])]);
  const planeSize = sp.reduce((p, q) => p * q, 1);
  const planes = b.constant("int64", [n, c, ...out.map(() => 1)], Array.from({ length: n * c }, (_, i) => i * planeSize));
  return [values, b.op("Add", [local, planes])];
}

/** PyTorch's divisor of each output window along one dimension (before multiplying dimensions). */
function windowSizes(size: number, out: number, k: number, pad: number, stride: number, includePad: boolean): number[] {
  return Array.from({ length: out }, (_, o) => {
    let start = o * stride - pad;
    let end = Math.min(start + k, size + pad);
    if (includePad) return end - start;
    start = Math.max(start, 0);
    end = Math.min(end, size);
    return end - start;
  });
}

// dx = convTranspose(dy / divisor, ones) per channel. The transposed conv spans (Ho-1)*s + k - pb rows;
// its end pad crops what lies past x, or zero padding extends it where the last rows were never read.
function avgPoolVjp(g: Tensor, x: Tensor, a: PoolAttrs): Tensor {
  const k = a.kernel.length, c = x.shape[1], sp = x.shape.slice(2), out = g.shape.slice(2);
  const sizes = sp.map((d, i) => windowSizes(d, out[i], a.kernel[i], a.pads[i], a.stride[i], !!a.countIncludePad));
  const inv = outerProduct(sizes).map((v) => 1 / v);
  const scaled = mul(g, constTensor(inv, [...out], g));
  const ends = sp.map((d, i) => (out[i] - 1) * a.stride[i] + a.kernel[i] - a.pads[i] - d);
  const ones = constTensor(new Array(c * a.kernel.reduce((p, q) => p * q, 1)).fill(1), [c, 1, ...a.kernel], g);
  let dx = bind1("convTranspose", [scaled, ones], {
    stride: a.stride, pads: [...a.pads.slice(0, k), ...ends.map((e) => Math.max(e, 0))], dilation: a.kernel.map(() => 1), groups: c,
  });
  if (ends.some((e) => e < 0)) dx = bind1("pad", [dx], { pads: [0, 0, ...ends.map(() => 0), 0, 0, ...ends.map((e) => Math.max(-e, 0))], mode: "constant", value: 0 });
  return dx;
}

function outerProduct(lists: number[][]): number[] {
  return lists.reduce<number[]>((acc, l) => acc.flatMap((v) => l.map((w) => v * w)), [1]);
}

// ---- public wrappers ---------------------------------------------------------------------------

type IntOrList = number | number[];
type MaxPoolOpts = { stride: IntOrList | null; padding: IntOrList; dilation: IntOrList; ceilMode: boolean; returnIndices: boolean };
type AvgPoolOpts = { stride: IntOrList | null; padding: IntOrList; ceilMode: boolean; countIncludePad: boolean; divisorOverride: number | null };

const needsGrad = (x: Tensor) => x.requiresGrad && isGradEnabled();
// The ArgMax form of the indices (see lowerMaxPoolArgmax) for devices other than the CPU; undefined keeps
// the CPU's session key and attributes unchanged.
const portable = (x: Tensor, withIndices: boolean) => (withIndices && x.device.type !== "cpu" ? true : undefined);

// PyTorch accepts unbatched [C, H, W] input; it runs as a batch of one.
function unbatched(x: Tensor, k: number): [Tensor, (t: Tensor) => Tensor] {
  if (x.ndim !== k + 1) return [x, (t) => t];
  return [reshape(x, [1, ...x.shape]), (t) => reshape(t, t.shape.slice(1))];
}

function poolAttrs(fn: string, kernelSize: IntOrList, stride: IntOrList | null, padding: IntOrList, dilation: IntOrList, ceilMode: boolean, k: number): PoolAttrs {
  const kernel = tuple(fn, "kernel_size", kernelSize, k);
  const s = stride === null || (Array.isArray(stride) && stride.length === 0) ? kernel : tuple(fn, "stride", stride, k);
  const p = tuple(fn, "padding", padding, k), d = tuple(fn, "dilation", dilation, k);
  if (kernel.some((v) => v <= 0)) throw new RangeError(`${fn}: kernel_size must be greater than zero, but got ${fmt(kernel)}`);
  if (s.some((v) => v <= 0)) throw new RangeError(`${fn}: stride must be greater than zero, but got ${fmt(s)}`);
  if (d.some((v) => v <= 0)) throw new RangeError(`${fn}: dilation must be greater than zero, but got ${fmt(d)}`);
  if (p.some((v) => v < 0)) throw new RangeError(`${fn}: pad must be non-negative, but got ${fmt(p)}`);
  return { kernel, stride: s, pads: [...p, ...p], dilation: d, ceilMode: !!ceilMode };
}

const MAXPOOL_NAMES = ["kernelSize", "stride", "padding", "dilation", "ceilMode", "returnIndices"] as const;

/**
 * 2-D max pooling over [N, C, H, W] (or [C, H, W]). Options in PyTorch's order: stride (default kernel
 * size), padding, dilation, ceilMode, returnIndices. With returnIndices it returns `[values, indices]`, the
 * indices flat within each H×W plane as PyTorch's are.
 * @example F.maxPool2d(x, 3, { stride: 2, padding: 1 })
 */
export function maxPool2d(input: Tensor, kernelSize: IntOrList, opts: Partial<MaxPoolOpts> & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(input: Tensor, opts: Partial<MaxPoolOpts> & { kernelSize: IntOrList; returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: IntOrList, ...args: unknown[]): Tensor;
export function maxPool2d(input: Tensor, opts: Partial<MaxPoolOpts> & { kernelSize: IntOrList }): Tensor;
export function maxPool2d(input: Tensor, ...args: unknown[]): Tensor | [Tensor, Tensor] {
  const a = parseArgs<MaxPoolOpts & { kernelSize: IntOrList }>("max_pool2d", args, MAXPOOL_NAMES, { stride: null, padding: 0, dilation: 1, ceilMode: false, returnIndices: false }, { required: 1 });
  const kernelSize = a.kernelSize;
  const [x, back] = unbatched(input, 2);
  const withIndices = a.returnIndices || needsGrad(x);
  const [y, flat] = bind("maxPool", [x], { ...poolAttrs("max_pool2d", kernelSize, a.stride, a.padding, a.dilation, a.ceilMode, 2), withIndices, portableIndices: portable(x, withIndices) });
  if (!a.returnIndices) return back(y);
  const [n, c, h, w] = x.shape;
  const offsets = indexTensor(Array.from({ length: n * c }, (_, i) => i * h * w), x, [n, c, 1, 1]);
  return [back(y), back(sub(flat, offsets))];
}

/**
 * 2-D max pooling that also returns the argmax indices (per H×W plane): `[values, indices]`.
 */
export function maxPool2dWithIndices(input: Tensor, kernelSize: IntOrList | (Partial<MaxPoolOpts> & { kernelSize: IntOrList }), ...args: unknown[]): [Tensor, Tensor] {
  const a = parseArgs<MaxPoolOpts & { kernelSize: IntOrList }>("max_pool2d_with_indices", [kernelSize, ...args], MAXPOOL_NAMES, {}, { required: 1 });
  return maxPool2d(input, { ...a, returnIndices: true });
}

/**
 * 1-D max pooling over [N, C, L] (or [C, L]). Options in PyTorch's order: stride, padding, dilation, ceilMode.
 */
export function maxPool1d(input: Tensor, kernelSize: IntOrList | (Partial<MaxPoolOpts> & { kernelSize: IntOrList }), ...args: unknown[]): Tensor {
  const a = parseArgs<MaxPoolOpts & { kernelSize: IntOrList }>("max_pool1d", [kernelSize, ...args], MAXPOOL_NAMES, { stride: null, padding: 0, dilation: 1, ceilMode: false, returnIndices: false }, { required: 1 });
  kernelSize = a.kernelSize;
  if (a.returnIndices) throw new RangeError("max_pool1d: returnIndices is supported by maxPool2d only");
  const [x, back] = unbatched(input, 1);
  const withIndices = needsGrad(x);
  return back(bind("maxPool", [x], { ...poolAttrs("max_pool1d", kernelSize, a.stride, a.padding, a.dilation, a.ceilMode, 1), withIndices, portableIndices: portable(x, withIndices) })[0]);
}

/**
 * 2-D average pooling over [N, C, H, W] (or [C, H, W]). Options in PyTorch's order: stride (default kernel
 * size), padding, ceilMode, countIncludePad (default true), divisorOverride.
 * @example F.avgPool2d(x, 2)
 */
export function avgPool2d(input: Tensor, kernelSize: IntOrList | (Partial<AvgPoolOpts> & { kernelSize: IntOrList }), ...args: unknown[]): Tensor {
  return avgPoolNd("avg_pool2d", 2, input, [kernelSize, ...args]);
}

/** 1-D average pooling over [N, C, L]. Options as avgPool2d. */
export function avgPool1d(input: Tensor, kernelSize: IntOrList | (Partial<AvgPoolOpts> & { kernelSize: IntOrList }), ...args: unknown[]): Tensor {
  return avgPoolNd("avg_pool1d", 1, input, [kernelSize, ...args]);
}

function avgPoolNd(fn: string, k: number, input: Tensor, args: unknown[]): Tensor {
  const a = parseArgs<AvgPoolOpts & { kernelSize: IntOrList }>(fn, args, ["kernelSize", "stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"], { stride: null, padding: 0, ceilMode: false, countIncludePad: true, divisorOverride: null }, { required: 1 });
  const kernelSize = a.kernelSize;
  const [x, back] = unbatched(input, k);
  const attrs = { ...poolAttrs(fn, kernelSize, a.stride, a.padding, 1, a.ceilMode, k), countIncludePad: !!a.countIncludePad };
  let y = bind1("avgPool", [x], attrs);
  if (a.divisorOverride !== null) {
    if (!(a.divisorOverride > 0)) throw new RangeError(`${fn}: divisor must be not zero, got ${a.divisorOverride}`);
    // Average times PyTorch's own divisor gives the window sum, then divide by the override.
    const sp = x.shape.slice(2), out = y.shape.slice(2);
    const sizes = sp.map((d, i) => windowSizes(d, out[i], attrs.kernel[i], attrs.pads[i], attrs.stride[i], attrs.countIncludePad));
    y = mul(y, constTensor(outerProduct(sizes).map((v) => v / a.divisorOverride!), [...out], y));
  }
  return back(y);
}

/** PyTorch's adaptive pooling window [start, end) of output `o` of `out` over `size` inputs. */
function adaptiveWindow(o: number, out: number, size: number): [number, number] {
  return [Math.floor((o * size) / out), Math.ceil(((o + 1) * size) / out)];
}

/**
 * Adaptive 2-D average pooling to `outputSize` (int, [h, w]; null keeps that input size) over [N, C, H, W]
 * (or [C, H, W]). When the input size divides evenly this is one AveragePool; otherwise a product with
 * PyTorch's pooling matrices (window [floor(i*H/h), ceil((i+1)*H/h))).
 * @example F.adaptiveAvgPool2d(x, 1)
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | (number | null)[] | { outputSize: number | (number | null)[] }): Tensor {
  if (!Array.isArray(outputSize) && typeof outputSize === "object" && outputSize !== null) outputSize = parseArgs<{ outputSize: number | (number | null)[] }>("adaptive_avg_pool2d", [outputSize], ["outputSize"], {}, { required: 1 }).outputSize;
  if (input.ndim !== 3 && input.ndim !== 4) throw new RangeError(`adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ${fmt(input.shape)}`);
  const sp = input.shape.slice(-2);
  const req = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
  if (req.length !== 2) throw new TypeError(`adaptive_avg_pool2d: output_size must be 2, got ${JSON.stringify(outputSize)}`);
  const out = req.map((o, i) => (o === null ? sp[i] : o));
  if (out.some((o) => !Number.isInteger(o) || o < 0)) throw new RangeError(`adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {${out.join(", ")}}`);
  if (input.shape.slice(1, -2).some((d) => d === 0) || sp.some((d) => d === 0)) throw new RangeError(`adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${fmt(input.shape)} with dimension ${input.shape.indexOf(0)} being empty`);
  if (sp.every((d, i) => d % out[i] === 0)) {
    const kernel = sp.map((d, i) => d / out[i]);
    return avgPool2d(input, kernel, { stride: kernel });
  }
  // y = P_h · x · P_wᵀ with P[o, i] = 1/|window o| for i in window o.
  const poolMatrix = (o: number, size: number) => {
    const m = new Array<number>(o * size).fill(0);
    for (let r = 0; r < o; r++) {
      const [s, e] = adaptiveWindow(r, o, size);
      for (let i = s; i < e; i++) m[r * size + i] = 1 / (e - s);
    }
    return m;
  };
  const ph = constTensor(poolMatrix(out[0], sp[0]), [out[0], sp[0]], input);
  const pwT = permute(constTensor(poolMatrix(out[1], sp[1]), [out[1], sp[1]], input), [1, 0]);
  return matmul(matmul(ph, input), pwT);
}
