/**
 * A small CNN of flow.nn layers (conv, batchnorm, relu, maxpool, a residual block, linear, cross-entropy):
 * eager vs graph for the forward pass and 10 training steps (SGD with momentum, AdamW), the inference graph
 * after training, the conv+BN / pad→conv / add→output fusions on the traced model, AMP, and the text form.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { Graph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { SmallCNN, ResBlock, det, maxDiff, snapshot, detInit } from "./helpers";

const ce = new flow.nn.CrossEntropyLoss();
const batches = Array.from({ length: 10 }, (_, i) => [det([4, 3, 8, 8], 40 + i, 1), flow.tensor(Array.from({ length: 4 }, (_, k) => (i * 3 + k * 7) % 10), { dtype: "int64" })] as [Tensor, Tensor]);

type MakeOpt = (m: SmallCNN) => flow.optim.Optimizer<any>;
interface Run { losses: number[]; state: Record<string, Tensor>; model: SmallCNN }

const copyState = (m: SmallCNN) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.dtype === "float32" ? snapshot(v) : v.clone()]));

function trainEager(make: MakeOpt): Run {
  const model = new SmallCNN();
  const opt = make(model);
  const sched = new flow.optim.lrScheduler.StepLR(opt, 3, 0.5);
  const losses = batches.map(([x, y]) => {
    const loss = ce(model(x), y);
    loss.backward();
    opt.step(); opt.zeroGrad(); sched.step();
    return loss.item();
  });
  return { losses, state: copyState(model), model };
}

function trainGraph(make: MakeOpt): Run & { g: Graph } {
  const model = new SmallCNN();
  const opt = make(model);
  const sched = new flow.optim.lrScheduler.StepLR(opt, 3, 0.5);
  class TrainGraph extends Graph {
    model = model;
    constructor() { super(); this.addOptimizer(opt, { lrScheduler: sched }); }
    build(x: Tensor, y: Tensor) {
      const loss = ce(this.model(x), y);
      loss.backward();
      return loss;
    }
  }
  const g = new TrainGraph();
  const losses = batches.map(([x, y]) => (g(x, y) as Tensor).item());
  return { losses, state: copyState(model), model, g };
}

function assertSame(a: Run, b: Run, tol: number): void {
  a.losses.forEach((l, i) => assert.ok(Math.abs(l - b.losses[i]) <= tol * Math.max(1, Math.abs(l)), `loss ${i}: eager ${l} graph ${b.losses[i]}`));
  for (const [k, v] of Object.entries(a.state)) {
    const w = b.state[k];
    if (v.dtype === "int64") assert.deepEqual(w.tolist(), v.tolist(), `${k}`);
    else assert.ok(maxDiff(v, w) <= tol, `${k} differs by ${maxDiff(v, w)}`);
  }
}

test("CNN forward: graph equals eager (training-mode batch norm and eval mode)", () => {
  const model = new SmallCNN();
  class Infer extends Graph { model = model; build(x: Tensor) { return this.model(x); } }
  const x = batches[0][0];
  model.eval();
  const g = new Infer();
  assert.ok(maxDiff(g(x) as Tensor, flow.noGrad(() => model(x))) < 1e-5);
  const ops = g.compiledSignatures()[0].traced.opCounts();
  for (const op of ["conv", "_batchNormEval", "maxPool", "relu", "linear"]) assert.ok((ops[op] ?? 0) > 0, `traced ${op}: ${JSON.stringify(ops)}`);
});

test("CNN, 10 steps of SGD with momentum and a StepLR: graph equals eager (parameters and batch-norm buffers)", () => {
  const make: MakeOpt = (m) => new flow.optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 });
  const eager = trainEager(make), graph = trainGraph(make);
  assertSame(eager, graph, 1e-4);
  assert.equal(graph.g.compiledSignatures().length, 1, "one compile for ten steps");
  assert.equal(Number(graph.model.bn1.num_batches_tracked!.item()), 10, "the batch-norm step counter advanced in the graph");
  const entry = graph.g.compiledSignatures()[0];
  const kinds = new Set(entry.lowered.inputs.map((i) => i.kind));
  for (const k of ["param", "state", "hyper"]) assert.ok(kinds.has(k as never), `graph inputs include ${k}`);
});

test("CNN, 10 steps of AdamW: graph equals eager", () => {
  const make: MakeOpt = (m) => new flow.optim.AdamW(m.parameters(), { lr: 0.01, weightDecay: 0.05 });
  assertSame(trainEager(make), trainGraph(make), 1e-4);
});

test("inference graph over the trained CNN (model.eval()) equals eager", () => {
  const { model } = trainGraph((m) => new flow.optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }));
  model.eval();
  class Infer extends Graph { model = model; build(x: Tensor) { return this.model(x); } }
  const x = det([2, 3, 8, 8], 5, 1);
  const y = new Infer()(x) as Tensor;
  assert.ok(maxDiff(y, flow.noGrad(() => model(x))) < 1e-5);
  assert.deepEqual(y.shape, [2, 10]);
});

/** A residual block whose convs take an explicit pad (pad→conv material), in eval mode. */
class PadBlock extends flow.nn.Module<[Tensor], Tensor> {
  conv1 = new flow.nn.Conv2d(4, 4, 3, { bias: false });
  bn1 = new flow.nn.BatchNorm2d(4);
  conv2 = new flow.nn.Conv2d(4, 4, 3);
  bn2 = new flow.nn.BatchNorm2d(4);
  constructor() { super(); detInit(this, 3); }
  forward(x: Tensor): Tensor {
    const h = this.bn1(this.conv1(flow.nn.functional.pad(x, [1, 1, 1, 1]))).relu();
    return this.bn2(this.conv2(flow.nn.functional.pad(h, [1, 1, 1, 1]))).add(x).relu();
  }
}

