/** AMP, saving/loading, dynamic batch, untraceable code, the text form and the picture. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { Graph, saveGraph, loadGraph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { MatmulMLP as MLP, sgd, det, maxDiff, mse, snapshot } from "./helpers";

class Infer extends Graph {
  constructor(public model: MLP) { super(); }
  build(x: Tensor) { return this.model(x); }
}
const x = det([6, 4], 3, 1);

test("AMP: matmuls run in float16 with float32 outputs, within float16 tolerance of eager", () => {
  const model = new MLP(4, 16, 3);
  const g = new Infer(model);
  g.config.enableAmp(true);
  const y = g(x) as Tensor;
  assert.equal(y.dtype, "float32");
  const ir = g.compiledSignatures()[0].optimized;
  const mm = ir.nodes.filter((n) => n.op === "matmul");
  assert.ok(mm.length === 2 && mm.every((n) => ir.meta.get(n.outputs[0])!.dtype === "float16"));
  const e = model(x);
  const d = maxDiff(y, e);
  assert.ok(d > 0 && d < 1e-2, `fp16 result differs by ${d}`);
});

test("AMP: deny-listed ops (exp, sum) stay float32", () => {
  const model = new MLP();
  class G extends Graph { model = model; build(a: Tensor) { return this.model(a).exp().sum(1); } }
  const g = new G();
  g.config.enableAmp(true);
  g(x);
  const ir = g.compiledSignatures()[0].optimized;
  for (const op of ["exp", "sum"]) {
    const n = ir.nodes.find((k) => k.op === op)!;
    assert.equal(ir.meta.get(n.outputs[0])!.dtype, "float32", `${op} runs in float32`);
  }
});

test("AMP training with a static loss scale keeps float32 master weights and tracks fp32 training", () => {
  const batches = Array.from({ length: 5 }, (_, i) => [det([6, 4], 10 + i, 1), det([6, 3], 30 + i, 1)]);
  const ref = new MLP(), amp = new MLP();
  const optR = sgd(ref.parameters(), 0.1);
  for (const [a, b] of batches) { mse(ref(a), b).backward(); optR.step(); optR.zeroGrad(); }
  class T extends Graph {
    model = amp;
    constructor() { super(); this.addOptimizer(sgd(amp.parameters(), 0.1)); this.config.enableAmp(true); this.setGradScaler(1024); }
    build(a: Tensor, b: Tensor) { const l = mse(this.model(a), b); l.backward(); return l; }
  }
  const g = new T();
  for (const [a, b] of batches) g(a, b);
  amp.parameters().forEach((p, i) => {
    assert.equal(p.dtype, "float32");
    assert.ok(maxDiff(p, ref.parameters()[i]) < 5e-3, `param ${i} drifted ${maxDiff(p, ref.parameters()[i])}`);
  });
});

test("save → load: a Triton entry that ONNX Runtime and onnx.checker accept, giving the same outputs", () => {
  const model = new MLP();
  const g = new Infer(model);
  const y = g(x) as Tensor;
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fb-graph-")), "mlp");
  saveGraph(g, dir);
  const cfg = fs.readFileSync(path.join(dir, "config.pbtxt"), "utf8");
  for (const s of ['name: "mlp"', 'backend: "onnxruntime"', "max_batch_size: 64", 'name: "INPUT_0"', "data_type: TYPE_FP32", "dims: [ 4 ]", 'name: "OUTPUT_0"', "dims: [ 3 ]", "dynamic_batching"]) assert.ok(cfg.includes(s), `config.pbtxt has ${s}:\n${cfg}`);
  const loaded = loadGraph(dir);
  assert.ok(maxDiff(loaded(x), y) < 1e-6);
  const x9 = det([9, 4], 5);
  assert.ok(maxDiff(loaded(x9), model(x9)) < 1e-6, "the saved model takes any batch size");
  const r = spawnSync("/usr/bin/python3", ["-c", "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok', m.opset_import[0].version, m.ir_version)", path.join(dir, "1", "model.onnx")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ok 17 8/);
  // Saving again replaces the entry atomically: no temporary directories are left beside it.
  saveGraph(g, dir);
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), ["mlp"]);
});

test("save: a graph that bakes the batch size is saved with fixed shapes (max_batch_size 0)", () => {
  const model = new MLP();
  class Fixed extends Graph { model = model; build(a: Tensor) { return this.model(a.reshape(6, 4)); } }
  const g = new Fixed();
  g(x);
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fb-graph-")), "fixed");
  saveGraph(g, dir);
  assert.match(fs.readFileSync(path.join(dir, "config.pbtxt"), "utf8"), /max_batch_size: 0[\s\S]*dims: \[ 6, 4 \]/);
  assert.throws(() => saveGraph(g, dir, { maxBatchSize: 8 }), /not batch-polymorphic: tracing build\(\) at batch 7 failed \(shape '\[6, 4\]' is invalid/);
});

test("dynamicBatch: one compile serves several batch sizes", () => {
  const model = new MLP();
  const g = new Infer(model);
  g.config.dynamicBatch(true);
  for (const n of [1, 3, 7]) { const a = det([n, 4], n); assert.ok(maxDiff(g(a), model(a)) < 1e-6); }
  assert.equal(g.compiledSignatures().length, 1);
  const s = new Infer(model);
  for (const n of [1, 3]) s(det([n, 4], n));
  assert.equal(s.compiledSignatures().length, 2, "without it each batch size compiles");
});

test("untraceable code: item() inside build names the user's line; non-Tensor outputs are refused", () => {
  class Bad extends Graph { build(a: Tensor) { if (a.sum().item() > 0) return a; return a.neg(); } }
  assert.throws(() => new Bad()(x), (e: Error) => /item\(\) on a tensor traced by nn.Graph \(at \S*build \(.*features\.test\.js:\d+:\d+\)\)/.test(e.message));
  class Num extends Graph { build(a: Tensor) { return [a.relu(), 3]; } }
  assert.throws(() => new Num()(x), /Num\.build\(\) \(build defined at \S*features\.test\.js:\d+:\d+; its last traced op at Num\.build \(\S*features\.test\.js:\d+:\d+\)\) returned a number \(3\) at output\[1\]; a graph's outputs must be Tensors/);
  class Tl extends Graph { build(a: Tensor) { a.tolist(); return a; } }
  assert.throws(() => new Tl()(x), /tolist\(\) on a tensor traced by nn\.Graph/);
});

test("toString: module tree, inputs/outputs with shape and dtype, ops with source lines; backward ops point at backward()", () => {
  const model = new MLP();
  class T extends Graph {
    model = model;
    constructor() { super(); this.addOptimizer(sgd(model.parameters(), 0.1)); }
    build(a: Tensor, b: Tensor) { const l = mse(this.model(a), b); l.backward(); return l; }
  }
  const g = new T();
  g(x, det([6, 3], 2));
  const s = g.toString();
  for (const want of ["(GRAPH:T): (", "(INPUT:input_0:tensor(..., size=(6, 4), dtype=flow.float32))", "(MODULE:model:MatmulMLP()): (", "(MODULE:model.fc1:MatmulLinear()): (",
    "(PARAMETER:model.fc1.weight:tensor(..., size=(8, 4), dtype=flow.float32, requires_grad=True))", "(OUTPUT:assign:model.fc2.bias <- add_"]) {
    assert.ok(s.includes(want), `repr has ${want}\n${s}`);
  }
  // toString shows what runs (ONNX nodes); repr("optimized") shows flowbook's ops.
  assert.match(s, /OPERATOR: MatMul\(input_0, .*\) -> \(matmul_\d+:\(size=\(6, 8\), dtype=flow\.float32\)\) at MatmulLinear\.forward \(helpers\.js:\d+:\d+\)/);
  assert.match(g.repr("optimized"), /OPERATOR: matmul\(input_0, .*\) -> \(matmul_\d+:\(size=\(6, 8\), dtype=flow\.float32\)\) at MatmulLinear\.forward \(helpers\.js:\d+:\d+\)/);
  assert.match(s, /\[backward\] at T\.build \(features\.test\.js:\d+:\d+\)/);
  assert.match(s, /\[optimizer\] at SGD\.step/);
  assert.match(s, /COMPILE: [\d.]+ ms = trace/);
});

test("display: an SVG with module clusters, shapes on edges, fused nodes marked; before-pass view differs", async () => {
  const model = new MLP();
  const g = new Infer(model);
  g(x);
  const bundle = await (g as unknown as Record<symbol, () => Promise<Record<string, string>>>)[Symbol.for("Jupyter.display")]();
  const svg = bundle["image/svg+xml"];
  // Inline SVG, no XML declaration: nbconvert's HTML export (lxml) fails on a declared encoding.
  assert.ok(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"), "an inline SVG element");
  assert.ok(svg.includes("cluster_model.fc1") || svg.includes("model.fc1 (Linear)"), "module clusters");
  assert.ok(svg.includes("6×8"), "shapes on edges");
  const before = (await g.display({ optimized: false }))["image/svg+xml"];
  assert.ok(before.includes("permute") && !svg.includes(">permute<"), "the traced view shows the ops that constant folding removed");
  const collapsed = (await g.display({ depth: 1 }))["image/svg+xml"];
  assert.ok(collapsed.includes("model.fc1") && collapsed.includes("ops:"), "depth 1 collapses submodules to boxes");
  assert.deepEqual(g.report().find((r) => r.option === "enableTensorRT"), { option: "enableTensorRT", state: "off", note: "" });
  g.config.enableTensorRT(true);
  assert.match(g.report().find((r) => r.option === "enableTensorRT")!.state, /^not applicable on cpu/);
});

test("stateDict/loadStateDict resume training: same trajectory as uninterrupted", () => {
  const batches = Array.from({ length: 4 }, (_, i) => [det([6, 4], 10 + i, 1), det([6, 3], 30 + i, 1)]);
  const make = () => {
    const model = new MLP();
    class T extends Graph {
      model = model;
      constructor() { super(); this.addOptimizer(sgd(model.parameters(), 0.1)); }
      build(a: Tensor, b: Tensor) { const l = mse(this.model(a), b); l.backward(); return l; }
    }
    return { g: new T(), model };
  };
  const full = make();
  for (const [a, b] of batches) full.g(a, b);
  const first = make();
  for (const [a, b] of batches.slice(0, 2)) first.g(a, b);
  const sd = first.g.stateDict() as { model: Record<string, Tensor> };
  const saved = Object.fromEntries(Object.entries(sd.model).map(([k, v]) => [k, snapshot(v)]));
  const second = make();
  second.g.loadStateDict({ ...sd, model: saved });
  for (const [a, b] of batches.slice(2)) second.g(a, b);
  second.model.parameters().forEach((p, i) => assert.ok(maxDiff(p, full.model.parameters()[i]) < 1e-6));
});
