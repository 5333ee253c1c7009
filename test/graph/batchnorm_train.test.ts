/**
 * Batch norm in train mode inside nn.Graph: num_batches_tracked (an int64 counter written in place) becomes
 * graph state; momentum=null (PyTorch's cumulative average, factor 1/num_batches_tracked) is computed in the
 * graph from that counter; an inference graph over a model left in train() updates the running statistics like
 * eager; and a torchvision-architecture ResNet-18 training step equals eager.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { Graph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { det, detInit, maxDiff } from "./helpers";

const ce = new flow.nn.CrossEntropyLoss();

function bnNet(momentum: number | null): flow.nn.Module {
  const m = new flow.nn.Sequential(new flow.nn.Conv2d(3, 4, 3), new flow.nn.BatchNorm2d(4, { momentum }), new flow.nn.ReLU(), new flow.nn.Flatten(), new flow.nn.Linear(144, 4));
  return detInit(m, 3);
}

const X = [0, 1, 2].map((i) => det([8, 3, 8, 8], 10 + i, 1));
const Y = [0, 1, 2].map((i) => flow.tensor(Array.from({ length: 8 }, (_, k) => (k + i) % 4), { dtype: "int64" }));

function compareBuffers(a: flow.nn.Module, b: flow.nn.Module, tol = 1e-5): void {
  const sa = a.stateDict(), sb = b.stateDict();
  for (const [k, v] of Object.entries(sa)) {
    if (v.dtype === "int64") assert.deepEqual(sb[k].tolist(), v.tolist(), k);
    else assert.ok(maxDiff(v, sb[k]) <= tol, `${k} differs by ${maxDiff(v, sb[k])}`);
  }
}

for (const momentum of [0.1, null]) {
  test(`training graph over BatchNorm2d(momentum=${momentum}) in train mode: 3 SGD steps equal eager (running stats, num_batches_tracked)`, () => {
    const me = bnNet(momentum), mg = bnNet(momentum);
    const oe = new flow.optim.SGD(me.parameters(), { lr: 0.1, momentum: 0.9 }), og = new flow.optim.SGD(mg.parameters(), { lr: 0.1, momentum: 0.9 });
    class T extends Graph {
      model = mg;
      constructor() { super(); this.addOptimizer(og); }
      build(x: Tensor, y: Tensor) { const l = ce(this.model(x), y); l.backward(); return l; }
    }
    const g = new T();
    for (let i = 0; i < 3; i++) {
      const le = ce(me(X[i]), Y[i]); le.backward(); oe.step(); oe.zeroGrad();
      const lg = (g(X[i], Y[i]) as Tensor).item();
      assert.ok(Math.abs(le.item() - lg) < 1e-5, `step ${i}: eager ${le.item()} graph ${lg}`);
    }
    assert.equal(g.compiledSignatures().length, 1, "one compile serves every step (the counter is state, not baked)");
    assert.equal((mg as any)[1].num_batches_tracked.item(), 3);
    compareBuffers(me, mg);
  });

  test(`inference graph over a model left in train() (momentum=${momentum}): batch statistics, running stats updated like eager`, () => {
    const me = bnNet(momentum), mg = bnNet(momentum);
    class I extends Graph { model = mg; build(x: Tensor) { return this.model(x); } }
    const g = new I();
    for (let i = 0; i < 3; i++) assert.ok(maxDiff(me(X[i]), g(X[i]) as Tensor) < 1e-5);
    compareBuffers(me, mg);
  });
}

test("ResNet-18 (flow.vision.models.resnet18) training graph at batch 2, 64×64: 2 SGD steps equal eager", () => {
  flow.manualSeed(0);
  const me = flow.vision.models.resnet18({ numClasses: 10 }), mg = flow.vision.models.resnet18({ numClasses: 10 });
  mg.loadStateDict(me.stateDict());
  const oe = new flow.optim.SGD(me.parameters(), { lr: 0.01, momentum: 0.9 }), og = new flow.optim.SGD(mg.parameters(), { lr: 0.01, momentum: 0.9 });
  class T extends Graph {
    model = mg;
    constructor() { super(); this.addOptimizer(og); }
    build(x: Tensor, y: Tensor) { const l = ce(this.model(x), y); l.backward(); return l; }
  }
  const g = new T();
  for (let i = 0; i < 2; i++) {
    const x = det([2, 3, 64, 64], 20 + i, 1), y = flow.tensor([i, 3 + i], { dtype: "int64" });
    const le = ce(me(x), y); le.backward(); oe.step(); oe.zeroGrad();
    const lg = (g(x, y) as Tensor).item();
    assert.ok(Math.abs(le.item() - lg) < 1e-4 * Math.max(1, Math.abs(lg)), `step ${i}: eager ${le.item()} graph ${lg}`);
  }
  compareBuffers(me, mg, 1e-4);
});
