/**
 * Indexing with index tensors. Primitives: `gather` (ONNX GatherElements), `scatter` (ScatterElements, with
 * reduction "add"/"mul"), `indexSelect` (Gather on one axis), `gatherND` / `scatterND` (the engine of advanced
 * indexing in ./slicing). Gathers send gradients back by scatter-adding into zeros; scatters mask them.
 * Derived (no op entry): scatterAdd, indexAdd, takeAlongDim, maskedFill, maskedSelect; nonzero reads data on
 * the host (its output shape depends on values), so it cannot be traced.
 *
 * Index values are checked on the host before ONNX Runtime sees them, with PyTorch's messages
 * ("index 5 is out of bounds for dimension 0 with size 3"); tensors being traced by nn.Graph are not checked.
 */
import { Tensor, normalizeDim, numelOf } from "../tensor/tensor";
import { DType, TypedArray } from "../tensor/dtype";
import { full } from "../tensor/creation";
import { defineOp, Meta } from "./registry";
import { bind1 } from "./dispatch";
import { addTensorMethods } from "./methods";
import { parseArgs } from "./args";
import { isFloating } from "../tensor/dtype";
import { int, str } from "../onnx/proto";
import { reshape, expand } from "./shape";
import { broadcastShapes } from "./broadcast";
import { cast, where, scalarTensor, TensorOrScalar } from "./elementwise";

const newLike = (x: TypedArray, n: number): TypedArray => new (x.constructor as new (n: number) => TypedArray)(n);
const zerosOf = (shape: readonly number[], like: Tensor) => full([...shape], 0, { dtype: like.dtype, device: like.device });

/**
 * Checks every value of an index tensor against `size` (PyTorch's message names `dim`) and returns it with
 * negative values wrapped. Traced (symbolic) indices are wrapped with ops instead, unchecked.
 */
export function checkIndices(idx: Tensor, size: number, dim: number, msg?: (v: number) => string): Tensor {
  if (idx.isSymbolic) return where(idx.lt(0), idx.add(size), idx);
  const data = idx._host() as BigInt64Array;
  let negative = false;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v < -size || v >= size) throw new RangeError(msg ? msg(v) : `index ${v} is out of bounds for dimension ${dim} with size ${size}`);
    if (v < 0) negative = true;
  }
  if (!negative) return idx;
  const fixed = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) fixed[i] = data[i] < 0n ? data[i] + BigInt(size) : data[i];
  return Tensor._fromArray(fixed, [...idx.shape], "int64", idx.device);
}

function requireInt64(op: string, idx: Meta): void {
  if (idx.dtype !== "int64") throw new TypeError(`${op}(): Expected dtype int64 for index (got ${idx.dtype})`);
}

/**
 * An index tensor as int64. JS numbers have no integer type, so `flow.tensor([0, 2])` is float32; where
 * PyTorch decides by dtype, flowbook accepts any integer dtype, and a floating tensor whose values are all
 * integral (checked on the host, NaN/inf/fractions rejected naming the op and argument), converting it to
 * int64. Bool tensors are refused (they are masks, not indices).
 */
