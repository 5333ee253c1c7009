/**
 * Shape and movement ops. Primitives: reshape (a view: the host kernel shares the storage), expand, permute,
 * concat, tile, and ./slicing's slice. Everything else here is derived from them and has no op entry:
 * flatten/unflatten/squeeze/unsqueeze are reshapes, flip is a slice with step -1, roll is two slices and a
 * cat, split/chunk/narrow/unbind are slices, stack is unsqueeze + concat.
 */
import { Tensor, numelOf, normalizeDim } from "../tensor/tensor";
import { promoteTypes } from "../tensor/dtype";
import { defineOp } from "./registry";
import { bind1 } from "./dispatch";
import { addTensorMethods } from "./methods";
import { cast } from "./elementwise";
import { normalizeDims } from "./reduce";
import { slice, select, fullRegion } from "./slicing";
import { clone } from "./transfer";
import { parseArgs, listArgs } from "./args";

/** Casts an overloaded public function to its `(x, ...args)` implementation form (for tensor methods). */
const fwd = (f: unknown) => f as (x: Tensor, ...r: unknown[]) => never;

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
export function reshape(x: Tensor, shape: readonly number[] | { shape: readonly number[] }): Tensor {
  const s = Array.isArray(shape) ? shape : parseArgs<{ shape: number[] }>("reshape", [shape], ["shape"], {}, { required: 1 }).shape;
  return bind1("reshape", [x], { shape: [...s] });
}

