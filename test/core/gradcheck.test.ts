/**
 * flow.autograd.gradcheck: the gradient rules of differentiable ops agree with float64 finite differences, and
 * gradcheck itself catches a wrong rule (naming the output, input and element).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { defineOp } from "../../src/ops/registry";
import { bind1 } from "../../src/ops/dispatch";
import { randomData, rng } from "../helpers/torch";

const { gradcheck } = flow.autograd;
let r = rng(11);
/** A float64 leaf that requires grad, values in [lo, hi). */
const x64 = (shape: number[], lo = -2, hi = 2) =>
  flow.tensor(Float64Array.from(randomData(r, shape.reduce((a, b) => a * b, 1), lo, hi)), { dtype: "float64" }).reshape(shape).detach().requiresGrad_();
type T = flow.Tensor;

const cases: [string, () => T[], (...xs: T[]) => T | T[]][] = [
  ["add broadcast", () => [x64([3, 4]), x64([4])], (a, b) => a.add(b)],
  ["sub alpha", () => [x64([2, 3]), x64([2, 3])], (a, b) => flow.sub(a, b, 2)],
  ["mul", () => [x64([3, 1]), x64([1, 4])], (a, b) => a.mul(b)],
  ["div", () => [x64([2, 3]), x64([2, 3], 0.5, 2)], (a, b) => a.div(b)],
  ["pow tensor", () => [x64([5], 0.5, 2), x64([5], -1, 2)], (a, b) => a.pow(b)],
  ["pow scalar", () => [x64([5], 0.5, 2)], (a) => a.pow(3)],
  ["neg abs", () => [x64([6], 0.1, 1)], (a) => a.neg().mul(a.sub(0.5).abs())],
  ["exp log sqrt", () => [x64([4], 0.5, 2)], (a) => a.exp().add(a.log()).add(a.sqrt())],
  ["rsqrt", () => [x64([4], 0.5, 2)], (a) => a.rsqrt()],
  ["sin cos tanh sigmoid", () => [x64([2, 3])], (a) => [a.sin(), a.cos(), a.tanh(), a.sigmoid()]],
  ["relu (away from 0)", () => [x64([8]).sign().mul(x64([8], 0.1, 1)).detach().requiresGrad_()], (a) => a.relu()],
  ["gelu silu softplus", () => [x64([5])], (a) => [flow.gelu(a), flow.silu(a), flow.softplus(a)]],
  ["clamp", () => [x64([6], -3, 3)], (a) => a.clamp(-1.5, 1.5)],
  ["minimum maximum", () => [x64([5]), x64([5])], (a, b) => [flow.minimum(a, b), flow.maximum(a, b)]],
  ["sum mean", () => [x64([3, 4])], (a) => [a.sum(1), a.mean(0, true), a.sum()]],
  ["var std", () => [x64([3, 5])], (a) => [a.var(1), a.std(0)]],
  ["amax", () => [x64([3, 4])], (a) => a.amax(1)],
  ["max dim", () => [x64([3, 4])], (a) => a.max(1).values],
  ["prod", () => [x64([2, 3], 0.5, 1.5)], (a) => a.prod(1)],
  ["logsumexp softmax logSoftmax", () => [x64([2, 5])], (a) => [a.logsumexp(1), a.softmax(1), a.logSoftmax(0)]],
  ["norm", () => [x64([3, 3])], (a) => a.norm()],
  ["cumsum", () => [x64([2, 4])], (a) => a.cumsum(1)],
  ["matmul", () => [x64([2, 3]), x64([3, 4])], (a, b) => a.matmul(b)],
  ["bmm", () => [x64([2, 2, 3]), x64([2, 3, 2])], (a, b) => flow.bmm(a, b)],
  ["linear", () => [x64([2, 3]), x64([4, 3]), x64([4])], (x, w, b) => flow.linear(x, w, b)],
  ["einsum", () => [x64([2, 3]), x64([3, 4])], (a, b) => flow.einsum("ij,jk->ik", a, b)],
  ["reshape permute transpose", () => [x64([2, 3, 4])], (a) => a.reshape([6, 4]).t().reshape([2, 2, 6]).permute([2, 0, 1])],
  ["expand squeeze unsqueeze", () => [x64([3, 1])], (a) => a.expand([3, 4]).unsqueeze(0).squeeze(0)],
  ["cat stack", () => [x64([2, 3]), x64([2, 3])], (a, b) => [flow.cat([a, b], 1), flow.stack([a, b], 0)]],
  ["slice index", () => [x64([4, 5])], (a) => a.index([":", "1:4"]).slice(0, 0, 4, 2)],
  ["gather", () => [x64([3, 4])], (a) => a.gather(1, flow.tensor([[0, 3], [1, 1], [2, 0]], { dtype: "int64" }))],
  ["where", () => [x64([4]), x64([4])], (a, b) => flow.where(flow.tensor([true, false, true, false]), a, b)],
  ["flip roll", () => [x64([2, 3])], (a) => a.flip([1]).roll(1, 0)],
  ["layerNorm", () => [x64([2, 5]), x64([5]), x64([5])], (x, w, b) => flow.nn.functional.layerNorm(x, [5], w, b)],
  ["mseLoss", () => [x64([3, 2]), x64([3, 2])], (a, b) => flow.nn.functional.mseLoss(a, b)],
  // Weight and bias perturbed in place: the eager conv bakes its weight into a session keyed by storage version,
  // so gradcheck's writes must bump the version (they did not: the numerical weight gradient came out 0).
  ["conv2d input, weight, bias (padding)", () => [x64([1, 2, 5, 5]), x64([3, 2, 3, 3]), x64([3])], (x, w, b) => flow.nn.functional.conv2d(x, w, b, { padding: 1 })],
  ["conv2d strided, grouped", () => [x64([2, 4, 6, 6]), x64([4, 2, 3, 3])], (x, w) => flow.nn.functional.conv2d(x, w, null, { stride: 2, groups: 2 })],
  ["crossEntropy", () => [x64([3, 4])], (a) => flow.nn.functional.crossEntropy(a, flow.tensor([0, 3, 1], { dtype: "int64" }))],
];