test("fusions on traced flow.nn models: conv+BN fold, pad→conv, add→output; outputs equal eager, op counts drop", () => {
  const block = new PadBlock();
  // Running statistics that are not the identity, so that folding has something to fold.
  flow.noGrad(() => { for (let i = 0; i < 3; i++) block(det([2, 4, 6, 6], 70 + i, 1)); });
  block.eval();
  class Infer extends Graph { model = block; build(x: Tensor) { return this.model(x); } }
  const x = det([2, 4, 6, 6], 9, 1);
  const eager = flow.noGrad(() => block(x));
  const plain = new Infer();
  plain.config.ortOptimizationLevel = "disabled";
  const fused = new Infer();
  fused.config.ortOptimizationLevel = "disabled";
  fused.config.allowFuseConvBn(true).allowFusePadToConv(true).allowFuseAddToOutput(true);
  assert.ok(maxDiff(plain(x) as Tensor, eager) < 1e-5);
  assert.ok(maxDiff(fused(x) as Tensor, eager) < 1e-4, `fused differs by ${maxDiff(fused(x) as Tensor, eager)}`);
  const a = plain.compiledSignatures()[0], b = fused.compiledSignatures()[0];
  const count = (ops: Record<string, number>, ...names: string[]) => names.reduce((s, n) => s + (ops[n] ?? 0), 0);
  // These fusions rewrite the lowered (ONNX) graph.
  const before = a.lowered.opCounts(), after = b.lowered.opCounts();
  assert.equal(count(before, "BatchNormalization"), 2);
  assert.equal(count(before, "Pad"), 2);
  assert.equal(count(after, "BatchNormalization"), 0, `BN folded: ${JSON.stringify(after)}`);
  assert.equal(count(after, "Pad"), 0, `pads folded: ${JSON.stringify(after)}`);
  assert.ok(b.lowered.nodes.length < a.lowered.nodes.length, `${b.lowered.nodes.length} ONNX nodes < ${a.lowered.nodes.length}`);
  assert.ok(b.lowered.nodes.some((n) => n.op === "FusedConv" && n.inputs.length === 4), "the residual add became FusedConv's Z input");
  // ResBlock of the CNN (padding inside the conv), too.
  const rb = new ResBlock(8); detInit(rb, 5); rb.eval();
  class R extends Graph { model = rb; build(v: Tensor) { return this.model(v); } }
  const r = new R(); r.config.allowFuseConvBn(true).allowFuseAddToOutput(true);
  const xr = det([1, 8, 5, 5], 2, 1);
  assert.ok(maxDiff(r(xr) as Tensor, flow.noGrad(() => rb(xr))) < 1e-4);
  assert.ok(r.compiledSignatures()[0].passLog.some((p) => p.name === "fuse_conv_bn" && p.changes === 2));
});

test("AMP on the CNN: within float16 tolerance of eager (inference and a training step)", () => {
  const model = new SmallCNN();
  model.eval();
  class Infer extends Graph { model = model; build(x: Tensor) { return this.model(x); } }
  const g = new Infer();
  g.config.enableAmp(true);
  const x = batches[1][0];
  const y = g(x) as Tensor, e = flow.noGrad(() => model(x));
  assert.equal(y.dtype, "float32");
  const d = maxDiff(y, e);
  assert.ok(d > 0 && d < 2e-2, `fp16 differs by ${d}`);
  const convs = g.compiledSignatures()[0].optimized.nodes.filter((n) => n.op === "conv");
  assert.ok(convs.length === 3 && convs.every((n) => g.compiledSignatures()[0].optimized.meta.get(n.outputs[0])!.dtype === "float16"), "convs run in float16");

  const ref = new SmallCNN(), amp = new SmallCNN();
  const optR = new flow.optim.SGD(ref.parameters(), { lr: 0.05 });
  const [xb, yb] = batches[2];
  const lr = ce(ref(xb), yb); lr.backward(); optR.step();
  class T extends Graph {
    model = amp;
    constructor() { super(); this.addOptimizer(new flow.optim.SGD(amp.parameters(), { lr: 0.05 })); this.config.enableAmp(true); this.setGradScaler(256); }
    build(a: Tensor, b: Tensor) { const l = ce(this.model(a), b); l.backward(); return l; }
  }
  const la = (new T()(xb, yb) as Tensor).item();
  assert.ok(Math.abs(la - lr.item()) < 2e-2, `loss ${la} vs ${lr.item()}`);
  amp.parameters().forEach((p, i) => assert.ok(maxDiff(p, ref.parameters()[i]) < 5e-3, `param ${i} differs by ${maxDiff(p, ref.parameters()[i])}`));
});

