/**
 * flow.nn.functional behaviour that op rows cannot express: in-place running-stat updates, random masks,
 * option combinations and PyTorch-worded errors.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { assertClose, python, randomData, rng } from "../helpers/torch";
// flow.manualSeed is exported by src/index.ts once the nn branch lands; the function is the same.
import { manualSeed } from "../../src/tensor/random";
import { bind } from "../../src/ops/dispatch";
import { cachedSessionCount } from "../../src/backend/eager";

const F = flow.nn.functional;
const r = rng(99);
const rand = (shape: number[], lo = -2, hi = 2) => flow.tensor(Float64Array.from(randomData(r, shape.reduce((a, b) => a * b, 1), lo, hi)), { dtype: "float32" }).reshape(shape);
const flat = (t: flow.Tensor) => Array.from(t.toTypedArray() as Float32Array, Number);

test("batchNorm training updates running stats in place like PyTorch (biased var to normalise, unbiased for running_var)", () => {
  const x1 = rand([4, 3, 5, 2]), x2 = rand([4, 3, 5, 2]);
  const w = rand([3], 0.5, 2), b = rand([3]);
  const rm = flow.zeros(3), rv = flow.ones(3);
  const storage = rm.toTypedArray();
  const y1 = F.batchNorm(x1, rm, rv, w, b, true, 0.3);
  F.batchNorm(x2, rm, rv, w, b, { training: true, momentum: 0.3 });
  const yEval = F.batchNorm(x1, rm, rv, w, b);
  assert.equal(rm.toTypedArray(), storage, "runningMean keeps its storage");
  const ref = JSON.parse(python(`
import torch, json, sys
import torch.nn.functional as F
d = json.loads(sys.stdin.read())
t = lambda k, s: torch.tensor(d[k], dtype=torch.float32).reshape(s)
x1, x2, w, b = t("x1", [4, 3, 5, 2]), t("x2", [4, 3, 5, 2]), t("w", [3]), t("b", [3])
rm, rv = torch.zeros(3), torch.ones(3)
y1 = F.batch_norm(x1, rm, rv, w, b, True, 0.3)
F.batch_norm(x2, rm, rv, w, b, True, 0.3)
ye = F.batch_norm(x1, rm, rv, w, b)
print(json.dumps({"y1": y1.flatten().tolist(), "rm": rm.tolist(), "rv": rv.tolist(), "ye": ye.flatten().tolist()}))
`, [], JSON.stringify({ x1: flat(x1), x2: flat(x2), w: flat(w), b: flat(b) })));
  assertClose(flat(y1), ref.y1, "train output", 1e-4, 1e-4);
  assertClose(flat(rm), ref.rm, "running_mean");
  assertClose(flat(rv), ref.rv, "running_var");
  assertClose(flat(yEval), ref.ye, "eval output", 1e-4, 1e-4);
});

test("batchNorm running-stat update records no gradient and errors like PyTorch", () => {
  const x = rand([2, 3, 4]).requiresGrad_();
  const rm = flow.zeros(3), rv = flow.ones(3);
  F.batchNorm(x, rm, rv, null, null, true).sum().backward();
  assert.equal(rm.requiresGrad, false);
  assert.ok(x.grad);
  assert.throws(() => F.batchNorm(rand([1, 3]), null, null, { training: true }), /Expected more than 1 value per channel when training, got input size \[1, 3\]/);
  assert.throws(() => F.batchNorm(rand([2, 3]), flow.zeros(4), flow.ones(4)), /running_mean should contain 3 elements not 4/);
  assert.throws(() => F.batchNorm(rand([2, 3]), null, null), /must be defined in evaluation mode/);
});

test("dropout: train zeroes about p and scales the rest by 1/(1-p); eval and p=0 are the identity", () => {
  const x = flow.ones(200, 100);
  const y = F.dropout(x, 0.3);
  const v = flat(y);
  const zeros = v.filter((e) => e === 0).length / v.length;
  assert.ok(Math.abs(zeros - 0.3) < 0.02, `fraction dropped ${zeros}`);
  assert.ok(v.every((e) => e === 0 || Math.abs(e - 1 / 0.7) < 1e-6), "kept values are scaled by 1/(1-p)");
  assert.equal(F.dropout(x, 0.3, false), x);
  assert.equal(F.dropout(x, { p: 0.5, training: false }), x);
  assert.equal(F.dropout(x, 0), x);
  assert.ok(flat(F.dropout(x, 1)).every((e) => e === 0));
  assert.throws(() => F.dropout(x, 1.5), /dropout probability has to be between 0 and 1, but got 1.5/);
});

test("dropout: flow.manualSeed makes masks reproducible; the gradient is the mask", () => {
  const x = rand([20, 30]).requiresGrad_();
  manualSeed(7);
  const a = F.dropout(x, 0.5);
  manualSeed(7);
  const b = F.dropout(x, 0.5);
  assert.deepEqual(flat(a), flat(b));
  a.sum().backward();
  const g = flat(x.grad!), av = flat(a), xv = flat(x);
  g.forEach((gi, i) => assert.ok(Math.abs(gi * xv[i] - av[i]) < 1e-5, `grad ${i}`));
  const c = F.dropout(x.detach(), 0.5);
  assert.notDeepEqual(flat(c), flat(a), "a fresh mask without reseeding");
  const d2 = flat(F.dropout2d(flow.ones(4, 6, 3, 3), 0.5));
  for (let ch = 0; ch < 24; ch++) assert.equal(new Set(d2.slice(ch * 9, ch * 9 + 9)).size, 1, "dropout2d drops whole channels");
});

test("conv errors name both shapes as PyTorch does", () => {
  const w = rand([8, 3, 3, 3]);
  assert.throws(() => F.conv2d(rand([2, 4, 8, 8]), w), { message: "Given groups=1, weight of size [8, 3, 3, 3], expected input[2, 4, 8, 8] to have 3 channels, but got 4 channels instead" });
  assert.throws(() => F.conv2d(rand([2, 6, 8, 8]), rand([8, 3, 3, 3]), null, { groups: 3 }), /Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size \[8, 3, 3, 3\] instead/);
  assert.throws(() => F.conv2d(rand([2, 3, 8, 8]), w, rand([4])), /expected bias to be 1-dimensional with 8 elements, but got bias of size \[4\] instead/);
  assert.throws(() => F.conv2d(rand([1, 3, 2, 2]), w), /Calculated padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\). Kernel size can't be greater than actual input size/);
  assert.throws(() => F.conv2d(rand([2, 3]), w), /Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[2, 3\]/);
  assert.throws(() => F.conv2d(rand([1, 3, 8, 8]), w, null, { stride: 2, padding: "same" }), /padding='same' is not supported for strided convolutions/);
  assert.throws(() => F.conv2d(rand([1, 3, 8, 8]), w, null, { padding: "full" }), /Invalid padding string 'full'/);
  assert.throws(() => F.conv2d(rand([1, 3, 8, 8]), w, null, { strides: 2 }), /unexpected option 'strides'/);
  assert.throws(() => F.convTranspose2d(rand([1, 3, 4, 4]), rand([4, 2, 3, 3])), /Given transposed=1, weight of size \[4, 2, 3, 3\], expected input\[1, 3, 4, 4\] to have 4 channels, but got 3 channels instead/);
  assert.throws(() => F.convTranspose2d(rand([1, 4, 4, 4]), rand([4, 2, 3, 3]), null, { stride: 2, outputPadding: 2 }), /output padding must be smaller than either stride or dilation/);
  assert.throws(() => F.conv2d(rand([1, 3, 8, 8]).double(), w), /Input type \(float64\) and weight type \(float32\) should be the same/);
});

test("pooling, pad and interpolate errors", () => {
  assert.throws(() => F.maxPool2d(rand([1, 1, 5, 5]), 3, 1, 2), /pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1/);
  assert.throws(() => F.avgPool2d(rand([1, 1, 5, 5]), 2, 1, 2), /pad should be at most half of kernel size, but got pad=2 and kernel_size=2/);
  assert.throws(() => F.maxPool2d(rand([1, 2, 2, 2]), 3), /Given input size: \(2x2x2\). Calculated output size: \(2x0x0\). Output size is too small/);
  assert.throws(() => F.pad(rand([1, 1, 3, 3]), [3, 3], "reflect"), /Padding size should be less than the corresponding input dimension, but got: padding \(3, 3\) at dimension 3 of input \[1, 1, 3, 3\]/);
  assert.throws(() => F.pad(rand([2, 3]), [1, 2, 3]), /Padding length must be divisible by 2/);
  assert.throws(() => F.pad(rand([2, 3]), [1, 1, 1, 1, 1, 1]), /Padding length too large/);
  assert.throws(() => F.interpolate(rand([1, 1, 3, 3])), /either size or scale_factor should be defined/);
  assert.throws(() => F.interpolate(rand([1, 1, 3, 3]), 4, 2), /only one of size or scale_factor should be defined/);
  assert.throws(() => F.interpolate(rand([1, 1, 3]), { size: 4, mode: "bilinear" }), /Got 3D input, but bilinear mode needs 4D input/);
  assert.throws(() => F.interpolate(rand([1, 1, 3, 3]), { size: 4, alignCorners: true }), /align_corners option can only be set with the interpolating modes/);
});

test("maxPool2d returnIndices gives per-plane indices that PyTorch's max_unpool would accept", () => {
  const x = rand([2, 3, 6, 5]);
  const [v, idx] = F.maxPool2d(x, 2, { returnIndices: true });
  assert.equal(idx.dtype, "int64");
  const xs = flat(x), vs = flat(v), is = Array.from(idx.toTypedArray() as BigInt64Array, Number);
  is.forEach((k, i) => {
    const plane = Math.floor(i / 6); // 3×2 outputs per plane
    assert.ok(k >= 0 && k < 30);
    assert.equal(xs[plane * 30 + k], vs[i]);
  });
});

test("losses: class-index checks and reductions", () => {
  const x = rand([3, 4]);
  const t = flow.tensor([0, 3, 1], { dtype: "int64" });
  assert.throws(() => F.crossEntropy(x, flow.tensor([0, 4, 1], { dtype: "int64" })), /Target 4 is out of bounds/);
  assert.throws(() => F.crossEntropy(x, flow.tensor([0, 1], { dtype: "int64" })), /Expected input batch_size \(3\) to match target batch_size \(2\)/);
  assert.throws(() => F.crossEntropy(x, t, { reduction: "avg" as never }), /"avg" is not a valid value for reduction/);
  assert.throws(() => F.crossEntropy(x, rand([3, 5])), /Expected target of shape \[3, 4\]/);
  // Class indices may be any integer dtype or integral floats (JS numbers are float32); fractions are refused.
  assertClose([F.nllLoss(x, flow.tensor([0, 1, 2], { dtype: "int32" })).item()], [F.nllLoss(x, flow.tensor([0, 1, 2])).item()], "int32 / float targets");
  assert.throws(() => F.nllLoss(x, flow.tensor([0, 1.5, 2])), /nll_loss\(\): target is a float32 tensor used as indices, but it holds the non-integral value 1.5/);
  assert.throws(() => F.crossEntropy(x, t, flow.ones(5)), /weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: \[5\]/);
  assert.throws(() => F.binaryCrossEntropyWithLogits(x, rand([3, 5])), /Target size \(\[3, 5\]\) must be the same as input size \(\[3, 4\]\)/);
  assert.throws(() => F.binaryCrossEntropy(rand([3], 1.5, 2), rand([3], 0, 1)), /all elements of input should be between 0 and 1/);
  // An ignored target contributes nothing: the mean is over the other targets.
  const ign = F.crossEntropy(x, flow.tensor([0, -100, 1], { dtype: "int64" }));
  const two = F.crossEntropy(flow.tensor([flat(x).slice(0, 4), flat(x).slice(8, 12)]), flow.tensor([0, 1], { dtype: "int64" }));
  assertClose([ign.item()], [two.item()], "ignoreIndex mean");
  // Deprecated positional spellings still map to a reduction: reduce=false gives per-element losses.
  assert.deepEqual(F.crossEntropy(x, t, null, null, -100, false).shape, [3]);
});

test("embedding and oneHot errors", () => {
  const w = rand([5, 2]);
  assert.throws(() => F.embedding(flow.tensor([0, 5], { dtype: "int64" }), w), /index out of range in self/);
  assert.throws(() => F.embedding(flow.tensor([0, 0.5]), w), /embedding\(\): indices is a float32 tensor used as indices, but it holds the non-integral value 0.5/);
  assert.throws(() => F.embedding(flow.tensor([true]), w), /Expected dtype int64 for indices \(got bool/);
  assert.throws(() => F.oneHot(flow.tensor([0, 5], { dtype: "int64" }), 3), /Class values must be smaller than num_classes/);
  assert.deepEqual(F.oneHot(flow.tensor([0, 2], { dtype: "int64" })).tolist(), [[1, 0, 0], [0, 0, 1]]);
});

test("softmax and logSoftmax: dim is required, ints need a dtype, large logits stay finite", () => {
  assert.throws(() => F.softmax(rand([2, 3])), /the dim argument is required/);
  assert.throws(() => F.softmax(flow.tensor([1, 2], { dtype: "int64" }), 0), /not implemented for 'int64'/);
  const big = flow.tensor([[1000, 0], [-1000, 1000]]);
  assertClose(flat(F.logSoftmax(big, 1)), [0, -1000, -2000, 0], "stable log_softmax");
  const y = F.softmax(flow.tensor([1, 2, 3], { dtype: "int64" }), 0, "float64");
  assert.equal(y.dtype, "float64");
});

test("maxPool's ArgMax lowering (used off the CPU) equals ONNX MaxPool's values and Indices", () => {
  const cases: [number[], Record<string, unknown>][] = [
    [[2, 3, 9, 8], { kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], dilation: [1, 1], ceilMode: false }],
    [[2, 2, 10, 9], { kernel: [3, 2], stride: [2, 3], pads: [1, 1, 1, 1], dilation: [2, 1], ceilMode: true }],
    [[1, 2, 7, 8], { kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0], dilation: [1, 1], ceilMode: true }],
    [[2, 3, 9], { kernel: [3], stride: [2], pads: [1, 1], dilation: [1], ceilMode: false }],
  ];
  for (const [shape, attrs] of cases) {
    const x = rand(shape);
    const [v1, i1] = bind("maxPool", [x], { ...attrs, withIndices: true });
    const [v2, i2] = bind("maxPool", [x], { ...attrs, withIndices: true, portableIndices: true });
    assert.deepEqual(v2.shape, v1.shape);
    assert.deepEqual(flat(v2), flat(v1), `values ${JSON.stringify(attrs)}`);
    assert.deepEqual(Array.from(i2.toTypedArray() as BigInt64Array), Array.from(i1.toTypedArray() as BigInt64Array), `indices ${JSON.stringify(attrs)}`);
  }
});

test("double backward through conv2d (a gradient penalty) matches PyTorch", () => {
  const x = rand([2, 3, 6, 5]).requiresGrad_(), w = rand([4, 3, 3, 3]).requiresGrad_();
  const y = F.conv2d(x, w, null, { stride: 2, padding: 1 });
  const [gx] = flow.autograd.grad(y.mul(y).sum(), [x], { createGraph: true });
  gx!.mul(gx!).sum().backward();
  const ref = JSON.parse(python(`
import torch, json, sys
import torch.nn.functional as F
d = json.loads(sys.stdin.read())
x = torch.tensor(d["x"]).reshape(2, 3, 6, 5).requires_grad_(); w = torch.tensor(d["w"]).reshape(4, 3, 3, 3).requires_grad_()
y = F.conv2d(x, w, None, stride=2, padding=1)
gx, = torch.autograd.grad((y * y).sum(), [x], create_graph=True)
(gx * gx).sum().backward()
print(json.dumps({"gx": gx.flatten().tolist(), "xg": x.grad.flatten().tolist(), "wg": w.grad.flatten().tolist()}))
`, [], JSON.stringify({ x: flat(x), w: flat(w) })));
  assertClose(flat(gx!), ref.gx, "first-order grad", 1e-3, 1e-3);
  assertClose(flat(x.grad!), ref.xg, "x grad of the penalty", 1e-3, 1e-2);
  assertClose(flat(w.grad!), ref.wg, "w grad of the penalty", 1e-3, 1e-2);
});

test("eager conv bakes a reused weight into its session and follows in-place updates", () => {
  const x = rand([2, 3, 8, 8]), w = rand([4, 3, 3, 3]), b = rand([4]);
  const before = cachedSessionCount();
  const first = F.conv2d(x, w, b, 1, 1); // first use: weight fed as an input
  const baked = F.conv2d(x, w, b, 1, 1); // reused: baked in (a new session)
  F.conv2d(x, w, b, 1, 1);
  assert.equal(cachedSessionCount() - before, 2);
  assertClose(flat(baked), flat(first), "baked == fed", 1e-5, 1e-5);
  w._assignHost(new Float32Array(w.numel()).fill(0.25)); // a new storage version
  F.conv2d(x, w, b, 1, 1);
  const updated = F.conv2d(x, w, b, 1, 1);
  assert.equal(cachedSessionCount() - before, 2, "the session of the old weight version is disposed");
  assertClose(flat(updated), flat(F.conv2d(x, flow.full(w.shape, 0.25), b, 1, 1)), "sees the new weights", 1e-5, 1e-5);
  // A weight being trained is never baked: gradients flow as usual.
  const wt = rand([4, 3, 3, 3]).requiresGrad_();
  for (let i = 0; i < 2; i++) F.conv2d(x, wt, b, 1, 1).sum().backward();
  assert.ok(wt.grad);
});
