/**
 * Slicing: one `slice` primitive (a start, step and length per dimension; negative steps allowed) and its
 * transpose `sliceScatter` (a base with one strided region replaced). They are each other's gradient, the
 * way JAX pairs slice with pad. On top of them: `x.slice(dim, start, end, step)`, `select`, and the readable
 * index form `x.index([":", 0, "1:3", "::2", null, "...", -1, indexTensor])` with its assignment
 * counterpart `indexPut` (in place: `indexPut_` / `setIndex`, in ./inplace).
 *
 * Index semantics follow PyTorch: ints select (and drop) a dimension first, strings are Python slices, null
 * inserts a size-1 dimension, "..." stands for as many ":" as needed, and int64 / bool tensors (or nested
 * JS arrays of ints / booleans) are advanced indices; several advanced indices broadcast together and their
 * dimensions go where the first one was if they are adjacent, else to the front. Unlike PyTorch, results
 * are copies, not views (write through `indexPut_` / `setIndex`), and negative slice steps ("::-1") are
 * accepted as in NumPy (PyTorch raises "step must be greater than zero").
 */
import { Tensor, numelOf, stridesOf, normalizeDim } from "../tensor/tensor";
import { TypedArray } from "../tensor/dtype";
import { tensor, full } from "../tensor/creation";
import { defineOp } from "./registry";
import { bind1 } from "./dispatch";
import { addTensorMethods } from "./methods";
import { int } from "../onnx/proto";
import { reshape, permute, expand } from "./shape";
import { broadcastShapes } from "./broadcast";
import { add, cast } from "./elementwise";
import { gatherND, scatterND, nonzero, checkIndices, asIndex } from "./indexing";
import { parseArgs, isOptions } from "./args";
import { toDevice } from "./transfer";
import type { Device } from "../backend/device";

/** A strided region: per dimension its first index, step (non-zero) and length. */
export interface SliceAttrs { starts: number[]; steps: number[]; sizes: number[] }

// Largest |end| passed to ONNX Slice for "up to and including index 0" with a negative step.
const BEFORE_FIRST = -Number.MAX_SAFE_INTEGER;

/** Python's `slice(start, stop, step).indices(size)`: the first index and the element count. */
export function sliceIndices(size: number, start: number | null | undefined, stop: number | null | undefined, step = 1): { start: number; n: number } {
  if (!Number.isInteger(step) || step === 0) throw new RangeError(`slice step must be a non-zero integer, got ${step}`);
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const norm = (v: number, lo: number, hi: number) => clamp(v < 0 ? v + size : v, lo, hi);
  let s: number, e: number;
  if (step > 0) {
    s = start == null ? 0 : norm(start, 0, size);
    e = stop == null ? size : norm(stop, 0, size);
  } else {
    s = start == null ? size - 1 : norm(start, -1, size - 1);
    e = stop == null ? -1 : norm(stop, -1, size - 1);
  }
  const n = Math.max(0, Math.ceil((e - s) / step));
  return { start: n === 0 ? 0 : s, n };
}

/** The identity region of `shape`. */
export function fullRegion(shape: readonly number[]): SliceAttrs {
  return { starts: shape.map(() => 0), steps: shape.map(() => 1), sizes: [...shape] };
}
const isFull = (shape: readonly number[], a: SliceAttrs) => a.sizes.every((n, d) => n === shape[d] && a.starts[d] === 0 && a.steps[d] === 1);

/**
 * Walks the region row-major in runs along the last dimension: `run(base, k, n, step)` covers region elements
 * k..k+n-1, which sit at flat positions base, base+step, ... of the array of `shape`.
 */
function walkRegion(shape: readonly number[], a: SliceAttrs, run: (base: number, k: number, n: number, step: number) => void): void {
  const nd = shape.length;
  if (nd === 0) { run(0, 0, 1, 1); return; }
  const strides = stridesOf(shape), last = nd - 1, n = a.sizes[last];
  const outer = numelOf(a.sizes.slice(0, last));
  if (n === 0 || outer === 0) return;
  const idx = new Array<number>(last).fill(0);
  let base = a.starts.reduce((acc, s, d) => acc + s * strides[d], 0);
  for (let o = 0, k = 0; o < outer; o++, k += n) {
    run(base, k, n, a.steps[last]);
    for (let d = last - 1; d >= 0; d--) {
      base += a.steps[d] * strides[d];
      if (++idx[d] < a.sizes[d]) break;
      base -= a.steps[d] * strides[d] * a.sizes[d];
      idx[d] = 0;
    }
  }
}

