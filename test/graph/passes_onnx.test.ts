/**
 * ONNX-stage fusion passes, one at a time, on small hand-built ONNX graphs (convolution blocks): exact node
 * counts after the pass, equal outputs before and after through ONNX Runtime, and a paired should-not-fuse case.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { IRGraph } from "../../src/graph/ir";
import { runPasses } from "../../src/graph/passes/index";
import { Tensor } from "../../src/tensor/tensor";
import { device } from "../../src/backend/device";
import { det, maxDiff, runIR } from "./helpers";

const cpu = device("cpu");
const int64 = (v: number[]) => Tensor._fromArray(BigInt64Array.from(v.map(BigInt)), [v.length], "int64");

/** A tiny ONNX-stage graph builder. */
class G {
  g = new IRGraph();
  input(name: string, shape: number[]): this { this.g.inputs.push({ name, kind: "input", index: this.g.inputs.length }); this.g.meta.set(name, { shape, dtype: "float32" }); return this; }
  const(name: string, t: Tensor): this { this.g.constants.set(name, t); this.g.meta.set(name, { shape: [...t.shape], dtype: t.dtype }); return this; }
  node(op: string, inputs: string[], out: string, shape: number[] | null, attrs: Record<string, unknown> = {}): this {
    this.g.add({ kind: "onnx", op, inputs, outputs: [out], attrs, scope: "block", phase: "forward" });
    if (shape) this.g.meta.set(out, { shape, dtype: "float32" });
    return this;
  }
  output(name: string): this { this.g.outputs.push({ name, kind: "output" }); return this; }
}

function check(g: IRGraph, pass: string, inputs: Tensor[], training = false): { changes: number; after: IRGraph } {
  const before = runIR(g, inputs);
  const after = g.clone();
  const changes = runPasses(after, [pass], { training, device: cpu })[0].changes;
  const out = runIR(after, inputs);
  before.forEach((b, i) => assert.ok(maxDiff(b, out[i]) < 1e-4, `output ${i} differs by ${maxDiff(b, out[i])}`));
  return { changes, after };
}

const x = det([1, 2, 5, 5], 1, 1);
const w = det([3, 2, 3, 3], 2, 0.3);
const b = det([3], 3, 0.1);

test("pad→conv: a zero spatial Pad becomes the Conv's pads", () => {
  const t = new G().input("x", [1, 2, 5, 5]).const("pads", int64([0, 0, 1, 2, 0, 0, 1, 2])).const("w", w).const("b", b)
    .node("Pad", ["x", "pads"], "p", [1, 2, 7, 9], { mode: { s: "constant" } })
    .node("Conv", ["p", "w", "b"], "y", [1, 3, 5, 7], { pads: { ints: [0, 0, 0, 0] } }).output("y");
  const { changes, after } = check(t.g, "fuse_pad_to_conv", [x]);
  assert.equal(changes, 1);
  assert.deepEqual(after.opCounts(), { Conv: 1 });
  assert.deepEqual(after.nodes[0].attrs.pads, { ints: [1, 2, 1, 2] });
  assert.deepEqual(after.nodes[0].fused, ["Conv", "Pad"]);
});

