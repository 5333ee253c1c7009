/**
 * Reductions and the sorting family. Primitives (one op entry each): sum, amax, amin, prod, max_dim/min_dim
 * (values and indices along one dim), argmax/argmin, cumsum, topk, and the private _math_scatter_add that
 * sends gradients back to selected positions. mean, var, std, norm, logsumexp, max/min and sort are derived
 * from them (no op entry, no gradient rule of their own).
 */
import { Tensor, normalizeDim, numelOf } from "../tensor/tensor";
import { DType, TypedArray, allocArray, isFloating } from "../tensor/dtype";
import { defineOp, Meta } from "./registry";
import { bind, bind1 } from "./dispatch";
import { parseArgs } from "./args";
import { addTensorMethods } from "./methods";
import { expand, reshape } from "./shape";
import { abs, add, cast, div, eq, isinf, log, maximum, minimum, mul, ne, pow, sqrt, sub, where, exp } from "./elementwise";
import { int, ints, str } from "../onnx/proto";

/** Attributes of a reduction: normalised dims (empty = all) and keepdim. */
export interface ReduceAttrs { dims: number[]; keepdim: boolean }
/** Attributes of a reduction along one dim. */
export interface DimAttrs { dim: number; keepdim: boolean }

/** Output shape of a reduction over `dims`. */
export function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  const all = dims.length === 0;
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (all || dims.includes(i)) { if (keepdim) out.push(1); } else out.push(d);
  });
  return out;
}

/** Normalises a dim / dim list argument against `ndim`, rejecting repeats. */
export function normalizeDims(op: string, dim: number | number[] | null | undefined, ndim: number): number[] {
  if (dim === null || dim === undefined) return [];
  const dims = (Array.isArray(dim) ? dim : [dim]).map((d) => normalizeDim(d, ndim, op));
  if (new Set(dims).size !== dims.length) throw new RangeError(`${op}: dim ${dims.join(", ")} appears multiple times in the list of dims`);
  return dims.sort((a, b) => a - b);
}

const allAxes = (m: Meta, dims: number[]) => (dims.length ? dims : [...m.shape.keys()]);

/** Sends a reduction's cotangent back over the reduced dims (reshape to keepdim form, then broadcast). */
export function unreduce(g: Tensor, x: Tensor, dims: number[], keepdim: boolean): Tensor {
  return expand(keepForm(g, x, dims, keepdim), x.shape);
}
/** A reduction's result in keepdim form (size 1 on reduced dims). */
function keepForm(t: Tensor, x: Tensor, dims: number[], keepdim: boolean): Tensor {
  return keepdim ? t : reshape(t, reducedShape(x.shape, dims, true));
}

// ---- host kernels ------------------------------------------------------------------------------

// Host reductions run on JS numbers: int64 (BigInt64Array) and float16 (raw bits) go to ONNX Runtime.
const HOST = new Set<DType>(["float32", "float64", "int32", "int8", "uint8", "bool"]);
const hostable = (m: readonly Meta[]) => m.every((x) => HOST.has(x.dtype));

/** For each input element, the flat index of the output element it reduces into. */
function reduceIndex(shape: readonly number[], dims: readonly number[]): Int32Array {
  const nd = shape.length, all = dims.length === 0;
  const ostr = new Array<number>(nd).fill(0);
  for (let i = nd - 1, acc = 1; i >= 0; i--) if (!(all || dims.includes(i))) { ostr[i] = acc; acc *= shape[i]; }
  const n = numelOf(shape), map = new Int32Array(n), idx = new Array<number>(nd).fill(0);
  for (let i = 0, o = 0; i < n; i++) {
    map[i] = o;
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) { o += ostr[d]; break; }
      o -= ostr[d] * (shape[d] - 1); idx[d] = 0;
    }
  }
  return map;
}

/** Folds every input element into its output element with `f`, starting from `init`. */
function hostReduce(x: TypedArray, m: Meta, dims: number[], o: Meta, init: number, f: (acc: number, v: number) => number): TypedArray[] | null {
  if (!hostable([m, o])) return null;
  const X = x as Float64Array, acc = new Float64Array(numelOf(o.shape)).fill(init);
  if (dims.length === 0 || dims.length === m.shape.length) { let a = init; for (let i = 0; i < X.length; i++) a = f(a, X[i]); acc[0] = a; }
  else { const map = reduceIndex(m.shape, dims); for (let i = 0; i < X.length; i++) acc[map[i]] = f(acc[map[i]], X[i]); }
  const out = allocArray(o.dtype, acc.length) as Float64Array;
  out.set(acc);
  return [out as TypedArray];
}

