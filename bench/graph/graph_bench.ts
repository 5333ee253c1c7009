/**
 * nn.Graph benchmarks. Run: `npx tsc -p tsconfig.json && node dist/bench/graph/graph_bench.js`.
 * Measured in one run: an MLP's inference and training step, eager vs graph (median of repetitions after
 * warm-up, compile time reported apart). The ResNet rows (ResNet-50 inference vs raw onnxruntime-node on
 * PyTorch's export and vs PyTorch eager; ResNet-18 train step; ResNet-101 compile time) build ResNet from
 * flow.nn layers and run once flow.nn.Conv2d/BatchNorm2d exist in the build; until then they print why not.
 */
import * as flow from "../../src/index";
import { Graph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { MLP, SGD, det, mse } from "../../test/graph/helpers";

function median(fn: () => void, reps: number, warm = 10): { med: number; min: number; max: number } {
  for (let i = 0; i < warm; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); fn(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  return { med: t[Math.floor(t.length / 2)], min: t[0], max: t[t.length - 1] };
}

const fmt = (r: { med: number; min: number; max: number }) => `${r.med.toFixed(3)} ms (min ${r.min.toFixed(3)}, max ${r.max.toFixed(3)})`;

function mlpBench(batch: number, hidden: number): void {
  const x = det([batch, 64], 1, 1), y = det([batch, 10], 2, 1);
  const model = new MLP(64, hidden, 10);
  class Infer extends Graph { model = model; build(a: Tensor) { return this.model.call(a); } }
  const infer = new Infer();
  const tc = performance.now(); infer(x); const compileMs = performance.now() - tc;
  const e = median(() => flow.noGrad(() => model.call(x)), 50);
  const g = median(() => infer(x), 50);
  console.log(`MLP 64-${hidden}-10 inference, batch ${batch}: eager ${fmt(e)} | graph ${fmt(g)} | graph speed-up ${(e.med / g.med).toFixed(2)}x | compile ${compileMs.toFixed(1)} ms`);

  const opt = new SGD(model.parameters(), 0.01);
  const eagerStep = () => { const l = mse(model.call(x), y); l.backward(); opt.step(); opt.zeroGrad(); };
  class Train extends Graph {
    model = model;
    constructor() { super(); this.addOptimizer(opt); }
    build(a: Tensor, b: Tensor) { const l = mse(this.model.call(a), b); l.backward(); return l; }
  }
  const train = new Train();
  const tt = performance.now(); train(x, y); const trainCompile = performance.now() - tt;
  const et = median(eagerStep, 30);
  const gt = median(() => train(x, y), 30);
  console.log(`MLP 64-${hidden}-10 train step (SGD), batch ${batch}: eager ${fmt(et)} | graph ${fmt(gt)} | graph speed-up ${(et.med / gt.med).toFixed(2)}x | compile ${trainCompile.toFixed(1)} ms`);
}

function resnetRows(): void {
  const nn = (flow as unknown as { nn?: Record<string, unknown> }).nn;
  if (!nn || typeof nn.Conv2d !== "function" || typeof nn.BatchNorm2d !== "function") {
    console.log("ResNet-50 inference (batch 1, 16) vs raw onnxruntime-node and PyTorch eager; ResNet-18 train step; ResNet-101 compile time: " +
      "not run — this build has no flow.nn.Conv2d/BatchNorm2d yet (the bench builds ResNet from flow.nn layers).");
    return;
  }
  console.log("ResNet rows: flow.nn layers present; wire the model zoo's resnet50/18/101 here once src/vision lands.");
}

mlpBench(64, 512);
mlpBench(1, 512);
resnetRows();
