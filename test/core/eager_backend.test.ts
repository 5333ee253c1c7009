/** Eager backend settings: thread count, which path (host kernel or session) runs, and views sharing versions. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { eagerStats } from "../../src/backend/eager";

test("setNumThreads / getNumThreads, with torch's error for a bad count", () => {
  const prev = flow.getNumThreads();
  try {
    flow.setNumThreads(1);
    assert.equal(flow.getNumThreads(), 1);
    assert.throws(() => flow.setNumThreads(0), /set_num_threads expects a positive integer, but got 0/);
    assert.throws(() => flow.setNumThreads(1.5), /positive integer, but got 1.5/);
  } finally { flow.setNumThreads(prev); }
});

test("a large op gives the same result with 1 and 2 threads", () => {
  const prev = flow.getNumThreads();
  const x = flow.arange(0, 300000).reshape([300, 1000]).div(1000);
  try {
    flow.setNumThreads(1);
    const a = x.exp().sum(1).toTypedArray() as Float32Array;
    flow.setNumThreads(2);
    const b = x.exp().sum(1).toTypedArray() as Float32Array;
    assert.deepEqual(Array.from(a), Array.from(b));
  } finally { flow.setNumThreads(prev); }
});

test("a reduction of many elements to few runs in a session, not in the host kernel", () => {
  const x = flow.ones([1000, 100]);
  const host0 = eagerStats.hostKernelCalls, sess0 = eagerStats.sessionCalls;
  const s = x.sum(1);
  assert.equal(eagerStats.hostKernelCalls, host0);
  assert.equal(eagerStats.sessionCalls, sess0 + 1);
  assert.deepEqual(Array.from(s.toTypedArray() as Float32Array).slice(0, 3), [100, 100, 100]);
  const host1 = eagerStats.hostKernelCalls;
  flow.ones([4, 5]).sum(1);
  assert.equal(eagerStats.hostKernelCalls, host1 + 1);
});

test("a reshape view shares its base's storage and version", () => {
  const a = flow.zeros([2, 3]);
  const v = a.reshape([6]);
  assert.equal(v._storage, a._storage);
  v.add_(1);
  assert.equal(a._storage!.version, 1);
  assert.deepEqual(a.tolist(), [[1, 1, 1], [1, 1, 1]]);
});
