/** flow.profiler.profile over graph calls: per-node events from ONNX Runtime's own profiler, source = graph name. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { Graph } from "../../src/graph/index";
import { parseOrtProfile } from "../../src/graph/profiling";
import { Tensor } from "../../src/tensor/tensor";
import { SmallCNN, det, maxDiff } from "./helpers";

test("a graph run inside flow.profiler.profile adds one event per ONNX node (op type, node name, µs from ORT)", () => {
  const model = new SmallCNN(); model.eval();
  class CnnInfer extends Graph { model = model; build(x: Tensor) { return this.model(x); } }
  const g = new CnnInfer();
  const x = det([2, 3, 8, 8], 1, 1);
  const plain = g(x) as Tensor;
  let y: Tensor | null = null;
  const prof = flow.profiler.profile(() => { y = g(x) as Tensor; }) as flow.profiler.Profile;
  assert.ok(maxDiff(y!, plain) < 1e-6, "the profiled run gives the same result");
  const nodes = prof.events.filter((e) => e.source === "CnnInfer");
  assert.ok(nodes.length > 0, "graph node events");
  const ops = new Set(nodes.map((e) => e.op));
  for (const op of ["Conv", "MaxPool", "Relu"]) assert.ok(ops.has(op), `${op} in ${[...ops].join(", ")}`);
  // ORT may fuse or drop nodes of the emitted model (level "all"), but never invents more nodes than it ran.
  assert.ok(nodes.length <= g.lastCompiled()!.lowered.nodes.length + 4);
  for (const e of nodes) {
    assert.ok(e.ms >= 0 && e.ms < prof.wallMs, `${e.node}: ${e.ms} ms`);
    assert.ok(typeof e.node === "string" && e.node.length > 0);
    assert.ok(e.startMs >= 0 && e.startMs <= prof.wallMs + 1);
    assert.equal(e.device, "cpu");
  }
  assert.ok(nodes.some((e) => e.node!.startsWith("model.")), "node names carry the module scope");
  assert.match(prof.table().toString(), /Conv/);
  // Outside a profile the graph runs its ordinary session again.
  assert.ok(maxDiff(g(x) as Tensor, plain) < 1e-6);
});

test("a profiled training step writes back exactly once (the warm-up run's results are discarded)", () => {
  const model = new SmallCNN();
  const ref = new SmallCNN();
  const ce = new flow.nn.CrossEntropyLoss();
  const mk = (m: SmallCNN) => {
    class T extends Graph {
      model = m;
      constructor() { super(); this.addOptimizer(new flow.optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 })); }
      build(a: Tensor, b: Tensor) { const l = ce(this.model(a), b); l.backward(); return l; }
    }
    return new T();
  };
  const a = det([4, 3, 8, 8], 2, 1), b = flow.tensor([1, 2, 3, 4], { dtype: "int64" });
  const g1 = mk(model), g2 = mk(ref);
  g1(a, b); g2(a, b);
  flow.profiler.profile(() => g1(a, b));
  g2(a, b);
  model.parameters().forEach((p, i) => assert.ok(maxDiff(p, ref.parameters()[i]) < 1e-6));
});

test("parseOrtProfile keeps the node kernel events of the last run", () => {
  const ev = (cat: string, name: string, ts: number, dur: number, op?: string) => ({ cat, name, ts, dur, ph: "X", args: op ? { op_name: op, provider: "CPUExecutionProvider", input_type_shape: [{ float: [1, 2] }] } : {} });
  const json = JSON.stringify([
    ev("Session", "model_run", 0, 100), ev("Node", "a_kernel_time", 10, 5, "Relu"),
    ev("Session", "model_run", 200, 100), ev("Node", "a_fence_before", 205, 0, "Relu"), ev("Node", "a_kernel_time", 210, 7, "Relu"), ev("Node", "b_kernel_time", 220, 3, "Add"),
  ]);
  assert.deepEqual(parseOrtProfile(json), [
    { node: "a", op: "Relu", tsUs: 210, durUs: 7, provider: "CPUExecutionProvider", shapes: [[1, 2]] },
    { node: "b", op: "Add", tsUs: 220, durUs: 3, provider: "CPUExecutionProvider", shapes: [[1, 2]] },
  ]);
});
