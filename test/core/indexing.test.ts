/**
 * Index and assignment semantics against PyTorch (index expressions translated by hand), in-place semantics
 * (views see writes, the leaf error), transfers, range creation, host kernels against their ONNX lowerings,
 * and bad input (each a clear error, the process alive afterwards).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { python, assertClose } from "../helpers/torch";
import { getOp } from "../../src/ops/registry";
import { singleOpModel } from "../../src/backend/eager";
import { createSession, ort } from "../../src/backend/ort";
import { ortTypeOf, TypedArray } from "../../src/tensor/dtype";

const SHAPE = [2, 3, 4, 5];
const base = () => flow.arange(120, { dtype: "float32" }).reshape(SHAPE);
const L = (v: unknown) => flow.tensor(v as number[], { dtype: "int64" });
const flat = (t: flow.Tensor) => { const l = t.tolist(); return Array.isArray(l) ? (l as unknown[]).flat(Infinity).map(Number) : [Number(l)]; };

/** Evaluates python expressions over x = arange(120).reshape(2,3,4,5); each gives a tensor or an error. */
function torchResults(exprs: string[]): ({ shape: number[]; data: number[] } | { error: string })[] {
  const code = `
import json, sys, torch
exprs = json.loads(sys.stdin.read())
out = []
for e in exprs:
    x = torch.arange(120, dtype=torch.float32).reshape(2, 3, 4, 5)
    try:
        env = {"x": x, "torch": torch, "T": torch.tensor}
        exec(e, env)
        r = env["r"]
        out.append({"shape": list(r.shape), "data": r.double().flatten().tolist()})
    except Exception as ex:
        out.append({"error": str(ex)})
print(json.dumps(out))`;
  return JSON.parse(python(code, [], JSON.stringify(exprs)));
}

// [flowbook index items, the same index in Python]
const INDEX_CASES: [flow.IndexItem[], string][] = [
  [[0], "0"], [[-1], "-1"], [[":", 1], ":, 1"], [["...", 2], "..., 2"], [[null], "None"],
  [[1, null, "::2", "...", "-2:"], "1, None, ::2, ..., -2:"], [["1:", ":-1", "1::2"], "1:, :-1, 1::2"],
  [[":", ":", ":", ":"], ":, :, :, :"], [["...", null, 0], "..., None, 0"], [["5:", "..."], "5:, ..."],
  [[0, 1, 2, 3], "0, 1, 2, 3"], [[[1, 0, 1]], "T([1, 0, 1])"], [[":", [0, 2], "1:3"], ":, T([0, 2]), 1:3"],
  [[[0, 1], ":", [[1], [2]]], "T([0, 1]), :, T([[1], [2]])"], [[":", [2, 0], [1, 3]], ":, T([2, 0]), T([1, 3])"],
  [[0, ":", [1, 3]], "0, :, T([1, 3])"], [[":", [1, 1], ":", 0], ":, T([1, 1]), :, 0"], [[[true, false]], "T([True, False])"],
  [[":", [true, false, true]], ":, T([True, False, True])"], [[[-1, -2]], "T([-1, -2])"],
  [[null, [0, 1], null, 1], "None, T([0, 1]), None, 1"], [["...", [4, 0]], "..., T([4, 0])"], [[":", "2:2"], ":, 2:2"],
];

test("index() matches PyTorch for basic and advanced index expressions", () => {
  const refs = torchResults(INDEX_CASES.map(([, py]) => `r = x[${py}]`));
  INDEX_CASES.forEach(([items, py], i) => {
    const ref = refs[i];
    if ("error" in ref) throw new Error(`PyTorch failed on x[${py}]: ${ref.error}`);
    const r = base().index(items);
    assert.deepEqual(r.shape, ref.shape, `x[${py}] shape`);
    assertClose(flat(r), ref.data, `x[${py}]`);
  });
});

// [items, value (number or nested array), Python index, Python value]
const SET_CASES: [flow.IndexItem[], number | number[] | number[][], string, string][] = [
  [[0], -1, "0", "-1"], [[":", 1, "::2"], 7, ":, 1, ::2", "7"], [["...", 0], [9, 8, 7, 6], "..., 0", "torch.tensor([9., 8., 7., 6.])"],
  [[[1, 0], ":", 2], -5, "[1, 0], :, 2", "-5"], [[":", [0, 2], [1, 3]], [[1, 2], [3, 4]], ":, [0, 2], [1, 3]", "torch.tensor([[1., 2.], [3., 4.]]).reshape(2, 2, 1)"],
  [[null, 1, "1:"], 3, "None, 1, 1:", "3"], [["...", "::-1"], 0, "..., torch.arange(4, -1, -1)", "0"],
];

