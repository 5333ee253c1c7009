/** Reductions. `sum` is the primitive the autograd engine uses to un-broadcast; others follow its pattern. */
import { Tensor, normalizeDim } from "../tensor/tensor";
import { DType, isFloating } from "../tensor/dtype";
import { defineOp, Meta } from "./registry";
import { bind1 } from "./dispatch";
import { parseArgs } from "./args";
import { addTensorMethods } from "./methods";
import { expand, reshape } from "./shape";
import { cast } from "./elementwise";

/** Attributes of a reduction: normalised dims (empty = all) and keepdim. */
export interface ReduceAttrs { dims: number[]; keepdim: boolean }

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
  const kept = reducedShape(x.shape, dims, true);
  return expand(keepdim ? g : reshape(g, kept), x.shape);
}

defineOp<ReduceAttrs>({
  name: "sum",
  infer: ([x], { dims, keepdim }) => [{ shape: reducedShape(x.shape, dims, keepdim), dtype: x.dtype }],
  lower: (b, [x], { dims, keepdim }, [m]) => [b.op("ReduceSum", [x, b.int64s(allAxes(m, dims))], { keepdims: { i: +keepdim } })],
  vjp: ({ grads: [g], inputs: [x], attrs: { dims, keepdim } }) => [unreduce(g!, x, dims, keepdim)],
});

const sumDType = (d: DType): DType => (isFloating(d) ? d : "int64");

/** Sum over `dim` (all when omitted): `x.sum()`, `x.sum(1, true)`, `x.sum({dim: [0, 1], keepdim: true})`. */
export function sum(x: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<{ dim: number | number[] | null; keepdim: boolean; dtype: DType }>("sum", args, ["dim", "keepdim", "dtype"], { dim: null, keepdim: false });
  const src = cast(x, a.dtype ?? sumDType(x.dtype));
  if (src.ndim === 0) return src;
  return bind1("sum", [src], { dims: normalizeDims("sum", a.dim, x.ndim), keepdim: !!a.keepdim });
}

declare module "../tensor/tensor" {
  interface Tensor {
    /** Sum over `dim` (all when omitted). */
    sum(dim?: number | number[] | null | { dim?: number | number[] | null; keepdim?: boolean; dtype?: DType }, keepdim?: boolean): Tensor;
  }
}
addTensorMethods({ sum(...args: unknown[]) { return sum(this, ...args); } });
