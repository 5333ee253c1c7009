/** Autograd's public face: Tensor.backward/detach/retainGrad/registerHook and flow.autograd.grad. */
import { Tensor } from "../tensor/tensor";
import { runBackward, BackwardOptions } from "./engine";
import { addTensorMethods } from "../ops/methods";
import { isFloating } from "../tensor/dtype";
import { onesLike } from "../tensor/creation";
import { parseArgs } from "../ops/args";

export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./mode";
export type { BackwardOptions } from "./engine";
export { gradcheck } from "./gradcheck";
export type { GradcheckOptions } from "./gradcheck";

declare module "../tensor/tensor" {
  interface Tensor {
    /**
     * Computes gradients of this tensor (a scalar, or pass `gradient`) with respect to graph leaves and
     * accumulates them into `.grad`; PyTorch's `backward(gradient=None, retain_graph=None, create_graph=False,
     * inputs=None)`, positionally or as options: `y.backward(null, true)` == `y.backward({ retainGraph: true })`.
     * `inputs` limits accumulation to those tensors.
     */
    backward(gradient?: Tensor | null | BackwardArgs, retainGraph?: boolean | null | BackwardArgs, createGraph?: boolean | BackwardArgs, inputs?: Tensor | Tensor[] | BackwardArgs): void;
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

/** Options of Tensor.backward (any of its parameters by name). */
export interface BackwardArgs extends BackwardOptions { gradient?: Tensor | null; inputs?: Tensor | Tensor[] | null }
const BACKWARD_NAMES = ["gradient", "retainGraph", "createGraph", "inputs"] as const;

addTensorMethods({
  backward(...args: unknown[]) {
    const a = parseArgs<{ gradient: Tensor | null; retainGraph: boolean | null; createGraph: boolean; inputs: Tensor | Tensor[] | null }>("backward", args, BACKWARD_NAMES, { gradient: null, retainGraph: null, createGraph: false, inputs: null });
    let gradient = a.gradient;
    const opts: BackwardOptions = { retainGraph: a.retainGraph ?? a.createGraph, createGraph: a.createGraph };
    if (!this.requiresGrad) throw new Error("element 0 of tensors does not require grad and does not have a grad_fn");
    if (!gradient) {
      if (this.numel() !== 1) throw new Error(`grad can be implicitly created only for scalar outputs (this tensor has shape [${this.shape.join(", ")}]); pass a gradient: y.backward(flow.onesLike(y))`);
      gradient = onesLike(this);
    } else if (gradient.shape.join() !== this.shape.join()) {
      throw new RangeError(`backward: gradient has shape [${gradient.shape.join(", ")}] but the tensor has shape [${this.shape.join(", ")}]`);
    }
    if (a.inputs === null) { runBackward([this], [gradient], opts); return; }
    const ins = Array.isArray(a.inputs) ? a.inputs : [a.inputs];
    if (!ins.length) throw new RangeError("backward: 'inputs' argument to backward() cannot be empty.");
    const grads = runBackward([this], [gradient], opts, ins);
    ins.forEach((t, i) => {
      const g = grads[i];
      if (g === null) return;
      const gg = opts.createGraph ? g : g.detach();
      t.grad = t.grad ? (t.grad.detach().add(gg)).detach() : gg;
    });
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

/** Options of autograd.grad (its optional parameters by name). */
export interface GradOptions extends BackwardOptions {
  /** The vector of the vector-Jacobian product: one tensor per output (null = ones for a scalar output). */
  gradOutputs?: Tensor | (Tensor | null)[] | null;
  /** Accepted for PyTorch compatibility (always true). */
  onlyInputs?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}
const GRAD_NAMES = ["outputs", "inputs", "gradOutputs", "retainGraph", "createGraph", "onlyInputs", "allowUnused"] as const;
type GradArgs = { outputs: Tensor | Tensor[]; inputs: Tensor | Tensor[]; gradOutputs: Tensor | (Tensor | null)[] | null; retainGraph: boolean | null; createGraph: boolean; onlyInputs: boolean; allowUnused: boolean };

/**
 * Gradients of `outputs` with respect to `inputs`, returned instead of accumulated into `.grad`. PyTorch's
 * `grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
 * allow_unused=False)`: optional parameters positionally or as options; `gradOutputs` is a tensor or a list.
 * @example const [dx] = flow.autograd.grad(y.sum(), [x], { createGraph: true }); flow.autograd.grad(y, x, flow.onesLike(y))
 */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], gradOutputs?: Tensor | (Tensor | null)[] | null | GradOptions, retainGraph?: boolean | null | GradOptions, createGraph?: boolean | GradOptions, onlyInputs?: boolean | GradOptions, allowUnused?: boolean | GradOptions): (Tensor | null)[];
export function grad(...args: unknown[]): (Tensor | null)[] {
  const opts = parseArgs<GradArgs>("grad", args, GRAD_NAMES, { gradOutputs: null, retainGraph: null, createGraph: false, onlyInputs: true, allowUnused: false }, { required: 2 });
  const outs = Array.isArray(opts.outputs) ? opts.outputs : [opts.outputs];
  const ins = Array.isArray(opts.inputs) ? opts.inputs : [opts.inputs];
  const given = opts.gradOutputs === null ? [] : Array.isArray(opts.gradOutputs) ? opts.gradOutputs : [opts.gradOutputs];
  if (given.length && given.length !== outs.length) throw new RangeError(`grad: grad_outputs has ${given.length} tensors but outputs has ${outs.length}`);
  const seeds = outs.map((o, i) => {
    const g = given[i];
    if (g) {
      if (g.shape.join() !== o.shape.join()) throw new RangeError(`Mismatch in shape: grad_output[${i}] has a shape of [${g.shape.join(", ")}] and output[${i}] has a shape of [${o.shape.join(", ")}].`);
      return g;
    }
    if (o.numel() !== 1) throw new Error("grad can be implicitly created only for scalar outputs; pass gradOutputs");
    return onesLike(o);
  });
  const r = runBackward(outs, seeds, { retainGraph: opts.retainGraph ?? opts.createGraph, createGraph: opts.createGraph }, ins);
  r.forEach((g, i) => {
    if (g === null && !opts.allowUnused) throw new Error(`One of the differentiated Tensors (input ${i}) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.`);
  });
  return r;
}