test("setIndex / indexPut_ match PyTorch's x[...] = v", () => {
  const torchIdx = (py: string) => py.replace(/\[(-?\d+(, -?\d+)*)\]/g, "torch.tensor([$1])");
  const refs = torchResults(SET_CASES.map(([, , py, v]) => `x[${torchIdx(py)}] = ${v}\nr = x`));
  SET_CASES.forEach(([items, v, py], i) => {
    const ref = refs[i];
    if ("error" in ref) throw new Error(`PyTorch failed on x[${py}] = v: ${ref.error}`);
    const value = typeof v === "number" ? v : i === 4 ? flow.tensor(v).reshape(2, 2, 1) : flow.tensor(v);
    const x = base();
    const same = x.setIndex(items, value);
    assert.equal(same, x, "setIndex returns this");
    assertClose(flat(x), ref.data, `x[${py}] = v`);
  });
  const x = base();
  x.indexPut_([[0, 0, 1]], 1, true);
  assert.deepEqual(flat(x.index([":", 0, 0, 0])), [2, 61], "accumulate adds repeated indices");
});

test("in-place ops write into the storage: views see the change and the version moves", () => {
  const x = flow.zeros(2, 3);
  const v = x.view(6), d = x.detach(), s = x.index([":"]);
  const version = x._storage!.version;
  assert.equal(x.add_(1), x);
  x.mul_(flow.tensor([1, 2, 3])).sub_(1, 0.5).div_(2);
  assert.deepEqual(flat(v), [0.25, 0.75, 1.25, 0.25, 0.75, 1.25]);
  assert.deepEqual(flat(d), flat(x));
  assert.deepEqual(flat(s), flat(x));
  assert.ok(x._storage!.version > version);
  x.setIndex([1, "1:"], 9);
  assert.deepEqual(flat(v), [0.25, 0.75, 1.25, 0.25, 9, 9]);
  v.clamp_(0.5, 2);
  assert.deepEqual(flat(x), [0.5, 0.75, 1.25, 0.5, 2, 2]);
  x.copy_(flow.tensor([1, 2, 3], { dtype: "int64" }));
  assert.deepEqual(flat(v), [1, 2, 3, 1, 2, 3]);
  x.fill_(flow.tensor(4)).maskedFill_(flow.tensor([[true, false, false], [false, false, true]]), -1);
  assert.deepEqual(flat(x), [-1, 4, 4, 4, 4, -1]);
  x.zero_();
  assert.deepEqual(flat(v), [0, 0, 0, 0, 0, 0]);
  const i = flow.zeros([3], { dtype: "int64" });
  i.scatter_(0, L([2, 0]), L([5, 6])).scatterAdd_(0, L([2, 2]), L([1, 1])).indexAdd_(0, L([1]), L([3]));
  assert.deepEqual(flat(i), [6, 3, 7]);
  const c = x.clone();
  c.fill_(1);
  assert.deepEqual(flat(x), [0, 0, 0, 0, 0, 0], "clone has its own storage");
});

