/** flow.nn.Parameter: a Tensor that a Module registers as a learnable parameter when assigned to it. */
import { Tensor } from "../tensor/tensor";
import { isFloating } from "../tensor/dtype";
import { zeros } from "../tensor/creation";

/**
 * A tensor that is a module parameter. Assigning one to a module attribute registers it
 * (`this.weight = new nn.Parameter(flow.randn(8, 4))`); it shares the data of the tensor it wraps and
 * requires grad unless told otherwise.
 */
export class Parameter extends Tensor {
  /** Wraps `data` (shared, not copied; default an empty tensor) as a parameter. */
  constructor(data: Tensor = zeros(0), requiresGrad = true) {
    super([...data.shape], data.dtype, data.device, data._storage, data._offset, data._symbolic);
    this._deviceValue = data._deviceValue;
    if (requiresGrad && !isFloating(data.dtype)) throw new TypeError(`Only Tensors of floating point dtype can require gradients (got ${data.dtype})`);
    this.requiresGrad = requiresGrad;
  }

  /** PyTorch's form: `Parameter containing:\ntensor([...], requires_grad=True)`. */
  override toString(): string { return `Parameter containing:\n${super.toString()}`; }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * @internal Points `target` at `src`'s data, shape, dtype and device, keeping the object (and so every
 * reference held by optimizers) the same; what PyTorch does with `param.data = ...` in `Module.to`.
 */
export function replaceData(target: Tensor, src: Tensor): void {
  const t = target as Mutable<Tensor>;
  t.shape = [...src.shape];
  t.dtype = src.dtype;
  t.device = src.device;
  t._storage = src._storage;
  t._offset = src._offset;
  t._symbolic = src._symbolic;
  t._deviceValue = src._deviceValue;
}