test("the CNN's text form: module tree with classes, ops under their module, backward ops at backward(), optimizer ops at addOptimizer", () => {
  const { g } = trainGraph((m) => new flow.optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }));
  const s = g.toString();
  for (const want of ["(MODULE:model:SmallCNN()): (", "(MODULE:model.block:ResBlock()): (", "(MODULE:model.block.conv1:Conv2d()): (", "(MODULE:model.bn1:BatchNorm2d()): (",
    "(PARAMETER:model.conv1.weight:tensor(..., size=(8, 3, 3, 3), dtype=flow.float32, requires_grad=True))"]) {
    assert.ok(s.includes(want), `repr has ${want}\n${s.slice(0, 3000)}`);
  }
  assert.match(s, /OPERATOR: Conv\(input_0, model\.conv1\.weight\) -> \(conv_\d+:\(size=\(4, 8, 8, 8\), dtype=flow\.float32\)\) at SmallCNN\.forward \(helpers\.js:\d+:\d+\)/);
  assert.match(s, /\[backward\] at TrainGraph\.build \(cnn\.test\.js:\d+:\d+\)/);
  assert.match(s, /\[optimizer\] at SGD\.step \(added at (new )?TrainGraph \(cnn\.test\.js:\d+:\d+\)\)/);
  assert.match(s, /OUTPUT:assign:model\.bn1\.running_mean <- /);
  // the module blocks nest: block.conv1's ops sit inside model.block
  const iBlock = s.indexOf("(MODULE:model.block:ResBlock()): ("), iConv = s.indexOf("(MODULE:model.block.conv1:Conv2d()): (");
  assert.ok(iBlock >= 0 && iConv > iBlock);
});

test("graph.debug(1) logs trace, passes, lowering and session times; compile time is reported apart from run time", () => {
  const model = new SmallCNN(); model.eval();
  class Infer extends Graph { model = model; build(x: Tensor) { return this.model(x); } }
  const g = new Infer().debug(1);
  const logs: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => { logs.push(a.join(" ")); };
  try { g(batches[0][0]); g(batches[0][0]); } finally { console.log = orig; }
  const text = logs.join("\n");
  assert.match(text, /compiling Infer for infer\|cpu\|float32\[4,3,8,8\]/);
  assert.match(text, /traced \d+ ops in [\d.]+ ms/);
  assert.match(text, /passes [\d.]+ ms, lowered to \d+ ONNX nodes in [\d.]+ ms/);
  assert.match(text, /ONNX Runtime session \(all\) in [\d.]+ ms/);
  assert.match(text, /run [\d.]+ ms \(compile [\d.]+ ms, reported separately\)/);
  const t = g.callTimings();
  assert.equal(t.length, 2);
  assert.ok(t[0].compiled && t[0].compileMs > 0 && !t[1].compiled && t[1].compileMs === 0);
  assert.ok(t[1].runMs > 0 && t[1].runMs < t[0].totalMs);
});

test("the CNN's picture clusters ops by module (classes in labels); debug(2) prints the text form", async () => {
  const model = new SmallCNN(); model.eval();
  class Infer extends Graph { model = model; build(x: Tensor) { return this.model(x); } }
  const g = new Infer();
  const logs: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => { logs.push(a.join(" ")); };
  try { g.debug(2)(batches[0][0]); } finally { console.log = orig; }
  assert.ok(logs.some((l) => l.startsWith("(GRAPH:Infer): (") && l.includes("(MODULE:model.block:ResBlock())")), "debug(2) prints the repr");
  assert.ok(logs.some((l) => /pass constant_folding: \d+ change\(s\)/.test(l)), "debug(2) logs each pass");
  const svg = (await g.display({ depth: 3 }))["image/svg+xml"];
  for (const c of ["cluster_model.block", "model.block (ResBlock)", "model.block.conv1 (Conv2d)", "model.bn1 (BatchNorm2d)"]) assert.ok(svg.includes(c), `svg has ${c}`);
  const collapsed = (await g.display({ depth: 1 }))["image/svg+xml"];
  assert.ok(collapsed.includes("model.block") && collapsed.includes("ops:"), "depth 1 collapses the block into one box");
});
