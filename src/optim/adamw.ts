/** AdamW: Adam with decoupled weight decay (PyTorch 1.13's single-tensor update). */
import { Tensor } from "../tensor/tensor";
import { mul, neg } from "../ops/elementwise";
import { parseArgs } from "../ops/args";
import { Optimizer, ParamGroup, ParamGroupSpec } from "./optimizer";
import { AdamOptions, adamUpdate, checkAdamOptions } from "./adam";
import { writeInPlace } from "./update";

/**
 * AdamW (Loshchilov & Hutter, 2017): p ← p·(1 − lr·weightDecay), then the Adam step. weightDecay defaults to 1e-2.
 * @example const opt = new flow.optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 })
 */
export class AdamW extends Optimizer<AdamOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<AdamOptions>>, lr?: number | Partial<AdamOptions>, betas?: [number, number], eps?: number, weightDecay?: number, amsgrad?: boolean, opts?: { maximize?: boolean });
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<AdamOptions>>, ...rest: unknown[]) {
    const o = parseArgs<AdamOptions>("AdamW", rest, ["lr", "betas", "eps", "weightDecay", "amsgrad", "maximize"], { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false });
    checkAdamOptions(o);
    super(params, o);
  }

  protected updateGroup(g: ParamGroup<AdamOptions>): void {
    for (const p of g.params) {
      if (!p.grad) continue;
      const grad = g.maximize ? neg(p.grad) : p.grad;
      writeInPlace(p, mul(p, 1 - g.lr * g.weightDecay));
      adamUpdate(p, grad, this.stateOf(p), g);
    }
  }
}
