/**
 * Saving through flow.save / flow.load: a graph to a Triton entry (written by serving's writeModelEntry) and
 * back, a served round trip over HTTP, and a training graph's state to safetensors for resuming.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as flow from "../../src/index";
import { Graph, LoadedGraph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { request } from "../serving/fixtures";
import { SmallCNN, det, maxDiff, snapshot } from "./helpers";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "fb-graph-save-"));
const ce = new flow.nn.CrossEntropyLoss();

function inferGraph(model: SmallCNN): Graph {
  class Infer extends Graph { model = model; build(x: Tensor) { return this.model(x); } }
  return new Infer();
}

test("flow.save(graph, dir) writes the Triton entry; flow.load(dir) returns an inference graph with the same outputs", () => {
  const model = new SmallCNN(); model.eval();
  const g = inferGraph(model);
  const x = det([2, 3, 8, 8], 1, 1);
  const y = g(x) as Tensor;
  const dir = path.join(tmp(), "cnn");
  flow.save(g, dir);
  const cfg = fs.readFileSync(path.join(dir, "config.pbtxt"), "utf8");
  for (const s of ['name: "cnn"', 'backend: "onnxruntime"', "max_batch_size: 64", "dims: [ 3, 8, 8 ]", "dims: [ 10 ]", "dynamic_batching"]) assert.ok(cfg.includes(s), `config has ${s}\n${cfg}`);
  const loaded = flow.load(dir);
  assert.ok(loaded instanceof LoadedGraph);
  assert.ok(maxDiff(loaded(x), y) < 1e-6);
  const x5 = det([5, 3, 8, 8], 2, 1);
  assert.ok(maxDiff(loaded(x5), flow.noGrad(() => model(x5))) < 1e-5, "any batch size");
  assert.throws(() => flow.save(new (class T extends Graph { m = model; constructor() { super(); this.addOptimizer(new flow.optim.SGD(model.parameters(), { lr: 0.1 })); } build(a: Tensor) { return this.m(a); } })(), path.join(tmp(), "t")),
    /has not been compiled yet|training graph/);
});

test("served round trip: flow.save(graph) into a model repository, flow.serving.serve, infer over HTTP: same outputs", async () => {
  const model = new SmallCNN(); model.eval();
  const g = inferGraph(model);
  const x = det([3, 3, 8, 8], 4, 1);
  const y = g(x) as Tensor;
  const repo = tmp();
  flow.save(g, path.join(repo, "small_cnn"));
  const server = await flow.serving.serve({ modelRepository: repo, httpPort: 0, log: () => {} });
  try {
    const r = await request(server.url, "POST", "/v2/models/small_cnn/infer", {
      inputs: [{ name: "INPUT_0", shape: [3, 3, 8, 8], datatype: "FP32", data: Array.from(x.toTypedArray() as Float32Array) }],
    });
    assert.equal(r.status, 200, r.body.toString());
    const out = r.json().outputs[0];
    assert.equal(out.name, "OUTPUT_0");
    assert.deepEqual(out.shape, [3, 10]);
    const served = flow.tensor(Float32Array.from(out.data as number[])).reshape([3, 10]);
    assert.ok(maxDiff(served, y) < 1e-5, `served differs by ${maxDiff(served, y)}`);
  } finally {
    await server.stop();
  }
});

test("flow.save(graph.stateDict(), x.safetensors) resumes training: same trajectory as uninterrupted", () => {
  const batches = Array.from({ length: 4 }, (_, i) => [det([4, 3, 8, 8], 60 + i, 1), flow.tensor([i, 2, 5, 9], { dtype: "int64" })] as [Tensor, Tensor]);
  const make = () => {
    const model = new SmallCNN();
    const opt = new flow.optim.AdamW(model.parameters(), { lr: 0.01 });
    const sched = new flow.optim.lrScheduler.StepLR(opt, 1, 0.7);
    class T extends Graph {
      model = model;
      constructor() { super(); this.addOptimizer(opt, { lrScheduler: sched }); }
      build(a: Tensor, b: Tensor) { const l = ce(this.model(a), b); l.backward(); return l; }
    }
    return { g: new T(), model, sched };
  };
  const full = make();
  for (const [a, b] of batches) full.g(a, b);
  const first = make();
  for (const [a, b] of batches.slice(0, 2)) first.g(a, b);
  const file = path.join(tmp(), "ckpt.safetensors");
  flow.save(first.g.stateDict(), file);
  const second = make();
  second.g.loadStateDict(flow.load(file));
  // The scheduler is the user's: carry its state as PyTorch users do.
  second.sched.loadStateDict(first.sched.stateDict());
  for (const [a, b] of batches.slice(2)) second.g(a, b);
  const fa = full.model.stateDict(), sb = second.model.stateDict();
  for (const [k, v] of Object.entries(fa)) {
    if (v.dtype === "int64") assert.deepEqual(sb[k].tolist(), v.tolist(), k);
    else assert.ok(maxDiff(snapshot(v), snapshot(sb[k])) < 1e-6, `${k} differs by ${maxDiff(v, sb[k])}`);
  }
});
