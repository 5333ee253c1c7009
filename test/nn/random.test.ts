/** Random numbers: manualSeed makes every result reproducible; distributions have the right moments (fixed seeds, so deterministic). */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { bernoulliMask } from "../../src/tensor/random";
import { flat } from "./helpers";

const moments = (v: number[]) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) };
};

test("manualSeed makes every random function reproducible, and different seeds differ", () => {
  const draw = () => [
    flat(flow.rand(5)), flat(flow.randn(2, 3)), flat(flow.randint(0, 100, [6])), flat(flow.randperm(10)),
    flat(flow.normal(1, 2, [4])), flat(flow.randnLike(flow.zeros(3))), flat(new flow.nn.Linear(3, 2).weight),
    flat(flow.zeros(5).uniform_(-1, 1)), flat(bernoulliMask([8], 0.5)),
  ];
  flow.manualSeed(42);
  const a = draw();
  flow.manualSeed(42);
  assert.deepEqual(draw(), a);
  flow.manualSeed(43);
  assert.notDeepEqual(draw(), a);
  assert.equal(flow.initialSeed(), 43n);
});

test("getRngState/setRngState and private Generators", () => {
  flow.manualSeed(7);
  const state = flow.getRngState();
  const x = flat(flow.randn(4));
  flow.setRngState(state);
  assert.deepEqual(flat(flow.randn(4)), x);
  const g = new flow.Generator(7);
  assert.deepEqual(flat(flow.randn(4, { generator: g })), x, "a Generator with the same seed gives the same stream");
  flow.manualSeed(0);
  const before = flat(flow.rand(3));
  flow.manualSeed(0);
  flow.rand(2, { generator: new flow.Generator(5) });
  assert.deepEqual(flat(flow.rand(3)), before, "drawing from another generator leaves the default one alone");
});

test("rand is uniform on [0, 1), randn standard normal, normal(mean, std)", () => {
  flow.manualSeed(1234);
  const u = flat(flow.rand(100000));
  assert.ok(u.every((v) => v >= 0 && v < 1));
  const mu = moments(u);
  assert.ok(Math.abs(mu.mean - 0.5) < 0.005 && Math.abs(mu.std - Math.sqrt(1 / 12)) < 0.005, JSON.stringify(mu));
  const n = moments(flat(flow.randn(100000)));
  assert.ok(Math.abs(n.mean) < 0.01 && Math.abs(n.std - 1) < 0.01, JSON.stringify(n));
  const m = moments(flat(flow.normal(3, 0.5, [100000])));
  assert.ok(Math.abs(m.mean - 3) < 0.01 && Math.abs(m.std - 0.5) < 0.01, JSON.stringify(m));
  const t = flow.normal(flow.tensor([0, 100]), flow.tensor([1, 0]));
  assert.equal(flat(t)[1], 100);
  assert.equal(flow.randn(2, 2, { dtype: "float64" }).dtype, "float64");
  assert.equal(flow.rand([3], { dtype: "float16" }).dtype, "float16");
  assert.equal(flow.randn(2, { requiresGrad: true }).requiresGrad, true);
});

test("randint covers [low, high) evenly; randperm is a permutation", () => {
  flow.manualSeed(5);
  const r = flat(flow.randint(-3, 4, [70000]));
  const counts = new Map<number, number>();
  for (const v of r) counts.set(v, (counts.get(v) ?? 0) + 1);
  assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [-3, -2, -1, 0, 1, 2, 3]);
  for (const c of counts.values()) assert.ok(Math.abs(c - 10000) < 400, `count ${c}`);
  assert.equal(flow.randint(10, [2]).dtype, "int64");
  assert.ok(flat(flow.randint(10, [100])).every((v) => v >= 0 && v < 10));
  const p = flat(flow.randperm(50));
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.equal(flat(flow.randintLike(flow.zeros(3, { dtype: "int32" }), 5)).length, 3);
});

test("uniform_/normal_ fill in place; bernoulli and bernoulliMask keep elements with probability p", () => {
  flow.manualSeed(9);
  const t = flow.zeros(50000);
  const s = t.toTypedArray();
  t.uniform_(-2, 2);
  assert.equal(t.toTypedArray(), s, "same storage");
  assert.ok(flat(t).every((v) => v >= -2 && v < 2));
  const n = moments(flat(t.normal_(1, 3)));
  assert.ok(Math.abs(n.mean - 1) < 0.05 && Math.abs(n.std - 3) < 0.05, JSON.stringify(n));
  const mask = flat(bernoulliMask([100000], 0.8, "cpu", "float32"));
  assert.ok(mask.every((v) => v === 0 || v === 1));
  assert.ok(Math.abs(moments(mask).mean - 0.8) < 0.005);
  const b = flat(flow.bernoulli(flow.tensor([0, 1, 0.5, 0.5]).reshape(1, 4).expand(20000, 4)));
  const cols = [0, 1, 2, 3].map((c) => b.filter((_, i) => i % 4 === c).reduce((x, y) => x + y, 0) / 20000);
  assert.deepEqual(cols.slice(0, 2), [0, 1]);
  assert.ok(Math.abs(cols[2] - 0.5) < 0.02 && Math.abs(cols[3] - 0.5) < 0.02);
});

test("random functions reject bad arguments with clear errors", () => {
  assert.throws(() => flow.rand(2, { dtype: "int64" }), /rand\(\): expected a floating point dtype, got int64/);
  assert.throws(() => flow.randint(5, 5, [2]), /random_ expects 'from' to be less than 'to', but got from=5 >= to=5/);
  assert.throws(() => flow.normal(0, -1, [2]), /normal expects std >= 0.0, but found std -1/);
  assert.throws(() => flow.randperm(-1), /randperm\(\): n must be a non-negative integer/);
  assert.throws(() => flow.bernoulli(flow.tensor([1.5])), /bernoulli: all elements of input must be in \[0, 1\]/);
  const w = flow.zeros(3, { requiresGrad: true });
  assert.throws(() => w.uniform_(), /a leaf Variable that requires grad is being used in an in-place operation/);
  flow.noGrad(() => w.uniform_());
});
