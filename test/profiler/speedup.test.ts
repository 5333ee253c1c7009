// The speed-up table and the pipeline lessons: structure, the cumulative arithmetic, not-applicable rows.
// Never timing thresholds (the machine is shared and loaded): only what must hold whatever the timings are.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { DISPLAY_SYMBOL as DISPLAY } from "../../src/display/bundle";
import { SpeedupRow, computeSpeedups, resolveStep } from "../../src/profiler/speedup";
import { stats } from "../../src/profiler/measure";

const nn = flow.nn;
const cnn = () => new nn.Sequential(
  new nn.Conv2d(3, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(),
  new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(4, 3),
);

function synth(mode: SpeedupRow["mode"], step: string, ms: number | null, extra: Partial<SpeedupRow> = {}): SpeedupRow {
  return {
    mode, step, applicable: ms !== null, timing: ms === null ? null : stats([ms, ms, ms]), imagesPerSec: null, stepSpeedup: null,
    cumulativeSpeedup: null, compileMs: null, notes: "", ...extra,
  };
}

test("stats: median, quartiles and spread", () => {
  const s = stats([5, 1, 3, 2, 4]);
  assert.equal(s.median, 3);
  assert.equal(s.min, 1);
  assert.equal(s.max, 5);
  assert.equal(s.p25, 2);
  assert.equal(s.p75, 4);
  assert.equal(s.relSpread, 2 / 3);
  assert.deepEqual(s.samples, [5, 1, 3, 2, 4], "samples kept in run order");
  assert.equal(stats([1, 2, 3, 4]).median, 2.5);
  assert.throws(() => stats([]), /no samples/);
});

test("computeSpeedups: step and cumulative speed-ups per mode, n/a and failed rows skipped", () => {
  const rows = computeSpeedups([
    synth("inference", "eager", 100),
    synth("inference", "nn.Graph", 50),
    synth("inference", "+ tensorrt", null, { notes: "not applicable on cpu" }),
    synth("inference", "+ amp", 40, { error: "boom" }),
    synth("inference", "+ fuseConvBn", 25),
    synth("training", "eager", 400),
    synth("training", "nn.Graph", 100),
  ], 8);
  const f = (r: SpeedupRow) => [r.step, r.stepSpeedup, r.cumulativeSpeedup, r.imagesPerSec];
  assert.deepEqual(rows.map(f), [
    ["eager", 1, 1, 80],
    ["nn.Graph", 2, 2, 160],
    ["+ tensorrt", null, null, null],
    ["+ amp", null, null, null],
    ["+ fuseConvBn", 2, 4, 320], // compared with the last measured row (nn.Graph), not the n/a or failed ones
    ["eager", 1, 1, 20], // training has its own baseline
    ["nn.Graph", 4, 4, 80],
  ]);
  // the cumulative speed-up is the product of the step speed-ups
  const inf = rows.filter((r) => r.mode === "inference" && r.stepSpeedup !== null);
  assert.equal(inf.reduce((a, r) => a * r.stepSpeedup!, 1), inf[inf.length - 1].cumulativeSpeedup);
});

test("steps: built-in names, ortLevel:<level>, custom steps; unknown names say what is known", () => {
  const c = new flow.graph.GraphConfig();
  for (const n of ["amp", "fusePadToConv", "fuseAddToOutput", "fuseConvBn", "cudnnSearch", "tensorrt", "ortLevel:basic"]) resolveStep(n).apply(c);
  assert.equal(c.amp.enabled, true);
  assert.equal(c.fusePadToConv && c.fuseAddToOutput && c.fuseConvBn && c.tensorRT, true);
  assert.equal(c.cudnnSearch, true);
  assert.equal(c.ortOptimizationLevel, "basic");
  assert.equal(c.amp.dtype, "float16");
  resolveStep("amp:bfloat16").apply(c);
  assert.equal(c.amp.dtype, "bfloat16");
  assert.throws(() => resolveStep("fuseEverything"), /unknown step 'fuseEverything' \(known: amp, fusePadToConv/);
  assert.throws(() => resolveStep("ortLevel:max"), /unknown ONNX Runtime level 'max'.*ortLevel:disabled/);
  assert.throws(() => resolveStep({ name: "x" } as never), /custom step needs \{name, apply\(config\)\}/);
});

test("speedupTable: eager, graph, cumulative options; options that cannot act on cpu are n/a, not measured", () => {
  flow.manualSeed(0);
  const model = cnn();
  const x = flow.randn(2, 3, 8, 8);
  const seen: string[] = [];
  const t = flow.profiler.speedupTable({
    model, input: x, steps: ["fuseConvBn", "tensorrt", "cudnnSearch", "fusePadToConv"], warmup: 1, repeat: 3, onRow: (r) => seen.push(r.step),
  });
  assert.deepEqual(t.rows.map((r) => r.step), ["eager", "nn.Graph", "+ fuseConvBn", "+ tensorrt", "+ cudnnSearch", "+ fusePadToConv"]);
  assert.deepEqual(seen, t.rows.map((r) => r.step), "onRow sees each row");
  assert.ok(t.rows.every((r) => r.mode === "inference" && !r.error), JSON.stringify(t.rows.map((r) => r.error)));
  for (const step of ["+ tensorrt", "+ cudnnSearch"]) {
    const r = t.rows.find((x) => x.step === step)!;
    assert.equal(r.applicable, false);
    assert.equal(r.timing, null);
    assert.equal(r.cumulativeSpeedup, null);
    assert.match(r.notes, /^not applicable on cpu \(.+\)$/);
  }
  const measured = t.rows.filter((r) => r.applicable);
  const eager = measured[0];
  for (const r of measured) {
    assert.equal(r.timing!.samples.length, 3);
    assert.equal(r.imagesPerSec, 2 / (r.timing!.median / 1000));
    assert.equal(r.cumulativeSpeedup, eager.timing!.median / r.timing!.median);
  }
  assert.equal(eager.compileMs, null, "eager has no compile time");
  assert.ok(measured.slice(1).every((r) => r.compileMs! > 0), "graph rows report their compile time apart");
  assert.match(t.rows[2].notes, /fuse_conv_bn: 1 rewrite\(s\)/);
  assert.equal(model.training, true, "the model's train/eval mode is restored");
  // text, HTML + chart, data
  const text = t.toString();
  assert.match(text, /inference\s+\+ tensorrt\s+n\/a\s+—/);
  assert.match(text, /batch 2; median of 3 calls after 1 warm-up calls, compile time excluded; load average/);
  const b = t[DISPLAY]() as Record<string, any>;
  assert.match(b["text/html"], /<table class="flowbook-speedup">/);
  assert.match(b["text/html"], /<tr class="na"><td>inference<\/td><td>\+ tensorrt<\/td><td>n\/a<\/td>/);
  const fig = b["application/vnd.plotly.v1+json"];
  assert.equal(fig.data[0].type, "bar");
  assert.deepEqual(fig.data[0].x, t.rows.map((r) => r.step));
  assert.equal(fig.data[0].text[3], "n/a");
  const json = JSON.parse(JSON.stringify(t));
  assert.equal(json.rows.length, 6);
  assert.equal(json.meta.device, "cpu");
});

test("speedupTable: training rows (graph training step); batch-norm folding is n/a for training graphs", () => {
  flow.manualSeed(1);
  const model = new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 3));
  const x = flow.randn(4, 6), y = flow.randint(0, 3, [4]);
  const opt = new flow.optim.SGD(model.parameters(), { lr: 0.01 });
  const w0 = model.parameters()[0].clone();
  const t = flow.profiler.speedupTable({
    model, input: x, steps: ["fuseConvBn", "ortLevel:disabled"], warmup: 1, repeat: 2,
    train: { optimizer: opt, loss: (out: flow.Tensor, target: flow.Tensor) => flow.nn.functional.crossEntropy(out, target), target: y },
  });
  assert.deepEqual(t.rows.map((r) => `${r.mode} ${r.step}`), [
    "inference eager", "inference nn.Graph", "inference + fuseConvBn", "inference + ortLevel:disabled",
    "training eager", "training nn.Graph", "training + fuseConvBn", "training + ortLevel:disabled",
  ]);
  const bn = t.rows.find((r) => r.mode === "training" && r.step === "+ fuseConvBn")!;
  assert.equal(bn.applicable, false);
  assert.match(bn.notes, /not applicable to training graphs/);
  const tr = t.mode("training");
  assert.ok(tr.filter((r) => r.applicable).every((r) => r.timing && !r.error), JSON.stringify(tr.map((r) => r.error)));
  assert.equal(tr[0].cumulativeSpeedup, 1, "training speed-ups are relative to the eager training step");
  assert.notDeepEqual(model.parameters()[0].tolist(), w0.tolist(), "training rows ran real optimizer steps");
});