export function asIndex(op: string, arg: string, t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}(): argument '${arg}' must be a Tensor, got ${typeof t}`);
  if (t.dtype === "int64") return t;
  if (t.dtype === "bool") throw new TypeError(`${op}(): Expected dtype int64 for ${arg} (got bool; use a mask function such as maskedSelect for masks)`);
  if (isFloating(t.dtype) && !t.isSymbolic) {
    const v = cast(t, "float64")._host() as Float64Array;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isInteger(v[i])) throw new TypeError(`${op}(): ${arg} is a ${t.dtype} tensor used as indices, but it holds the non-integral value ${v[i]}; pass integers (or an int64 tensor)`);
    }
  }
  return cast(t, "int64");
}

// ---- gather / scatter along one dim (GatherElements / ScatterElements) -------------------------------

/** Shape rule shared by gather and scatter: same rank, index no larger than `self` off `dim`. */
function checkElementsIndex(op: string, self: Meta, idx: Meta, dim: number, src?: Meta): void {
  requireInt64(op, idx);
  if (idx.shape.length !== self.shape.length) throw new RangeError(`${op}(): Index tensor must have the same number of dimensions as ${op === "gather" ? "input" : "self"} tensor`);
  const bad = idx.shape.some((s, d) => d !== dim && s > self.shape[d]) || (src && idx.shape.some((s, d) => s > src.shape[d]));
  if (bad) {
    const other = src ? ` and to be smaller than src [${src.shape.join(", ")}]` : "";
    throw new RangeError(`${op}(): Expected index [${idx.shape.join(", ")}] to be smaller than self [${self.shape.join(", ")}] apart from dimension ${dim}${other}`);
  }
}

defineOp<{ dim: number }>({
  name: "gather",
  infer: ([x, idx], { dim }) => {
    checkElementsIndex("gather", x, idx, dim);
    if (idx.shape.some((s, d) => d !== dim && s !== x.shape[d])) throw new RangeError("gather: the public function slices self to the index's shape first");
    return [{ shape: [...idx.shape], dtype: x.dtype }];
  },
  lower: (b, [x, idx], { dim }) => [b.op("GatherElements", [x, idx], { axis: int(dim) })],
  vjp: ({ grads: [g], inputs: [x, idx], attrs: { dim } }) => [bind1("scatter", [zerosOf(x.shape, g!), idx, g!], { dim, reduction: "add" }), null],
  // Same shape off `dim` (the public function crops): element i moves along `dim` only.
  host: ([x, idx], { dim }, [xm], [o]) => {
    const out = newLike(x, idx.length), I = idx as BigInt64Array;
    const inner = numelOf(xm.shape.slice(dim + 1)), xs = xm.shape[dim], is = o.shape[dim];
    for (let i = 0; i < I.length; i++) {
      const after = i % inner, before = Math.floor(i / (inner * is));
      out[i] = x[(before * xs + Number(I[i])) * inner + after];
    }
    return [out];
  },
});

type Reduction = "none" | "add" | "mul";

defineOp<{ dim: number; reduction: Reduction }>({
  name: "scatter",
  infer: ([x, idx, src], { dim }) => {
    checkElementsIndex("scatter", x, idx, dim, src);
    if (src.dtype !== x.dtype) throw new TypeError(`scatter(): Expected self.dtype to be equal to src.dtype (got ${x.dtype} and ${src.dtype})`);
    if (src.shape.join() !== idx.shape.join()) throw new RangeError("scatter: the public function slices src to the index's shape first");
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  lower: (b, [x, idx, src], { dim, reduction }) => [b.op("ScatterElements", [x, idx, src], { axis: int(dim), reduction: str(reduction) })],
  vjp: ({ grads: [g], inputs: [, idx], attrs: { dim, reduction } }) => {
    if (reduction === "mul") throw new Error("the derivative for 'scatter' with reduce='multiply' is not implemented");
    const gSelf = reduction === "add" ? g! : bind1("scatter", [g!, idx, zerosOf(idx.shape, g!)], { dim, reduction: "none" });
    return [gSelf, null, gather(g!, dim, idx)];
  },
});

/** Crops `t` to `shape` on every dim (gather and scatter read only the index-shaped corner). */
function cropTo(t: Tensor, shape: readonly number[]): Tensor {
  if (t.shape.every((s, d) => s === shape[d])) return t;
  const r = { starts: shape.map(() => 0), steps: shape.map(() => 1), sizes: shape.map((s, d) => (d < t.ndim ? Math.min(s, t.shape[d]) : s)) };
  return bind1("slice", [t], r);
}

/**
 * `out[i][j] = x[i][index[i][j]]` for dim 1 (PyTorch's gather). `index` has x's rank; a float tensor of
 * integral values is accepted as indices (see asIndex). `sparseGrad` is accepted and ignored (dense here).
 * @example x.gather(1, idx); flow.gather(x, { dim: 1, index: idx })
 */
export function gather(x: Tensor, dim: number, index: Tensor, opts?: { sparseGrad?: boolean }): Tensor;
export function gather(x: Tensor, opts: { dim: number; index: Tensor; sparseGrad?: boolean }): Tensor;
export function gather(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: number; index: Tensor; sparseGrad: boolean }>("gather", args, ["dim", "index", "sparseGrad"], {}, { required: 2 });
  return gatherImpl(x, a.dim, asIndex("gather", "index", a.index));
}
function gatherImpl(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim(dim, x.ndim, "gather");
  checkElementsIndex("gather", x, index, d);
  const idx = checkIndices(index, x.shape[d] ?? 1, d);
  const src = cropTo(x, idx.shape.map((s, k) => (k === d ? x.shape[k] : s)));
  return bind1("gather", [src, idx], { dim: d });
}

function scatterImpl(op: string, x: Tensor, dim: number, index: Tensor, src: TensorOrScalar, reduction: Reduction): Tensor {
  const d = normalizeDim(dim, x.ndim, op);
  const s = src instanceof Tensor ? src : scalarTensor(src, x.dtype, x);
  index = asIndex(op, "index", index);
  checkElementsIndex(op, x, index, d, s.ndim === 0 ? undefined : s);
  const idx = checkIndices(index, x.shape[d] ?? 1, d);
  const vals = s.ndim === 0 ? expand(s, idx.shape) : cropTo(s, idx.shape);
  return bind1("scatter", [x, idx, vals], { dim: d, reduction });
}

/**
 * Writes `src` (a tensor, or a scalar value) into a copy of `x` at `index` along `dim`:
 * `out[index[i][j]][j] = src[i][j]` for dim 0. `reduce: "add" | "multiply"` combines instead of overwriting.
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: TensorOrScalar, reduce?: ScatterReduce | { reduce?: ScatterReduce }): Tensor;
export function scatter(x: Tensor, opts: { dim: number; index: Tensor; src: TensorOrScalar; reduce?: ScatterReduce }): Tensor;
export function scatter(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: number; index: Tensor; src: TensorOrScalar; reduce: ScatterReduce | null }>("scatter", args, ["dim", "index", "src", "reduce"], { reduce: null }, { required: 3 });
  const red: Reduction = a.reduce === null ? "none" : a.reduce === "add" ? "add" : a.reduce === "multiply" ? "mul" : badReduce(a.reduce);
  return scatterImpl("scatter", x, a.dim, a.index, a.src, red);
}
function badReduce(r: unknown): never { throw new RangeError(`reduce argument must be either add or multiply (got ${JSON.stringify(r)})`); }

/** `scatter` with reduce "add": repeated indices add up. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor;
export function scatterAdd(x: Tensor, opts: { dim: number; index: Tensor; src: Tensor }): Tensor;
export function scatterAdd(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: number; index: Tensor; src: Tensor }>("scatter_add", args, ["dim", "index", "src"], {}, { required: 3 });
  return scatterImpl("scatter_add", x, a.dim, a.index, a.src, "add");
}

// ---- index_select (Gather on one axis) ----------------------------------------------------------

defineOp<{ dim: number }>({
  name: "indexSelect",
  infer: ([x, idx], { dim }) => {
    if (idx.dtype !== "int64") throw new TypeError(`index_select(): Expected dtype int32 or int64 for index (got ${idx.dtype})`);
    if (idx.shape.length !== 1) throw new RangeError("index_select(): Index is supposed to be a vector");
    return [{ shape: x.shape.map((s, d) => (d === dim ? idx.shape[0] : s)), dtype: x.dtype }];
  },
  lower: (b, [x, idx], { dim }) => [b.op("Gather", [x, idx], { axis: int(dim) })],
  host: ([x, idx], { dim }, [xm], [o]) => {
    const out = newLike(x, numelOf(o.shape)), I = idx as BigInt64Array;
    const inner = numelOf(xm.shape.slice(dim + 1)), outer = numelOf(xm.shape.slice(0, dim)), xs = xm.shape[dim];
    for (let b = 0, k = 0; b < outer; b++) {
      for (let j = 0; j < I.length; j++, k += inner) {
        const from = (b * xs + Number(I[j])) * inner;
        (out as Float32Array).set((x as Float32Array).subarray(from, from + inner), k);
      }
    }
    return [out];
  },
  vjp: ({ grads: [g], inputs: [x, idx], attrs: { dim } }) => [indexAdd(zerosOf(x.shape, g!), dim, idx, g!), null],
});

/**
 * Rows (or slices along `dim`) of `x` picked by a 1-D `index`: `x.indexSelect(0, idx)`. Integer index
 * tensors of any dtype, and float tensors of integral values, are accepted (see asIndex).
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor;
export function indexSelect(x: Tensor, opts: { dim: number; index: Tensor }): Tensor;
export function indexSelect(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: number; index: Tensor }>("index_select", args, ["dim", "index"], {}, { required: 2 });
  const d = normalizeDim(a.dim, x.ndim, "index_select");
  const index = asIndex("index_select", "index", a.index);
  if (index.ndim > 1) throw new RangeError("index_select(): Index is supposed to be a vector");
  const idx = index.ndim === 0 ? reshape(index, [1]) : index;
  if (x.ndim === 0) return bind1("indexSelect", [reshape(x, [1]), checkIndices(idx, 1, 0, () => "index out of range in self")], { dim: 0 }).reshape([]);
  return bind1("indexSelect", [x, checkIndices(idx, x.shape[d], d, () => "index out of range in self")], { dim: d });
}

/** `x` with `alpha * source` added at the positions `index` picks along `dim` (PyTorch's index_add). */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, alpha?: number | { alpha?: number }): Tensor;
export function indexAdd(x: Tensor, opts: { dim: number; index: Tensor; source: Tensor; alpha?: number }): Tensor;
export function indexAdd(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: number; index: Tensor; source: Tensor; alpha: number }>("index_add", args, ["dim", "index", "source", "alpha"], { alpha: 1 }, { required: 3 });
  const d = normalizeDim(a.dim, x.ndim, "index_add");
  const index = asIndex("index_add", "index", a.index), alpha = a.alpha;
  const src = alpha === 1 ? a.source : a.source.mul(alpha);
  if (index.ndim > 1) throw new RangeError("index_add_(): Index is supposed to be a vector");
  const n = index.numel();
  if (src.ndim !== x.ndim || src.shape[d] !== n) {
    throw new RangeError(`index_add_(): Number of indices (${n}) should be equal to source.size(dim) (${src.shape[d]}), source [${src.shape.join(", ")}]`);
  }
  const idxShape = x.shape.map((_, k) => (k === d ? n : 1));
  const idx = expand(reshape(index, idxShape), src.shape);
  return scatterImpl("index_add", x, d, idx, src, "add");
}

// ---- gatherND / scatterND: advanced indexing ----------------------------------------------------

function checkND(op: string, x: Meta, idx: Meta): number {
  requireInt64(op, idx);
  const k = idx.shape[idx.shape.length - 1];
  if (idx.shape.length === 0 || k > x.shape.length) throw new RangeError(`${op}: index of shape [${idx.shape.join(", ")}] cannot address a tensor of shape [${x.shape.join(", ")}]`);
  return k;
}

defineOp<{}>({
  name: "gatherND",
  infer: ([x, idx]) => {
    const k = checkND("gatherND", x, idx);
    return [{ shape: [...idx.shape.slice(0, -1), ...x.shape.slice(k)], dtype: x.dtype }];
  },
  lower: (b, [x, idx]) => [b.op("GatherND", [x, idx])],
  host: ([x, idx], _a, [xm, im], [o]) => {
    const k = im.shape[im.shape.length - 1], inner = numelOf(xm.shape.slice(k)), I = idx as BigInt64Array;
    const strides = xm.shape.slice(0, k).map((_, d) => numelOf(xm.shape.slice(d + 1)));
    const out = newLike(x, numelOf(o.shape)), n = I.length / Math.max(k, 1);
    for (let i = 0; i < n; i++) {
      let from = 0;
      for (let d = 0; d < k; d++) from += Number(I[i * k + d]) * strides[d];
      (out as Float32Array).set((x as Float32Array).subarray(from, from + inner), i * inner);
    }
    return [out];
  },
  vjp: ({ grads: [g], inputs: [x, idx] }) => [scatterND(zerosOf(x.shape, g!), idx, g!, "add"), null],
});

defineOp<{ reduction: Reduction }>({
  name: "scatterND",
  infer: ([x, idx, upd]) => {
    const k = checkND("scatterND", x, idx);
    const want = [...idx.shape.slice(0, -1), ...x.shape.slice(k)];
    if (upd.shape.join() !== want.join()) throw new RangeError(`scatterND: updates have shape [${upd.shape.join(", ")}], expected [${want.join(", ")}]`);
    if (upd.dtype !== x.dtype) throw new TypeError(`Index put requires the source and destination dtypes match, got ${x.dtype} for the destination and ${upd.dtype} for the source.`);
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  lower: (b, [x, idx, upd], { reduction }) => [b.op("ScatterND", [x, idx, upd], { reduction: str(reduction) })],
  host: ([x, idx, upd], { reduction }, [xm, im]) => scatterNDHost(x, xm.shape, idx as BigInt64Array, im.shape, upd, reduction),
  vjp: ({ grads: [g], inputs: [, idx, upd], attrs: { reduction } }) => {
    if (reduction === "mul") throw new Error("the derivative for 'index_put' with a multiply reduction is not implemented");
    const gSelf = reduction === "add" ? g! : scatterND(g!, idx, zerosOf(upd.shape, g!), "none");
    return [gSelf, null, gatherND(g!, idx)];
  },
});

// ONNX Runtime's ScatterND rejects an empty index tensor, which empty masks produce; the host kernel handles it.
function scatterNDHost(x: TypedArray, xShape: readonly number[], idx: BigInt64Array, iShape: readonly number[], upd: TypedArray, reduction: Reduction): TypedArray[] | null {
  if (reduction !== "none" && !(x instanceof Float32Array || x instanceof Float64Array || x instanceof Int32Array)) return null;
  const k = iShape[iShape.length - 1], inner = numelOf(xShape.slice(k)), n = idx.length / Math.max(k, 1);
  const strides = xShape.slice(0, k).map((_, d) => numelOf(xShape.slice(d + 1)));
  const out = x.slice();
  for (let i = 0; i < n; i++) {
    let base = 0;
    for (let d = 0; d < k; d++) base += Number(idx[i * k + d]) * strides[d];
    for (let j = 0; j < inner; j++) {
      if (reduction === "none") out[base + j] = upd[i * inner + j];
      else if (reduction === "add") (out as Float32Array)[base + j] += (upd as Float32Array)[i * inner + j];
      else (out as Float32Array)[base + j] *= (upd as Float32Array)[i * inner + j];
    }
  }
  return [out];
}

/** @internal x[idx[..., 0], idx[..., 1], ...]: idx is int64 [...batch, k], values already in range. */
export function gatherND(x: Tensor, idx: Tensor): Tensor { return bind1("gatherND", [x, idx]); }
/** @internal The transpose of gatherND: `x` with the addressed slices set to (or combined with) `updates`. */
export function scatterND(x: Tensor, idx: Tensor, updates: Tensor, reduction: Reduction = "none"): Tensor {
  return bind1("scatterND", [x, idx, updates], { reduction });
}

// ---- derived: takeAlongDim, maskedFill, maskedSelect, nonzero ------------------------------------

/** Values of `x` at `indices` along `dim`, broadcasting the other dims (flattened when `dim` is omitted). */
export function takeAlongDim(x: Tensor, indices: Tensor, dim?: number | null | { dim?: number | null }): Tensor;
export function takeAlongDim(x: Tensor, opts: { indices: Tensor; dim?: number | null }): Tensor;
export function takeAlongDim(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ indices: Tensor; dim: number | null }>("take_along_dim", args, ["indices", "dim"], { dim: null }, { required: 1 });
  const indices = asIndex("take_along_dim", "indices", a.indices), dim = a.dim;
  if (dim === undefined || dim === null) return gather(reshape(x, [-1]), 0, reshape(indices, [-1]));
  const d = normalizeDim(dim, x.ndim, "take_along_dim");
  if (indices.ndim !== x.ndim) throw new RangeError(`torch.take_along_dim(): input and indices should have the same number of dimensions, but got ${x.ndim} dimensions for input, and ${indices.ndim} dimensions for indices`);
  const bx = x.shape.map((s, k) => (k === d ? s : -1)), bi = indices.shape.map((s, k) => (k === d ? s : -1));
  const common = broadcastShapes("take_along_dim", x.shape.map((s, k) => (k === d ? 1 : s)), indices.shape.map((s, k) => (k === d ? 1 : s)));
  return gather(expand(x, common.map((s, k) => (bx[k] === -1 ? s : bx[k]))), d, expand(indices, common.map((s, k) => (bi[k] === -1 ? s : bi[k]))));
}

function checkMask(op: string, mask: Tensor): Tensor {
  if (mask.dtype === "uint8") return cast(mask, "bool");
  if (mask.dtype !== "bool") throw new TypeError(`${op} only supports boolean masks, but got mask with dtype ${mask.dtype}`);
  return mask;
}

/** `x` with `value` where `mask` is true (mask broadcasts; a value tensor must be 0-d). */
export function maskedFill(x: Tensor, mask: Tensor, value: TensorOrScalar): Tensor;
export function maskedFill(x: Tensor, opts: { mask: Tensor; value: TensorOrScalar }): Tensor;
export function maskedFill(x: Tensor, ...args: unknown[]): Tensor {
  const { mask, value } = parseArgs<{ mask: Tensor; value: TensorOrScalar }>("masked_fill", args, ["mask", "value"], {}, { required: 2 });
  const m = checkMask("masked_fill_", mask);
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new RangeError(`masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s).`);
    return bind1("where", [m, cast(value, x.dtype), x]);
  }
  return bind1("where", [m, scalarTensor(value, x.dtype, x), x]);
}

/** Elements of `x` where `mask` (broadcast together) is true, as a 1-D tensor. */
export function maskedSelect(x: Tensor, mask: Tensor | { mask: Tensor }): Tensor {
  const m0 = parseArgs<{ mask: Tensor }>("masked_select", [mask], ["mask"], {}, { required: 1 }).mask;
  const m = checkMask("masked_select", m0);
  const shape = broadcastShapes("masked_select", x.shape, m.shape);
  const flatIdx = nonzero(reshape(expand(m, shape), [-1]), true) as Tensor[];
  return indexSelect(reshape(expand(x, shape), [-1]), 0, flatIdx[0]);
}

/**
 * Indices of the non-zero elements: an int64 tensor [n, ndim], or with `asTuple` one 1-D tensor per dim.
 * Reads the data on the host (the output's size depends on the values).
 */
export function nonzero(x: Tensor, ...args: [asTuple?: boolean] | [{ asTuple?: boolean }]): Tensor | Tensor[] {
  const opts = parseArgs<{ asTuple: boolean }>("nonzero", args, ["asTuple"], { asTuple: false });
  const data = x._host("nonzero()");
  const isNZ = nonzeroTest(x.dtype, data);
  const hits: number[] = [];
  for (let i = 0; i < data.length; i++) if (isNZ(i)) hits.push(i);
  const nd = x.ndim, n = hits.length;
  const cols = Array.from({ length: Math.max(nd, 1) }, () => new BigInt64Array(n));
  hits.forEach((flat, j) => {
    for (let d = nd - 1; d >= 0; d--) { cols[d][j] = BigInt(flat % x.shape[d]); flat = Math.floor(flat / x.shape[d]); }
  });
  if (opts.asTuple) return (nd === 0 ? [new BigInt64Array(n)] : cols).map((c) => Tensor._fromArray(c, [n], "int64", x.device));
  const out = new BigInt64Array(n * nd);
  for (let j = 0; j < n; j++) for (let d = 0; d < nd; d++) out[j * nd + d] = cols[d][j];
  return Tensor._fromArray(out, [n, nd], "int64", x.device);
}

function nonzeroTest(dtype: DType, data: TypedArray): (i: number) => boolean {
  if (dtype === "float16" || dtype === "bfloat16") return (i) => ((data as Uint16Array)[i] & 0x7fff) !== 0;
  if (dtype === "int64") return (i) => (data as BigInt64Array)[i] !== 0n;
  return (i) => (data as Float32Array)[i] !== 0;
}

type ScatterReduce = "add" | "multiply";
declare module "../tensor/tensor" {
  interface Tensor {
    /** Values along `dim` at `index` (same rank as this): `x.gather(1, idx)` or `x.gather({ dim: 1, index: idx })`. */
    gather(dim: number | { dim: number; index: Tensor }, index?: Tensor): Tensor;
    /** Copy with `src` written at `index` along `dim` (reduce "add"/"multiply" to combine). */
    scatter(dim: number | { dim: number; index: Tensor; src: TensorOrScalar; reduce?: ScatterReduce }, index?: Tensor, src?: TensorOrScalar, reduce?: ScatterReduce | { reduce?: ScatterReduce }): Tensor;
    /** Copy with `src` added at `index` along `dim`. */
    scatterAdd(dim: number | { dim: number; index: Tensor; src: Tensor }, index?: Tensor, src?: Tensor): Tensor;
    /** Slices along `dim` picked by a 1-D index. */
    indexSelect(dim: number | { dim: number; index: Tensor }, index?: Tensor): Tensor;
    /** Copy with `alpha * source` added at `index` along `dim`. */
    indexAdd(dim: number | { dim: number; index: Tensor; source: Tensor; alpha?: number }, index?: Tensor, source?: Tensor, alpha?: number | { alpha?: number }): Tensor;
    /** Gather with broadcasting (flattened when dim is omitted). */
    takeAlongDim(indices: Tensor | { indices: Tensor; dim?: number | null }, dim?: number | null | { dim?: number | null }): Tensor;
    /** Copy with `value` where `mask` is true. */
    maskedFill(mask: Tensor | { mask: Tensor; value: TensorOrScalar }, value?: TensorOrScalar): Tensor;
    /** 1-D tensor of the elements where `mask` is true. */
    maskedSelect(mask: Tensor | { mask: Tensor }): Tensor;
    /** Indices of non-zero elements ([n, ndim] int64, or one tensor per dim with asTuple). */
    nonzero(asTuple?: boolean | { asTuple?: boolean }): Tensor | Tensor[];
  }
}
const fwd = (f: (x: Tensor, ...a: unknown[]) => unknown) => function (this: Tensor, ...a: unknown[]) { return f(this, ...a); };
addTensorMethods({
  gather: fwd(gather as never), scatter: fwd(scatter as never), scatterAdd: fwd(scatterAdd as never),
  indexSelect: fwd(indexSelect as never), indexAdd: fwd(indexAdd as never), takeAlongDim: fwd(takeAlongDim as never),
  maskedFill: fwd(maskedFill as never), maskedSelect: fwd(maskedSelect as never), nonzero: fwd(nonzero as never),
});
