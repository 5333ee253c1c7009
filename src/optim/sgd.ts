/** SGD with momentum, dampening, Nesterov, weight decay and maximize (PyTorch 1.13's single-tensor update). */
import { Tensor } from "../tensor/tensor";
import { add, mul, neg } from "../ops/elementwise";
import { parseArgs } from "../ops/args";
import { Optimizer, ParamGroup, ParamGroupSpec, checkOption } from "./optimizer";
import { writeInPlace } from "./update";
import { zerosLike } from "../tensor/creation";

/** SGD's options. */
export type SGDOptions = { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; maximize: boolean };

/**
 * Stochastic gradient descent:
 *   g ← ∇ (negated if maximize) + weightDecay·p;  b ← momentum·b + (1 − dampening)·g (b = g at first);
 *   g ← nesterov ? g + momentum·b : b;  p ← p − lr·g.
 * @example const opt = new flow.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<SGDOptions>>, lr?: number | Partial<SGDOptions>, momentum?: number, dampening?: number, weightDecay?: number, nesterov?: boolean, opts?: { maximize?: boolean });
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<SGDOptions>>, ...rest: unknown[]) {
    // lr has no default: a group without one is refused, as with PyTorch's `required`.
    const o = parseArgs<SGDOptions>("SGD", rest, ["lr", "momentum", "dampening", "weightDecay", "nesterov", "maximize"], { lr: undefined, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false });
    if (o.lr !== undefined) checkOption(o.lr >= 0, `Invalid learning rate: ${o.lr}`);
    checkOption(o.momentum >= 0, `Invalid momentum value: ${o.momentum}`);
    checkOption(o.weightDecay >= 0, `Invalid weight_decay value: ${o.weightDecay}`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new Error("Nesterov momentum requires a momentum and zero dampening");
    super(params, o);
  }

  protected updateGroup(g: ParamGroup<SGDOptions>): void {
    for (const p of g.params) {
      if (!p.grad) continue;
      let d = g.maximize ? neg(p.grad) : p.grad;
      if (g.weightDecay !== 0) d = add(d, mul(p, g.weightDecay));
      if (g.momentum !== 0) {
        const st = this.stateOf(p);
        // PyTorch starts the buffer as a copy of d; b·0 + d·1 is that copy, with the ops of every later step.
        const first = st.momentum_buffer === undefined;
        if (first) st.momentum_buffer = zerosLike(p);
        const buf = st.momentum_buffer as Tensor;
        writeInPlace(buf, add(mul(buf, first ? 0 : g.momentum), mul(d, first ? 1 : 1 - g.dampening)));
        d = g.nesterov ? add(d, mul(buf, g.momentum)) : buf;
      }
      writeInPlace(p, add(p, mul(d, -g.lr)));
    }
  }
}