test("speedupTable: a graph that cannot be traced gives failed rows with the reason, eager still measured", () => {
  const model = (a: flow.Tensor) => a.mul(a.sum().item());
  const t = flow.profiler.speedupTable({ model, input: flow.ones(2, 3), steps: ["amp"], warmup: 0, repeat: 1 });
  assert.ok(t.rows[0].timing && !t.rows[0].error);
  assert.match(t.rows[1].error!, /item\(\) on a tensor traced by nn\.Graph/);
  assert.match(t.rows[2].error!, /left out of the following rows$/);
  assert.match(t.toString(), /nn\.Graph\s+failed/);
  assert.throws(() => flow.profiler.speedupTable({ model, input: flow.ones(2), repeat: 0 }), /repeat must be a positive integer, got 0/);
  assert.throws(() => flow.profiler.speedupTable({ model, input: [1, 2] as never }), /input: expected a Tensor or an array of Tensors/);
});

test("batchSweep: one row per mode and batch size; the graph compiles each batch size", () => {
  const model = new nn.Sequential(new nn.Linear(5, 7), new nn.ReLU(), new nn.Linear(7, 2));
  const t = flow.profiler.batchSweep({ model, input: flow.randn(3, 5), batchSizes: [1, 4], warmup: 0, repeat: 2 });
  assert.deepEqual(t.rows.map((r) => [r.mode, r.batch]), [["eager", 1], ["eager", 4], ["graph", 1], ["graph", 4]]);
  for (const r of t.rows) {
    assert.ok(!r.error, r.error);
    assert.equal(r.imagesPerSec, r.batch / (r.timing!.median / 1000));
  }
  assert.equal(t.rows[0].speedup, 1);
  assert.equal(t.rows[1].speedup, t.rows[1].imagesPerSec! / t.rows[0].imagesPerSec!);
  assert.ok(t.rows[2].compileMs! > 0 && t.rows[3].compileMs! > 0);
  const fig = (t[DISPLAY]() as Record<string, any>)["application/vnd.plotly.v1+json"];
  assert.deepEqual(fig.data.map((d: { name: string; x: number[] }) => [d.name, d.x]), [["eager", [1, 4]], ["graph", [1, 4]]]);
  const made: number[] = [];
  flow.profiler.batchSweep({ model, input: (b) => { made.push(b); return flow.randn(b, 5); }, batchSizes: [2, 3], modes: ["graph"], warmup: 0, repeat: 1 });
  assert.deepEqual(made, [2, 3]);
  assert.throws(() => flow.profiler.batchSweep({ model, input: flow.randn(1, 5), batchSizes: [0] }), /batchSizes must be positive integers/);
});