declare module "../tensor/tensor" {
  interface Tensor {
    /** Same data, new shape: `x.reshape(2, -1)` or `x.reshape([2, -1])`. */
    reshape(...shape: number[] | [number[]] | [{ shape: number[] }]): Tensor;
    /** Same as reshape (flowbook tensors are always contiguous). */
    view(...shape: number[] | [number[]] | [{ size: number[] }]): Tensor;
  }
}
addTensorMethods({
  reshape(...s: unknown[]) { return reshape(this, listArgs("reshape", s, "shape")); },
  view(...s: unknown[]) { return reshape(this, listArgs("view", s, "size")); },
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
export function expand(x: Tensor, shape: readonly number[] | { size: readonly number[] }): Tensor {
  if (!Array.isArray(shape)) shape = parseArgs<{ size: number[] }>("expand", [shape], ["size"], {}, { required: 1 }).size;
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
export function permute(x: Tensor, dims: readonly number[] | { dims: readonly number[] }): Tensor {
  if (!Array.isArray(dims)) dims = parseArgs<{ dims: number[] }>("permute", [dims], ["dims"], {}, { required: 1 }).dims;
  const nd = dims.map((d) => (d < 0 ? d + x.ndim : d));
  if (nd.every((d, i) => d === i)) return x;
  return bind1("permute", [x], { dims: nd });
}

/** Swaps two dimensions. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor;
export function transpose(x: Tensor, opts: { dim0: number; dim1: number }): Tensor;
export function transpose(x: Tensor, ...args: unknown[]): Tensor {
  const { dim0, dim1 } = parseArgs<{ dim0: number; dim1: number }>("transpose", args, ["dim0", "dim1"], {}, { required: 2 });
  const dims = [...Array(x.ndim).keys()];
  const a = dim0 < 0 ? dim0 + x.ndim : dim0, b = dim1 < 0 ? dim1 + x.ndim : dim1;
  if (a < 0 || a >= x.ndim || b < 0 || b >= x.ndim) throw new RangeError(`transpose: Dimension out of range (got ${dim0}, ${dim1} for a ${x.ndim}-D tensor)`);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

declare module "../tensor/tensor" {
  interface Tensor {
    /** Broadcasts to a larger shape without copying in PyTorch (a copy here). */
    expand(...shape: number[] | [number[]] | [{ size: number[] }]): Tensor;
    /** Reorders dimensions. */
    permute(...dims: number[] | [number[]] | [{ dims: number[] }]): Tensor;
    /** Swaps two dimensions: `x.transpose(0, 1)` or `x.transpose({ dim0: 0, dim1: 1 })`. */
    transpose(dim0: number | { dim0: number; dim1: number }, dim1?: number): Tensor;
  }
}
addTensorMethods({
  expand(...s: unknown[]) { return expand(this, listArgs("expand", s, "size")); },
  permute(...s: unknown[]) { return permute(this, listArgs("permute", s, "dims")); },
  transpose(...a: unknown[]) { return fwd(transpose)(this, ...a); },
});

// ---- concat & tile: the two movement primitives besides reshape/expand/permute and ./slicing's slice ---

defineOp<{ axis: number }>({
  name: "concat",
  infer: (xs, { axis }) => {
    const first = xs[0];
    xs.forEach((x, i) => {
      if (x.shape.length !== first.shape.length) throw new RangeError(`Tensors must have same number of dimensions: got ${first.shape.length} and ${x.shape.length}`);
      if (x.dtype !== first.dtype) throw new TypeError(`cat: tensor ${i} has dtype ${x.dtype}, tensor 0 has ${first.dtype} (the public function promotes)`);
      x.shape.forEach((s, d) => {
        if (d !== axis && s !== first.shape[d]) throw new RangeError(`Sizes of tensors must match except in dimension ${axis}. Expected size ${first.shape[d]} but got size ${s} for tensor number ${i} in the list.`);
      });
    });
    const shape = [...first.shape];
    shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
    return [{ shape, dtype: first.dtype }];
  },
  lower: (b, xs, { axis }) => [b.op("Concat", xs, { axis: { i: axis } })],
  vjp: ({ grads: [g], inputs, attrs: { axis } }) => {
    let at = 0;
    return inputs.map((x) => { const r = narrow(g!, axis, at, x.shape[axis]); at += x.shape[axis]; return r; });
  },
  host: (xs, { axis }, inMeta, [o]) => {
    const out = new (xs[0].constructor as new (n: number) => Float32Array)(numelOf(o.shape));
    const outer = numelOf(o.shape.slice(0, axis));
    const blocks = inMeta.map((m) => numelOf(m.shape.slice(axis)));
    let pos = 0;
    for (let r = 0; r < outer; r++) {
      xs.forEach((x, i) => { out.set((x as Float32Array).subarray(r * blocks[i], (r + 1) * blocks[i]), pos); pos += blocks[i]; });
    }
    return [out as never];
  },
  hostMaxNumel: 1 << 16,
});

defineOp<{ repeats: number[] }>({
  name: "tile",
  infer: ([x], { repeats }) => {
    if (repeats.length !== x.shape.length || repeats.some((r) => !Number.isInteger(r) || r < 0)) throw new RangeError(`repeat: repeats [${repeats.join(", ")}] do not fit a tensor of shape [${x.shape.join(", ")}]`);
    return [{ shape: x.shape.map((s, d) => s * repeats[d]), dtype: x.dtype }];
  },
  lower: (b, [x], { repeats }) => [b.op("Tile", [x, b.int64s(repeats)])],
  // The cotangent, viewed as [r0, s0, r1, s1, ...], summed over the repeat axes.
  vjp: ({ grads: [g], inputs: [x], attrs: { repeats } }) => {
    const split = x.shape.flatMap((s, d) => [repeats[d], s]);
    const axes = repeats.map((_, d) => 2 * d);
    if (!axes.length) return [g];
    return [reshape(bind1("sum", [reshape(g!, split)], { dims: axes, keepdim: false }), x.shape)];
  },
});

// ---- derived shape ops -------------------------------------------------------------------------

/** Flattens dims startDim..endDim into one: `x.flatten(1)` turns [N, C, H, W] into [N, C*H*W]. */
export function flatten(x: Tensor, startDim?: number | { startDim?: number; endDim?: number }, endDim?: number): Tensor;
export function flatten(x: Tensor, ...args: unknown[]): Tensor {
  const { startDim, endDim } = parseArgs<{ startDim: number; endDim: number }>("flatten", args, ["startDim", "endDim"], { startDim: 0, endDim: -1 });
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.ndim, "flatten"), e = normalizeDim(endDim, x.ndim, "flatten");
  if (s > e) throw new RangeError("flatten() has invalid args: start_dim cannot come after end_dim");
  return reshape(x, [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Splits dim `dim` into `sizes` (one may be -1): `x.unflatten(1, [C, H, W])`. */
export function unflatten(x: Tensor, dim: number, sizes: number[]): Tensor;
export function unflatten(x: Tensor, opts: { dim: number; sizes: number[] }): Tensor;
export function unflatten(x: Tensor, ...args: unknown[]): Tensor {
  const { dim, sizes } = parseArgs<{ dim: number; sizes: number[] }>("unflatten", args, ["dim", "sizes"], {}, { required: 2 });
  const d = normalizeDim(dim, x.ndim, "unflatten");
  const known = sizes.reduce((a, s) => (s === -1 ? a : a * s), 1);
  const inferred = sizes.map((s) => (s === -1 ? x.shape[d] / known : s));
  if (sizes.length === 0 || sizes.filter((s) => s === -1).length > 1 || !inferred.every(Number.isInteger) || numelOf(inferred) !== x.shape[d]) {
    throw new RangeError(`unflatten: Provided sizes [${sizes.join(", ")}] don't multiply up to the size of dim ${dim} (${x.shape[d]}) in the input tensor`);
  }
  return reshape(x, [...x.shape.slice(0, d), ...inferred, ...x.shape.slice(d + 1)]);
}

/** Transposes a 2-D tensor (0-D and 1-D are returned as is). */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new RangeError(`t() expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/** Removes size-1 dims (all, or only `dim`, which may be a list). */
export function squeeze(x: Tensor, dim?: number | number[] | null | { dim?: number | number[] | null }): Tensor {
  if (dim !== null && typeof dim === "object" && !Array.isArray(dim)) dim = parseArgs<{ dim: number | number[] | null }>("squeeze", [dim], ["dim"]).dim;
  const dims = dim === undefined || dim === null ? null : (Array.isArray(dim) ? dim : [dim]).map((d) => normalizeDim(d, x.ndim, "squeeze"));
  const shape = x.shape.filter((s, i) => s !== 1 || (dims !== null && !dims.includes(i)));
  return shape.length === x.ndim ? x : reshape(x, shape);
}

/** Inserts a size-1 dim at `dim` (in [-ndim-1, ndim]). */
export function unsqueeze(x: Tensor, dim: number | { dim: number }): Tensor {
  if (typeof dim !== "number") dim = parseArgs<{ dim: number }>("unsqueeze", [dim], ["dim"], {}, { required: 1 }).dim;
  const d = normalizeDim(dim, x.ndim + 1, "unsqueeze");
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** Broadcasts `x` to `other`'s shape. */
export const expandAs = (x: Tensor, other: Tensor | { other: Tensor }): Tensor =>
  expand(x, (other instanceof Tensor ? other : parseArgs<{ other: Tensor }>("expand_as", [other], ["other"], {}, { required: 1 }).other).shape);

/** Tiles `x` (ONNX Tile): `x.repeat(2, 1)`; more repeats than dims prepend new dims. */
export function repeat(x: Tensor, repeats: number[] | { repeats: number[] }): Tensor {
  if (!Array.isArray(repeats)) repeats = parseArgs<{ repeats: number[] }>("repeat", [repeats], ["repeats"], {}, { required: 1 }).repeats;
  if (repeats.length < x.ndim) throw new RangeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  const lead = repeats.length - x.ndim;
  const src = lead ? reshape(x, [...new Array(lead).fill(1), ...x.shape]) : x;
  if (repeats.every((r) => r === 1)) return clone(src);
  return bind1("tile", [src], { repeats: [...repeats] });
}

function promoteAll(op: string, xs: readonly Tensor[]): Tensor[] {
  if (!xs.length) throw new RangeError(`${op} expects a non-empty TensorList`);
  let dtype = xs[0].dtype;
  for (const x of xs) dtype = promoteTypes(dtype, x.dtype);
  return xs.map((x) => cast(x, dtype));
}

/** Concatenates along `dim` (dtypes promote; 1-D empty tensors are skipped, as in PyTorch). */
export function cat(tensors: readonly Tensor[], dim?: number | { dim?: number }): Tensor;
export function cat(opts: { tensors: readonly Tensor[]; dim?: number }): Tensor;
export function cat(...args: unknown[]): Tensor {
  const { tensors, dim } = parseArgs<{ tensors: readonly Tensor[]; dim: number }>("cat", args, ["tensors", "dim"], { dim: 0 }, { required: 1 });
  const xs = promoteAll("torch.cat(): expected a non-empty list of Tensors;", tensors);
  const kept = xs.filter((x) => !(x.ndim === 1 && x.shape[0] === 0));
  if (!kept.length) return clone(xs[0]);
  const axis = normalizeDim(dim, kept[0].ndim, "cat");
  return kept.length === 1 ? clone(kept[0]) : bind1("concat", kept, { axis });
}
/** Alias of cat. */
export const concat = cat;

/** Stacks equal-shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim?: number | { dim?: number }): Tensor;
export function stack(opts: { tensors: readonly Tensor[]; dim?: number }): Tensor;
export function stack(...args: unknown[]): Tensor {
  const { tensors, dim } = parseArgs<{ tensors: readonly Tensor[]; dim: number }>("stack", args, ["tensors", "dim"], { dim: 0 }, { required: 1 });
  const xs = promoteAll("stack", tensors);
  xs.forEach((x, i) => {
    if (x.shape.join() !== xs[0].shape.join()) throw new RangeError(`stack expects each tensor to be equal size, but got [${xs[0].shape.join(", ")}] at entry 0 and [${x.shape.join(", ")}] at entry ${i}`);
  });
  const d = normalizeDim(dim, xs[0].ndim + 1, "stack");
  const ys = xs.map((x) => unsqueeze(x, d));
  return ys.length === 1 ? clone(ys[0]) : bind1("concat", ys, { axis: d });
}

/** `length` elements of dim `dim` from `start`. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor;
export function narrow(x: Tensor, opts: { dim: number; start: number; length: number }): Tensor;
export function narrow(x: Tensor, ...args: unknown[]): Tensor {
  const { dim, start, length } = parseArgs<{ dim: number; start: number; length: number }>("narrow", args, ["dim", "start", "length"], {}, { required: 3 });
  const d = normalizeDim(dim, x.ndim, "narrow");
  const size = x.shape[d];
  if (!Number.isInteger(start) || start < -size || start > size) throw new RangeError(`start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`);
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(length) || length < 0 || s + length > size) throw new RangeError(`start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  return slice(x, d, s, s + length);
}

/** Splits into pieces of `splitSize` (the last may be smaller) or of the listed sizes, along `dim`. */
export function split(x: Tensor, splitSizeOrSections: number | number[], dim?: number | { dim?: number }): Tensor[];
export function split(x: Tensor, opts: { splitSizeOrSections: number | number[]; dim?: number }): Tensor[];
export function split(x: Tensor, ...args: unknown[]): Tensor[] {
  const { splitSizeOrSections, dim } = parseArgs<{ splitSizeOrSections: number | number[]; dim: number }>("split", args, ["splitSizeOrSections", "dim"], { dim: 0 }, { required: 1 });
  const d = normalizeDim(dim, x.ndim, "split");
  const size = x.shape[d];
  let sizes: number[];
  if (Array.isArray(splitSizeOrSections)) {
    sizes = splitSizeOrSections;
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((a, b) => a + b, 0) !== size) {
      throw new RangeError(`split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${d}), but got split_sizes=[${sizes.join(", ")}]`);
    }
  } else {
    const n = splitSizeOrSections;
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`split expects split_size be non-negative, but got split_size=${n}`);
    if (n === 0 && size !== 0) throw new RangeError(`split_size can only be 0 if dimension size is 0, but got dimension size of ${size}`);
    sizes = n === 0 ? [0] : Array.from({ length: Math.max(1, Math.ceil(size / n)) }, (_, i) => Math.min(n, size - i * n));
  }
  let at = 0;
  return sizes.map((s) => { const r = slice(x, d, at, at + s); at += s; return r; });
}

/** Splits into `chunks` nearly equal pieces along `dim` (possibly fewer, as in PyTorch). */
export function chunk(x: Tensor, chunks: number, dim?: number | { dim?: number }): Tensor[];
export function chunk(x: Tensor, opts: { chunks: number; dim?: number }): Tensor[];
export function chunk(x: Tensor, ...args: unknown[]): Tensor[] {
  const { chunks, dim } = parseArgs<{ chunks: number; dim: number }>("chunk", args, ["chunks", "dim"], { dim: 0 }, { required: 1 });
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const d = normalizeDim(dim, x.ndim, "chunk");
  return split(x, Math.ceil(x.shape[d] / chunks) || 0, d);
}

/** The slices along `dim`, each without that dim. */
export function unbind(x: Tensor, ...args: [dim?: number] | [{ dim?: number }]): Tensor[] {
  const { dim } = parseArgs<{ dim: number }>("unbind", args, ["dim"], { dim: 0 });
  const d = normalizeDim(dim, x.ndim, "unbind");
  return Array.from({ length: x.shape[d] }, (_, i) => select(x, d, i));
}

/** Reverses the order of elements along `dims` (a Slice with step -1). */
export function flip(x: Tensor, dims: number | number[] | { dims: number | number[] }): Tensor {
  if (!Array.isArray(dims)) dims = typeof dims === "number" ? [dims] : listArgs("flip", [dims], "dims");
  const ds = normalizeDims("flip", dims, x.ndim);
  const r = fullRegion(x.shape);
  for (const d of ds) { if (x.shape[d] > 1) { r.starts[d] = x.shape[d] - 1; r.steps[d] = -1; } }
  const y = slice(x, r);
  return y === x ? clone(x) : y; // flip always copies in PyTorch
}

/** Rotates elements along `dims` by `shifts` (two slices and a cat); flattened when dims is omitted. */
export function roll(x: Tensor, shifts: number | number[], dims?: number | number[] | null | { dims?: number | number[] | null }): Tensor;
export function roll(x: Tensor, opts: { shifts: number | number[]; dims?: number | number[] | null }): Tensor;
export function roll(x: Tensor, ...args: unknown[]): Tensor {
  const { shifts, dims } = parseArgs<{ shifts: number | number[]; dims: number | number[] | null }>("roll", args, ["shifts", "dims"], { dims: null }, { required: 1 });
  const sh = Array.isArray(shifts) ? shifts : [shifts];
  if (dims === undefined || dims === null || (Array.isArray(dims) && dims.length === 0)) {
    if (sh.length !== 1) throw new RangeError(`shifts and dimensions must align. shifts: ${sh.length}, dims:0`);
    return reshape(roll(reshape(x, [-1]), sh[0], 0), x.shape);
  }
  if (sh.every((s) => s === 0)) return clone(x);
  const ds = Array.isArray(dims) ? dims : [dims];
  if (ds.length !== sh.length) throw new RangeError(`shifts and dimensions must align. shifts: ${sh.length}, dims:${ds.length}`);
  return ds.reduce((y, dim, i) => {
    const d = normalizeDim(dim, y.ndim, "roll"), n = y.shape[d];
    const k = n === 0 ? 0 : ((sh[i] % n) + n) % n;
    return k === 0 ? y : cat([slice(y, d, n - k, n), slice(y, d, 0, n - k)], d);
  }, x);
}

/** Flowbook tensors are always dense and row-major: returns `x` itself, as PyTorch does for contiguous tensors. */
export const contiguous = (x: Tensor): Tensor => x;

/** Moves dims `source` to positions `destination` (ints or equal-length lists), keeping the others in order. */
export function movedim(x: Tensor, source: number | number[], destination: number | number[]): Tensor;
export function movedim(x: Tensor, opts: { source: number | number[]; destination: number | number[] }): Tensor;
export function movedim(x: Tensor, ...args: unknown[]): Tensor {
  const { source, destination } = parseArgs<{ source: number | number[]; destination: number | number[] }>("movedim", args, ["source", "destination"], {}, { required: 2 });
  const src = (Array.isArray(source) ? source : [source]).map((d) => normalizeDim(d, x.ndim, "movedim"));
  const dst = (Array.isArray(destination) ? destination : [destination]).map((d) => normalizeDim(d, x.ndim, "movedim"));
  if (src.length !== dst.length) throw new RangeError(`movedim: Invalid source or destination dims: source (${JSON.stringify(source)} dims) should contain the same number of dims as destination (${JSON.stringify(destination)} dims)`);
  if (new Set(src).size !== src.length || new Set(dst).size !== dst.length) throw new RangeError("movedim: repeated dim in `source` or `destination`");
  const perm = new Array<number>(x.ndim).fill(-1);
  src.forEach((s, i) => (perm[dst[i]] = s));
  const rest = [...Array(x.ndim).keys()].filter((d) => !src.includes(d));
  for (let i = 0, j = 0; i < perm.length; i++) if (perm[i] === -1) perm[i] = rest[j++];
  return permute(x, perm);
}

declare module "../tensor/tensor" {
  interface Tensor {
    /** Flattens dims startDim..endDim into one: `x.flatten(1)` or `x.flatten({ startDim: 1 })`. */
    flatten(startDim?: number | { startDim?: number; endDim?: number }, endDim?: number): Tensor;
    /** Splits one dim into several sizes. */
    unflatten(dim: number | { dim: number; sizes: number[] }, sizes?: number[]): Tensor;
    /** Transpose of a ≤2-D tensor. */
    t(): Tensor;
    /** Removes size-1 dims (all, or `dim`). */
    squeeze(dim?: number | number[] | null | { dim?: number | number[] | null }): Tensor;
    /** Inserts a size-1 dim. */
    unsqueeze(dim: number | { dim: number }): Tensor;
    /** Broadcasts to `other`'s shape. */
    expandAs(other: Tensor | { other: Tensor }): Tensor;
    /** Tiles: `x.repeat(2, 3)` or `x.repeat([2, 3])`. */
    repeat(...repeats: number[] | [number[]] | [{ repeats: number[] }]): Tensor;
    /** Pieces of `splitSize` or of the listed sizes along `dim`. */
    split(splitSizeOrSections: number | number[] | { splitSizeOrSections: number | number[]; dim?: number }, dim?: number | { dim?: number }): Tensor[];
    /** `chunks` nearly equal pieces along `dim`. */
    chunk(chunks: number | { chunks: number; dim?: number }, dim?: number | { dim?: number }): Tensor[];
    /** Slices along `dim`, each without it. */
    unbind(dim?: number | { dim?: number }): Tensor[];
    /** `length` elements of `dim` from `start`. */
    narrow(dim: number | { dim: number; start: number; length: number }, start?: number, length?: number): Tensor;
    /** Reverses along dims: `x.flip(0)` or `x.flip([0, 1])`. */
    flip(...dims: number[] | [number[]] | [{ dims: number | number[] }]): Tensor;
    /** Rotates along dims (flattened when omitted). */
    roll(shifts: number | number[] | { shifts: number | number[]; dims?: number | number[] | null }, dims?: number | number[] | null | { dims?: number | number[] | null }): Tensor;
    /** This tensor (flowbook tensors are always contiguous). */
    contiguous(): Tensor;
    /** Moves dims to new positions. */
    movedim(source: number | number[] | { source: number | number[]; destination: number | number[] }, destination?: number | number[]): Tensor;
  }
}
addTensorMethods({
  flatten(...a: unknown[]) { return fwd(flatten)(this, ...a); },
  unflatten(...a: unknown[]) { return fwd(unflatten)(this, ...a); },
  t() { return t(this); },
  squeeze(...a: unknown[]) { return fwd(squeeze)(this, ...a); },
  unsqueeze(...a: unknown[]) { return fwd(unsqueeze)(this, ...a); },
  expandAs(...a: unknown[]) { return fwd(expandAs)(this, ...a); },
  repeat(...r: unknown[]) { return repeat(this, listArgs("repeat", r, "repeats")); },
  split(...a: unknown[]) { return fwd(split)(this, ...a); },
  chunk(...a: unknown[]) { return fwd(chunk)(this, ...a); },
  unbind(...a: unknown[]) { return fwd(unbind)(this, ...a); },
  narrow(...a: unknown[]) { return fwd(narrow)(this, ...a); },
  flip(...d: unknown[]) { return flip(this, listArgs("flip", d, "dims")); },
  roll(...a: unknown[]) { return fwd(roll)(this, ...a); },
  contiguous() { return this; },
  movedim(...a: unknown[]) { return fwd(movedim)(this, ...a); },
});
