/**
 * Matrix products. `matmul` follows numpy/PyTorch semantics (1-D promotion, batch broadcasting); `linear` is
 * its own entry (x @ wᵀ + b in one session call, the hot op of every MLP); mm, bmm, dot, outer and einsum are
 * derived from matmul, permute, reshape, mul and sum.
 */
import { Tensor, numelOf } from "../tensor/tensor";
import { TypedArray, allocArray, DType, writeNumber } from "../tensor/dtype";
import { defineOp, Meta } from "./registry";
import { bind1 } from "./dispatch";
import { broadcastShapes } from "./broadcast";
import { addTensorMethods } from "./methods";
import { reshape, transpose, permute, expand } from "./shape";
import { mul } from "./elementwise";
import { parseArgs } from "./args";
import { sum } from "./reduce";

// Host matmul kernels pay off only while the arithmetic is cheaper than a session call (~7 µs).
const HOST_MAX_MACS = 16384;
const HOST = new Set<DType>(["float32", "float64"]);

/** out[b] = a[b] (m×k) @ bᵀ-or-b (k×n) for `batch` matrices; `bT` reads b as n×k (linear's weight). */
function hostGemm(A: Float64Array, B: Float64Array, out: Float64Array, batch: number, m: number, k: number, n: number, bT: boolean, aStep: number, bStep: number): void {
  for (let q = 0; q < batch; q++) {
    const ao = q * aStep, bo = q * bStep, oo = q * m * n;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      if (bT) for (let p = 0; p < k; p++) s += A[ao + i * k + p] * B[bo + j * k + p];
      else for (let p = 0; p < k; p++) s += A[ao + i * k + p] * B[bo + p * n + j];
      out[oo + i * n + j] = s;
    }
  }
}

const matShape = (s: readonly number[]) => (s.length === 2 ? `${s[0]}x${s[1]}` : `[${s.join(", ")}]`);

defineOp<{}>({
  name: "matmul",
  infer: ([a, b]) => {
    if (a.dtype !== b.dtype) throw new TypeError(`expected m1 and m2 to have the same dtype, but got: ${a.dtype} != ${b.dtype}`);
    if (a.shape.length === 0 || b.shape.length === 0) throw new RangeError("both arguments to matmul need to be at least 1D, but they are " + `${a.shape.length}D and ${b.shape.length}D`);
    const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
    const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
    const [m, k] = as.slice(-2), [k2, n] = bs.slice(-2);
    if (k !== k2) {
      throw new RangeError(a.shape.length <= 2 && b.shape.length <= 2
        ? `mat1 and mat2 shapes cannot be multiplied (${matShape(as)} and ${matShape(bs)})`
        : `matmul: inner dimensions differ: ${matShape(a.shape)} @ ${matShape(b.shape)} (${k} != ${k2})`);
    }
    const batch = broadcastShapes("matmul", as.slice(0, -2), bs.slice(0, -2));
    const shape = [...batch, ...(a.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])];
    return [{ shape, dtype: a.dtype }];
  },
  lower: (b, [x, y]) => [b.op("MatMul", [x, y])],
  vjp: ({ grads: [g], inputs: [a, b] }) => {
    // Work in ≥2-D form, then reshape back; the engine sums broadcast batch dims.
    const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
    const b2 = b.ndim === 1 ? reshape(b, [b.shape[0], 1]) : b;
    const gShape = [...g!.shape.slice(0, g!.ndim - (a.ndim === 1 ? 0 : 1) - (b.ndim === 1 ? 0 : 1))];
    const g2 = reshape(g!, [...gShape, a2.shape[a2.ndim - 2], b2.shape[b2.ndim - 1]]);
    let ga = matmul(g2, transpose(b2, -1, -2));
    let gb = matmul(transpose(a2, -1, -2), g2);
    if (a.ndim === 1) ga = reshape(ga, [...ga.shape.slice(0, -2), a.shape[0]]);
    if (b.ndim === 1) gb = reshape(gb, [...gb.shape.slice(0, -2), b.shape[0]]);
    return [ga, gb];
  },
  // Small float products without batch broadcasting: both operands have the same batch dims (or none).
  host: ([x, y], _a, [am, bm], [o]) => {
    if (!HOST.has(am.dtype)) return null;
    const as = am.shape.length === 1 ? [1, am.shape[0]] : am.shape, bs = bm.shape.length === 1 ? [bm.shape[0], 1] : bm.shape;
    const batchA = as.slice(0, -2), batchB = bs.slice(0, -2);
    if (batchB.length && batchA.join() !== batchB.join()) return null;
    const [m, k] = as.slice(-2), n = bs[bs.length - 1], batch = numelOf(batchA);
    if (batch * m * n * k > HOST_MAX_MACS) return null;
    const out = allocArray(o.dtype, batch * m * n);
    hostGemm(x as Float64Array, y as Float64Array, out as Float64Array, batch, m, k, n, false, m * k, batchB.length ? k * n : 0);
    return [out];
  },
});

