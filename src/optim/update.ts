/**
 * How optimizers write parameters and state: new values are computed out of place with ordinary tensor ops
 * (under noGrad), then written with `copy_` into the existing tensor, so the Parameter objects that modules
 * and optimizers hold stay the same, as with PyTorch's in-place updates. While nn.Graph traces, copy_
 * rebinds the parameter to the new graph value, so `optimizer.step()` emits its update ops.
 */
import { Tensor } from "../tensor/tensor";
import { noGrad } from "../autograd/mode";
import { copy_ } from "../ops/inplace";

/** Writes `value` into `dst` (same shape; converted to dst's dtype): `dst.copy_(value)` under noGrad. */
export function writeInPlace(dst: Tensor, value: Tensor): void {
  if (value.shape.join() !== dst.shape.join()) throw new RangeError(`in-place update: a value of shape [${value.shape.join(", ")}] cannot be written into a tensor of shape [${dst.shape.join(", ")}]`);
  noGrad(() => copy_(dst, value));
}

/** A detached copy with its own storage (`x.detach().clone()`). */
export function cloneTensor(x: Tensor): Tensor {
  return Tensor._fromArray(x.toTypedArray().slice(), [...x.shape], x.dtype, x.device);
}
