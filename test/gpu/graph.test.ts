/**
 * nn.Graph on webgpu (ONNX Runtime's WebGPU provider; Mesa's lavapipe in CI): the small CNN's inference and
 * training graphs equal CPU within float32 tolerance, AMP within float16 tolerance, and an inference call on
 * device-resident input makes no host copy except reading its result.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { Graph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { copyStats } from "../../src/backend/gpu";
import { SmallCNN, det, maxDiff } from "../graph/helpers";

const available = flow.webgpu.isAvailable();
const skip = available ? false : `webgpu unavailable: ${flow.webgpu.unavailableReason()}`;
const ce = new flow.nn.CrossEntropyLoss();

function inferGraph(model: SmallCNN): Graph {
  class Infer extends Graph { model = model; build(x: Tensor) { return this.model(x); } }
  return new Infer();
}
const onCpu = (t: Tensor) => t.to("cpu");

test("CNN inference graph on webgpu equals CPU; outputs stay on the device; no host copy but reading the result", { skip }, () => {
  const cpuModel = new SmallCNN(), gpuModel = new SmallCNN().to("webgpu");
  cpuModel.eval(); gpuModel.eval();
  const x = det([2, 3, 8, 8], 1, 1), xg = x.to("webgpu");
  const gc = inferGraph(cpuModel), gg = inferGraph(gpuModel);
  const yc = gc(x) as Tensor;
  const yg = gg(xg) as Tensor;
  assert.equal(yg.device.name, "webgpu");
  assert.ok(yg._deviceValue !== null, "the output is a GPU buffer");
  assert.ok(maxDiff(onCpu(yg), yc) < 1e-4, `webgpu differs by ${maxDiff(onCpu(yg), yc)}`);
  assert.ok(gg.lastCompiled()!.lowered.nodes.every((n) => n.op !== "MaxPool" || n.outputs.length === 1), "inference MaxPool has no Indices output");
  const before = { ...copyStats };
  const y2 = gg(xg) as Tensor;
  assert.equal(copyStats.hostToDevice - before.hostToDevice, 0, "no upload: the input is resident and the weights are in the model");
  assert.equal(copyStats.deviceToHost - before.deviceToHost, 0, "no download during the call");
  y2.toTypedArray();
  assert.equal(copyStats.deviceToHost - before.deviceToHost, 1, "reading the result is the one copy");
});

test("CNN training graph on webgpu (SGD momentum, batch norm, maxpool indices from the ArgMax form) equals CPU for 3 steps", { skip }, () => {
  const run = (dev: string) => {
    const model = new SmallCNN().to(dev);
    class T extends Graph {
      model = model;
      constructor() { super(); this.addOptimizer(new flow.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 })); }
      build(a: Tensor, b: Tensor) { const l = ce(this.model(a), b); l.backward(); return l; }
    }
    const g = new T();
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push((g(det([4, 3, 8, 8], 20 + i, 1).to(dev), flow.tensor([i, 3, 5, 7], { dtype: "int64" }).to(dev)) as Tensor).item());
    return { model, losses, g };
  };
  const c = run("cpu"), w = run("webgpu");
  c.losses.forEach((l, i) => assert.ok(Math.abs(l - w.losses[i]) < 1e-4, `loss ${i}: cpu ${l} webgpu ${w.losses[i]}`));
  const sc = c.model.stateDict(), sw = w.model.stateDict();
  for (const [k, v] of Object.entries(sc)) {
    if (v.dtype === "int64") assert.deepEqual(onCpu(sw[k]).tolist(), v.tolist(), k);
    else assert.ok(maxDiff(onCpu(sw[k]), v) < 1e-4, `${k} differs by ${maxDiff(onCpu(sw[k]), v)}`);
  }
  const nodes = w.g.lastCompiled()!.lowered.nodes;
  // ORT's WebGPU MaxPool has no Indices output: F.maxPool2d traced on webgpu takes the indices its gradient
  // needs from an ArgMax over the pooling windows instead (nn/functional/pooling.ts).
  assert.ok(nodes.every((n) => n.op !== "MaxPool" || n.outputs.length === 1), "no MaxPool asks for Indices on webgpu");
  assert.ok(nodes.some((n) => n.op === "ArgMax"), "indices come from the ArgMax form");
  assert.equal(w.model.conv1.weight.device.name, "webgpu");
  assert.ok(w.model.conv1.weight._deviceValue !== null, "updated parameters stay on the device");
  // An inference graph that baked the weights recompiles after the training graph wrote them on the device.
  w.model.eval();
  const inf = inferGraph(w.model), xi = det([1, 3, 8, 8], 9, 1).to("webgpu");
  const y1 = onCpu(inf(xi) as Tensor);
  w.model.train();
  w.g(det([4, 3, 8, 8], 30, 1).to("webgpu"), flow.tensor([0, 1, 2, 3], { dtype: "int64" }).to("webgpu"));
  w.model.eval();
  const y2 = onCpu(inf(xi) as Tensor);
  assert.equal(inf.callTimings().filter((t) => t.compiled).length, 2, "recompiled after the device write");
  assert.ok(maxDiff(y1, y2) > 0, "and sees the new weights");
});

test("AMP (float16) CNN inference graph on webgpu is within float16 tolerance of CPU float32", { skip }, () => {
  const cpuModel = new SmallCNN(), gpuModel = new SmallCNN().to("webgpu");
  cpuModel.eval(); gpuModel.eval();
  const x = det([2, 3, 8, 8], 3, 1);
  const ref = flow.noGrad(() => cpuModel(x));
  const g = inferGraph(gpuModel);
  g.config.enableAmp(true);
  const y = onCpu(g(x.to("webgpu")) as Tensor);
  assert.equal(y.dtype, "float32");
  const d = maxDiff(y, ref);
  assert.ok(d > 0 && d < 2e-2, `fp16 differs by ${d}`);
  assert.ok(g.lastCompiled()!.lowered.nodes.some((n) => n.op === "Conv" && g.lastCompiled()!.lowered.meta.get(n.outputs[0])?.dtype === "float16"), "convs in float16");
});

test("bfloat16 AMP CNN inference graph on webgpu equals the same graph on CPU (bfloat16 rounding runs on the CPU provider)", { skip }, () => {
  const cpuModel = new SmallCNN(), gpuModel = new SmallCNN().to("webgpu");
  cpuModel.eval(); gpuModel.eval();
  const x = det([2, 3, 8, 8], 3, 1);
  const gc = inferGraph(cpuModel), gg = inferGraph(gpuModel);
  gc.config.enableAmp(true, { dtype: "bfloat16" });
  gg.config.enableAmp(true, { dtype: "bfloat16" });
  const yc = gc(x) as Tensor, yg = onCpu(gg(x.to("webgpu")) as Tensor);
  assert.ok(maxDiff(yg, yc) < 1e-5, `webgpu vs cpu bfloat16 AMP differ by ${maxDiff(yg, yc)}`);
  assert.ok(maxDiff(yc, flow.noGrad(() => cpuModel(x))) < 3e-2);
  // Eager bfloat16 tensors on webgpu compute on the CPU provider and stay webgpu tensors.
  const a = x.to("webgpu").bfloat16();
  const s = a.mul(a).add(a);
  assert.equal(s.device.name, "webgpu");
  assert.equal(s.dtype, "bfloat16");
  const c = x.bfloat16();
  assert.deepEqual(Array.from(s.to("cpu").toTypedArray() as Uint16Array), Array.from(c.mul(c).add(c).toTypedArray() as Uint16Array));
});