/** Splits a shape around `dim` into [outer, size, inner] for kernels that walk one dim. */
function lanes(shape: readonly number[], dim: number): [number, number, number] {
  return [numelOf(shape.slice(0, dim)), shape[dim], numelOf(shape.slice(dim + 1))];
}

// NaN counts as larger than every number (PyTorch's max, argmax, sort and topk agree on this).
const greater = (a: number, b: number) => a > b || (a !== a && b === b);
const less = (a: number, b: number) => a < b || (a !== a && b === b);

// ---- sum, amax, amin, prod ---------------------------------------------------------------------

defineOp<ReduceAttrs>({
  name: "sum",
  infer: ([x], { dims, keepdim }) => [{ shape: reducedShape(x.shape, dims, keepdim), dtype: x.dtype }],
  lower: (b, [x], { dims, keepdim }, [m]) => [b.op("ReduceSum", [x, b.int64s(allAxes(m, dims))], { keepdims: { i: +keepdim } })],
  vjp: ({ grads: [g], inputs: [x], attrs: { dims, keepdim } }) => [unreduce(g!, x, dims, keepdim)],
  host: ([x], { dims }, [m], [o]) => hostReduce(x, m, dims, o, 0, (a, v) => a + v),
});

function checkNonEmpty(op: string, x: Meta, dims: number[]): void {
  for (const d of allAxes(x, dims)) if (x.shape[d] === 0) throw new RangeError(`${op}(): Expected reduction dim ${d} to have non-zero size.`);
}

/** amax/amin: the gradient is split evenly between tied extremes, as PyTorch does. */
function _extremeVjp(g: Tensor, x: Tensor, y: Tensor, { dims, keepdim }: ReduceAttrs): Tensor {
  const mask = cast(eq(x, keepForm(y, x, dims, keepdim)), g.dtype);
  const count = bind1("sum", [mask], { dims, keepdim: true });
  return div(mul(unreduce(g, x, dims, keepdim), mask), count);
}
for (const [name, onnx, init, pick] of [["amax", "ReduceMax", -Infinity, greater], ["amin", "ReduceMin", Infinity, less]] as const) {
  defineOp<ReduceAttrs>({
    name,
    infer: ([x], a) => { checkNonEmpty(name, x, a.dims); return [{ shape: reducedShape(x.shape, a.dims, a.keepdim), dtype: x.dtype }]; },
    lower: (b, [x], { dims, keepdim }, [m]) => [b.op(onnx, [x], { axes: ints(allAxes(m, dims)), keepdims: int(+keepdim) })],
    vjp: ({ grads: [g], inputs: [x], outputs: [y], attrs }) => [_extremeVjp(g!, x, y, attrs)],
    host: ([x], { dims }, [m], [o]) => hostReduce(x, m, dims, o, init, (a, v) => (pick(v, a) ? v : a)),
  });
}

/** prod: y/x where no zero was reduced; the product of the others at a lone zero; 0 elsewhere (as PyTorch). */
function _prodVjp(g: Tensor, x: Tensor, y: Tensor, { dims, keepdim }: ReduceAttrs): Tensor {
  const isZero = eq(x, 0);
  const nonZero = where(isZero, 1, x);
  const zeros = bind1("sum", [cast(isZero, x.dtype)], { dims, keepdim: true });
  const others = bind1("prod", [nonZero], { dims, keepdim: true });
  const gk = unreduce(g, x, dims, keepdim), yk = keepForm(y, x, dims, keepdim);
  const lone = where(eq(zeros, 1), where(isZero, others, 0), 0);
  return mul(gk, where(eq(zeros, 0), div(yk, nonZero), lone));
}
defineOp<ReduceAttrs>({
  name: "prod",
  infer: ([x], { dims, keepdim }) => [{ shape: reducedShape(x.shape, dims, keepdim), dtype: x.dtype }],
  lower: (b, [x], { dims, keepdim }, [m]) => [b.op("ReduceProd", [x], { axes: ints(allAxes(m, dims)), keepdims: int(+keepdim) })],
  vjp: ({ grads: [g], inputs: [x], outputs: [y], attrs }) => [_prodVjp(g!, x, y, attrs)],
  host: ([x], { dims }, [m], [o]) => hostReduce(x, m, dims, o, 1, (a, v) => a * v),
});