const TORCH_TYPE: Record<string, string> = { float32: "Float", float64: "Double", float16: "Half", bfloat16: "BFloat16", int64: "Long", int32: "Int", int8: "Char", uint8: "Byte", bool: "Bool" };
/** PyTorch does not promote in matrix products: mixed dtypes raise its error (torch 1.13's wording). */
function sameDType(a: Tensor, b: Tensor): void {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new TypeError(`matmul(): expected two Tensors, got ${a instanceof Tensor ? typeof b : typeof a}`);
  if (a.dtype === b.dtype) return;
  if (a.ndim === 1 && b.ndim === 1) throw new TypeError(`dot : expected both vectors to have same dtype, but found ${TORCH_TYPE[a.dtype]} and ${TORCH_TYPE[b.dtype]}`);
  throw new TypeError(`expected scalar type ${TORCH_TYPE[a.dtype]} but found ${TORCH_TYPE[b.dtype]}`);
}

/**
 * Matrix product with broadcasting: `a.matmul(b)` (1-D operands are promoted as in PyTorch). Both operands
 * must have one dtype, as in PyTorch (`expected scalar type Long but found Float`): cast first.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  sameDType(a, b);
  return bind1("matmul", [a, b]);
}

/** Product of two matrices (both 2-D, no broadcasting). @example flow.mm(a, b) */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2) throw new RangeError(`mm: self must be a matrix (got a ${a.ndim}-D tensor of shape [${a.shape.join(", ")}])`);
  if (b.ndim !== 2) throw new RangeError(`mm: mat2 must be a matrix (got a ${b.ndim}-D tensor of shape [${b.shape.join(", ")}])`);
  return matmul(a, b);
}

/** Batched product of 3-D tensors [b, n, m] @ [b, m, p] (no broadcasting). @example flow.bmm(q, k) */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3) throw new RangeError(`bmm: batch1 must be a 3D tensor (got shape [${a.shape.join(", ")}])`);
  if (b.ndim !== 3) throw new RangeError(`bmm: batch2 must be a 3D tensor (got shape [${b.shape.join(", ")}])`);
  if (a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new RangeError(`bmm: Expected size for first two dimensions of batch2 tensor to be: [${a.shape[0]}, ${a.shape[2]}] but got: [${b.shape[0]}, ${b.shape[1]}].`);
  }
  return matmul(a, b);
}

/** Inner product of two 1-D tensors (a 0-d result). */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new RangeError(`dot: 1D tensors expected, but got ${a.ndim}D and ${b.ndim}D tensors`);
  if (a.shape[0] !== b.shape[0]) throw new RangeError(`dot: inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`);
  return matmul(a, b);
}

