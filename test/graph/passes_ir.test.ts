/**
 * Traced-IR passes, one at a time: each test traces a tiny graph, runs only that pass, asserts the exact op
 * counts, checks the rewritten IR still computes what eager computes, and pairs it with a case where the pass
 * must not fire.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Graph } from "../../src/graph/index";
import { runPasses } from "../../src/graph/passes/index";
import type { PassContext } from "../../src/graph/passes/index";
import { IRGraph } from "../../src/graph/ir";
import { Tensor } from "../../src/tensor/tensor";
import { device } from "../../src/backend/device";
import { MLP, det, maxDiff, runIR, SGD, mse } from "./helpers";

const ctx = (training = false): PassContext => ({ training, device: device("cpu") });

/** Traces `build` over `model` as an inference graph; returns the traced IR (a copy) and eager's answer. */
function trace(build: (m: MLP, ...x: Tensor[]) => any, inputs: Tensor[], model = new MLP()): { ir: IRGraph; eager: Tensor[] } {
  class G extends Graph { model = model; build(...x: Tensor[]) { return build(this.model, ...x); } }
  const g = new G();
  g(...inputs);
  const eager = [build(model, ...inputs)].flat();
  return { ir: g.compiledSignatures()[0].traced.clone(), eager };
}

function only(ir: IRGraph, name: string, training = false): number {
  return runPasses(ir, [name], ctx(training))[0].changes;
}

function sameAsEager(ir: IRGraph, inputs: Tensor[], eager: Tensor[], tol = 1e-5): void {
  const outs = runIR(ir, inputs);
  eager.forEach((e, i) => assert.ok(maxDiff(outs[i], e) <= tol, `output ${i} differs by ${maxDiff(outs[i], e)}`));
}

const x = det([5, 4], 3);

test("CSE: a repeated identical forward is computed once", () => {
  const { ir, eager } = trace((m, a) => m.call(a).add(m.call(a)), [x]);
  assert.equal(ir.opCounts().matmul, 4);
  assert.equal(only(ir, "common_subexpression_elimination"), 7);
  assert.deepEqual(ir.opCounts(), { permute: 2, matmul: 2, add: 3, relu: 1 });
  sameAsEager(ir, [x], eager);
});

test("CSE: different inputs do not merge", () => {
  const { ir } = trace((m, a) => m.call(a).add(m.call(a.mul(2))), [x]);
  only(ir, "common_subexpression_elimination");
  assert.equal(ir.opCounts().matmul, 4);
});

test("DCE: a value nothing returns is not computed", () => {
  const { ir, eager } = trace((_m, a) => { a.exp(); return a.relu(); }, [x]);
  assert.equal(ir.opCounts().exp, 1);
  assert.equal(only(ir, "dead_code_elimination"), 1);
  assert.deepEqual(ir.opCounts(), { relu: 1 });
  sameAsEager(ir, [x], eager);
});

test("DCE: a value that is returned stays", () => {
  const { ir } = trace((_m, a) => [a.exp(), a.relu()], [x]);
  assert.equal(only(ir, "dead_code_elimination"), 0);
  assert.deepEqual(ir.opCounts(), { exp: 1, relu: 1 });
});

test("constant folding: baked weight transposes are computed at compile time", () => {
  const { ir, eager } = trace((m, a) => m.call(a), [x]);
  assert.equal(ir.opCounts().permute, 2);
  assert.equal(only(ir, "constant_folding"), 2);
  assert.deepEqual(ir.opCounts(), { matmul: 2, add: 2, relu: 1 });
  sameAsEager(ir, [x], eager);
});

test("constant folding: fed parameters of a training graph are not folded", () => {
  const model = new MLP();
  class T extends Graph {
    model = model;
    constructor() { super(); this.addOptimizer(new SGD(model.parameters(), 0.1)); }
    build(a: Tensor, y: Tensor) { const l = mse(this.model.call(a), y); l.backward(); return l; }
  }
  const g = new T();
  g(x, det([5, 3], 4));
  const ir = g.compiledSignatures()[0].traced.clone();
  const before = ir.opCounts().permute;
  only(ir, "constant_folding", true); // folds the loss seed's constant arithmetic, never a parameter's
  assert.equal(ir.opCounts().permute, before);
  assert.ok(before >= 2);
});

test("gradient pruning: frozen parameters cost no gradient work when only the input gradient is wanted", () => {
  const model = new MLP();
  for (const p of model.parameters()) p.requiresGrad = false;
  const xg = det([5, 4], 3, 0.5, true);
  const { ir } = trace((m, a) => { const y = m.call(a).sum(); y.backward(); return a.grad!; }, [xg], model);
  const bwdMatmuls = (g: IRGraph) => g.nodes.filter((n) => n.phase === "backward" && n.op === "matmul").length;
  assert.equal(bwdMatmuls(ir), 4, "each matmul's rule computes both cotangents");
  assert.ok(only(ir, "gradient_pruning") >= 2);
  assert.equal(bwdMatmuls(ir), 2, "only the cotangents toward the input remain");
  // eager reference: the input gradient
  const xe = det([5, 4], 3, 0.5, true);
  model.call(xe).sum().backward();
  sameAsEager(ir, [xg], [xe.grad!]);
});

test("gradient pruning: parameters that require grad keep their gradient ops", () => {
  const model = new MLP();
  const xg = det([5, 4], 3, 0.5, true);
  const { ir } = trace((m, a) => { m.call(a).sum().backward(); return [a.grad!, ...m.parameters().map((p) => p.grad!)]; }, [xg], model);
  only(ir, "gradient_pruning");
  assert.equal(ir.nodes.filter((n) => n.phase === "backward" && n.op === "matmul").length, 4);
  for (const p of model.parameters()) assert.ok(!p.grad?.isSymbolic, "symbolic gradients do not leak out of the trace");
});
