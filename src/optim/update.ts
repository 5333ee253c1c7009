/**
 * How optimizers write parameters and their state: new values are computed out of place with ordinary
 * tensor ops (under noGrad), then written into the existing tensors through the dispatcher's `assign`, so the
 * Parameter and state objects stay the same, as with PyTorch's in-place updates. While nn.Graph traces,
 * `assign` records the write (the new value becomes a graph output copied back after each run), so
 * `optimizer.step()` compiles into the graph.
 *
 * For the same reason an update is the same sequence of ops at every step: step-dependent choices (the first
 * momentum step, bias corrections, the scheduler's lr) are JS numbers fed to fixed ops, never branches that
 * add or drop ops.
 */
import { Tensor } from "../tensor/tensor";
import { assign } from "../ops/dispatch";

/** Writes `value` into `dst` (same shape; converted to dst's dtype), as `dst.copy_(value)` under noGrad. */
export function writeInPlace(dst: Tensor, value: Tensor): void {
  if (value.shape.join() !== dst.shape.join()) throw new RangeError(`in-place update: a value of shape [${value.shape.join(", ")}] cannot be written into a tensor of shape [${dst.shape.join(", ")}]`);
  assign(dst, value);
}

/** A detached copy with its own storage (`x.detach().clone()`). */
export function cloneTensor(x: Tensor): Tensor {
  return Tensor._fromArray(x.toTypedArray().slice(), [...x.shape], x.dtype, x.device);
}
