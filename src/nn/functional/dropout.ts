/**
 * Dropout, derived: the input times a mask drawn on the host from flowbook's seeded generator
 * (`flow.manualSeed`), already scaled by 1/(1-p), so the forward is one multiply and autograd's gradient is
 * the same mask times the cotangent.
 */
import { Tensor } from "../../tensor/tensor";
import { isFloating } from "../../tensor/dtype";
import { parseArgs } from "../../ops/args";
import { cast, mul } from "../../ops/elementwise";
import { bernoulliMask } from "../../tensor/random";

type DropoutOpts = { p: number; training: boolean; inplace: boolean };

// A keep-mask with values 0 or 1/(1-p), of `shape` (which broadcasts against the input).
function scaledMask(x: Tensor, shape: number[], p: number): Tensor {
  const hostType = x.dtype === "float64" ? "float64" : "float32";
  const m = bernoulliMask(shape, 1 - p, x.device, hostType);
  const data = m.toTypedArray() as Float32Array, scale = 1 / (1 - p);
  for (let i = 0; i < data.length; i++) data[i] *= scale;
  return cast(m, x.dtype);
}

function dropoutWith(fn: string, input: Tensor, args: unknown[], maskShape: (x: Tensor) => number[]): Tensor {
  const a = parseArgs<DropoutOpts>(fn, args, ["p", "training", "inplace"], { p: 0.5, training: true, inplace: false });
  if (!(a.p >= 0 && a.p <= 1)) throw new RangeError(`${fn}: dropout probability has to be between 0 and 1, but got ${a.p}`);
  if (!isFloating(input.dtype)) throw new TypeError(`${fn}: expected a floating point input, got ${input.dtype}`);
  if (!a.training || a.p === 0) return input;
  const y = a.p === 1 ? mul(input, 0) : mul(input, scaledMask(input, maskShape(input), a.p));
  if (!a.inplace) return y;
  if (input.requiresGrad) throw new Error(`${fn}: a leaf Variable that requires grad is being used in an in-place operation (use inplace: false).`);
  input._assignHost(y.toTypedArray());
  return input;
}

/**
 * Zeroes each element with probability `p` while `training` (default true) and scales the rest by 1/(1-p);
 * the identity in eval. Masks come from the generator `flow.manualSeed` seeds. Options in PyTorch's order:
 * p, training, inplace.
 * @example F.dropout(x, 0.1, model.training)
 */
export function dropout(input: Tensor, ...args: unknown[]): Tensor {
  return dropoutWith("dropout", input, args, (x) => [...x.shape]);
}

/**
 * Channel dropout for [N, C, H, W] (or [C, H, W]): zeroes whole channels with probability `p`.
 * Options as dropout.
 */
export function dropout2d(input: Tensor, ...args: unknown[]): Tensor {
  if (input.ndim !== 3 && input.ndim !== 4) throw new RangeError(`dropout2d: expected a 3-D or 4-D input, got [${input.shape.join(", ")}]`);
  return dropoutWith("dropout2d", input, args, (x) => [...x.shape.slice(0, -2), 1, 1]);
}
