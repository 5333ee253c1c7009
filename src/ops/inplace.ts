/**
 * In-place ops (`add_ sub_ mul_ div_ clamp_ copy_ zero_ fill_ maskedFill_ scatter_ scatterAdd_ indexAdd_
 * indexPut_ setIndex`). Each computes its out-of-place result with the ordinary ops, then writes it into the
 * tensor's existing storage and bumps `storage.version`, so every tensor sharing that storage (results of
 * reshape/view/squeeze/detach, and the no-op forms of index/slice) sees the change, as in PyTorch. While
 * nn.Graph traces, the write goes to the tracer (dispatch's `assign`): a symbolic tensor is rebound to the new
 * graph value, and a captured real tensor (parameter, buffer, optimizer state) becomes graph state written
 * back after every run. Tracing does not follow views of symbolic tensors: an in-place op on
 * `y = x.reshape(...)` inside build() changes y only, not x.
 *
 * Autograd: outside `flow.noGrad`, an in-place op on a leaf that requires grad raises PyTorch's error. flowbook
 * does not record in-place ops on the tape, so one whose target or operand takes part in autograd (a non-leaf
 * that requires grad, or an operand that requires grad) raises too, naming the out-of-place form to use.
 * A later write to a tensor that an earlier op's gradient rule reads makes backward raise PyTorch's
 * version-counter error (autograd/node.ts).
 */
import { Tensor } from "../tensor/tensor";
import { DType, isFloating } from "../tensor/dtype";
import { isGradEnabled } from "../autograd/mode";
import { addTensorMethods } from "./methods";
import { add, sub, mul, div, maximum, minimum, cast, TensorOrScalar, AlphaArgs, RoundingArgs } from "./elementwise";
import { parseArgs } from "./args";
import { expand } from "./shape";
import { maskedFill, scatter, scatterAdd, indexAdd } from "./indexing";
import { indexPut, IndexItem } from "./slicing";
import { toDevice } from "./transfer";
import { full } from "../tensor/creation";
import { assign } from "./dispatch";

const TORCH_NAMES: Record<DType, string> = {
  float32: "Float", float64: "Double", float16: "Half", bfloat16: "BFloat16", int64: "Long", int32: "Int", int8: "Char", uint8: "Byte", bool: "Bool",
};

/** Arithmetic results may not be narrowed to a lower category (float into int, number into bool); writes may. */
type CastRule = "same-kind" | "unsafe";

/**
 * Runs `compute` (the out-of-place result) and writes it into `x`. `operands` are checked for autograd use;
 * `outOfPlace` names the op to suggest in errors.
 */
function inPlace(x: Tensor, outOfPlace: string, operands: unknown[], rule: CastRule, compute: () => Tensor): Tensor {
  if (isGradEnabled()) {
    if (x.requiresGrad && x.isLeaf) throw new Error("a leaf Variable that requires grad is being used in an in-place operation.");
    if (x.requiresGrad || operands.some((o) => o instanceof Tensor && o.requiresGrad)) {
      throw new Error(`${outOfPlace}_: flowbook does not record in-place operations for autograd, and this one involves a tensor that requires grad; use the out-of-place form (y = y.${outOfPlace}(...)), or run it inside flow.noGrad(() => ...)`);
    }
  }
  const r = compute();
  if (r.shape.join() !== x.shape.join()) throw new RangeError(`output with shape [${x.shape.join(", ")}] doesn't match the broadcast shape [${r.shape.join(", ")}]`);
  const narrowing = (isFloating(r.dtype) && !isFloating(x.dtype)) || (r.dtype !== "bool" && x.dtype === "bool");
  if (rule === "same-kind" && narrowing) throw new TypeError(`result type ${TORCH_NAMES[r.dtype]} can't be cast to the desired output type ${TORCH_NAMES[x.dtype]}`);
  const v = cast(r, x.dtype);
  // Through dispatch's assign: eager writes the storage; while nn.Graph traces, the write is recorded (a
  // symbolic target is rebound, a captured one becomes state written back after every run).
  if (v !== x) assign(x, v);
  return x;
}

/** `x += alpha * other`, in place. */
export const add_ = (x: Tensor, other: TensorOrScalar, ...a: AlphaArgs) => inPlace(x, "add", [other], "same-kind", () => add(x, other, ...a));
/** `x -= alpha * other`, in place. */
export const sub_ = (x: Tensor, other: TensorOrScalar, ...a: AlphaArgs) => inPlace(x, "sub", [other], "same-kind", () => sub(x, other, ...a));
/** `x *= other`, in place. */
export const mul_ = (x: Tensor, other: TensorOrScalar) => inPlace(x, "mul", [other], "same-kind", () => mul(x, other));
/** `x /= other` (true division, or rounded with `{ roundingMode }`), in place. */
export const div_ = (x: Tensor, other: TensorOrScalar, ...a: RoundingArgs) => inPlace(x, "div", [other], "same-kind", () => div(x, other, ...a));

/** Clamps into [min, max] in place (either bound may be null). */
export function clamp_(x: Tensor, ...args: [min?: TensorOrScalar | null, max?: TensorOrScalar | null] | [{ min?: TensorOrScalar | null; max?: TensorOrScalar | null }]): Tensor {
  const { min, max } = parseArgs<{ min: TensorOrScalar | null; max: TensorOrScalar | null }>("clamp_", args, ["min", "max"]);
  if ((min === undefined || min === null) && (max === undefined || max === null)) throw new TypeError("clamp_: At least one of 'min' or 'max' must not be None");
  return inPlace(x, "clamp", [min, max], "same-kind", () => {
    let y: Tensor = x;
    if (min !== undefined && min !== null) y = maximum(y, min as Tensor);
    if (max !== undefined && max !== null) y = minimum(y, max as Tensor);
    return y;
  });
}