// ---- values and indices along one dim ----------------------------------------------------------

interface ScatterAttrs { dim: number; shape: number[] }
/**
 * @internal zeros(shape) with `src` added at `index` along `dim` (index has src's shape). Private to this
 * file's gradient rules (max/min along a dim, topk); the public scatter ops live in ops/indexing.ts.
 */
defineOp<ScatterAttrs>({
  name: "_math_scatter_add",
  infer: ([src], { shape }) => [{ shape, dtype: src.dtype }],
  lower: (b, [src, index], { dim, shape }, [m]) => {
    const zeros = b.op("Expand", [b.scalar(m.dtype, 0), b.int64s(shape)]);
    return [b.op("ScatterElements", [zeros, index, src], { axis: int(dim), reduction: str("add") })];
  },
  host: ([src, index], { dim, shape }, [m], [o]) => {
    if (!hostable([m, o])) return null;
    const [outer, n, inner] = lanes(m.shape, dim), size = shape[dim];
    const S = src as Float64Array, I = index as BigInt64Array, out = allocArray(o.dtype, numelOf(shape)) as Float64Array;
    for (let a = 0; a < outer; a++) for (let j = 0; j < n; j++) for (let c = 0; c < inner; c++) {
      const i = (a * n + j) * inner + c;
      out[(a * size + Number(I[i])) * inner + c] += S[i];
    }
    return [out as TypedArray];
  },
  hostMaxNumel: 1 << 16,
});
function scatterBack(g: Tensor, index: Tensor, dim: number, shape: readonly number[]): Tensor {
  return bind1("_math_scatter_add", [g, index], { dim, shape: [...shape] });
}

/** Best value and its first index along one dim of each lane. */
function hostArgExtreme(x: TypedArray, m: Meta, dim: number, pick: (a: number, b: number) => boolean): [Float64Array, BigInt64Array] | null {
  if (!hostable([m])) return null;
  const [outer, n, inner] = lanes(m.shape, dim), X = x as Float64Array;
  const vals = new Float64Array(outer * inner), idx = new BigInt64Array(outer * inner);
  for (let a = 0; a < outer; a++) for (let c = 0; c < inner; c++) {
    let best = X[a * n * inner + c], bi = 0;
    for (let j = 1; j < n; j++) { const v = X[(a * n + j) * inner + c]; if (pick(v, best) && best === best) { best = v; bi = j; } }
    vals[a * inner + c] = best; idx[a * inner + c] = BigInt(bi);
  }
  return [vals, idx];
}

function dimInfer(op: string) {
  return ([x]: readonly Meta[], { dim, keepdim }: DimAttrs) => {
    if (x.shape[dim] === 0) throw new RangeError(`${op}(): Expected reduction dim ${dim} to have non-zero size.`);
    return reducedShape(x.shape, [dim], keepdim);
  };
}
for (const [name, reduceOp, argOp, pick, pub] of [["max_dim", "ReduceMax", "ArgMax", greater, "max"], ["min_dim", "ReduceMin", "ArgMin", less, "min"]] as const) {
  defineOp<DimAttrs>({
    name,
    infer: (ins, a) => { const shape = dimInfer(pub)(ins, a); return [{ shape, dtype: ins[0].dtype }, { shape, dtype: "int64" }]; },
    lower: (b, [x], { dim, keepdim }) => [
      b.op(reduceOp, [x], { axes: ints([dim]), keepdims: int(+keepdim) }),
      b.op(argOp, [x], { axis: int(dim), keepdims: int(+keepdim), select_last_index: int(0) }),
    ],
    // Unlike amax, the gradient goes to the one selected index (PyTorch's value_selecting_reduction_backward).
    vjp: ({ grads: [g], inputs: [x], outputs: [, idx], attrs: { dim, keepdim } }) =>
      [scatterBack(keepForm(g!, x, [dim], keepdim), keepForm(idx, x, [dim], keepdim), dim, x.shape)],
    host: ([x], { dim }, [m], [o]) => {
      const r = hostArgExtreme(x, m, dim, pick);
      if (!r) return null;
      const vals = allocArray(o.dtype, r[0].length) as Float64Array;
      vals.set(r[0]);
      return [vals as TypedArray, r[1]];
    },
  });
  defineOp<DimAttrs>({
    name: pub === "max" ? "argmax" : "argmin",
    infer: (ins, a) => [{ shape: dimInfer(pub === "max" ? "argmax" : "argmin")(ins, a), dtype: "int64" }],
    lower: (b, [x], { dim, keepdim }) => [b.op(argOp, [x], { axis: int(dim), keepdims: int(+keepdim), select_last_index: int(0) })],
    host: ([x], { dim }, [m]) => { const r = hostArgExtreme(x, m, dim, pick); return r && [r[1]]; },
  });
}