function checkRegion(op: string, shape: readonly number[], a: SliceAttrs): void {
  if (a.starts.length !== shape.length || a.steps.length !== shape.length || a.sizes.length !== shape.length) {
    throw new RangeError(`${op}: region has ${a.sizes.length} dimensions, tensor has ${shape.length}`);
  }
  shape.forEach((size, d) => {
    const lastIdx = a.starts[d] + (a.sizes[d] - 1) * a.steps[d];
    if (a.sizes[d] > 0 && (a.starts[d] < 0 || a.starts[d] >= size || lastIdx < 0 || lastIdx >= size)) {
      throw new RangeError(`${op}: region start ${a.starts[d]}, step ${a.steps[d]}, length ${a.sizes[d]} leaves dimension ${d} of size ${size}`);
    }
  });
}

const SLICE_HOST_MAX = 1 << 16;

defineOp<SliceAttrs>({
  name: "slice",
  infer: ([x], a) => { checkRegion("slice", x.shape, a); return [{ shape: [...a.sizes], dtype: x.dtype }]; },
  lower: (b, [x], a, [m]) => {
    const axes: number[] = [], starts: number[] = [], ends: number[] = [], steps: number[] = [];
    m.shape.forEach((size, d) => {
      if (a.starts[d] === 0 && a.steps[d] === 1 && a.sizes[d] === size) return;
      const end = a.starts[d] + a.steps[d] * a.sizes[d];
      axes.push(d); starts.push(a.starts[d]); steps.push(a.steps[d]);
      ends.push(end < 0 ? BEFORE_FIRST : end);
    });
    if (!axes.length) return [b.op("Identity", [x])];
    return [b.op("Slice", [x, b.int64s(starts), b.int64s(ends), b.int64s(axes), b.int64s(steps)])];
  },
  vjp: ({ grads: [g], inputs: [x], attrs }) => [sliceScatter(full(x.shape, 0, { dtype: g!.dtype, device: g!.device }), g!, attrs)],
  host: ([x], a, [m], [o]) => {
    const out = new (x.constructor as new (n: number) => TypedArray)(numelOf(o.shape));
    walkRegion(m.shape, a, (base, k, n, step) => {
      if (step === 1) (out as Float32Array).set((x as Float32Array).subarray(base, base + n), k);
      else for (let i = 0; i < n; i++) out[k + i] = x[base + i * step];
    });
    return [out];
  },
  hostMaxNumel: SLICE_HOST_MAX,
});

defineOp<SliceAttrs>({
  name: "sliceScatter",
  infer: ([base, src], a) => {
    checkRegion("sliceScatter", base.shape, a);
    if (src.shape.join() !== a.sizes.join()) throw new RangeError(`sliceScatter: src has shape [${src.shape.join(", ")}], the region has shape [${a.sizes.join(", ")}]`);
    if (src.dtype !== base.dtype) throw new TypeError(`sliceScatter: src dtype ${src.dtype} differs from self dtype ${base.dtype}`);
    return [{ shape: [...base.shape], dtype: base.dtype }];
  },
  // ScatterND with the region's coordinates, built from one small int64 range per dimension.
  lower: (b, [base, src], a, [m]) => {
    const rank = m.shape.length;
    if (rank === 0) return [b.op("Identity", [src])];
    const coords = m.shape.map((_, d) => {
      const vals = Array.from({ length: a.sizes[d] }, (_v, i) => a.starts[d] + i * a.steps[d]);
      const dims = [...a.sizes.map((s, e) => (e === d ? s : 1)), 1];
      return b.op("Expand", [b.constant("int64", dims, vals), b.int64s([...a.sizes, 1])]);
    });
    const idx = rank === 1 ? coords[0] : b.op("Concat", coords, { axis: int(-1) });
    return [b.op("ScatterND", [base, idx, src])];
  },
  vjp: ({ grads: [g], attrs }) => [
    sliceScatter(g!, full(attrs.sizes, 0, { dtype: g!.dtype, device: g!.device }), attrs),
    slice(g!, attrs),
  ],
  host: ([base, src], a, [m]) => {
    const out = base.slice();
    walkRegion(m.shape, a, (bs, k, n, step) => {
      if (step === 1) (out as Float32Array).set((src as Float32Array).subarray(k, k + n), bs);
      else for (let i = 0; i < n; i++) out[bs + i * step] = src[k + i];
    });
    return [out];
  },
  hostMaxNumel: SLICE_HOST_MAX,
});

