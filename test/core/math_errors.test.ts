/** Bad input to the math ops: each a clear, PyTorch-worded error naming the op and the offending values. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";

const z = (...s: number[]) => flow.zeros(s);
const cases: [string, () => unknown, RegExp][] = [
  ["mm shapes", () => flow.mm(z(2, 3), z(4, 5)), /mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)/],
  ["mm not a matrix", () => flow.mm(z(3), z(3, 3)), /mm: self must be a matrix/],
  ["bmm batch", () => flow.bmm(z(2, 3, 4), z(3, 4, 5)), /Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: \[3, 4\]/],
  ["bmm rank", () => z(2, 3).bmm(z(2, 3, 3)), /batch1 must be a 3D tensor/],
  ["dot rank", () => flow.dot(z(2, 3), z(3)), /1D tensors expected, but got 2D and 1D tensors/],
  ["linear shapes", () => flow.linear(z(2, 3), z(4, 5)), /mat1 and mat2 shapes cannot be multiplied \(2x3 and 5x4\)/],
  ["einsum operand count", () => flow.einsum("ij,jk->ik", z(2, 3)), /fewer operands were provided/],
  ["einsum sizes", () => flow.einsum("ij,jk->ik", z(2, 3), z(4, 5)), /subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3/],
  ["einsum output label", () => flow.einsum("ij->ik", z(2, 3)), /output subscript k does not appear/],
  ["einsum rank", () => flow.einsum("ijk->i", z(2, 3)), /number of subscripts in the equation \(3\) does not match the number of dimensions \(2\)/],
  ["topk k", () => z(3, 3).topk(4), /topk: selected index k out of range/],
  ["amax empty dim", () => z(0, 3).amax(0), /amax\(\): Expected reduction dim 0 to have non-zero size/],
  ["max of empty", () => z(0, 3).max(), /max\(\): Expected reduction dim to be specified for input.numel\(\) == 0/],
  ["max dim empty", () => z(0, 3).max(0), /max\(\): Expected reduction dim 0 to have non-zero size/],
  ["mean of int", () => flow.tensor([1, 2], { dtype: "int64" }).mean(), /mean\(\): could not infer output dtype.*Got: int64/],
  ["var of int", () => flow.tensor([1, 2], { dtype: "int32" }).var(), /std and var only support floating point/],
  ["norm of int", () => flow.tensor([1, 2], { dtype: "int32" }).norm(), /norm\(\): input dtype should be either floating point/],
  ["sum dim range", () => z(2, 3).sum(2), /Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/],
  ["sum bad option", () => z(2, 3).sum({ dims: 1 } as never), /sum\(\) got an unexpected option 'dims'; accepted: dim, keepdim, dtype/],
  ["argmax dim range", () => z(2, 3).argmax(5), /argmax: Dimension out of range/],
  ["clamp without bounds", () => z(2).clamp(), /At least one of 'min' or 'max' must not be None/],
  ["gelu approximate", () => flow.gelu(z(2), "fast"), /gelu: approximate must be "none" or "tanh", got "fast"/],
  ["logsumexp needs dim", () => flow.logsumexp(z(2)), /logsumexp\(\) missing required argument 'dim'/],
  ["erf of int tensor promotes, remainder broadcast error", () => z(2, 3).remainder(z(4)), /The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1/],
];

for (const [name, f, re] of cases) test(`error: ${name}`, () => assert.throws(f, re));

test("values/indices results destructure and name their fields", () => {
  const x = flow.tensor([[1, 5, 2], [7, 0, 3]]);
  const [v, i] = x.max(1);
  assert.deepEqual(v.tolist(), [5, 7]);
  assert.deepEqual(i.tolist(), [1, 0]);
  const s = x.sort(1, true);
  assert.deepEqual(s.values.tolist(), [[5, 2, 1], [7, 3, 0]]);
  assert.deepEqual(s.indices.tolist(), [[1, 2, 0], [0, 2, 1]]);
  assert.equal(x.max().item(), 7);
  assert.equal(x.argmax().item(), 3);
});
