/** RMSprop with momentum, centering, weight decay and maximize (PyTorch 1.13's single-tensor update). */
import { Tensor } from "../tensor/tensor";
import { zerosLike } from "../tensor/creation";
import { add, div, mul, neg, sqrt, sub } from "../ops/elementwise";
import { parseArgs } from "../ops/args";
import { Optimizer, ParamGroup, ParamGroupSpec, checkOption } from "./optimizer";
import { writeInPlace } from "./update";

/** RMSprop's options. */
export type RMSpropOptions = { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean; maximize: boolean };

/**
 * RMSprop (Hinton): s ← αs + (1−α)g²; avg = √(s − ḡ²) if centered (ḡ ← αḡ + (1−α)g) else √s, plus eps;
 * with momentum b ← momentum·b + g/avg, p ← p − lr·b; else p ← p − lr·g/avg.
 * @example const opt = new flow.optim.RMSprop(model.parameters(), { lr: 1e-2, momentum: 0.9, centered: true })
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<RMSpropOptions>>, lr?: number | Partial<RMSpropOptions>, alpha?: number, eps?: number, weightDecay?: number, momentum?: number, centered?: boolean, opts?: { maximize?: boolean });
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<RMSpropOptions>>, ...rest: unknown[]) {
    const o = parseArgs<RMSpropOptions>("RMSprop", rest, ["lr", "alpha", "eps", "weightDecay", "momentum", "centered", "maximize"], { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false });
    checkOption(o.lr >= 0, `Invalid learning rate: ${o.lr}`);
    checkOption(o.eps >= 0, `Invalid epsilon value: ${o.eps}`);
    checkOption(o.momentum >= 0, `Invalid momentum value: ${o.momentum}`);
    checkOption(o.weightDecay >= 0, `Invalid weight_decay value: ${o.weightDecay}`);
    checkOption(o.alpha >= 0, `Invalid alpha value: ${o.alpha}`);
    super(params, o);
  }

  protected updateGroup(g: ParamGroup<RMSpropOptions>): void {
    for (const p of g.params) {
      if (!p.grad) continue;
      const st = this.stateOf(p);
      if (st.step === undefined) {
        st.step = 0;
        st.square_avg = zerosLike(p);
        if (g.momentum > 0) st.momentum_buffer = zerosLike(p);
        if (g.centered) st.grad_avg = zerosLike(p);
      }
      st.step = (st.step as number) + 1;
      let grad = g.maximize ? neg(p.grad) : p.grad;
      if (g.weightDecay !== 0) grad = add(grad, mul(p, g.weightDecay));
      const sq = st.square_avg as Tensor;
      writeInPlace(sq, add(mul(sq, g.alpha), mul(mul(grad, 1 - g.alpha), grad)));
      let avg: Tensor;
      if (g.centered) {
        const ga = st.grad_avg as Tensor;
        writeInPlace(ga, add(mul(ga, g.alpha), mul(grad, 1 - g.alpha)));
        avg = sqrt(sub(sq, mul(ga, ga)));
      } else avg = sqrt(sq);
      avg = add(avg, g.eps);
      if (g.momentum > 0) {
        const buf = st.momentum_buffer as Tensor;
        writeInPlace(buf, add(mul(buf, g.momentum), div(grad, avg)));
        writeInPlace(p, add(p, mul(buf, -g.lr)));
      } else writeInPlace(p, add(p, mul(div(grad, avg), -g.lr)));
    }
  }
}