cases.forEach(([name, make, fn], k) => {
  test(`gradcheck: ${name}`, () => {
    r = rng(100 + k);
    assert.equal(gradcheck(fn, make()), true);
  });
});

// A deliberately wrong gradient rule (d/dx x^2 written as x instead of 2x) must be caught, with the element named.
defineOp<Record<string, never>>({
  name: "_test_bad_square",
  infer: ([x]) => [{ shape: [...x.shape], dtype: x.dtype }],
  lower: (b, [x]) => [b.op("Mul", [x, x])],
  vjp: ({ grads: [g], inputs: [x] }) => [g!.mul(x)],
  host: ([x]) => [(x as Float64Array).map((v) => v * v)],
});

test("gradcheck rejects a wrong gradient rule, naming output, input and element", () => {
  const x = flow.tensor([[1, 2], [3, 4]], { dtype: "float64" }).requiresGrad_();
  assert.throws(() => gradcheck((a) => bind1("_test_bad_square", [a]), [x]),
    /Jacobian mismatch for output 0 with respect to input 0: d\(output 0\[0, 0\]\) \/ d\(input 0\[0, 0\]\) numerical 2\.0000\d* vs analytical 1/);
  assert.equal(gradcheck((a) => bind1("_test_bad_square", [a]), [x], { raiseException: false }), false);
  // Loose enough tolerances accept it (the check really compares against atol + rtol * |numerical|).
  assert.equal(gradcheck((a) => bind1("_test_bad_square", [a]), [x], { atol: 5 }), true);
});

test("gradcheck checks only inputs that require grad, and wants float64", () => {
  const a = x64([3]), c = flow.tensor([1, 2, 3], { dtype: "float64" });
  assert.equal(gradcheck((p, q) => p.mul(q), [a, c]), true);
  assert.throws(() => gradcheck((p) => p.exp(), [flow.tensor([1, 2], { requiresGrad: true })]), /input 0 requires gradient and is not a double precision floating point \(it is float32\)/);
  assert.throws(() => gradcheck((p) => p.exp(), [c]), /at least one input tensor to require gradient/);
});

test("gradcheck restores the inputs it perturbs", () => {
  const a = x64([2, 2]);
  const before = Array.from(a.toTypedArray() as Float64Array);
  gradcheck((p) => p.pow(2).sum(), [a]);
  assert.deepEqual(Array.from(a.toTypedArray() as Float64Array), before);
});
