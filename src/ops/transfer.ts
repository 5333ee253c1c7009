/**
 * Copies and conversions: `x.clone()`, `x.to(dtype | device | tensor | {dtype, device, copy})`, `x.cpu()`,
 * `x.cuda()`. Dtype conversion is the `cast` op. Moving data between devices is not an op (ops never mix
 * devices): the copy itself is backend/gpu's `transferTo` (IO-bound Identity sessions). A transfer of a tensor
 * that requires grad is recorded on the tape, its gradient moved back to the source device.
 */
import { Tensor } from "../tensor/tensor";
import { DType, DTYPES } from "../tensor/dtype";
import { transferTo } from "../backend/gpu";
import { Device, device as parseDevice, checkUsable } from "../backend/device";
import { defineOp, OpDef } from "./registry";
import { bind1 } from "./dispatch";
import { addTensorMethods } from "./methods";
import { isOptions } from "./args";
import { cast } from "./elementwise";
import { GradNode } from "../autograd/node";
import { isGradEnabled } from "../autograd/mode";

defineOp<{}>({
  name: "clone",
  infer: ([x]) => [{ shape: [...x.shape], dtype: x.dtype }],
  lower: (b, [x]) => [b.op("Identity", [x])],
  vjp: ({ grads: [g] }) => [g],
  host: ([x]) => [x.slice()],
  hostMaxNumel: Infinity,
});

/** A copy of `x` with its own storage (differentiable, like PyTorch's clone). */
export function clone(x: Tensor): Tensor { return bind1("clone", [x]); }

// ---- device transfer ---------------------------------------------------------------------------

// The tape entry of a transfer: the gradient goes back to the source device. Not in the op table: a
// transfer has no ONNX lowering (a graph runs on one device).
const transferGrad = {
  name: "toDevice",
  infer: ([x]: { shape: number[]; dtype: DType }[]) => [x],
  lower: () => { throw new Error("a device transfer cannot be lowered into an ONNX graph; move tensors before calling the graph"); },
  vjp: ({ grads: [g], inputs: [x] }: { grads: (Tensor | null)[]; inputs: Tensor[] }) => [toDevice(g!, x.device)],
} as unknown as OpDef<{}>;

/** Copies `x` to `dev` (returns `x` when it is already there). */
export function toDevice(x: Tensor, dev: string | Device): Tensor {
  const d = parseDevice(dev);
  if (d.type === x.device.type && d.index === x.device.index) return x;
  const out = transferTo(x, checkUsable(d));
  if (x.requiresGrad && isGradEnabled()) {
    out.gradFn = new GradNode(transferGrad, [x], [out], {});
    out.requiresGrad = true;
  }
  return out;
}

/** What `to()` accepts. */
export interface ToOptions { dtype?: DType; device?: string | Device; copy?: boolean }

const isDType = (v: unknown): v is DType => typeof v === "string" && (DTYPES as string[]).includes(v);

/**
 * Converts dtype and/or device: `x.to("float16")`, `x.to("cuda")`, `x.to("cpu", "float64")`, `x.to(other)`
 * (other's dtype and device), `x.to({dtype, device, copy})`. Returns `x` itself when nothing changes unless
 * `copy` is set.
 */
export function to(x: Tensor, ...args: unknown[]): Tensor {
  const o: ToOptions = {};
  for (const a of args) {
    if (a instanceof Tensor) { o.dtype = a.dtype; o.device = a.device; }
    else if (isDType(a)) o.dtype = a;
    else if (typeof a === "string" || (typeof a === "object" && a !== null && "type" in a && "index" in a)) o.device = a as string | Device;
    else if (isOptions(a)) Object.assign(o, a);
    else if (typeof a === "boolean") o.copy = a;
    else throw new TypeError(`to(): expected a dtype, a device, a tensor or {dtype, device, copy}, got ${JSON.stringify(a)}`);
  }
  let y = o.device === undefined ? x : toDevice(x, o.device);
  if (o.dtype !== undefined) y = cast(y, o.dtype);
  return o.copy && y === x ? clone(x) : y;
}

declare module "../tensor/tensor" {
  interface Tensor {
    /** A copy with its own storage (gradients flow through). */
    clone(): Tensor;
    /** Converts dtype and/or device: `x.to("float16")`, `x.to("cuda")`, `x.to({dtype, device})`, `x.to(other)`. */
    to(...args: (DType | string | Device | Tensor | ToOptions | boolean)[]): Tensor;
    /** This tensor on the CPU. */
    cpu(): Tensor;
    /** This tensor on CUDA device `index` (default 0). */
    cuda(index?: number): Tensor;
  }
}
addTensorMethods({
  clone() { return clone(this); },
  to(...args: unknown[]) { return to(this, ...args); },
  cpu() { return toDevice(this, "cpu"); },
  cuda(i?: number) { return toDevice(this, i === undefined ? "cuda" : `cuda:${i}`); },
});
