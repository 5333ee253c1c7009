/**
 * flow.onnx.load models inside nn.Graph: a torch.onnx.export'ed ResNet-style CNN (batch norm kept as
 * BatchNormalization nodes, residual adds) runs eagerly like PyTorch, compiles inside build into the graph's one
 * ONNX model (its nodes re-emitted, scoped by module, seen by the fusion passes), and displays as a picture of
 * its nodes.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as flow from "../../src/index";
import { Graph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { python, assertClose } from "../helpers/torch";
import { maxDiff } from "./helpers";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-onnx-graph-"));
const file = path.join(dir, "resnetish.onnx"), old = path.join(dir, "opset11.onnx");
const ref = JSON.parse(python(String.raw`
import sys, json, torch, torch.nn as nn
torch.manual_seed(0)
class Block(nn.Module):
    def __init__(s, c):
        super().__init__(); s.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False); s.bn1 = nn.BatchNorm2d(c); s.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False); s.bn2 = nn.BatchNorm2d(c)
    def forward(s, x): return torch.relu(s.bn2(s.conv2(torch.relu(s.bn1(s.conv1(x))))) + x)
class Net(nn.Module):
    def __init__(s):
        super().__init__(); s.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False); s.bn1 = nn.BatchNorm2d(8); s.layer1 = nn.Sequential(Block(8), Block(8)); s.pool = nn.AdaptiveAvgPool2d(1); s.fc = nn.Linear(8, 5)
    def forward(s, x): return s.fc(torch.flatten(s.pool(s.layer1(torch.max_pool2d(torch.relu(s.bn1(s.conv1(x))), 2))), 1))
net = Net()
for m in net.modules():
    if isinstance(m, nn.BatchNorm2d):
        m.running_mean.uniform_(-0.2, 0.2); m.running_var.uniform_(0.5, 1.5); m.weight.data.uniform_(0.5, 1.5); m.bias.data.uniform_(-0.2, 0.2)
net.eval()
x = torch.randn(3, 3, 16, 16)
kw = dict(input_names=["image"], output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
torch.onnx.export(net, x, sys.argv[1], opset_version=14, **kw)
torch.onnx.export(net, x, sys.argv[2], opset_version=11, **kw)
with torch.no_grad(): y = net(x)
print(json.dumps({"x": x.flatten().tolist(), "y": y.flatten().tolist()}))
`, [file, old]));
const x = flow.tensor(Float32Array.from(ref.x)).reshape([3, 3, 16, 16]);
const om = flow.onnx.load(file);

class Infer extends Graph {
  om = om;
  build(v: Tensor) { return this.om.forward(v); }
}

test("eager forward of the imported ResNet-style CNN equals PyTorch", () => {
  assert.ok(om.opCounts().BatchNormalization === 5 && om.opCounts().Add === 2, JSON.stringify(om.opCounts()));
  assertClose(Array.from((om.forward(x) as Tensor).toTypedArray() as Float32Array), ref.y, "onnx eager", 1e-4, 1e-5);
});

test("nn.Graph over the imported model equals eager; its nodes are part of the graph's one ONNX model, scoped by module", () => {
  const g = new Infer();
  const y = g(x) as Tensor;
  assert.ok(maxDiff(y, om.forward(x) as Tensor) < 1e-5);
  const entry = g.compiledSignatures()[0];
  assert.deepEqual(entry.traced.opCounts(), { _onnxSubgraph: 1 });
  const ops = entry.lowered.opCounts();
  assert.equal(ops.Conv, 5); assert.equal(ops.BatchNormalization, 5); assert.equal(ops.Gemm, 1);
  const scopes = new Set(entry.lowered.nodes.map((n) => n.scope));
  for (const s of ["om.conv1", "om.bn1", "om.layer1.0.conv1", "om.layer1.1.bn2", "om.fc"]) assert.ok(scopes.has(s), `scope ${s} in ${[...scopes].join(", ")}`);
  // The batch dimension is symbolic in the model: another batch size traces again with the right shapes.
  assert.deepEqual((g(x.narrow(0, 0, 2)) as Tensor).shape, [2, 5]);
});

test("the imported graph composes with traced flowbook ops and the fusion passes act on its nodes", () => {
  class Probs extends Graph {
    om = om;
    constructor() { super(); this.config.allowFuseConvBn(true); }
    build(v: Tensor) { return (this.om.forward(v.mul(2)) as Tensor).softmax(-1); }
  }
  const g = new Probs();
  const y = g(x) as Tensor;
  assert.ok(maxDiff(y, (om.forward(x.mul(2)) as Tensor).softmax(-1)) < 1e-5);
  const entry = g.compiledSignatures()[0];
  assert.equal(entry.lowered.opCounts().BatchNormalization, undefined, "every imported BN folded into its conv");
  assert.ok(entry.passLog.some((p) => p.name === "fuse_conv_bn" && p.changes === 5), JSON.stringify(entry.passLog));
  assert.ok(entry.lowered.opCounts().Softmax === 1 && entry.lowered.opCounts().Mul === 1);
});

test("display: the imported model and a graph over it are SVG pictures of their nodes, clustered by module", async () => {
  const b = await om.display();
  assert.ok(b["image/svg+xml"].includes("<svg") && b["text/plain"].startsWith("OnnxModule("));
  assert.ok(b["image/svg+xml"].includes("cluster_layer1.0") && b["image/svg+xml"].includes("BatchNormalization"));
  const jb = await (om as unknown as Record<symbol, () => Promise<Record<string, string>>>)[Symbol.for("Jupyter.display")]();
  assert.ok(jb["image/svg+xml"].includes("<svg"));
  const g = new Infer();
  g(x);
  const gb = await g.display();
  assert.ok(gb["image/svg+xml"].includes("cluster_om.layer1") && gb["image/svg+xml"].includes("Conv"));
});

test("a model of opset < 13 runs eagerly but nn.Graph says why it cannot compile it", () => {
  const m11 = flow.onnx.load(old);
  assertClose(Array.from((m11.forward(x) as Tensor).toTypedArray() as Float32Array), ref.y, "opset 11 eager", 1e-4, 1e-5);
  class G extends Graph { m = m11; build(v: Tensor) { return this.m.forward(v); } }
  assert.throws(() => new G()(x), /opset 11; nn\.Graph compiles at opset 17 and can take in models of opset 13 to 17/);
});

test("a graph over the imported model saves as a Triton entry (batch-dynamic) and loads back with the same outputs", () => {
  const g = new Infer();
  const y = g(x) as Tensor;
  const entry = path.join(dir, "served");
  flow.save(g, entry);
  assert.match(fs.readFileSync(path.join(entry, "config.pbtxt"), "utf8"), /max_batch_size: 64/);
  const loaded = flow.load(entry) as unknown as (v: Tensor) => Tensor;
  assert.ok(maxDiff(loaded(x), y) < 1e-5);
  assert.deepEqual(loaded(x.narrow(0, 0, 1)).shape, [1, 5]);
});
