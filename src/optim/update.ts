/**
 * How optimizers write parameters and state: new values are computed out of place with ordinary tensor ops
 * (under noGrad), then written into the existing tensor's storage, so the Parameter objects that modules
 * and optimizers hold stay the same, as with PyTorch's in-place updates.
 */
import { Tensor } from "../tensor/tensor";
import { cast } from "../ops/elementwise";

/** Writes `value` into `dst`'s storage (same shape; cast to dst's dtype); `dst.copy_(value)` under noGrad. */
export function writeInPlace(dst: Tensor, value: Tensor): void {
  if (value.numel() !== dst.numel()) throw new RangeError(`in-place update: a value of shape [${value.shape.join(", ")}] cannot be written into a tensor of shape [${dst.shape.join(", ")}]`);
  dst._assignHost(cast(value, dst.dtype).toTypedArray());
}

/** A detached copy with its own storage (`x.detach().clone()`). */
export function cloneTensor(x: Tensor): Tensor {
  return Tensor._fromArray(x.toTypedArray().slice(), [...x.shape], x.dtype, x.device);
}