/** @internal The strided region `a` of `x` (no-op for the full region). */
export function slice(x: Tensor, a: SliceAttrs): Tensor;
/** `x.slice(dim, start, end, step)`: Python slice semantics on one dimension (out-of-range bounds clamp). */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
/** `x.slice({dim, start, end, step})`: the same with an options object (any trailing subset of them by name). */
export function slice(x: Tensor, ...args: unknown[]): Tensor;
export function slice(x: Tensor, ...args: unknown[]): Tensor {
  let a = args[0] as SliceAttrs | number;
  if (!(args.length === 1 && isOptions(a) && "starts" in a)) {
    const o = parseArgs<{ dim: number; start: number | null; end: number | null; step: number }>("slice", args, ["dim", "start", "end", "step"], { dim: 0, start: null, end: null, step: 1 });
    const { start, end, step } = o;
    const d = normalizeDim(o.dim, x.ndim, "slice");
    const r = fullRegion(x.shape);
    const s = sliceIndices(x.shape[d], start, end, step);
    r.starts[d] = s.start; r.steps[d] = step; r.sizes[d] = s.n;
    a = r;
  }
  if (isFull(x.shape, a as SliceAttrs)) return x;
  return bind1("slice", [x], a as SliceAttrs);
}

/** @internal `base` with region `a` replaced by `src` (of the region's shape). */
export function sliceScatter(base: Tensor, src: Tensor, a: SliceAttrs): Tensor {
  return bind1("sliceScatter", [base, src], a);
}

/** Picks index `index` of dimension `dim`, dropping that dimension: `x.select(0, -1)` is `x[-1]`. */
export function select(x: Tensor, dim: number, index: number): Tensor;
export function select(x: Tensor, opts: { dim: number; index: number }): Tensor;
export function select(x: Tensor, ...args: unknown[]): Tensor {
  const { dim, index } = parseArgs<{ dim: number; index: number }>("select", args, ["dim", "index"], {}, { required: 2 });
  const d = normalizeDim(dim, x.ndim, "select");
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new RangeError(`select(): index ${index} out of range for tensor of size [${x.shape.join(", ")}] at dimension ${dim}`);
  }
  const r = fullRegion(x.shape);
  r.starts[d] = index < 0 ? index + size : index; r.sizes[d] = 1;
  return reshape(slice(x, r), x.shape.filter((_, i) => i !== d));
}

// ---- the readable index form -------------------------------------------------------------------

/** Nested JS arrays of ints (an int64 index) or of booleans (a mask). */
export interface NestedIndex extends Array<number | boolean | NestedIndex> {}
/**
 * One item of `x.index([...])`: an int (selects and drops a dim), a slice string ("1:3", "::2", ":", "-1:"),
 * "..." (ellipsis), null (new axis of size 1), an int64/bool tensor or nested array (advanced index).
 */
export type IndexItem = number | string | null | Tensor | NestedIndex;

interface Advanced { dim: number; xDim: number; index: Tensor }
/** A parsed index: x reshaped to `viewShape` (null dims inserted), one region, dims to drop, advanced indices. */
interface ParsedIndex { viewShape: number[]; region: SliceAttrs; drop: number[]; adv: Advanced[] }

