/**
 * Issue 8's proof on webgpu (lavapipe in CI): a ResNet-18 inference graph equals the CPU graph within float32
 * tolerance, and with AMP (float16) within float16 tolerance; a training-graph step matches CPU.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import type { Tensor } from "../../src/tensor/tensor";

const skip = flow.webgpu.isAvailable() ? false : `webgpu unavailable: ${flow.webgpu.unavailableReason()}`;
const F = flow.nn.functional;

function relDiff(a: Tensor, b: Tensor): number {
  const x = a.to("cpu"), y = b.to("cpu");
  return x.sub(y).abs().max().item() / Math.max(y.abs().max().item(), 1e-12);
}

function resnet(device: string, seed = 7): flow.nn.Module {
  flow.manualSeed(seed);
  return flow.vision.models.resnet18({ numClasses: 10 }).to(device);
}

class Infer extends flow.nn.Graph {
  constructor(readonly model: flow.nn.Module) { super(); }
  build(x: Tensor) { return this.model(x); }
}

test("ResNet-18 inference graph on webgpu equals CPU (float32), and with AMP within float16 tolerance", { skip }, () => {
  const cpu = resnet("cpu"), gpu = resnet("webgpu");
  cpu.eval(); gpu.eval();
  flow.manualSeed(1);
  const x = flow.randn(2, 3, 64, 64);
  const ref = new Infer(cpu)(x) as Tensor;
  const out = new Infer(gpu)(x.to("webgpu")) as Tensor;
  assert.equal(out.device.name, "webgpu", "the result stays on the device");
  const d32 = relDiff(out, ref);
  assert.ok(d32 < 1e-4, `float32 graph on webgpu differs from CPU by ${d32} (relative)`);
  const amp = new Infer(gpu);
  amp.config.enableAmp(true);
  const d16 = relDiff(amp(x.to("webgpu")) as Tensor, ref);
  assert.ok(d16 > 0 && d16 < 3e-2, `AMP graph on webgpu differs from CPU float32 by ${d16} (relative)`);
});

test("ResNet-18 training-graph step on webgpu matches CPU", { skip }, () => {
  const run = (device: string) => {
    const model = resnet(device, 11);
    const opt = new flow.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    class Train extends flow.nn.Graph {
      constructor() { super(); this.model = model; this.addOptimizer(opt); }
      model: flow.nn.Module;
      build(x: Tensor, y: Tensor) { const l = F.crossEntropy(this.model(x), y); l.backward(); return l; }
    }
    flow.manualSeed(2);
    const x = flow.randn(2, 3, 64, 64).to(device), y = flow.tensor([3, 7], { dtype: "int64" }).to(device);
    const loss = (new Train()(x, y) as Tensor).item();
    return { loss, fc: model.stateDict()["fc.weight"].to("cpu") };
  };
  const c = run("cpu"), g = run("webgpu");
  assert.ok(Math.abs(c.loss - g.loss) < 1e-4 * Math.max(1, Math.abs(c.loss)), `loss cpu ${c.loss} webgpu ${g.loss}`);
  const d = relDiff(g.fc, c.fc);
  assert.ok(d < 1e-4, `fc.weight after one step differs by ${d} (relative)`);
});
