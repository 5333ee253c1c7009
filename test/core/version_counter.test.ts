/**
 * PyTorch's version-counter check: a tensor saved for backward and modified in place afterwards makes backward
 * raise PyTorch's error; a write before the op, or to a tensor whose gradient rule never reads it, does not.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";

test("modifying a saved input in place after the op: backward raises PyTorch's error", () => {
  const a = flow.tensor([1, 2, 3]);
  const w = flow.tensor([1, 2, 3], { requiresGrad: true });
  a.add_(1); // version 1, before the op: fine
  const y = w.mul(a); // mul's gradient reads a
  a.add_(1); // version 2
  assert.throws(() => y.sum().backward(), (e: Error) => {
    assert.equal(e.message.split(" Hint:")[0], "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [3]] is at version 2; expected version 1 instead.");
    return true;
  });
});

test("modifying a saved output in place: the error names the op that produced it", () => {
  const w = flow.tensor([0.5, 1], { requiresGrad: true, dtype: "float64" });
  const e = w.exp(); // exp's gradient reads its output
  flow.noGrad(() => e.mul_(2));
  assert.throws(() => e.sum().backward(), /\[torch\.DoubleTensor \[2\]\], which is output 0 of ExpBackward0, is at version 1; expected version 0 instead/);
});

test("a view shares the version: writing through a reshape of a saved tensor is caught", () => {
  const a = flow.tensor([[1, 2], [3, 4]]);
  const w = flow.ones([2, 2], { requiresGrad: true });
  const y = w.mul(a);
  a.reshape([4]).zero_();
  assert.throws(() => y.sum().backward(), /modified by an inplace operation: \[torch\.FloatTensor \[2, 2\]\] is at version 1; expected version 0/);
});

test("no error when the gradient rule does not read the modified tensor, or when it is written before", () => {
  const a = flow.tensor([1, 2, 3]);
  const p = flow.tensor([1, 2, 3], { requiresGrad: true });
  const q = p.add(a); // add's gradient does not read a (PyTorch does not save it)
  a.add_(1);
  q.sum().backward();
  assert.deepEqual(p.grad!.tolist(), [1, 1, 1]);

  const b = flow.tensor([1, 2, 3]);
  b.mul_(2);
  const w = flow.tensor([1, 1, 1], { requiresGrad: true });
  w.mul(b).sum().backward();
  assert.deepEqual(w.grad!.tolist(), [2, 4, 6]);
});

test("after the error the process and other graphs keep working", () => {
  const a = flow.tensor([1, 2]);
  const w = flow.tensor([3, 4], { requiresGrad: true });
  const y = w.mul(a);
  a.add_(1);
  assert.throws(() => y.sum().backward(), /modified by an inplace operation/);
  const z = w.mul(a);
  z.sum().backward();
  assert.deepEqual(w.grad!.tolist(), [2, 3]);
});
