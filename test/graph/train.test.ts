/** Training graphs: 10 steps of SGD and AdamW (with an LR scheduler) equal eager training step for step. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Graph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { MLP, SGD, AdamW, ExponentialLR, det, maxDiff, mse, snapshot } from "./helpers";

type Opt = SGD | AdamW;
const batches = Array.from({ length: 10 }, (_, i) => [det([6, 4], 10 + i, 1), det([6, 3], 30 + i, 1)]);

function trainEager(makeOpt: (m: MLP) => Opt, accum = 1): { losses: number[]; params: Tensor[] } {
  const model = new MLP();
  const opt = makeOpt(model);
  const sched = new ExponentialLR(opt, 0.9);
  const losses: number[] = [];
  batches.forEach(([x, y], i) => {
    const loss = mse(model.call(x), y);
    loss.backward();
    losses.push(loss.item());
    if ((i + 1) % accum === 0) { opt.step(); opt.zeroGrad(); sched.step(); }
  });
  return { losses, params: model.parameters().map(snapshot) };
}

function trainGraph(makeOpt: (m: MLP) => Opt, accum = 1): { losses: number[]; params: Tensor[]; g: Graph; model: MLP } {
  const model = new MLP();
  const opt = makeOpt(model);
  const sched = new ExponentialLR(opt, 0.9);
  class TrainGraph extends Graph {
    model = model;
    constructor() { super(); this.addOptimizer(opt, { lrScheduler: sched }); this.config.setGradientAccumulationSteps(accum); }
    build(x: Tensor, y: Tensor) { const loss = mse(this.model.call(x), y); loss.backward(); return loss; }
  }
  const g = new TrainGraph();
  const losses = batches.map(([x, y]) => (g(x, y) as Tensor).item());
  return { losses, params: model.parameters().map(snapshot), g, model };
}

function assertSame(a: { losses: number[]; params: Tensor[] }, b: { losses: number[]; params: Tensor[] }, tol: number): void {
  a.losses.forEach((l, i) => assert.ok(Math.abs(l - b.losses[i]) <= tol * Math.max(1, Math.abs(l)), `loss ${i}: eager ${l} graph ${b.losses[i]}`));
  a.params.forEach((p, i) => assert.ok(maxDiff(p, b.params[i]) <= tol, `param ${i} differs by ${maxDiff(p, b.params[i])}`));
}

test("SGD: 10 graph steps equal 10 eager steps; eager parameters see every update", () => {
  const make = (m: MLP) => new SGD(m.parameters(), 0.1);
  const eager = trainEager(make);
  const graph = trainGraph(make);
  assertSame(eager, graph, 1e-5);
  assert.ok(eager.losses[9] < eager.losses[0], "the loss went down");
  assert.equal(graph.g.compiledSignatures().length, 1, "one compile for ten steps");
  assert.equal(graph.g.callTimings().filter((c) => c.compiled).length, 1);
  for (const p of graph.model.parameters()) assert.equal(p.grad, null, "gradients are cleared after each step");
});

test("AdamW with a scheduler: lr, bias corrections and optimizer state follow eager for 10 steps", () => {
  const make = (m: MLP) => new AdamW(m.parameters(), 0.05);
  const eager = trainEager(make);
  const graph = trainGraph(make);
  assertSame(eager, graph, 2e-5);
  const entry = graph.g.compiledSignatures()[0];
  assert.ok(entry.lowered.inputs.some((i) => i.kind === "hyper"), "lr-dependent scalars are graph inputs");
  assert.ok(entry.lowered.inputs.some((i) => i.kind === "state"), "optimizer state is fed and written back");
});

test("gradient accumulation over 2 calls equals eager accumulation", () => {
  const make = (m: MLP) => new SGD(m.parameters(), 0.1);
  const eager = trainEager(make, 2);
  const graph = trainGraph(make, 2);
  assertSame(eager, graph, 1e-5);
  assert.deepEqual(graph.g.compiledSignatures().map((c) => c.variant).sort(), ["accum", "step"]);
});

test("an inference graph over the trained model recompiles after training changed its weights", () => {
  const { model, g } = trainGraph((m) => new SGD(m.parameters(), 0.1));
  class Infer extends Graph { model = model; build(x: Tensor) { return this.model.call(x); } }
  const infer = new Infer();
  const x = det([2, 4], 99);
  assert.ok(maxDiff(infer(x), model.call(x)) < 1e-6);
  g(...batches[0]); // one more training step changes the shared parameters
  assert.ok(maxDiff(infer(x), model.call(x)) < 1e-6, "inference sees the new weights");
  assert.equal(infer.callTimings().filter((c) => c.compiled).length, 2);
});