// ---- cumsum ------------------------------------------------------------------------------------

defineOp<{ dim: number; reverse: boolean }>({
  name: "cumsum",
  infer: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
  lower: (b, [x], { dim, reverse }) => [b.op("CumSum", [x, b.constant("int64", [], [dim])], { reverse: int(+reverse) })],
  vjp: ({ grads: [g], attrs: { dim, reverse } }) => [bind1("cumsum", [g!], { dim, reverse: !reverse })],
  host: ([x], { dim, reverse }, [m], [o]) => {
    if (!hostable([m, o])) return null;
    const [outer, n, inner] = lanes(m.shape, dim), X = x as Float64Array, out = allocArray(o.dtype, X.length) as Float64Array;
    for (let a = 0; a < outer; a++) for (let c = 0; c < inner; c++) {
      let acc = 0;
      for (let jj = 0; jj < n; jj++) { const i = (a * n + (reverse ? n - 1 - jj : jj)) * inner + c; acc += X[i]; out[i] = acc; }
    }
    return [out as TypedArray];
  },
});

// ---- topk (and sort, which is topk of every element) ---------------------------------------------

interface TopkAttrs { k: number; dim: number; largest: boolean }
defineOp<TopkAttrs>({
  name: "topk",
  infer: ([x], { k, dim }) => {
    if (k < 0 || k > (x.shape[dim] ?? 1)) throw new RangeError(`topk: selected index k out of range (k=${k}, size ${x.shape[dim]} at dim ${dim})`);
    const shape = x.shape.map((d, i) => (i === dim ? k : d));
    return [{ shape, dtype: x.dtype }, { shape, dtype: "int64" }];
  },
  // ONNX Runtime's TopK orders equal values by index, so it is stable, as torch.sort(stable=True).
  lower: (b, [x], { k, dim, largest }) => b.node("TopK", [x, b.int64s([k])], { axis: int(dim), largest: int(+largest), sorted: int(1) }, 2),
  vjp: ({ grads: [g], inputs: [x], outputs: [, idx], attrs: { dim } }) => [scatterBack(g!, idx, dim, x.shape)],
  host: ([x], { k, dim, largest }, [m], [o]) => {
    if (!hostable([m])) return null;
    const [outer, n, inner] = lanes(m.shape, dim), X = x as Float64Array;
    const vals = allocArray(o.dtype, outer * k * inner) as Float64Array, idx = new BigInt64Array(outer * k * inner);
    const before = largest ? greater : less, order = Array.from({ length: n }, (_, j) => j), lane = new Float64Array(n);
    for (let a = 0; a < outer; a++) for (let c = 0; c < inner; c++) {
      for (let j = 0; j < n; j++) { lane[j] = X[(a * n + j) * inner + c]; order[j] = j; }
      order.sort((p, q) => (before(lane[p], lane[q]) ? -1 : before(lane[q], lane[p]) ? 1 : p - q));
      for (let j = 0; j < k; j++) { const i = (a * k + j) * inner + c; vals[i] = lane[order[j]]; idx[i] = BigInt(order[j]); }
    }
    return [vals as TypedArray, idx];
  },
});

// ---- public API --------------------------------------------------------------------------------