function parseSliceString(s: string): [number | null, number | null, number] {
  const parts = s.split(":").map((p) => p.trim());
  const num = (p: string) => {
    if (p === "") return null;
    if (!/^[+-]?\d+$/.test(p)) throw new TypeError(`index: bad slice "${s}"; use "start:stop:step" with integers, ":" or "..."`);
    return Number(p);
  };
  if (parts.length < 2 || parts.length > 3) throw new TypeError(`index: bad slice "${s}"; use "start:stop:step" with integers, ":" or "..."`);
  const step = parts.length === 3 ? num(parts[2]) ?? 1 : 1;
  if (step === 0) throw new RangeError(`index: slice step cannot be zero (in "${s}")`);
  return [num(parts[0]), num(parts[1]), step];
}

/**
 * Nested arrays become int64 indices or bool masks; tensors must be integer, bool, or floating with integral
 * values (JS numbers make `flow.tensor([0, 2])` float32; see asIndex). Indices move to the
 * indexed tensor's device (PyTorch also accepts CPU indices for a GPU tensor).
 */
function indexTensorOf(item: Tensor | NestedIndex, dev: Device): Tensor {
  let t: Tensor;
  if (item instanceof Tensor) t = toDevice(item, dev);
  else {
    let probe: unknown = item;
    while (Array.isArray(probe) && probe.length) probe = probe[0];
    t = tensor(item as never, { dtype: typeof probe === "boolean" ? "bool" : "int64", device: dev });
  }
  if (t.dtype === "uint8") return cast(t, "bool");
  return t.dtype === "bool" ? t : asIndex("index", "indices", t);
}

function parseIndex(x: Tensor, items: readonly IndexItem[]): ParsedIndex {
  const shape = x.shape;
  type Item = number | string | null | Tensor;
  const norm: Item[] = items.map((it) => (it === null || typeof it === "number" || typeof it === "string" ? it : indexTensorOf(it, x.device)));
  const consumes = (it: Item) => (it === null || it === "..." ? 0 : it instanceof Tensor && it.dtype === "bool" ? Math.max(it.ndim, 1) : 1);
  const used = norm.reduce((n: number, it) => n + consumes(it), 0);
  const ellipses = norm.filter((it) => it === "...").length;
  if (ellipses > 1) throw new RangeError("an index can only have a single ellipsis ('...')");
  if (used > shape.length) throw new RangeError(`too many indices for tensor of dimension ${shape.length}`);
  const expanded: Item[] = ellipses ? norm.flatMap((it) => (it === "..." ? new Array(shape.length - used).fill(":") : [it])) : norm;
  const p: ParsedIndex = { viewShape: [], region: { starts: [], steps: [], sizes: [] }, drop: [], adv: [] };
  const push = (size: number, start = 0, step = 1, n = size) => {
    p.viewShape.push(size); p.region.starts.push(start); p.region.steps.push(step); p.region.sizes.push(n);
  };
  let xd = 0;
  for (const it of expanded) {
    if (it === null) { push(1); continue; }
    if (typeof it === "number") {
      const size = shape[xd];
      if (!Number.isInteger(it) || it < -size || it >= size) throw new RangeError(`index ${it} is out of bounds for dimension ${xd} with size ${size}`);
      p.drop.push(p.viewShape.length);
      push(size, it < 0 ? it + size : it, 1, 1);
      xd++;
    } else if (typeof it === "string") {
      const [a, b, c] = parseSliceString(it);
      const s = sliceIndices(shape[xd], a, b, c);
      push(shape[xd], s.start, c, s.n);
      xd++;
    } else if (it.dtype === "bool") {
      const k = Math.max(it.ndim, 1), region = shape.slice(xd, xd + k);
      if (it.ndim === 0 || it.shape.some((s, i) => s !== region[i])) {
        throw new RangeError(`The shape of the mask [${it.shape.join(", ")}] at index ${xd} does not match the shape of the indexed tensor [${shape.join(", ")}] at index ${xd}`);
      }
      const nz = nonzero(it, true) as Tensor[];
      nz.forEach((idx) => { p.adv.push({ dim: p.viewShape.length, xDim: xd, index: idx }); push(shape[xd]); xd++; });
    } else {
      p.adv.push({ dim: p.viewShape.length, xDim: xd, index: it });
      push(shape[xd]);
      xd++;
    }
  }
  while (xd < shape.length) push(shape[xd++]);
  return p;
}

