/**
 * Regression tests for QA's nn.Graph findings: conv+BN folding under AMP (fold in float32, then cast), the
 * module tree / stateDict / resume over real flow.nn modules, the user's line in the non-Tensor-output error,
 * the text form showing what runs, and graph.speedupTable.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { Graph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { SmallCNN, ResBlock, det, detInit, maxDiff } from "./helpers";

const ce = new flow.nn.CrossEntropyLoss();

/** A ResBlock whose batch norms have non-trivial statistics, in eval mode. */
function evalBlock(): ResBlock {
  const rb = new ResBlock(8); detInit(rb, 5);
  flow.noGrad(() => { for (let i = 0; i < 3; i++) rb(det([2, 8, 5, 5], 70 + i, 1)); });
  rb.eval();
  return rb;
}

test("AMP + allowFuseConvBn: batch norms are folded in float32 before the float16 casts (none left), outputs within float16 tolerance", () => {
  const rb = evalBlock();
  const x = det([2, 8, 5, 5], 3, 1);
  const eager = flow.noGrad(() => rb(x));
  class Infer extends Graph { model = rb; build(v: Tensor) { return this.model(v); } }
  const amp = new Infer(); amp.config.enableAmp(true);
  const both = new Infer(); both.config.enableAmp(true).allowFuseConvBn(true);
  const ya = amp(x) as Tensor, yb = both(x) as Tensor;
  assert.equal(yb.dtype, "float32");
  const ea = amp.compiledSignatures()[0], eb = both.compiledSignatures()[0];
  assert.equal(ea.lowered.opCounts().BatchNormalization, 2, "AMP alone keeps the batch norms (float32)");
  assert.equal(eb.lowered.opCounts().BatchNormalization, undefined, `no batch norm left: ${JSON.stringify(eb.lowered.opCounts())}`);
  assert.ok(eb.passLog.some((p) => p.name === "fuse_conv_bn" && p.changes === 2), JSON.stringify(eb.passLog));
  // The folded convs still run in float16 (their weights cast after folding).
  const convs = eb.optimized.nodes.filter((n) => n.op === "conv");
  assert.ok(convs.length === 2 && convs.every((n) => eb.optimized.meta.get(n.outputs[0])!.dtype === "float16"));
  assert.ok(maxDiff(ya, eager) < 2e-2 && maxDiff(yb, eager) < 2e-2, `amp ${maxDiff(ya, eager)}, amp+fold ${maxDiff(yb, eager)}`);
  // The same order holds with every fusion on.
  const all = new Infer(); all.config.enableAmp(true).allowFuseConvBn(true).allowFusePadToConv(true).allowFuseAddToOutput(true);
  assert.ok(maxDiff(all(x) as Tensor, eager) < 2e-2);
  assert.equal(all.compiledSignatures()[0].lowered.opCounts().BatchNormalization, undefined);
});

function trainPair(seed = 1) {
  const model = new SmallCNN(seed);
  const opt = new flow.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const sched = new flow.optim.lrScheduler.StepLR(opt, 1, 0.7);
  class TrainGraph extends Graph {
    model = model;
    constructor() { super(); this.addOptimizer(opt, { lrScheduler: sched }); }
    build(x: Tensor, y: Tensor) { const l = ce(this.model(x), y); l.backward(); return l; }
  }
  return { g: new TrainGraph(), model, opt, sched };
}
const batches = Array.from({ length: 4 }, (_, i) => [det([4, 3, 8, 8], 80 + i, 1), flow.tensor([i, 2, 5, 9], { dtype: "int64" })] as [Tensor, Tensor]);

test("flow.nn modules are graph modules: the text form's module tree is the model's, stateDict holds model.<param> and optimizer state", () => {
  const { g, model } = trainPair();
  assert.equal(g.modules().length, 1);
  assert.equal(g.modules()[0][0], "model");
  g(...batches[0]);
  const s = g.toString();
  const shown = [...s.matchAll(/\(MODULE:([\w.]+):(\w+)\(\)\)/g)].map((m) => `${m[1]}:${m[2]}`).sort();
  const expected = [["", model] as [string, unknown], ...model.namedModules().filter(([p]) => p)].map(([p, m]) => `${p ? "model." + p : "model"}:${(m as object).constructor.name}`).sort();
  assert.deepEqual(shown, expected);
  const sd = g.stateDict() as Record<string, any>;
  assert.deepEqual(Object.keys(sd).sort(), ["_graph", "_lrScheduler0", "_optimizer0", "model"]);
  for (const k of Object.keys(model.stateDict())) assert.ok(sd.model[k] instanceof Tensor, `model.${k} in the graph's state`);
  assert.ok(sd.model["conv1.weight"]._storage === model.conv1.weight._storage, "views of the eager tensors (shared with the graph)");
  assert.ok(Object.keys(sd._optimizer0.state).length > 0, "momentum buffers");
});