/** Values and their indices, as PyTorch's (values, indices) named tuple: `const [v, i] = x.max(1)` or `x.max(1).values`. */
export type ValuesIndices = [Tensor, Tensor] & { values: Tensor; indices: Tensor };
function valuesIndices(values: Tensor, indices: Tensor): ValuesIndices {
  return Object.assign([values, indices] as [Tensor, Tensor], { values, indices });
}

type Dims = number | number[] | null;
const sumDType = (d: DType): DType => (isFloating(d) ? d : "int64");

/** Reduces a 0-d tensor as a 1-element vector: PyTorch accepts dim 0/-1 there and returns a 0-d result. */
function reduceArgs(op: string, x: Tensor, dim: Dims | undefined, keepdim: boolean): { src: Tensor; dims: number[]; keepdim: boolean } {
  const dims = normalizeDims(op, dim, x.ndim);
  if (x.ndim === 0) return { src: reshape(x, [1]), dims: [0], keepdim: false };
  return { src: x, dims, keepdim };
}
function reduceBy(op: string, x: Tensor, dim: Dims | undefined, keepdim: boolean): Tensor {
  const r = reduceArgs(op, x, dim, keepdim);
  return bind1(op, [r.src], { dims: r.dims, keepdim: r.keepdim });
}
/** Number of elements folded into each output of a reduction over `dims` (empty = all). */
function reducedCount(x: Tensor, dims: number[]): number {
  return dims.length ? dims.reduce((n, d) => n * x.shape[d], 1) : x.numel();
}

/** Sum over `dim` (all when omitted): `x.sum()`, `x.sum(1, true)`, `x.sum({dim: [0, 1], keepdim: true})`. Integer and bool sums are int64. */
export function sum(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: Dims; keepdim: boolean; dtype: DType }>("sum", args, ["dim", "keepdim", "dtype"], { dim: null, keepdim: false });
  const src = cast(x, a.dtype ?? sumDType(x.dtype));
  if (src.ndim === 0) return src;
  return bind1("sum", [src], { dims: normalizeDims("sum", a.dim, x.ndim), keepdim: !!a.keepdim });
}

/** Mean over `dim` (all when omitted) of a floating tensor (or pass `{dtype}`). @example x.mean(-1, true) */
export function mean(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: Dims; keepdim: boolean; dtype: DType }>("mean", args, ["dim", "keepdim", "dtype"], { dim: null, keepdim: false });
  const src = a.dtype ? cast(x, a.dtype) : x;
  if (!isFloating(src.dtype)) throw new TypeError(`mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${src.dtype}`);
  const dims = normalizeDims("mean", a.dim, x.ndim);
  return div(sum(src, a.dim, a.keepdim), reducedCount(x, dims));
}

/** Product over one dim (all when omitted); integer and bool products are int64. @example x.prod(1) */
export function prod(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: number | null; keepdim: boolean; dtype: DType }>("prod", args, ["dim", "keepdim", "dtype"], { dim: null, keepdim: false });
  return reduceBy("prod", cast(x, a.dtype ?? sumDType(x.dtype)), a.dim, !!a.keepdim);
}

function extremeAll(op: "amax" | "amin", x: Tensor, dim: Dims | undefined, keepdim: boolean): Tensor {
  return reduceBy(op, x, Array.isArray(dim) && dim.length === 0 ? null : dim, keepdim);
}
/** Maximum over `dim` (all when omitted); ties share the gradient evenly. @example x.amax([0, 1], true) */
export function amax(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: Dims; keepdim: boolean }>("amax", args, ["dim", "keepdim"], { dim: null, keepdim: false });
  return extremeAll("amax", x, a.dim, !!a.keepdim);
}
/** Minimum over `dim` (all when omitted); ties share the gradient evenly. */
export function amin(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: Dims; keepdim: boolean }>("amin", args, ["dim", "keepdim"], { dim: null, keepdim: false });
  return extremeAll("amin", x, a.dim, !!a.keepdim);
}