/** Where advanced-index dims sit after dropping `drop`, their broadcast shape, and how results are laid out. */
interface AdvancedPlan { dims: number[]; indices: Tensor[]; batch: number[]; perm: number[]; at: number }

function planAdvanced(shape: readonly number[], p: ParsedIndex): AdvancedPlan {
  const dims = p.adv.map((a) => a.dim - p.drop.filter((d) => d < a.dim).length);
  const batch = p.adv.reduce((s: number[], a, i) => {
    try { return i === 0 ? [...a.index.shape] : broadcastShapes("index", s, a.index.shape); } catch {
      throw new RangeError(`shape mismatch: indexing tensors could not be broadcast together with shapes ${p.adv.map((x) => `[${x.index.shape.join(", ")}]`).join(", ")}`);
    }
  }, []);
  const indices = p.adv.map((a, i) => expand(checkIndices(a.index, shape[dims[i]], a.xDim), batch));
  const rest = shape.map((_, d) => d).filter((d) => !dims.includes(d));
  const adjacent = dims.every((d, i) => i === 0 || d === dims[i - 1] + 1);
  return { dims, indices, batch, perm: [...dims, ...rest], at: adjacent ? dims[0] : 0 };
}

/** Permutation taking [batch..., rest...] to [rest[:at], batch..., rest[at:]]. */
function batchPlacement(nBatch: number, nRest: number, at: number): number[] {
  const rest = Array.from({ length: nRest }, (_, i) => nBatch + i);
  const batch = Array.from({ length: nBatch }, (_, i) => i);
  return [...rest.slice(0, at), ...batch, ...rest.slice(at)];
}
const inverse = (perm: number[]) => { const inv = new Array<number>(perm.length); perm.forEach((p, i) => (inv[p] = i)); return inv; };
const stackLast = (ts: Tensor[]) => ts.length === 1 ? reshape(ts[0], [...ts[0].shape, 1]) : bind1("concat", ts.map((t) => reshape(t, [...t.shape, 1])), { axis: ts[0].ndim });

/** The region selected by the basic part of an index: x viewed with new axes, sliced, int dims dropped. */
function basicPart(x: Tensor, p: ParsedIndex): { view: Tensor; region: Tensor; dropped: Tensor } {
  const view = p.viewShape.length === x.ndim ? x : reshape(x, p.viewShape);
  const region = slice(view, p.region);
  const dropped = p.drop.length ? reshape(region, region.shape.filter((_, d) => !p.drop.includes(d))) : region;
  return { view, region, dropped };
}

/**
 * `x[items]` with PyTorch's semantics (see the file header): `x.index([":", 0])` is `x[:, 0]`,
 * `x.index(["...", null])` is `x[..., None]`, `x.index([idx, "1:"])` is `x[idx, 1:]`.
 * @example x.index([":", "1:3", null]) ; x.index([flow.tensor([0, 2], {dtype: "int64"})]) ; x.index([x.gt(0)])
 */
export function index(x: Tensor, items: IndexItem | readonly IndexItem[]): Tensor {
  const p = parseIndex(x, asItems(items));
  const { dropped } = basicPart(x, p);
  if (!p.adv.length) return dropped;
  const plan = planAdvanced(dropped.shape, p);
  const out = gatherND(permute(dropped, plan.perm), stackLast(plan.indices));
  return permute(out, batchPlacement(plan.batch.length, out.ndim - plan.batch.length, plan.at));
}

const asItems = (items: IndexItem | readonly IndexItem[]): IndexItem[] =>
  Array.isArray(items) && !(items.length && items.every((v) => typeof v === "boolean")) ? [...items] as IndexItem[] : [items as IndexItem];

/**
 * Out-of-place assignment: a copy of `x` with `x[items]` replaced by `value` (broadcast to the indexed
 * shape), or increased by it with `accumulate` (repeated advanced indices then add up). Differentiable in
 * both `x` and `value`. The in-place forms are `x.indexPut_(items, value)` and `x.setIndex(items, value)`.
 */