test("pad→conv: padding the channel dimension, a non-zero fill, or a Pad read elsewhere does not fuse", () => {
  const channel = new G().input("x", [1, 2, 5, 5]).const("pads", int64([0, 1, 0, 0, 0, 0, 0, 0])).const("w", det([3, 3, 3, 3], 2)).const("b", b)
    .node("Pad", ["x", "pads"], "p", [1, 3, 5, 5]).node("Conv", ["p", "w", "b"], "y", [1, 3, 3, 3]).output("y");
  assert.equal(check(channel.g, "fuse_pad_to_conv", [x]).changes, 0);
  const fill = new G().input("x", [1, 2, 5, 5]).const("pads", int64([0, 0, 1, 1, 0, 0, 1, 1])).const("v", Tensor._fromArray(new Float32Array([1]), [], "float32")).const("w", w).const("b", b)
    .node("Pad", ["x", "pads", "v"], "p", [1, 2, 7, 7]).node("Conv", ["p", "w", "b"], "y", [1, 3, 5, 5]).output("y");
  assert.equal(check(fill.g, "fuse_pad_to_conv", [x]).changes, 0);
  const shared = new G().input("x", [1, 2, 5, 5]).const("pads", int64([0, 0, 1, 1, 0, 0, 1, 1])).const("w", w).const("b", b)
    .node("Pad", ["x", "pads"], "p", [1, 2, 7, 7]).node("Conv", ["p", "w", "b"], "y", [1, 3, 5, 5]).output("y").output("p");
  assert.equal(check(shared.g, "fuse_pad_to_conv", [x]).changes, 0);
});

function convBn(): G {
  return new G().input("x", [1, 2, 5, 5]).const("w", w).const("b", b)
    .const("gamma", det([3], 4, 1)).const("beta", det([3], 5, 0.2)).const("mean", det([3], 6, 0.3))
    .const("var", Tensor._fromArray(new Float32Array([0.5, 1.5, 2]), [3], "float32"))
    .node("Conv", ["x", "w", "b"], "c", [1, 3, 3, 3]).node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], "y", [1, 3, 3, 3], { epsilon: { f: 1e-5 } }).output("y");
}

test("conv+bn: an inference batch norm folds into the conv's weights and bias", () => {
  const { changes, after } = check(convBn().g, "fuse_conv_bn", [x]);
  assert.equal(changes, 1);
  assert.deepEqual(after.opCounts(), { Conv: 1 });
  assert.deepEqual(after.nodes[0].fused, ["Conv", "BatchNormalization"]);
});

test("conv+bn: not in a training graph, nor when the conv output is read elsewhere", () => {
  assert.equal(check(convBn().g, "fuse_conv_bn", [x], true).changes, 0);
  const shared = convBn().output("c");
  assert.equal(check(shared.g, "fuse_conv_bn", [x]).changes, 0);
});

function residual(withRelu: boolean): G {
  const t = new G().input("x", [1, 2, 5, 5]).input("z", [1, 3, 3, 3]).const("w", w)
    .node("Conv", ["x", "w"], "c", [1, 3, 3, 3]).node("Add", ["c", "z"], "s", [1, 3, 3, 3]);
  return withRelu ? t.node("Relu", ["s"], "y", [1, 3, 3, 3]).output("y") : t.output("s");
}
const z = det([1, 3, 3, 3], 7, 1);

test("add→output: Relu(Add(Conv(x), z)) becomes one FusedConv with Z and a Relu activation", () => {
  const { changes, after } = check(residual(true).g, "fuse_add_to_output", [x, z]);
  assert.equal(changes, 1);
  assert.deepEqual(after.opCounts(), { FusedConv: 1 });
  assert.equal(after.nodes[0].domain, "com.microsoft");
  assert.deepEqual(after.nodes[0].attrs.activation, { s: "Relu" });
  assert.deepEqual(after.nodes[0].fused, ["Conv", "Add", "Relu"]);
  const plain = check(residual(false).g, "fuse_add_to_output", [x, z]);
  assert.deepEqual(plain.after.opCounts(), { FusedConv: 1 });
});

test("add→output: no fusion when the conv output is also read elsewhere or z broadcasts", () => {
  const shared = residual(true).output("c");
  assert.equal(check(shared.g, "fuse_add_to_output", [x, z]).changes, 0);
  const bcast = new G().input("x", [1, 2, 5, 5]).input("z", [1, 3, 1, 1]).const("w", w)
    .node("Conv", ["x", "w"], "c", [1, 3, 3, 3]).node("Add", ["c", "z"], "s", [1, 3, 3, 3]).output("s");
  assert.equal(check(bcast.g, "fuse_add_to_output", [x, det([1, 3, 1, 1], 8)]).changes, 0);
});