test("in-place autograd rules: PyTorch's leaf error, a clear error for recorded tensors, fine under noGrad", () => {
  const w = flow.ones([3], { requiresGrad: true });
  assert.throws(() => w.add_(1), { message: "a leaf Variable that requires grad is being used in an in-place operation." });
  assert.throws(() => w.setIndex([0], 5), /leaf Variable that requires grad/);
  const y = w.mul(2);
  assert.throws(() => y.add_(1), /does not record in-place operations.*y = y\.add\(/);
  assert.throws(() => flow.zeros(3).add_(w), /does not record in-place operations/);
  flow.noGrad(() => w.sub_(w.mul(0.5)));
  assert.deepEqual(flat(w), [0.5, 0.5, 0.5]);
  assert.equal(w.requiresGrad, true);
  const z = flow.ones(3).add_(1);
  assert.deepEqual(flat(z), [2, 2, 2]);
});

test("in-place type and shape errors use PyTorch's words", () => {
  assert.throws(() => flow.arange(3).add_(1.5), { message: "result type Float can't be cast to the desired output type Long" });
  assert.throws(() => flow.zeros(3).add_(flow.zeros(2, 3)), { message: "output with shape [3] doesn't match the broadcast shape [2, 3]" });
  assert.throws(() => flow.zeros(3).fill_(flow.zeros(2)), /fill_ only supports 0-dimension value tensor/);
  const t = flow.arange(3);
  t.fill_(2.7);
  assert.deepEqual(flat(t), [2, 2, 2], "fill_ truncates into an int tensor like PyTorch");
});

test("out-of-range indices and bad index input are clear errors", () => {
  const x = flow.zeros(3, 4);
  const cases: [() => unknown, RegExp | string][] = [
    [() => x.index(5), "index 5 is out of bounds for dimension 0 with size 3"],
    [() => x.index([":", -5]), "index -5 is out of bounds for dimension 1 with size 4"],
    [() => x.index([L([0, 3])]), "index 3 is out of bounds for dimension 0 with size 3"],
    [() => x.index([0, 0, 0]), "too many indices for tensor of dimension 2"],
    [() => x.index(["...", "..."]), "an index can only have a single ellipsis ('...')"],
    [() => x.index(["1:2:0"]), /slice step cannot be zero/],
    [() => x.index(["a:b"]), /bad slice "a:b"/],
    [() => x.index([flow.tensor([0, 0.5])]), /index\(\): indices is a float32 tensor used as indices, but it holds the non-integral value 0.5/],
    [() => x.index([flow.tensor([true, false])]), "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3, 4] at index 0"],
    [() => x.index([L([0, 1]), L([0, 1, 2])]), /indexing tensors could not be broadcast together with shapes \[2\], \[3\]/],
    [() => x.setIndex([0], flow.zeros(3)), "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of shape [4]"],
    [() => x.select(0, 5), "select(): index 5 out of range for tensor of size [3, 4] at dimension 0"],
    [() => x.narrow(0, 2, 2), "start (2) + length (2) exceeds dimension size (3)."],
    [() => x.gather(1, L([[4]])), "index 4 is out of bounds for dimension 1 with size 4"],
    [() => x.gather(1, flow.tensor([[0.25]])), /gather\(\): index is a float32 tensor used as indices, but it holds the non-integral value 0.25/],
    [() => x.gather(1, L([0])), /Index tensor must have the same number of dimensions as input tensor/],
    [() => x.scatter(0, L([[3]]), 1), "index 3 is out of bounds for dimension 0 with size 3"],
    [() => x.scatter(0, L([[0]]), flow.zeros([1, 1], { dtype: "int64" })), /Expected self.dtype to be equal to src.dtype/],
    [() => x.indexSelect(0, L([3])), "index out of range in self"],
    [() => x.indexSelect(0, L([[0]])), "index_select(): Index is supposed to be a vector"],
    [() => x.maskedFill(flow.zeros(3, 4), 1), /masked_fill_ only supports boolean masks, but got mask with dtype float32/],
    [() => x.maskedFill(x.gt(0), flow.zeros(2)), /0-dimensional value tensor/],
    [() => flow.cat([x, flow.zeros(2, 5)]), "Sizes of tensors must match except in dimension 0. Expected size 4 but got size 5 for tensor number 1 in the list."],
    [() => flow.cat([]), /non-empty list of Tensors/],
    [() => flow.stack([x, flow.zeros(3, 5)]), "stack expects each tensor to be equal size, but got [3, 4] at entry 0 and [3, 5] at entry 1"],
    [() => x.split([1, 1]), "split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at dimension 0), but got split_sizes=[1, 1]"],
    [() => x.chunk(0), "chunk expects `chunks` to be greater than 0, got: 0"],
    [() => x.repeat(2), "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"],
    [() => x.unsqueeze(3), "unsqueeze: Dimension out of range (expected to be in range of [-3, 2], but got 3)"],
    [() => x.flatten(1, 0), "flatten() has invalid args: start_dim cannot come after end_dim"],
    [() => x.unflatten(1, [3, -1]), /Provided sizes \[3, -1\] don't multiply up to the size of dim 1 \(4\)/],
    [() => flow.zeros(2, 3, 4).t(), "t() expects a tensor with <= 2 dimensions, but self is 3D"],
    [() => x.roll(1, [0, 1]), "shifts and dimensions must align. shifts: 1, dims:2"],
    ...(flow.cuda.isAvailable() ? [] : [[() => x.to("cuda"), /device 'cuda' cannot be used/] as [() => unknown, RegExp]]),
    [() => x.to("float8" as never), /unknown device 'float8'/],
  ];
  for (const [f, msg] of cases) assert.throws(f, typeof msg === "string" ? { message: msg } : msg);
  assert.deepEqual(flat(flow.ones(2).add(1)), [2, 2], "the process is alive and computing after the errors");
});

test("to(), clone(), cpu(): dtype and device conversion", () => {
  const x = flow.tensor([1.5, -2.5]);
  assert.equal(x.to("float32"), x, "no change returns the tensor itself");
  assert.equal(x.to("cpu"), x);
  assert.notEqual(x.to({ copy: true }), x);
  assert.equal(x.cpu(), x);
  const y = x.to("int64");
  assert.equal(y.dtype, "int64");
  assert.deepEqual(flat(y), [1, -2]);
  const z = x.to(flow.zeros([1], { dtype: "float64" }));
  assert.equal(z.dtype, "float64");
  assert.equal(x.to("cpu", "float16").dtype, "float16");
  const w = flow.ones([2], { requiresGrad: true });
  w.to("float64").mul(3).sum().backward();
  assert.deepEqual(flat(w.grad!), [3, 3]);
  const t = flow.tensor(x, { dtype: "float64" });
  assert.deepEqual([t.dtype, ...flat(t)], ["float64", 1.5, -2.5]);
});

test("to(device) on webgpu: gradients come back to the source device, in-place writes and indices work there", { skip: flow.webgpu.isAvailable() ? false : "webgpu unavailable" }, () => {
  const w = flow.tensor([1, 2, 3, 4], { requiresGrad: true });
  const g = w.to("webgpu");
  assert.equal(g.device.name, "webgpu");
  const y = g.index([[3, 0]]).mul(2).sum();
  y.backward();
  assert.equal(w.grad!.device.name, "cpu");
  assert.deepEqual(flat(w.grad!), [2, 0, 0, 2]);
  const v = flow.zeros([2, 3], { device: "webgpu" });
  v.setIndex([1], 5).add_(1);
  assert.equal(v.device.name, "webgpu");
  assert.deepEqual(flat(v.mul(2).cpu()), [2, 2, 2, 12, 12, 12]);
});

test("arange, linspace and eye match PyTorch", () => {
  const cases: [flow.Tensor, string][] = [
    [flow.arange(5), "torch.arange(5)"], [flow.arange(2, 9, 3), "torch.arange(2, 9, 3)"], [flow.arange(1, 2, 0.25), "torch.arange(1, 2, 0.25)"],
    [flow.arange(5, 0, -1.5), "torch.arange(5, 0, -1.5)"], [flow.arange(0, 1, 0.1), "torch.arange(0, 1, 0.1)"], [flow.arange(0), "torch.arange(0)"],
    [flow.linspace(-1, 1, 7), "torch.linspace(-1, 1, 7)"], [flow.linspace(0, 1, 1), "torch.linspace(0, 1, 1)"], [flow.linspace(3, -2.5, 100), "torch.linspace(3, -2.5, 100)"],
    [flow.eye(3), "torch.eye(3)"], [flow.eye(2, 4, { dtype: "int64" }), "torch.eye(2, 4, dtype=torch.int64)"],
  ];
  const code = `
import json, sys, torch
print(json.dumps([(lambda r: {"shape": list(r.shape), "dtype": str(r.dtype)[6:], "data": r.double().flatten().tolist()})(eval(e)) for e in json.loads(sys.stdin.read())]))`;
  const refs = JSON.parse(python(code, [], JSON.stringify(cases.map((c) => c[1]))));
  cases.forEach(([t, e], i) => {
    assert.deepEqual(t.shape, refs[i].shape, e);
    assert.equal(t.dtype, refs[i].dtype, e);
    assertClose(flat(t), refs[i].data, e, 1e-6, 1e-7);
  });
  assert.throws(() => flow.arange(0, 5, 0), /step must be nonzero/);
  assert.throws(() => flow.arange(5, 0, 1), /upper bound and larger bound inconsistent with step sign/);
});

/** Runs an op's ONNX lowering in a session, bypassing the host kernel. */
function viaSession(name: string, inputs: flow.Tensor[], attrs: unknown): TypedArray[] {
  const op = getOp(name);
  const outMeta = op.infer(inputs, attrs as never);
  const s = createSession(singleOpModel(op, inputs, attrs, outMeta), { executionProviders: ["cpu"] }, name);
  const feeds: Record<string, unknown> = {};
  inputs.forEach((t, i) => (feeds[`in${i}`] = new (ort().Tensor)(ortTypeOf(t.dtype), t._host(), t.shape)));
  const fetches: Record<string, null> = {};
  for (const m of s.outputMetadata) fetches[m.name] = null;
  const res = s.run(feeds as never, fetches, {});
  return s.outputMetadata.map((m) => res[m.name].data as TypedArray);
}

test("host kernels agree with their ONNX lowerings", () => {
  const x = flow.arange(60, { dtype: "float32" }).reshape(3, 4, 5), xi = flow.arange(60).reshape(3, 4, 5);
  const region = { starts: [2, 1, 4], steps: [-1, 2, -2], sizes: [2, 2, 3] };
  const cases: [string, flow.Tensor[], unknown][] = [
    ["slice", [x], region], ["slice", [xi], region],
    ["sliceScatter", [x, flow.ones(2, 2, 3)], region], ["sliceScatter", [xi, flow.ones([2, 2, 3], { dtype: "int64" })], region],
    ["concat", [x, x.mul(2)], { axis: 1 }], ["concat", [xi, xi], { axis: 2 }], ["clone", [x], {}],
    ["scatterND", [x, L([[[0, 1], [2, 3]]]), flow.ones(1, 2, 5)], { reduction: "none" }],
    ["scatterND", [x, L([[[0, 1], [0, 1]]]), flow.ones(1, 2, 5)], { reduction: "add" }],
    ["scatterND", [xi, L([[1], [1]]), xi.index([[0, 2]])], { reduction: "none" }],
    ["gatherND", [x, L([[[2, 1], [0, 3]], [[1, 1], [2, 0]]])], {}], ["gatherND", [xi, L([[2], [0], [2]])], {}],
    ["gather", [x, L([[[0, 4, 1, 1, 0]], [[3, 3, 3, 0, 1]], [[2, 0, 0, 0, 4]]]).expand(3, 4, 5)], { dim: 2 }],
    ["gather", [xi, L([[[0]], [[1]], [[2]]]).expand(3, 4, 5)], { dim: 1 }],
    ["indexSelect", [x, L([3, 0, 3])], { dim: 1 }], ["indexSelect", [xi, L([2, 2])], { dim: 0 }],
  ];
  for (const [name, inputs, attrs] of cases) {
    const op = getOp(name);
    const outMeta = op.infer(inputs, attrs as never);
    const host = op.host!(inputs.map((t) => t._host()), attrs as never, inputs, outMeta)!;
    const onnx = viaSession(name, inputs, attrs);
    assert.deepEqual(Array.from(host[0] as ArrayLike<number>, Number), Array.from(onnx[0] as ArrayLike<number>, Number), `${name} ${JSON.stringify(attrs)}`);
  }
});

test("empty selections: empty masks, empty index lists, empty slices", () => {
  const x = flow.arange(12, { dtype: "float32" }).reshape(3, 4);
  assert.deepEqual(x.index([x.gt(100)]).shape, [0]);
  assert.deepEqual(x.index([L([])]).shape, [0, 4]);
  assert.deepEqual(x.index(["2:1"]).shape, [0, 4]);
  const y = x.clone();
  y.setIndex([y.gt(100)], 5);
  assert.deepEqual(flat(y), flat(x));
  const big = flow.zeros(100, 100);
  big.setIndex([big.gt(1)], 5);
  assert.equal(big.sum().item(), 0);
  assert.deepEqual(flow.cat([flow.zeros(0, 4), flow.zeros(0, 4)]).shape, [0, 4]);
  assert.deepEqual(flow.zeros(0, 3).flip(0).shape, [0, 3]);
});
