/** `enableAmp(true, {dtype: "bfloat16"})`: the rewrite, its numerics, training without loss scaling, the report, saving. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as flow from "../../src/index";
import { Graph, saveGraph, loadGraph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { MLP, MatmulMLP, SmallCNN, sgd, adamw, det, maxDiff, mse } from "./helpers";

class Infer extends Graph {
  constructor(public model: flow.nn.Module<[Tensor], Tensor>) { super(); }
  build(x: Tensor) { return this.model(x); }
}
const x = det([6, 4], 3, 1);

test("bfloat16 AMP: matmuls run in bfloat16, outputs stay float32, values equal autocast's arithmetic done eagerly", () => {
  const model = new MatmulMLP(4, 16, 3);
  const g = new Infer(model);
  g.config.enableAmp(true, { dtype: "bfloat16" });
  const y = g(x) as Tensor;
  assert.equal(y.dtype, "float32");
  const ir = g.compiledSignatures()[0].optimized;
  const mm = ir.nodes.filter((n) => n.op === "matmul");
  assert.ok(mm.length === 2 && mm.every((n) => ir.meta.get(n.outputs[0])!.dtype === "bfloat16"), "both matmuls in bfloat16");
  // The same arithmetic eagerly, as PyTorch's autocast does it: matmul inputs cast to bfloat16, the bfloat16
  // product added to the float32 bias in float32 (mixed operands promote), relu in float32.
  const lin = (h: Tensor, l: { weight: Tensor; bias: Tensor }) => flow.matmul(h.bfloat16(), l.weight.transpose(0, 1).bfloat16()).float().add(l.bias);
  const ref = lin(lin(x, model.fc1).relu(), model.fc2);
  assert.equal(maxDiff(y, ref), 0, "graph bfloat16 AMP == eager autocast arithmetic");
  const fp32 = model(x);
  const d = maxDiff(y, fp32);
  assert.ok(d > 0 && d < 3e-2, `bfloat16 result differs from float32 by ${d}`);
  assert.match(g.toString(), /dtype=flow\.bfloat16/);
  assert.ok(ir.notes.some((n) => /auto_mixed_precision: 2 op\(s\) in bfloat16/.test(n)), ir.notes.join("; "));
});

test("bfloat16 AMP: deny-listed ops stay float32 and the user's deny list wins over the allow list", () => {
  const model = new MLP();
  class G extends Graph { model = model; build(a: Tensor) { return flow.softmax(this.model(a), 1).sum(1); } }
  const g = new G();
  g.config.enableAmp(true, { dtype: "bfloat16", deny: ["linear"] });
  g(x);
  const ir = g.compiledSignatures()[0].optimized;
  for (const op of ["softmax", "sum", "linear"]) {
    const n = ir.nodes.find((k) => k.op === op)!;
    assert.equal(ir.meta.get(n.outputs[0])!.dtype, "float32", `${op} runs in float32`);
  }
});

test("bfloat16 AMP training (SGD and AdamW, 10 steps, small CNN): float32 master weights track float32 training without loss scaling", () => {
  for (const [name, makeOpt] of [["SGD", (p: Tensor[]) => sgd(p, 0.05, 0.9)], ["AdamW", (p: Tensor[]) => adamw(p, 1e-3)]] as const) {
    const ref = new SmallCNN(), amp = new SmallCNN();
    const optR = makeOpt(ref.parameters());
    const batches = Array.from({ length: 10 }, (_, i) => [det([4, 3, 8, 8], 10 + i, 1), det([4, 10], 40 + i, 1)]);
    const lossesR: number[] = [];
    for (const [a, b] of batches) { const l = mse(ref(a), b); lossesR.push(l.item()); l.backward(); optR.step(); optR.zeroGrad(); }
    class T extends Graph {
      model = amp;
      constructor() { super(); this.addOptimizer(makeOpt(amp.parameters())); this.config.enableAmp(true, { dtype: "bfloat16" }); }
      build(a: Tensor, b: Tensor) { const l = mse(this.model(a), b); l.backward(); return l; }
    }
    const g = new T();
    const losses = batches.map(([a, b]) => (g(a, b) as Tensor).item());
    const ir = g.compiledSignatures()[0].optimized;
    assert.ok(ir.nodes.some((n) => n.phase === "backward" && n.op !== "cast" && ir.meta.get(n.outputs[0])?.dtype === "bfloat16"), `${name}: backward work runs in bfloat16 too`);
    losses.forEach((l, i) => assert.ok(Math.abs(l - lossesR[i]) < 2e-2 * Math.max(1, Math.abs(lossesR[i])), `${name} step ${i}: loss ${l} vs float32 ${lossesR[i]}`));
    amp.parameters().forEach((p, i) => {
      assert.equal(p.dtype, "float32", "master weights stay float32");
      assert.ok(maxDiff(p, ref.parameters()[i]) < 2e-2, `${name} param ${i} drifted ${maxDiff(p, ref.parameters()[i])}`);
    });
  }
});

test("bfloat16 AMP says what it does on this device; a wrong dtype names the choices", () => {
  const g = new Infer(new MLP());
  g.config.enableAmp(true, { dtype: "bfloat16" });
  const row = g.config.report(flow.device("cpu")).find((r) => r.option === "enableAmp")!;
  assert.equal(row.state, "on");
  assert.match(row.note, /bfloat16 numerics.*no bfloat16 Conv\/MatMul kernels.*no speed-up on cpu/);
  assert.throws(() => g.config.enableAmp(true, { dtype: "int8" as never }), /enableAmp: dtype must be "float16" or "bfloat16", got "int8"/);
  assert.throws(() => g.config.enableAmp(true, { allow: "conv2d" as never }), /enableAmp: allow must be an array of op names/);
});

test("a bfloat16 AMP graph saves as a Triton entry that onnx.checker accepts and loads back with the same outputs", () => {
  const model = new SmallCNN();
  model.eval();
  const g = new Infer(model);
  g.config.enableAmp(true, { dtype: "bfloat16" });
  const input = det([2, 3, 8, 8], 5, 1);
  const y = g(input) as Tensor;
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-bf16amp-")), "cnn");
  saveGraph(g, dir);
  const r = spawnSync("/usr/bin/python3", ["-c", "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok', sum(n.op_type == 'Cast' and n.attribute[0].i == 16 for n in m.graph.node))", path.join(dir, "1", "model.onnx")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ok [1-9]\d*/, "the saved model rounds to bfloat16");
  const back = loadGraph(dir).run(input) as Tensor;
  assert.equal(maxDiff(back, y), 0);
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});