test("inputGradientCost: frozen parameters vs not, eager and graph; the graph prunes to the same backward ops", () => {
  const model = new nn.Sequential(new nn.Linear(5, 7), new nn.ReLU(), new nn.Linear(7, 2));
  const t = flow.profiler.inputGradientCost({ model, input: flow.randn(3, 5), warmup: 0, repeat: 2 });
  assert.deepEqual(t.rows.map((r) => r.case), ["eager, parameters require grad", "graph, parameters require grad", "eager, parameters frozen", "graph, parameters frozen"]);
  assert.ok(t.rows.every((r) => !r.error && r.timing), JSON.stringify(t.rows.map((r) => r.error)));
  const remain = (r: { notes: string }) => Number(/(\d+) remain/.exec(r.notes)![1]);
  const pruned = (r: { notes: string }) => Number(/removed (\d+)/.exec(r.notes)![1]);
  assert.equal(remain(t.rows[1]), remain(t.rows[3]), "parameter gradients nothing reads are pruned either way");
  assert.ok(pruned(t.rows[1]) > pruned(t.rows[3]));
  assert.equal(t.rows[1].ops, t.rows[3].ops);
  assert.ok(model.parameters().every((p) => p.requiresGrad && p.grad === null), "requiresGrad restored, no gradients left behind");
});

test("repeatedForwardCost: CSE computes a repeated forward once (same ONNX nodes as one forward)", () => {
  const model = cnn();
  const t = flow.profiler.repeatedForwardCost({ model, input: flow.randn(2, 3, 6, 6), warmup: 0, repeat: 2 });
  assert.deepEqual(t.rows.map((r) => r.case), ["eager, forward ×2", "graph, forward ×2, CSE off", "graph, forward ×2", "graph, single forward (reference)"]);
  assert.ok(t.rows.every((r) => !r.error), JSON.stringify(t.rows.map((r) => r.error)));
  const [, off, on, single] = t.rows;
  assert.equal(on.ops, single.ops);
  assert.ok(off.ops! > on.ops!);
  assert.match(on.notes, /common_subexpression_elimination merged [1-9]\d* op\(s\)/);
  assert.throws(() => flow.profiler.repeatedForwardCost({ model, input: flow.randn(1, 3, 6, 6), times: 1 }), /times must be an integer >= 2/);
});