/** Outer product of two 1-D tensors: out[i, j] = a[i] * b[j]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1) throw new RangeError(`outer: Expected 1-D argument self, but got ${a.ndim}-D`);
  if (b.ndim !== 1) throw new RangeError(`outer: Expected 1-D argument vec2, but got ${b.ndim}-D`);
  return mul(reshape(a, [a.shape[0], 1]), b);
}

// ---- linear ------------------------------------------------------------------------------------

function _linearShape([x, w, b]: readonly Meta[]): Meta[] {
  if (x.dtype !== w.dtype || (b && b.dtype !== x.dtype)) throw new TypeError(`linear: expected input, weight${b ? " and bias" : ""} to have one dtype, got ${[x, w, b].filter(Boolean).map((m) => m!.dtype).join(", ")}`);
  if (w.shape.length !== 2) throw new RangeError(`linear: weight must be 2-D [out_features, in_features], got [${w.shape.join(", ")}]`);
  if (x.shape.length === 0) throw new RangeError("linear: input must be at least 1-D, got a 0-d tensor");
  const inF = x.shape[x.shape.length - 1], [outF, inW] = w.shape;
  if (inF !== inW) {
    const rows = numelOf(x.shape.slice(0, -1));
    throw new RangeError(`mat1 and mat2 shapes cannot be multiplied (${rows}x${inF} and ${inW}x${outF})`);
  }
  const shape = [...x.shape.slice(0, -1), outF];
  if (b && broadcastShapes("linear", shape, b.shape).join() !== shape.join()) throw new RangeError(`linear: bias of shape [${b.shape.join(", ")}] does not broadcast to the output shape [${shape.join(", ")}]`);
  return [{ shape, dtype: x.dtype }];
}

defineOp<{}>({
  name: "linear",
  infer: _linearShape,
  lower: (b, [x, w, bias]) => {
    const y = b.op("MatMul", [x, b.op("Transpose", [w], { perm: { ints: [1, 0] } })]);
    return [bias === undefined ? y : b.op("Add", [y, bias])];
  },
  vjp: ({ grads: [g], inputs: [x, w, b] }) => {
    const [outF, inF] = w.shape;
    const gw = matmul(transpose(reshape(g!, [-1, outF]), 0, 1), reshape(x, [-1, inF]));
    return b ? [matmul(g!, w), gw, g!] : [matmul(g!, w), gw];
  },
  host: ([x, w, bias], _a, [xm, wm, bm], [o]) => {
    if (!HOST.has(xm.dtype) || (bm && bm.shape.length > 1)) return null;
    const [outF, inF] = wm.shape, rows = numelOf(xm.shape.slice(0, -1));
    if (rows * inF * outF > HOST_MAX_MACS) return null;
    const out = allocArray(o.dtype, rows * outF) as Float64Array;
    hostGemm(x as Float64Array, w as Float64Array, out, 1, rows, inF, outF, true, 0, 0);
    if (bias) { const B = bias as Float64Array, step = B.length === 1 ? 0 : 1; for (let i = 0; i < out.length; i++) out[i] += B[(i % outF) * step]; }
    return [out as TypedArray];
  },
});

/**
 * `x @ weightᵀ + bias` over the last dim of `x` (weight is [out_features, in_features]), as
 * torch.nn.functional.linear. @example flow.linear(x, w, b)
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null | { bias?: Tensor | null }): Tensor;
export function linear(x: Tensor, opts: { weight: Tensor; bias?: Tensor | null }): Tensor;
export function linear(x: Tensor, ...args: unknown[]): Tensor {
  const { weight, bias } = parseArgs<{ weight: Tensor; bias: Tensor | null }>("linear", args, ["weight", "bias"], { bias: null }, { required: 1 });
  sameDType(x, weight);
  if (!bias) return bind1("linear", [x, weight]);
  sameDType(x, bias);
  return bind1("linear", [x, weight, bias]);
}

// ---- einsum ------------------------------------------------------------------------------------

/** A tensor whose dims are named by einsum labels (one character each; ellipsis dims get private labels). */
interface Labeled { t: Tensor; labels: string[] }

const ELLIPSIS_BASE = 0x100; // labels for ellipsis dims, counted from the right: never a letter

function parseOperand(spec: string, t: Tensor, i: number): string[] {
  const parts = spec.split("...");
  if (parts.length > 2) throw new SyntaxError(`einsum(): found more than one ellipsis ('...') in operand ${i}`);
  for (const c of spec.replace("...", "")) if (!/[a-zA-Z]/.test(c)) throw new SyntaxError(`einsum(): invalid subscript given at index ${spec.indexOf(c)} in the equation string, subscripts must be in [a-zA-Z]`);
  const named = parts.join("").length;
  if (parts.length === 1 ? named !== t.ndim : named > t.ndim) {
    throw new RangeError(`einsum(): the number of subscripts in the equation (${named}) does not match the number of dimensions (${t.ndim}) for operand ${i}${parts.length === 1 ? " and no ellipsis was given" : ""}`);
  }
  const nEll = t.ndim - named;
  const ell = Array.from({ length: parts.length === 2 ? nEll : 0 }, (_, j) => String.fromCharCode(ELLIPSIS_BASE + nEll - 1 - j));
  return parts.length === 2 ? [...parts[0], ...ell, ...parts[1]] : [...parts[0]];
}

/** Takes the diagonal of a dim label repeated within one operand ("ii->i") by masking and summing. */
function diagonalize(op: Labeled, size: Map<string, number>): Labeled {
  let { t, labels } = op;
  for (let q = labels.length - 1; q >= 0; q--) {
    const p = labels.indexOf(labels[q]);
    if (p === q) continue;
    const n = t.shape[p], eyeShape = t.shape.map((_, d) => (d === p || d === q ? n : 1));
    const eye = allocArray(t.dtype, n * n);
    for (let i = 0; i < n; i++) writeNumber(t.dtype, eye, i * n + i, 1);
    t = sum(mul(t, Tensor._fromArray(eye, eyeShape, t.dtype, t.device)), q);
    labels = labels.filter((_, d) => d !== q);
  }
  return { t, labels };
}

/** Sums dims whose labels are not in `keep`. */
function sumOut(op: Labeled, keep: Set<string>): Labeled {
  const dims = op.labels.flatMap((l, d) => (keep.has(l) ? [] : [d]));
  if (!dims.length) return op;
  return { t: sum(op.t, dims), labels: op.labels.filter((l) => keep.has(l)) };
}