function extremeDim(op: "max" | "min", x: Tensor, args: unknown[]): Tensor | ValuesIndices {
  if (args[0] instanceof Tensor) return op === "max" ? maximum(x, args[0]) : minimum(x, args[0]);
  const a = parseArgs<{ dim: number | null; keepdim: boolean }>(op, args, ["dim", "keepdim"], { dim: null, keepdim: false });
  if (a.dim === null) {
    if (x.numel() === 0) throw new RangeError(`${op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`);
    return extremeAll(op === "max" ? "amax" : "amin", x, null, false);
  }
  const r = reduceArgs(op, x, a.dim, !!a.keepdim);
  const [values, indices] = bind(`${op}_dim`, [r.src], { dim: r.dims[0], keepdim: r.keepdim });
  return valuesIndices(values, indices);
}
/**
 * `x.max()`: the largest element (ties share the gradient). `x.max(dim, keepdim?)`: {values, indices} along
 * `dim` (also destructurable: `const [v, i] = x.max(1)`). `x.max(other)`: elementwise maximum.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, ...args: unknown[]): Tensor | ValuesIndices { return extremeDim("max", x, args); }
/** Like max, for the smallest values. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, ...args: unknown[]): Tensor | ValuesIndices { return extremeDim("min", x, args); }

function argExtreme(op: "argmax" | "argmin", x: Tensor, args: unknown[]): Tensor {
  const a = parseArgs<{ dim: number | null; keepdim: boolean }>(op, args, ["dim", "keepdim"], { dim: null, keepdim: false });
  if (a.dim === null) {
    if (x.numel() === 0) throw new RangeError(`${op}(): Expected reduction dim to be specified for input.numel() == 0.`);
    const flat = bind1(op, [reshape(x, [x.numel()])], { dim: 0, keepdim: false });
    return a.keepdim ? reshape(flat, x.shape.map(() => 1)) : flat;
  }
  const r = reduceArgs(op, x, a.dim, !!a.keepdim);
  return bind1(op, [r.src], { dim: r.dims[0], keepdim: r.keepdim });
}
/** Index of the largest element (of the flattened tensor when `dim` is omitted); the first one on ties. */
export function argmax(x: Tensor, ...args: unknown[]): Tensor { return argExtreme("argmax", x, args); }
/** Index of the smallest element (of the flattened tensor when `dim` is omitted); the first one on ties. */
export function argmin(x: Tensor, ...args: unknown[]): Tensor { return argExtreme("argmin", x, args); }

