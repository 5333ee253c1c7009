/** Shape ops that every other family needs first: reshape/view. (Further movement ops live in their own files.) */
import { Tensor, numelOf } from "../tensor/tensor";
import { defineOp } from "./registry";
import { bind1 } from "./dispatch";
import { addTensorMethods } from "./methods";

/** Resolves a -1 in a target shape and checks the element count, with PyTorch's message. */
export function inferReshape(from: readonly number[], to: readonly number[]): number[] {
  const n = numelOf(from);
  const free = to.filter((d) => d === -1).length;
  if (free > 1) throw new RangeError("reshape: only one dimension can be inferred");
  const known = to.reduce((a, d) => (d === -1 ? a : a * d), 1);
  const out = to.map((d) => (d === -1 ? (known === 0 ? 0 : n / known) : d));
  if (out.some((d) => !Number.isInteger(d) || d < 0) || numelOf(out) !== n) {
    throw new RangeError(`shape '[${to.join(", ")}]' is invalid for input of size ${n}`);
  }
  return out;
}

defineOp<{ shape: number[] }>({
  name: "reshape",
  infer: ([x], { shape }) => [{ shape: inferReshape(x.shape, shape), dtype: x.dtype }],
  lower: (b, [x], _a, _i, [o]) => [b.op("Reshape", [x, b.int64s([...o.shape])])],
  vjp: ({ grads: [g], inputs: [x] }) => [reshape(g!, x.shape)],
  // Reshape of a dense row-major array is the same bytes: share the storage (a view, as in PyTorch).
  host: ([x]) => [x],
  hostMaxNumel: Infinity,
});

/** Returns a tensor with the same data and a new shape (one dim may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return bind1("reshape", [x], { shape: [...shape] });
}

declare module "../tensor/tensor" {
  interface Tensor {
    /** Same data, new shape: `x.reshape(2, -1)` or `x.reshape([2, -1])`. */
    reshape(...shape: number[] | [number[]]): Tensor;
    /** Same as reshape (flowbook tensors are always contiguous). */
    view(...shape: number[] | [number[]]): Tensor;
  }
}
const shapeOf = (args: (number | number[])[]) => (Array.isArray(args[0]) ? args[0] : args) as number[];
addTensorMethods({
  reshape(...s: (number | number[])[]) { return reshape(this, shapeOf(s)); },
  view(...s: (number | number[])[]) { return reshape(this, shapeOf(s)); },
});

// ---- expand & permute --------------------------------------------------------------------------

defineOp<{ shape: number[] }>({
  name: "expand",
  infer: ([x], { shape }) => {
    const lead = shape.length - x.shape.length;
    if (lead < 0) throw new RangeError(`expand: the number of sizes provided (${shape.length}) must be greater or equal to the number of dimensions in the tensor (${x.shape.length})`);
    const out = shape.map((d, i) => {
      const s = i < lead ? 1 : x.shape[i - lead];
      if (d === -1) { if (i < lead) throw new RangeError("expand: -1 is not allowed in a leading, non-existing dimension"); return s; }
      if (s !== 1 && s !== d) throw new RangeError(`The expanded size of the tensor (${d}) must match the existing size (${s}) at non-singleton dimension ${i}.  Target sizes: [${shape.join(", ")}].  Tensor sizes: [${x.shape.join(", ")}]`);
      return d;
    });
    return [{ shape: out, dtype: x.dtype }];
  },
  lower: (b, [x], _a, _i, [o]) => [b.op("Expand", [x, b.int64s([...o.shape])])],
  vjp: ({ grads: [g] }) => [g], // the engine sums the broadcast dimensions back to the input's shape
});

/** Broadcasts `x` to `shape` (-1 keeps a dimension). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length === x.ndim && shape.every((d, i) => d === -1 || d === x.shape[i])) return x;
  return bind1("expand", [x], { shape: [...shape] });
}

defineOp<{ dims: number[] }>({
  name: "permute",
  infer: ([x], { dims }) => {
    const seen = new Set(dims);
    if (dims.length !== x.shape.length || seen.size !== dims.length || dims.some((d) => d < 0 || d >= x.shape.length)) {
      throw new RangeError(`permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${x.shape.length} is not equal to len(dims) = ${dims.length}, or dims [${dims.join(", ")}] is not a permutation`);
    }
    return [{ shape: dims.map((d) => x.shape[d]), dtype: x.dtype }];
  },
  lower: (b, [x], { dims }) => [b.op("Transpose", [x], { perm: { ints: dims } })],
  vjp: ({ grads: [g], attrs: { dims } }) => {
    const inv = new Array<number>(dims.length);
    dims.forEach((d, i) => (inv[d] = i));
    return [bind1("permute", [g!], { dims: inv })];
  },
});

/** Reorders dimensions: `x.permute(0, 2, 3, 1)`. Negative dims count from the end. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const nd = dims.map((d) => (d < 0 ? d + x.ndim : d));
  if (nd.every((d, i) => d === i)) return x;
  return bind1("permute", [x], { dims: nd });
}

/** Swaps two dimensions. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const dims = [...Array(x.ndim).keys()];
  const a = dim0 < 0 ? dim0 + x.ndim : dim0, b = dim1 < 0 ? dim1 + x.ndim : dim1;
  if (a < 0 || a >= x.ndim || b < 0 || b >= x.ndim) throw new RangeError(`transpose: Dimension out of range (got ${dim0}, ${dim1} for a ${x.ndim}-D tensor)`);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

declare module "../tensor/tensor" {
  interface Tensor {
    /** Broadcasts to a larger shape without copying in PyTorch (a copy here). */
    expand(...shape: number[] | [number[]]): Tensor;
    /** Reorders dimensions. */
    permute(...dims: number[] | [number[]]): Tensor;
    /** Swaps two dimensions. */
    transpose(dim0: number, dim1: number): Tensor;
  }
}
addTensorMethods({
  expand(...s: (number | number[])[]) { return expand(this, shapeOf(s)); },
  permute(...s: (number | number[])[]) { return permute(this, shapeOf(s)); },
  transpose(a: number, b: number) { return transpose(this, a, b); },
});