/** Contracts two operands with one batched matmul: [batch, left, contracted] @ [batch, contracted, right]. */
function contract(a: Labeled, b: Labeled, keep: Set<string>, size: Map<string, number>): Labeled {
  const inB = new Set(b.labels), inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const left = a.labels.filter((l) => !inB.has(l)), right = b.labels.filter((l) => !inA.has(l));
  const n = (ls: string[]) => ls.reduce((p, l) => p * size.get(l)!, 1);
  const arrange = (op: Labeled, order: string[], shape: number[]) => {
    const full = expand(op.t, op.labels.map((l) => size.get(l)!)); // size-1 dims broadcast, as PyTorch allows
    return reshape(permute(full, order.map((l) => op.labels.indexOf(l))), shape);
  };
  const A = arrange(a, [...batch, ...left, ...summed], [n(batch), n(left), n(summed)]);
  const B = arrange(b, [...batch, ...summed, ...right], [n(batch), n(summed), n(right)]);
  const labels = [...batch, ...left, ...right];
  return { t: reshape(matmul(A, B), labels.map((l) => size.get(l)!)), labels };
}

/**
 * Einstein summation: `flow.einsum("bij,bjk->bik", a, b)`, also `("ij->ji", x)`, `("ii->i", x)`, `("i,j->ij", a, b)`,
 * ellipsis (`"...ij,...jk"`) and implicit output (`"ij,jk"`). Operands are contracted pairwise, left to right,
 * each pair by one batched matmul after permute/reshape; single-operand labels are summed first.
 */
export function einsum(equation: string, ...operands: (Tensor | Tensor[])[]): Tensor {
  const ts = operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : (operands as Tensor[]);
  const eq = equation.replace(/\s+/g, "");
  const [lhs, rhs] = eq.includes("->") ? eq.split("->") : [eq, null];
  const specs = lhs.split(",");
  if (specs.length > ts.length) throw new RangeError("einsum(): fewer operands were provided than specified in the equation");
  if (specs.length < ts.length) throw new RangeError("einsum(): more operands were provided than specified in the equation");
  const size = new Map<string, number>();
  let ops: Labeled[] = specs.map((s, i) => {
    const labels = parseOperand(s, ts[i], i);
    labels.forEach((l, d) => {
      const n = ts[i].shape[d], seen = size.get(l);
      if (seen !== undefined && seen !== n && seen !== 1 && n !== 1) {
        throw new RangeError(`einsum(): subscript ${l.charCodeAt(0) >= ELLIPSIS_BASE ? "..." : l} has size ${n} for operand ${i} which does not broadcast with previously seen size ${seen}`);
      }
      size.set(l, seen === undefined || seen === 1 ? n : seen);
    });
    return { t: ts[i], labels };
  });
  const ellipsis = [...size.keys()].filter((l) => l.charCodeAt(0) >= ELLIPSIS_BASE).sort().reverse();
  const counts = new Map<string, number>();
  for (const op of ops) for (const l of op.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let out: string[];
  if (rhs === null) out = [...ellipsis, ...[...counts.keys()].filter((l) => counts.get(l) === 1 && !ellipsis.includes(l)).sort()];
  else {
    out = rhs.includes("...") ? [...rhs.split("...")[0], ...ellipsis, ...rhs.split("...")[1]] : [...rhs];
    for (const l of out) if (!size.has(l)) throw new RangeError(`einsum(): output subscript ${l} does not appear in the equation for any input operand`);
    if (new Set(out).size !== out.length) throw new RangeError(`einsum(): output subscript appears more than once in the output`);
  }
  ops = ops.map((op) => diagonalize(op, size));
  // A label is kept while the output or a later operand still needs it.
  const needed = (from: number) => new Set([...out, ...ops.slice(from).flatMap((o) => o.labels)]);
  let acc = sumOut(ops[0], needed(1));
  for (let i = 1; i < ops.length; i++) {
    const keep = needed(i + 1);
    acc = contract(acc, sumOut(ops[i], new Set([...keep, ...acc.labels])), keep, size);
  }
  acc = sumOut(acc, new Set(out));
  const full = expand(acc.t, acc.labels.map((l) => size.get(l)!));
  return permute(full, out.map((l) => acc.labels.indexOf(l)));
}

declare module "../tensor/tensor" {
  interface Tensor {
    /** Matrix product. */
    matmul(other: Tensor): Tensor;
    /** Product of two matrices. */
    mm(other: Tensor): Tensor;
    /** Batched matrix product of 3-D tensors. */
    bmm(other: Tensor): Tensor;
    /** Inner product of 1-D tensors. */
    dot(other: Tensor): Tensor;
    /** Outer product of 1-D tensors. */
    outer(other: Tensor): Tensor;
  }
}
addTensorMethods({
  matmul(o: Tensor) { return matmul(this, o); },
  mm(o: Tensor) { return mm(this, o); },
  bmm(o: Tensor) { return bmm(this, o); },
  dot(o: Tensor) { return dot(this, o); },
  outer(o: Tensor) { return outer(this, o); },
});
