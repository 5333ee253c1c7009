/** Autograd's public face: Tensor.backward/detach/retainGrad/registerHook and flow.autograd.grad. */
import { Tensor } from "../tensor/tensor";
import { runBackward, BackwardOptions } from "./engine";
import { addTensorMethods } from "../ops/methods";
import { isFloating } from "../tensor/dtype";
import { onesLike } from "../tensor/creation";

export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./mode";
export type { BackwardOptions } from "./engine";
export { gradcheck } from "./gradcheck";
export type { GradcheckOptions } from "./gradcheck";

declare module "../tensor/tensor" {
  interface Tensor {
    /** Computes gradients of this tensor (a scalar, or pass `gradient`) with respect to graph leaves. */
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
    /** A tensor sharing this data, cut from the autograd graph. */
    detach(): Tensor;
    /** Sets requiresGrad in place and returns this (`w.requiresGrad_()`). */
    requiresGrad_(requiresGrad?: boolean): Tensor;
    /** Keeps `.grad` of this non-leaf tensor after backward. */
    retainGrad(): void;
    /** Calls `hook(grad)` when this tensor's gradient is computed; a returned tensor replaces it. Returns a remover. */
    registerHook(hook: (grad: Tensor) => Tensor | void): { remove(): void };
  }
}

addTensorMethods({
  backward(gradient?: Tensor | null, opts: BackwardOptions = {}) {
    if (!this.requiresGrad) throw new Error("element 0 of tensors does not require grad and does not have a grad_fn");
    if (!gradient) {
      if (this.numel() !== 1) throw new Error(`grad can be implicitly created only for scalar outputs (this tensor has shape [${this.shape.join(", ")}]); pass a gradient: y.backward(flow.onesLike(y))`);
      gradient = onesLike(this);
    } else if (gradient.shape.join() !== this.shape.join()) {
      throw new RangeError(`backward: gradient has shape [${gradient.shape.join(", ")}] but the tensor has shape [${this.shape.join(", ")}]`);
    }
    runBackward([this], [gradient], opts);
  },
  detach() {
    const t = new Tensor(this.shape, this.dtype, this.device, this._storage, this._offset, this._symbolic);
    t._deviceValue = this._deviceValue;
    return t;
  },
  requiresGrad_(on = true) {
    if (on && !isFloating(this.dtype)) throw new TypeError(`only Tensors of floating point dtype can require gradients (got ${this.dtype})`);
    if (!on && !this.isLeaf) throw new Error("you can only change requires_grad flags of leaf variables.");
    this.requiresGrad = on;
    return this;
  },
  retainGrad() {
    if (!this.requiresGrad) throw new Error("can't retain_grad on Tensor that has requires_grad=False");
    if (!this.isLeaf) this._retainsGrad = true;
  },
  registerHook(hook: (g: Tensor) => Tensor | void) {
    if (!this.requiresGrad) throw new Error("cannot register a hook on a tensor that doesn't require gradient");
    this._hooks.push(hook);
    return { remove: () => { this._hooks = this._hooks.filter((h) => h !== hook); } };
  },
});

/**
 * Gradients of `outputs` with respect to `inputs`, returned instead of accumulated into `.grad`.
 * @example const [dx] = flow.autograd.grad(y.sum(), [x], { createGraph: true })
 */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts: BackwardOptions & { gradOutputs?: Tensor[]; allowUnused?: boolean } = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const seeds = opts.gradOutputs ?? outs.map((o) => {
    if (o.numel() !== 1) throw new Error("grad can be implicitly created only for scalar outputs; pass gradOutputs");
    return onesLike(o);
  });
  const r = runBackward(outs, seeds, { retainGraph: opts.retainGraph ?? opts.createGraph, createGraph: opts.createGraph }, ins);
  r.forEach((g, i) => {
    if (g === null && !opts.allowUnused) throw new Error(`One of the differentiated Tensors (input ${i}) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.`);
  });
  return r;
}
