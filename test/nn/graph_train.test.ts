/**
 * flow.nn modules and flow.optim optimizers inside nn.Graph: a compiled training step (forward, backward,
 * optimizer.step with a scheduler) equals eager training step for step, for every optimizer, with one
 * compile. This checks the contract the optimizers keep: writes through the dispatcher's assign, and the
 * same ops at every step (first-step and bias-correction choices are numbers, not branches).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { flat } from "./helpers";

const nn = flow.nn;
type Tensor = flow.Tensor;

const batches = Array.from({ length: 8 }, (_, i) => {
  flow.manualSeed(100 + i);
  return [flow.randn(6, 4), flow.randn(6, 3)];
});

function makeModel(): flow.nn.Sequential {
  flow.manualSeed(1);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 3));
}

const OPTS: Record<string, (ps: flow.nn.Parameter[]) => flow.optim.Optimizer<any>> = {
  "SGD momentum+nesterov+dampening-free": (ps) => new flow.optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  "SGD momentum+dampening": (ps) => new flow.optim.SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.2 }),
  "Adam amsgrad": (ps) => new flow.optim.Adam(ps, { lr: 0.02, amsgrad: true }),
  AdamW: (ps) => new flow.optim.AdamW(ps, { lr: 0.02, weightDecay: 0.1 }),
  "RMSprop centered+momentum": (ps) => new flow.optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5 }),
};

for (const [name, make] of Object.entries(OPTS)) {
  test(`nn.Graph training with flow.optim ${name} equals eager training`, () => {
    const mse = new nn.MSELoss();
    const eagerModel = makeModel();
    const eagerOpt = make(eagerModel.parameters());
    const eagerSched = new flow.optim.lrScheduler.StepLR(eagerOpt, 3, { gamma: 0.5 });
    const eagerLosses = batches.map(([x, y]) => {
      eagerOpt.zeroGrad();
      const loss = mse(eagerModel(x), y);
      loss.backward();
      eagerOpt.step();
      eagerSched.step();
      return loss.item();
    });

    const model = makeModel();
    const opt = make(model.parameters());
    const sched = new flow.optim.lrScheduler.StepLR(opt, 3, { gamma: 0.5 });
    class TrainGraph extends nn.Graph {
      model = model;
      constructor() { super(); this.addOptimizer(opt, { lrScheduler: sched }); }
      build(x: Tensor, y: Tensor) { const loss = mse(this.model(x), y); loss.backward(); return loss; }
    }
    const g = new TrainGraph();
    const losses = batches.map(([x, y]) => (g(x, y) as Tensor).item());
    losses.forEach((l, i) => assert.ok(Math.abs(l - eagerLosses[i]) <= 1e-5 * Math.max(1, Math.abs(l)), `loss ${i}: eager ${eagerLosses[i]}, graph ${l}`));
    model.parameters().forEach((p, i) => {
      const e = flat(eagerModel.parameters()[i]), v = flat(p);
      assert.ok(v.every((x, k) => Math.abs(x - e[k]) <= 2e-5), `parameter ${i} differs from eager`);
    });
    assert.equal(g.compiledSignatures().length, 1, "one compile for all steps");
  });
}
