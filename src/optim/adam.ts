/** Adam, with amsgrad and maximize (PyTorch 1.13's single-tensor update). */
import { Tensor } from "../tensor/tensor";
import { zerosLike } from "../tensor/creation";
import { add, div, maximum, mul, neg, sqrt } from "../ops/elementwise";
import { parseArgs } from "../ops/args";
import { Optimizer, ParamGroup, ParamGroupSpec, ParamState, checkOption } from "./optimizer";
import { writeInPlace } from "./update";

/** Adam's (and AdamW's) options. */
export type AdamOptions = { lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean };

/** Checks Adam-family options with PyTorch's messages. */
export function checkAdamOptions(o: AdamOptions): void {
  checkOption(o.lr >= 0, `Invalid learning rate: ${o.lr}`);
  checkOption(o.eps >= 0, `Invalid epsilon value: ${o.eps}`);
  checkOption(o.betas[0] >= 0 && o.betas[0] < 1, `Invalid beta parameter at index 0: ${o.betas[0]}`);
  checkOption(o.betas[1] >= 0 && o.betas[1] < 1, `Invalid beta parameter at index 1: ${o.betas[1]}`);
  checkOption(o.weightDecay >= 0, `Invalid weight_decay value: ${o.weightDecay}`);
}

/**
 * The Adam moment update and parameter step shared by Adam and AdamW: m ← β₁m + (1−β₁)g,
 * v ← β₂v + (1−β₂)g², p ← p − lr/(1−β₁ᵗ) · m / (√v̂/√(1−β₂ᵗ) + eps) with v̂ = v (or max of all v with amsgrad).
 */
export function adamUpdate(p: Tensor, grad: Tensor, st: ParamState, g: AdamOptions): void {
  if (st.step === undefined) {
    st.step = 0;
    st.exp_avg = zerosLike(p);
    st.exp_avg_sq = zerosLike(p);
    if (g.amsgrad) st.max_exp_avg_sq = zerosLike(p);
  }
  const step = (st.step as number) + 1;
  st.step = step;
  const [b1, b2] = g.betas;
  const expAvg = st.exp_avg as Tensor, expAvgSq = st.exp_avg_sq as Tensor;
  writeInPlace(expAvg, add(mul(expAvg, b1), mul(grad, 1 - b1)));
  writeInPlace(expAvgSq, add(mul(expAvgSq, b2), mul(mul(grad, 1 - b2), grad)));
  const bc1 = 1 - b1 ** step, bc2 = 1 - b2 ** step;
  const stepSize = g.lr / bc1;
  let v = expAvgSq;
  if (g.amsgrad) { v = st.max_exp_avg_sq as Tensor; writeInPlace(v, maximum(v, expAvgSq)); }
  const denom = add(div(sqrt(v), Math.sqrt(bc2)), g.eps);
  writeInPlace(p, add(p, mul(div(expAvg, denom), -stepSize)));
}

/**
 * Adam (Kingma & Ba, 2014). `weightDecay` adds an L2 term to the gradient (use AdamW for decoupled decay).
 * @example const opt = new flow.optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] })
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<AdamOptions>>, lr?: number | Partial<AdamOptions>, betas?: [number, number], eps?: number, weightDecay?: number, amsgrad?: boolean, opts?: { maximize?: boolean });
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<AdamOptions>>, ...rest: unknown[]) {
    const o = parseArgs<AdamOptions>("Adam", rest, ["lr", "betas", "eps", "weightDecay", "amsgrad", "maximize"], { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false });
    checkAdamOptions(o);
    super(params, o);
  }

  protected updateGroup(g: ParamGroup<AdamOptions>): void {
    for (const p of g.params) {
      if (!p.grad) continue;
      let grad = g.maximize ? neg(p.grad) : p.grad;
      if (g.weightDecay !== 0) grad = add(grad, mul(p, g.weightDecay));
      adamUpdate(p, grad, this.stateOf(p), g);
    }
  }
}
