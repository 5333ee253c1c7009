/** nn.init: gains and fan computations equal PyTorch's; each initialiser produces its distribution (fixed seed). */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { assertClose } from "../helpers/torch";
import { flat, torchJson } from "./helpers";

const init = flow.nn.init;
const stats = (t: flow.Tensor) => {
  const v = flat(t);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length), max: v.reduce((m, x) => Math.max(m, Math.abs(x)), 0) };
};

test("calculateGain and fan in/out equal PyTorch's", () => {
  const names = ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"] as const;
  const shapes = [[8, 4], [16, 3, 5, 5], [4, 8, 3], [3, 2, 1, 2, 2]];
  const ref = torchJson<{ gains: number[]; slope: number; fans: number[][] }>(`
print(json.dumps({"gains": [nn.init.calculate_gain(n) for n in INPUT["names"]], "slope": nn.init.calculate_gain("leaky_relu", 0.2),
  "fans": [list(nn.init._calculate_fan_in_and_fan_out(torch.empty(s))) for s in INPUT["shapes"]]}))`, { names, shapes });
  assertClose(names.map((n) => init.calculateGain(n)), ref.gains, "gains", 1e-12);
  assertClose([init.calculateGain("leaky_relu", 0.2)], [ref.slope], "leaky_relu(0.2) gain", 1e-12);
  assert.deepEqual(shapes.map((s) => init.calculateFanInAndFanOut(flow.zeros(s))), ref.fans);
  assert.throws(() => init.calculateFanInAndFanOut(flow.zeros(3)), /Fan in and fan out can not be computed for tensor with fewer than 2 dimensions/);
  assert.throws(() => init.calculateGain("swish" as never), /Unsupported nonlinearity swish/);
});

test("kaiming, xavier, normal, uniform and constant initialisers give their distributions, in place", () => {
  flow.manualSeed(2024);
  const w = flow.zeros(256, 128, 3, 3);
  const storage = w.toTypedArray();
  const fanIn = 128 * 9, fanOut = 256 * 9;
  let s = stats(init.kaimingUniform_(w, { a: 0, nonlinearity: "relu" }));
  const bound = Math.sqrt(2) * Math.sqrt(3 / fanIn);
  assert.ok(s.max <= bound && s.max > 0.99 * bound && Math.abs(s.std - bound / Math.sqrt(3)) < 1e-3 * 5, JSON.stringify(s));
  s = stats(init.kaimingNormal_(w, 0, "fan_out", "relu"));
  assert.ok(Math.abs(s.std - Math.sqrt(2 / fanOut)) / Math.sqrt(2 / fanOut) < 0.01 && Math.abs(s.mean) < 1e-3, JSON.stringify(s));
  s = stats(init.xavierUniform_(w, 2));
  const a = 2 * Math.sqrt(6 / (fanIn + fanOut));
  assert.ok(s.max <= a && s.max > 0.99 * a, JSON.stringify(s));
  s = stats(init.xavierNormal_(w));
  assert.ok(Math.abs(s.std - Math.sqrt(2 / (fanIn + fanOut))) / Math.sqrt(2 / (fanIn + fanOut)) < 0.01, JSON.stringify(s));
  s = stats(init.normal_(w, 3, 0.5));
  assert.ok(Math.abs(s.mean - 3) < 0.005 && Math.abs(s.std - 0.5) < 0.005, JSON.stringify(s));
  s = stats(init.uniform_(w, -0.1, 0.1));
  assert.ok(s.max <= 0.1 && Math.abs(s.std - 0.2 / Math.sqrt(12)) < 1e-3, JSON.stringify(s));
  assert.deepEqual([...new Set(flat(init.constant_(flow.zeros(2, 3), 0.25)))], [0.25]);
  assert.deepEqual([...new Set(flat(init.ones_(flow.zeros(4))))], [1]);
  assert.deepEqual([...new Set(flat(init.zeros_(flow.ones(4))))], [0]);
  assert.equal(w.toTypedArray(), storage, "initialisers write in place");
  const p = new flow.nn.Parameter(flow.zeros(4, 4));
  init.kaimingUniform_(p); // parameters require grad: the initialisers run without recording
  assert.equal(p.gradFn, null);
});