type VarArgs = { dim: Dims; unbiased: boolean; keepdim: boolean; correction: number };
function varArgs(op: string, args: unknown[]): VarArgs {
  // var(unbiased) is PyTorch's other positional form.
  if (typeof args[0] === "boolean") args = [null, ...args];
  const a = parseArgs<VarArgs>(op, args, ["dim", "unbiased", "keepdim", "correction"], { dim: null, unbiased: true, keepdim: false });
  return { ...a, correction: a.correction ?? (a.unbiased ? 1 : 0) };
}
function variance(op: string, x: Tensor, a: VarArgs): Tensor {
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: std and var only support floating point and complex dtypes (got ${x.dtype})`);
  const dims = normalizeDims(op, a.dim, x.ndim);
  const d = sub(x, mean(x, a.dim, true));
  return div(sum(mul(d, d), a.dim, a.keepdim), Math.max(0, reducedCount(x, dims) - a.correction));
}
/**
 * Variance over `dim` (all when omitted), dividing by N - correction (correction 1 = unbiased, the default).
 * @example x.var(1, false, true); x.var({ dim: 1, correction: 0 }); x.var(false)
 */
export function var_(x: Tensor, ...args: unknown[]): Tensor { return variance("var", x, varArgs("var", args)); }
/** Standard deviation: sqrt of var, with the same arguments. */
export function std(x: Tensor, ...args: unknown[]): Tensor { return sqrt(variance("std", x, varArgs("std", args))); }

/**
 * Vector norm over `dim` (all when omitted): p = 2 / "fro" (default), 1, Infinity, -Infinity, 0 or any p.
 * @example x.norm(); x.norm(1, -1, true); x.norm({ p: Infinity, dim: 0 })
 */
export function norm(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ p: number | "fro"; dim: Dims; keepdim: boolean; dtype: DType }>("norm", args, ["p", "dim", "keepdim", "dtype"], { p: "fro", dim: null, keepdim: false });
  const src = a.dtype ? cast(x, a.dtype) : x;
  if (!isFloating(src.dtype)) throw new TypeError(`norm(): input dtype should be either floating point or complex. Got ${src.dtype} instead.`);
  const p = a.p === "fro" ? 2 : a.p;
  if (typeof p !== "number") throw new RangeError(`norm: p must be a number or "fro", got ${JSON.stringify(a.p)}`);
  const ax = abs(src), keepdim = !!a.keepdim;
  if (p === Infinity) return extremeAll("amax", ax, a.dim, keepdim);
  if (p === -Infinity) return extremeAll("amin", ax, a.dim, keepdim);
  if (p === 0) return sum(cast(ne(src, 0), src.dtype), a.dim, keepdim);
  if (p === 1) return sum(ax, a.dim, keepdim);
  if (p === 2) return sqrt(sum(mul(src, src), a.dim, keepdim));
  return pow(sum(pow(ax, p), a.dim, keepdim), 1 / p);
}

/** log(sum(exp(x))) over `dim`, computed stably (the max is subtracted first). @example x.logsumexp(-1) */
export function logsumexp(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: Dims; keepdim: boolean }>("logsumexp", args, ["dim", "keepdim"], { keepdim: false }, { required: 1 });
  const src = isFloating(x.dtype) ? x : cast(x, "float32");
  // The shift is a constant for autograd: the result does not depend on it mathematically.
  const m0 = extremeAll("amax", src.detach(), a.dim, true);
  const m = where(isinf(m0), 0, m0);
  const r = add(log(sum(exp(sub(src, m)), a.dim, true)), m);
  return a.keepdim ? r : reshape(r, reducedShape(src.shape, normalizeDims("logsumexp", a.dim, src.ndim), false));
}

/** Running sum along `dim`; integer and bool inputs give int64. @example x.cumsum(0) */
export function cumsum(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: number; dtype: DType }>("cumsum", args, ["dim", "dtype"], {}, { required: 1 });
  const src = cast(x, a.dtype ?? sumDType(x.dtype));
  const dim = normalizeDim(a.dim, src.ndim, "cumsum");
  if (src.ndim === 0) return reshape(bind1("cumsum", [reshape(src, [1])], { dim: 0, reverse: false }), []);
  return bind1("cumsum", [src], { dim, reverse: false });
}

function topkOf(x: Tensor, k: number, dim: number, largest: boolean): ValuesIndices {
  const d = normalizeDim(dim, x.ndim, "topk");
  const src = x.ndim === 0 ? reshape(x, [1]) : x;
  let [values, indices] = bind("topk", [src], { k, dim: d, largest });
  if (x.ndim === 0) { values = reshape(values, []); indices = reshape(indices, []); }
  return valuesIndices(values, indices);
}
/** The `k` largest (or smallest) elements along `dim`, sorted, with their indices. @example const { values, indices } = x.topk(3) */
export function topk(x: Tensor, k: number | { k: number; dim?: number; largest?: boolean; sorted?: boolean }, ...args: unknown[]): ValuesIndices {
  const a = parseArgs<{ k: number; dim: number; largest: boolean; sorted: boolean }>("topk", [k, ...args], ["k", "dim", "largest", "sorted"], { dim: -1, largest: true, sorted: true }, { required: 1 });
  k = a.k;
  if (!Number.isInteger(k)) throw new TypeError(`topk(): k must be an integer, got ${k}`);
  return topkOf(x, k, a.dim, a.largest);
}
/**
 * Sorts along `dim` (ascending unless `descending`); equal elements keep their order (always stable).
 * @example const [values, indices] = x.sort(0, true); x.sort({ dim: 1, stable: true })
 */
export function sort(x: Tensor, ...args: unknown[]): ValuesIndices {
  const a = parseArgs<{ dim: number; descending: boolean; stable: boolean }>("sort", args, ["dim", "descending", "stable"], { dim: -1, descending: false, stable: false });
  const d = normalizeDim(a.dim, x.ndim, "sort");
  return topkOf(x, x.ndim === 0 ? 1 : x.shape[d], d, !!a.descending);
}

// ---- tensor methods ----------------------------------------------------------------------------

/** Options of the reductions that take dim/keepdim. */
export interface ReduceOptions { dim?: Dims; keepdim?: boolean; dtype?: DType }
type DimOpt = Dims | ReduceOptions;

declare module "../tensor/tensor" {
  interface Tensor {
    /** Sum over `dim` (all when omitted). */
    sum(dim?: DimOpt, keepdim?: boolean | ReduceOptions): Tensor;
    /** Mean over `dim` (all when omitted). */
    mean(dim?: DimOpt, keepdim?: boolean | ReduceOptions): Tensor;
    /** Product over one dim (all when omitted). */
    prod(dim?: number | null | ReduceOptions, keepdim?: boolean | ReduceOptions): Tensor;
    /** Maximum over `dim` (all when omitted). */
    amax(dim?: DimOpt, keepdim?: boolean | ReduceOptions): Tensor;
    /** Minimum over `dim` (all when omitted). */
    amin(dim?: DimOpt, keepdim?: boolean | ReduceOptions): Tensor;
    /** Largest element; or {values, indices} along `dim`; or the elementwise maximum with `other`. */
    max(): Tensor;
    max(other: Tensor): Tensor;
    max(dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean): ValuesIndices;
    /** Smallest element; or {values, indices} along `dim`; or the elementwise minimum with `other`. */
    min(): Tensor;
    min(other: Tensor): Tensor;
    min(dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean): ValuesIndices;
    /** Index of the largest element (flattened when `dim` is omitted). */
    argmax(dim?: number | null | { dim?: number | null; keepdim?: boolean }, keepdim?: boolean): Tensor;
    /** Index of the smallest element (flattened when `dim` is omitted). */
    argmin(dim?: number | null | { dim?: number | null; keepdim?: boolean }, keepdim?: boolean): Tensor;
    /** Variance (unbiased by default): `x.var(1)`, `x.var(1, false, true)`, `x.var({dim: 1, correction: 0})`. */
    var(dim?: Dims | boolean | Partial<VarArgs>, unbiased?: boolean | Partial<VarArgs>, keepdim?: boolean | Partial<VarArgs>): Tensor;
    /** Standard deviation, with var's arguments. */
    std(dim?: Dims | boolean | Partial<VarArgs>, unbiased?: boolean | Partial<VarArgs>, keepdim?: boolean | Partial<VarArgs>): Tensor;
    /** Vector norm: `x.norm()`, `x.norm(1, -1)`, `x.norm({p: Infinity, dim: 0})`. */
    norm(p?: number | "fro" | { p?: number | "fro"; dim?: Dims; keepdim?: boolean; dtype?: DType }, dim?: Dims, keepdim?: boolean): Tensor;
    /** Stable log(sum(exp(this))) over `dim`. */
    logsumexp(dim: Dims | { dim: Dims; keepdim?: boolean }, keepdim?: boolean): Tensor;
    /** Running sum along `dim`. */
    cumsum(dim: number | { dim: number; dtype?: DType }, opts?: { dtype?: DType }): Tensor;
    /** The k largest (or smallest) elements along `dim` with their indices. */
    topk(k: number | { k: number; dim?: number; largest?: boolean; sorted?: boolean }, dim?: number | { dim?: number; largest?: boolean; sorted?: boolean }, largest?: boolean, sorted?: boolean): ValuesIndices;
    /** Sorted values and indices along `dim` (stable). */
    sort(dim?: number | { dim?: number; descending?: boolean; stable?: boolean }, descending?: boolean): ValuesIndices;
  }
}
addTensorMethods({
  sum(...a: unknown[]) { return sum(this, ...a); },
  mean(...a: unknown[]) { return mean(this, ...a); },
  prod(...a: unknown[]) { return prod(this, ...a); },
  amax(...a: unknown[]) { return amax(this, ...a); },
  amin(...a: unknown[]) { return amin(this, ...a); },
  max(...a: unknown[]) { return extremeDim("max", this, a); },
  min(...a: unknown[]) { return extremeDim("min", this, a); },
  argmax(...a: unknown[]) { return argmax(this, ...a); },
  argmin(...a: unknown[]) { return argmin(this, ...a); },
  var(...a: unknown[]) { return var_(this, ...a); },
  std(...a: unknown[]) { return std(this, ...a); },
  norm(...a: unknown[]) { return norm(this, ...a); },
  logsumexp(...a: unknown[]) { return logsumexp(this, ...a); },
  cumsum(...a: unknown[]) { return cumsum(this, ...a); },
  topk(k: number | { k: number }, ...a: unknown[]) { return topk(this, k, ...a); },
  sort(...a: unknown[]) { return sort(this, ...a); },
});
