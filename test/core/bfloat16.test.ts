/**
 * bfloat16 tensors: rounding bit-for-bit as PyTorch rounds, eager ops (run in float32 and rounded, see
 * src/ops/lower.ts) against PyTorch's own bfloat16 CPU kernels, gradients, printing, and saving.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as flow from "../../src/index";
import { fromBfloat16, toBfloat16 } from "../../src/tensor/dtype";
import { RefCase, assertClose, python, randomData, rng, torchEval } from "../helpers/torch";

const flat = (t: flow.Tensor) => Array.from(t.float().toTypedArray() as Float32Array);

test("float -> bfloat16 rounding equals PyTorch's bits (ties to even, overflow, NaN, subnormals, signed zero)", () => {
  const r = rng(7);
  const values = [0, 1, -1, 1.00390625, 1.01171875, 1.0078125, 3.4e38, -3.4e38, 3.3895e38, 1e-40, -1e-40, 1e-45, Infinity, -Infinity,
    0.1, 1 / 3, 65504, 2 ** -126, 2 ** -133, ...randomData(r, 200, -1e4, 1e4), ...randomData(r, 200, -1e-3, 1e-3)];
  const bits = JSON.parse(python(String.raw`
import sys, json, struct, torch
vs = json.loads(sys.stdin.read())
t = torch.tensor(vs, dtype=torch.float32).bfloat16()
print(json.dumps(t.view(torch.int16).tolist()))`, [], JSON.stringify(values.map((v) => (Number.isFinite(v) ? v : v > 0 ? 1e39 : -1e39))))) as number[];
  // JSON has no infinities: 1e39 becomes float32 inf in torch, as Infinity does here.
  const mine = values.map((v) => toBfloat16(Number.isFinite(v) ? v : v > 0 ? 1e39 : -1e39));
  assert.deepEqual(mine, bits.map((b) => b & 0xffff));
  assert.ok(Number.isNaN(fromBfloat16(toBfloat16(NaN))), "NaN stays NaN");
  assert.equal(toBfloat16(-0), 0x8000, "signed zero keeps its sign (JSON cannot carry -0 to PyTorch)");
  assert.equal(fromBfloat16(toBfloat16(0.1)), 0.10009765625);
});

test("bfloat16 tensors: creation, conversion, dtype promotion, printing as PyTorch prints them", () => {
  const t = flow.tensor([1.0, 2.5, 0.1], { dtype: "bfloat16" });
  assert.equal(t.dtype, "bfloat16");
  assert.equal(t.toString(), "tensor([1.0000, 2.5000, 0.1001], dtype=flow.bfloat16)");
  assert.deepEqual(t.tolist(), [1, 2.5, 0.10009765625]);
  assert.equal(flow.randn(3, 3).bfloat16().dtype, "bfloat16");
  assert.equal(flow.randn(3).to(flow.bfloat16).dtype, "bfloat16", "dtype constants as PyTorch spells them");
  assert.deepEqual([flow.float, flow.double, flow.half, flow.long], ["float32", "float64", "float16", "int64"]);
  assert.equal(flow.randn(2, { dtype: "bfloat16" }).dtype, "bfloat16");
  assert.equal(t.add(flow.tensor([1, 1, 1], { dtype: "float16" })).dtype, "float32", "bfloat16 with float16 promotes to float32, as in PyTorch");
  assert.equal(t.add(flow.tensor([1, 1, 1])).dtype, "float32");
  assert.equal(t.mul(2).dtype, "bfloat16", "a JS number keeps the tensor's dtype");
  const m = new flow.nn.Linear(3, 2).bfloat16();
  assert.equal(m.weight.dtype, "bfloat16");
  assert.equal(m(t.reshape(1, 3)).dtype, "bfloat16");
});

// Eager bfloat16 ops against PyTorch 1.13. Elementwise ops round one float32 result, as PyTorch's bfloat16
// kernels do, so they agree exactly. Products and reductions accumulate in float32 and round once (what
// bfloat16 matrix hardware does); PyTorch 1.13's CPU bfloat16 matmul accumulates in bfloat16 instead (errors up
// to 0.06 on a 16-term dot product), so their reference is PyTorch in float32 on the same bfloat16 inputs,
// rounded to bfloat16: equal up to one bfloat16 step where the float32 summation order differs.
const CASES: { name: string; shapes: number[][]; expr: string; run: (...xs: flow.Tensor[]) => flow.Tensor; exact?: boolean; grad?: boolean }[] = [
  { name: "add", shapes: [[4, 5], [5]], expr: "a + b", run: (a, b) => a.add(b), exact: true, grad: true },
  { name: "mul", shapes: [[3, 4], [3, 4]], expr: "a * b", run: (a, b) => a.mul(b), exact: true, grad: true },
  { name: "div", shapes: [[6], [6]], expr: "a / (b.abs() + 1)", run: (a, b) => a.div(b.abs().add(1)), exact: true },
  { name: "relu", shapes: [[10]], expr: "torch.relu(a)", run: (a) => a.relu(), exact: true, grad: true },
  { name: "exp", shapes: [[8]], expr: "torch.exp(a)", run: (a) => a.exp() },
  { name: "matmul", shapes: [[5, 16], [16, 3]], expr: "(a.float() @ b.float()).bfloat16()", run: (a, b) => flow.matmul(a, b), grad: true },
  { name: "sum", shapes: [[4, 33]], expr: "a.float().sum(1).bfloat16()", run: (a) => a.sum(1) },
  { name: "softmax", shapes: [[3, 7]], expr: "torch.softmax(a, 1)", run: (a) => flow.softmax(a, 1) },
  { name: "conv2d", shapes: [[1, 3, 6, 6], [4, 3, 3, 3]], expr: "F.conv2d(a.float(), b.float(), padding=1).bfloat16()", run: (a, b) => flow.nn.functional.conv2d(a, b, { padding: 1 }), grad: true },
  { name: "reshape+transpose+cat", shapes: [[2, 6], [3, 4]], expr: "torch.cat([a.reshape(3, 4).t(), b.t()], 1)", run: (a, b) => flow.cat([a.reshape(3, 4).t(), b.t()], 1), exact: true },
  { name: "max", shapes: [[5, 4]], expr: "a.amax(0)", run: (a) => a.amax(0), exact: true },
];

test("eager bfloat16 ops (forward and backward) agree with PyTorch's bfloat16 kernels", () => {
  const r = rng(11);
  const prepared = CASES.map((c) => ({ c, inputs: c.shapes.map((shape) => ({ data: randomData(r, shape.reduce((a, b) => a * b, 1)), shape, dtype: "bfloat16", grad: !!c.grad })) }));
  const cases: RefCase[] = prepared.map(({ c, inputs }) => ({ inputs, expr: c.expr }));
  const ref = torchEval(cases);
  prepared.forEach(({ c, inputs }, k) => {
    const xs = inputs.map((i) => flow.tensor(i.data, { dtype: "bfloat16" }).reshape(i.shape).detach().requiresGrad_(!!c.grad));
    const y = c.run(...xs);
    assert.equal(y.dtype, "bfloat16", `${c.name} keeps bfloat16`);
    const want = ref[k].out as { data: number[]; shape: number[]; dtype: string };
    assert.equal(want.dtype, "bfloat16");
    assert.deepEqual(y.shape, want.shape, c.name);
    // One bfloat16 step is at most 2^-7 relative.
    assertClose(flat(y), want.data, `bfloat16 ${c.name}`, c.exact ? 0 : 2 ** -7, c.exact ? 0 : 1e-6);
    if (c.grad) {
      y.sum().backward();
      for (const x of xs) { assert.equal(x.grad!.dtype, "bfloat16", `${c.name}: the gradient of a bfloat16 leaf is bfloat16`); }
    }
  });
});

test("bfloat16 gradients match PyTorch's for a small bfloat16 MLP step", () => {
  const r = rng(3);
  const xd = randomData(r, 4 * 6), wd = randomData(r, 6 * 5), seed = randomData(r, 4 * 5);
  const [ref] = torchEval([{ inputs: [{ data: xd, shape: [4, 6], dtype: "bfloat16" }, { data: wd, shape: [6, 5], dtype: "bfloat16", grad: true }], expr: "torch.tanh(a @ b)", seed }]);
  const x = flow.tensor(xd, { dtype: "bfloat16" }).reshape(4, 6);
  const w = flow.tensor(wd, { dtype: "bfloat16" }).reshape(6, 5).detach().requiresGrad_();
  const y = flow.tanh(flow.matmul(x, w));
  y.backward(flow.tensor(seed, { dtype: "bfloat16" }).reshape(4, 5));
  assertClose(flat(w.grad!), ref.grads![1]!.data, "grad of w", 2 ** -6, 2e-2);
});

test("bfloat16 tensors save to .pth and .safetensors and load back in PyTorch and flowbook bit-exactly", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-bf16-"));
  const t = flow.tensor([1.5, -0.1, 3e38, 1e-39, 7], { dtype: "bfloat16" });
  for (const name of ["w.pth", "w.safetensors"]) {
    const p = path.join(dir, name);
    flow.save({ w: t }, p);
    const back = flow.load(p) as Record<string, flow.Tensor>;
    assert.equal(back.w.dtype, "bfloat16");
    assert.deepEqual(Array.from(back.w.toTypedArray() as Uint16Array), Array.from(t.toTypedArray() as Uint16Array));
    const py = JSON.parse(python(String.raw`
import sys, json, torch
p = sys.argv[1]
if p.endswith(".pth"): w = torch.load(p)["w"]
else:
    import struct
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); e = h["w"]
    assert e["dtype"] == "BF16", e
    w = torch.frombuffer(bytearray(b[8 + n + e["data_offsets"][0]: 8 + n + e["data_offsets"][1]]), dtype=torch.bfloat16)
print(json.dumps({"dtype": str(w.dtype), "bits": w.view(torch.int16).tolist()}))`, [p]));
    assert.equal(py.dtype, "torch.bfloat16", name);
    assert.deepEqual(py.bits.map((b: number) => b & 0xffff), Array.from(t.toTypedArray() as Uint16Array), name);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
