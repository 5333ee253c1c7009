/**
 * How optimizers write parameters and state: new values are computed out of place with ordinary tensor ops
 * (under noGrad), then written into the existing tensor through dispatch's `assign`, so the Parameter and
 * state objects that modules and optimizers hold stay the same, as with PyTorch's in-place updates. While
 * nn.Graph traces a training step, `assign` records the write instead (the new value becomes a graph output
 * copied back into the same tensor after every run), which is why state is never replaced by a new tensor.
 */
import { Tensor } from "../tensor/tensor";
import { assign } from "../ops/dispatch";

/** Writes `value` into `dst` (same number of elements; cast to dst's dtype); `dst.copy_(value)` under noGrad. */
export function writeInPlace(dst: Tensor, value: Tensor): void {
  if (value.numel() !== dst.numel()) throw new RangeError(`in-place update: a value of shape [${value.shape.join(", ")}] cannot be written into a tensor of shape [${dst.shape.join(", ")}]`);
  assign(dst, value);
}

/** A detached copy with its own storage (`x.detach().clone()`). */
export function cloneTensor(x: Tensor): Tensor {
  return Tensor._fromArray(x.toTypedArray().slice(), [...x.shape], x.dtype, x.device);
}