test("save → a new graph → loadStateDict → training continues identically (parameters, buffers, momentum, lr schedule)", () => {
  const os = require("os") as typeof import("os"), fs = require("fs") as typeof import("fs"), path = require("path") as typeof import("path");
  const full = trainPair();
  const fullLosses = batches.map((b) => (full.g(...b) as Tensor).item());
  const first = trainPair();
  for (const b of batches.slice(0, 2)) first.g(...b);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-gstate-")), "ckpt.safetensors");
  flow.save(first.g.stateDict(), file);
  const second = trainPair(7); // different initial weights: everything must come from the file
  second.g.loadStateDict(flow.load(file) as Record<string, unknown>);
  const rest = batches.slice(2).map((b) => (second.g(...b) as Tensor).item());
  rest.forEach((l, i) => assert.ok(Math.abs(l - fullLosses[2 + i]) < 1e-5, `step ${2 + i}: resumed ${l}, uninterrupted ${fullLosses[2 + i]}`));
  assert.equal(second.opt.paramGroups[0].lr, full.opt.paramGroups[0].lr, "the lr schedule resumed too");
  const fa = full.model.stateDict(), sb = second.model.stateDict();
  for (const [k, v] of Object.entries(fa)) {
    if (v.dtype === "int64") assert.deepEqual(sb[k].tolist(), v.tolist(), k);
    else assert.ok(maxDiff(v, sb[k]) < 1e-5, `${k} differs by ${maxDiff(v, sb[k])}`);
  }
});

test("a non-Tensor output names the user's build (where it is defined)", () => {
  class U extends Graph {
    build(_x: Tensor) { return 5; }
  }
  assert.throws(() => new U()(det([2], 1)), /^TypeError: U\.build\(\) \(build defined at \S*fixes\.test\.js:\d+:\d+\) returned a number \(5\) at output; a graph's outputs must be Tensors/);
});

test("toString shows what runs: after fusions no pad or batch norm is listed, the fused conv is marked; repr('traced') keeps them", () => {
  class PadBN extends flow.nn.Module<[Tensor], Tensor> {
    conv = new flow.nn.Conv2d(3, 4, 3); bn = new flow.nn.BatchNorm2d(4);
    forward(x: Tensor) { return this.bn(this.conv(flow.nn.functional.pad(x, [1, 1, 1, 1]))).relu(); }
  }
  const m = new PadBN(); detInit(m, 2); m.eval();
  class Infer extends Graph { model = m; build(v: Tensor) { return this.model(v); } }
  const g = new Infer(); g.config.allowFusePadToConv(true).allowFuseConvBn(true);
  const x = det([2, 3, 6, 6], 4, 1);
  assert.ok(maxDiff(g(x) as Tensor, flow.noGrad(() => m(x))) < 1e-4);
  const s = g.toString();
  assert.match(s, /\(STAGE:compiled: what runs/);
  const ops = s.split("\n").filter((l) => l.includes("OPERATOR"));
  assert.ok(!ops.some((l) => /OPERATOR: (Pad|BatchNormalization|pad|_batchNormEval)\(/.test(l)), ops.join("\n"));
  assert.ok(ops.some((l) => /OPERATOR: Conv\(input_0, model\.conv\.weight_bn_folded, \S+\) -> \(\w+:\(size=\(2, 4, 6, 6\), dtype=flow\.float32\)\) fused=\[Conv\+BatchNormalization\+Pad\] at PadBN\.forward \(fixes\.test\.js:\d+:\d+\)/.test(l)), ops.join("\n"));
  const traced = g.repr("traced");
  assert.match(traced, /\(STAGE:traced: /);
  assert.match(traced, /OPERATOR: pad\(input_0\)/);
  assert.match(traced, /OPERATOR: _batchNormEval\(/);
  assert.throws(() => g.repr("nope" as never), /stage must be "compiled", "optimized" or "traced"/);
});

test("graph.speedupTable(input, {steps}): eager build, the graph with its own config, then each step", () => {
  const rb = evalBlock();
  class Infer extends Graph { model = rb; build(v: Tensor) { return this.model(v); } }
  const g = new Infer();
  g.config.allowFusePadToConv(true);
  const t = g.speedupTable(det([2, 8, 5, 5], 3, 1), { steps: ["fuseConvBn"], warmup: 1, repeat: 2 });
  assert.deepEqual(t.rows.map((r) => `${r.mode} ${r.step}`), ["inference eager", "inference nn.Graph", "inference + fuseConvBn"]);
  assert.match(t.rows[2].notes, /fuse_conv_bn: 2 rewrite\(s\)/);
  assert.ok(t.rows.every((r) => r.timing && r.timing.median > 0));
  const { g: train } = trainPair();
  assert.throws(() => train.speedupTable(batches[0][0]), /training graph .* flow\.profiler\.speedupTable/);
});