/** Copies `src` (broadcast, converted to this dtype and device) into `x`. */
export const copy_ = (x: Tensor, src: Tensor) => inPlace(x, "copy", [src], "unsafe", () => expand(toDevice(src, x.device), x.shape));
/** Fills with `value` (a number, boolean or 0-d tensor). */
export function fill_(x: Tensor, value: TensorOrScalar): Tensor {
  if (value instanceof Tensor && value.ndim !== 0) throw new RangeError(`fill_ only supports 0-dimension value tensor but got tensor with ${value.ndim} dimensions.`);
  return inPlace(x, "fill", [value], "unsafe", () => (value instanceof Tensor ? expand(value, x.shape) : full(x.shape, value, { dtype: x.dtype, device: x.device })));
}
/** Fills with zeros. */
export const zero_ = (x: Tensor) => fill_(x, 0);

declare module "../tensor/tensor" {
  interface Tensor {
    /** In place: this += alpha * other. */ add_(other: TensorOrScalar, ...alpha: AlphaArgs): Tensor;
    /** In place: this -= alpha * other. */ sub_(other: TensorOrScalar, ...alpha: AlphaArgs): Tensor;
    /** In place: this *= other. */ mul_(other: TensorOrScalar): Tensor;
    /** In place: this /= other. */ div_(other: TensorOrScalar, ...roundingMode: RoundingArgs): Tensor;
    /** In place: clamps into [min, max]. */ clamp_(min?: TensorOrScalar | null | { min?: TensorOrScalar | null; max?: TensorOrScalar | null }, max?: TensorOrScalar | null): Tensor;
    /** In place: copies `src` (broadcast and converted). */ copy_(src: Tensor): Tensor;
    /** In place: fills with zeros. */ zero_(): Tensor;
    /** In place: fills with `value`. */ fill_(value: TensorOrScalar): Tensor;
    /** In place: `value` where `mask` is true. */ maskedFill_(mask: Tensor | { mask: Tensor; value: TensorOrScalar }, value?: TensorOrScalar): Tensor;
    /** In place: writes `src` at `index` along `dim`. */ scatter_(dim: number | { dim: number; index: Tensor; src: TensorOrScalar; reduce?: "add" | "multiply" }, index?: Tensor, src?: TensorOrScalar, reduce?: "add" | "multiply" | { reduce?: "add" | "multiply" }): Tensor;
    /** In place: adds `src` at `index` along `dim`. */ scatterAdd_(dim: number | { dim: number; index: Tensor; src: Tensor }, index?: Tensor, src?: Tensor): Tensor;
    /** In place: adds `alpha * source` at `index` along `dim`. */ indexAdd_(dim: number | { dim: number; index: Tensor; source: Tensor; alpha?: number }, index?: Tensor, source?: Tensor, alpha?: number | { alpha?: number }): Tensor;
    /**
     * In place: `this[items] = value` (or `+=` with accumulate), with the index form of `x.index`:
     * `x.indexPut_([":", 0], 1)`, `x.indexPut_([idx], vals, true)`. Returns this.
     */
    indexPut_(items: IndexItem | readonly IndexItem[] | { indices: IndexItem | readonly IndexItem[]; values: TensorOrScalar; accumulate?: boolean }, value?: TensorOrScalar, accumulate?: boolean | { accumulate?: boolean }): Tensor;
    /** `this[items] = value` (PyTorch's `x[...] = v`): same as `indexPut_(items, value)`. */
    setIndex(items: IndexItem | readonly IndexItem[], value: TensorOrScalar): Tensor;
  }
}
const fwd = (f: unknown) => f as (x: Tensor, ...r: unknown[]) => Tensor;
addTensorMethods({
  add_(o: TensorOrScalar, ...a: AlphaArgs) { return add_(this, o, ...a); },
  sub_(o: TensorOrScalar, ...a: AlphaArgs) { return sub_(this, o, ...a); },
  mul_(o: TensorOrScalar) { return mul_(this, o); },
  div_(o: TensorOrScalar, ...a: RoundingArgs) { return div_(this, o, ...a); },
  clamp_(...a: unknown[]) { return fwd(clamp_)(this, ...a); },
  copy_(src: Tensor) { return copy_(this, src); },
  zero_() { return zero_(this); },
  fill_(v: TensorOrScalar) { return fill_(this, v); },
  maskedFill_(...a: unknown[]) { return inPlace(this, "maskedFill", a, "unsafe", () => fwd(maskedFill)(this, ...a)); },
  scatter_(...a: unknown[]) { return inPlace(this, "scatter", a, "unsafe", () => fwd(scatter)(this, ...a)); },
  scatterAdd_(...a: unknown[]) { return inPlace(this, "scatterAdd", a, "unsafe", () => fwd(scatterAdd)(this, ...a)); },
  indexAdd_(...a: unknown[]) { return inPlace(this, "indexAdd", a, "unsafe", () => fwd(indexAdd)(this, ...a)); },
  indexPut_(...a: unknown[]) { return inPlace(this, "indexPut", a, "unsafe", () => fwd(indexPut)(this, ...a)); },
  setIndex(items: IndexItem | IndexItem[], v: TensorOrScalar) { return inPlace(this, "indexPut", [v], "unsafe", () => indexPut(this, items, v)); },
});