export function indexPut(x: Tensor, indices: IndexItem | readonly IndexItem[], values: Tensor | number | boolean, accumulate?: boolean | { accumulate?: boolean }): Tensor;
export function indexPut(x: Tensor, opts: { indices: IndexItem | readonly IndexItem[]; values: Tensor | number | boolean; accumulate?: boolean }): Tensor;
export function indexPut(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ indices: IndexItem | readonly IndexItem[]; values: Tensor | number | boolean; accumulate: boolean }>("index_put", args, ["indices", "values", "accumulate"], { accumulate: false }, { required: 2 });
  const items = a.indices, value = a.values, accumulate = a.accumulate;
  const p = parseIndex(x, asItems(items));
  const { view, region, dropped } = basicPart(x, p);
  let v = value instanceof Tensor ? cast(value, x.dtype) : full([], value, { dtype: x.dtype, device: x.device });
  let newDropped: Tensor;
  if (p.adv.length) {
    const plan = planAdvanced(dropped.shape, p);
    const moved = permute(dropped, plan.perm);
    const resultShape = [...plan.batch, ...moved.shape.slice(plan.dims.length)];
    const place = batchPlacement(plan.batch.length, resultShape.length - plan.batch.length, plan.at);
    v = permute(broadcastValue(v, place.map((d) => resultShape[d])), inverse(place));
    newDropped = permute(scatterND(moved, stackLast(plan.indices), v, accumulate ? "add" : "none"), inverse(plan.perm));
  } else {
    v = broadcastValue(v, dropped.shape);
    newDropped = accumulate ? add(dropped, v) : v;
  }
  const newRegion = reshape(newDropped, region.shape);
  const newView = isFull(view.shape, p.region) ? newRegion : sliceScatter(view, newRegion, p.region);
  return reshape(newView, x.shape);
}

function broadcastValue(v: Tensor, shape: number[]): Tensor {
  try {
    if (broadcastShapes("index", v.shape, shape).join() !== shape.join()) throw new Error();
  } catch {
    throw new RangeError(`shape mismatch: value tensor of shape [${v.shape.join(", ")}] cannot be broadcast to indexing result of shape [${shape.join(", ")}]`);
  }
  return expand(v, shape);
}

declare module "../tensor/tensor" {
  interface Tensor {
    /**
     * `x[...]` in readable TypeScript: `x.index([":", 0, "1:3", "::2", null, "...", -1, idx])`.
     * Ints drop a dim, strings are Python slices, null adds a dim, "..." fills, tensors/arrays index.
     */
    index(items: IndexItem | readonly IndexItem[]): Tensor;
    /** A copy of this tensor with `this[items]` set to (or, with accumulate, increased by) `value`. */
    indexPut(items: IndexItem | readonly IndexItem[] | { indices: IndexItem | readonly IndexItem[]; values: Tensor | number | boolean; accumulate?: boolean }, value?: Tensor | number | boolean, accumulate?: boolean | { accumulate?: boolean }): Tensor;
    /** Python slice semantics on one dim: `x.slice(1, 0, -1, 2)` is `x[:, 0:-1:2]` (or `x.slice({dim: 1, end: -1})`). */
    slice(dim?: number | { dim?: number; start?: number | null; end?: number | null; step?: number }, start?: number | null, end?: number | null, step?: number): Tensor;
    /** `x.select(dim, i)`: index `i` of dimension `dim`, dropping the dimension. */
    select(dim: number | { dim: number; index: number }, index?: number): Tensor;
  }
}
addTensorMethods({
  index(items: IndexItem | IndexItem[]) { return index(this, items); },
  indexPut(...a: unknown[]) { return (indexPut as (x: Tensor, ...r: unknown[]) => Tensor)(this, ...a); },
  slice(...a: unknown[]) { return slice(this, ...a); },
  select(...a: unknown[]) { return (select as (x: Tensor, ...r: unknown[]) => Tensor)(this, ...a); },
});
