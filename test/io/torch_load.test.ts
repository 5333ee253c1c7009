/**
 * torch.save files made by PyTorch 1.13 at test time (/usr/bin/python3) load with the right dtypes, shapes,
 * values and nesting; a pickle that names any other global is refused without running it; flow.save(.pth)
 * is read back by torch.load.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as flow from "../../src/index";
import { python, assertClose } from "../helpers/torch";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-pth-"));

// One python run makes every file and writes the expected values as JSON next to them.
const MAKE = String.raw`
import sys, json, os, collections, torch, numpy as np
d = sys.argv[1]
torch.manual_seed(0)
def enc(t):
    t = t.detach()
    v = t.float() if t.dtype == torch.bfloat16 else t
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "data": v.flatten().double().tolist() if v.dtype != torch.bool else v.flatten().int().tolist()}
def dump(name, sd):
    json.dump({k: enc(v) for k, v in sd.items()}, open(os.path.join(d, name + ".json"), "w"))

sd = collections.OrderedDict()
sd["f32"] = torch.randn(3, 4)
sd["f64"] = torch.randn(2, 3, dtype=torch.float64)
sd["f16"] = torch.randn(5).half()
sd["bf16"] = torch.randn(2, 2).bfloat16()
sd["i64"] = torch.randint(-2**40, 2**40, (4,))
sd["i32"] = torch.randint(-2**30, 2**30, (2, 2), dtype=torch.int32)
sd["i16"] = torch.randint(-30000, 30000, (3,), dtype=torch.int16)
sd["i8"] = torch.randint(-128, 127, (6,), dtype=torch.int8)
sd["u8"] = torch.randint(0, 255, (2, 3), dtype=torch.uint8)
sd["bool"] = torch.rand(7) > 0.5
sd["scalar"] = torch.tensor(3.5)
sd["empty"] = torch.zeros(0, 3)
torch.save(sd, os.path.join(d, "dtypes.pth")); dump("dtypes", sd)
torch.save(sd, os.path.join(d, "legacy.pth"), _use_new_zipfile_serialization=False)

x = torch.arange(24.).reshape(4, 6)
views = collections.OrderedDict(t=x.t(), cols=x[:, 1:4], row=x[2], strided=x[::2, ::3], base=x)
torch.save(views, os.path.join(d, "views.pth")); dump("views", views)

net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 5))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
adam = torch.optim.Adam(net.parameters(), lr=1e-3)
net(torch.randn(2, 3, 8, 8)).sum().backward(); opt.step(); adam.step()
ckpt = {"model": net.state_dict(), "optimizer": opt.state_dict(), "adam": adam.state_dict(), "epoch": 7,
        "best_acc": np.float64(0.8125), "name": "run-1", "history": [0.5, 0.25], "flags": (True, None)}
torch.save(ckpt, os.path.join(d, "ckpt.pth")); dump("ckpt_model", net.state_dict())
json.dump({"momentum_0": enc(opt.state_dict()["state"][0]["momentum_buffer"]), "adam_step": float(adam.state_dict()["state"][0]["step"]),
           "n_params": len(list(net.parameters()))}, open(os.path.join(d, "ckpt.json"), "w"))

class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + os.path.join(d, "PWNED"),))
torch.save({"w": torch.ones(2), "evil": Evil()}, os.path.join(d, "evil.pth"))
class Exec:
    def __reduce__(self):
        return (eval, ("1+1",))
torch.save([Exec()], os.path.join(d, "eval.pth"))
`;
python(MAKE, [dir]);

type Expect = Record<string, { dtype: string; shape: number[]; data: number[] }>;
const expected = (name: string): Expect => JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), "utf8"));
// flowbook has no int16: it widens to int32 (exactly); bfloat16 loads as bfloat16.
const WIDENED: Record<string, string> = { int16: "int32" };

function values(t: flow.Tensor): number[] {
  const a = t.toTypedArray();
  if (t.dtype === "float16") return Array.from(a as Uint16Array, halfToNumber);
  if (t.dtype === "bfloat16") return Array.from(a as Uint16Array, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]);
  return Array.from(a as ArrayLike<number | bigint>, Number);
}
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
}
function checkAgainst(sd: Record<string, flow.Tensor>, exp: Expect, what: string) {
  assert.deepEqual(Object.keys(sd), Object.keys(exp), `${what}: keys and their order`);
  for (const [k, e] of Object.entries(exp)) {
    const t = sd[k];
    assert.ok(t instanceof flow.Tensor, `${what}.${k} is a Tensor`);
    assert.equal(t.dtype, WIDENED[e.dtype] ?? e.dtype, `${what}.${k} dtype`);
    assert.deepEqual(t.shape, e.shape, `${what}.${k} shape`);
    assertClose(values(t), e.data, `${what}.${k}`, 0, 0);
  }
}

test("a state dict of every dtype loads exactly (zip format)", () => {
  checkAgainst(flow.load(path.join(dir, "dtypes.pth")), expected("dtypes"), "dtypes.pth");
});

test("the legacy (non-zip) format loads the same values", () => {
  checkAgainst(flow.load(path.join(dir, "legacy.pth")), expected("dtypes"), "legacy.pth");
});

test("strided views (x.t(), slices, steps) are materialised; dense views share their storage", () => {
  const sd = flow.load(path.join(dir, "views.pth"));
  checkAgainst(sd, expected("views"), "views.pth");
  assert.equal(sd.row._storage, sd.base._storage, "x[2] shares x's storage");
  assert.equal(sd.row._offset, 12);
  assert.notEqual(sd.t._storage, sd.base._storage, "x.t() is a dense copy");
});

test("a checkpoint {model, optimizer, epoch, ...} loads as nested records", () => {
  const ck = flow.load(path.join(dir, "ckpt.pth"));
  const exp = JSON.parse(fs.readFileSync(path.join(dir, "ckpt.json"), "utf8"));
  assert.deepEqual(Object.keys(ck), ["model", "optimizer", "adam", "epoch", "best_acc", "name", "history", "flags"]);
  checkAgainst(ck.model, expected("ckpt_model"), "ckpt.model");
  assert.equal(ck.epoch, 7);
  assert.equal(ck.best_acc, 0.8125, "numpy float64 scalar");
  assert.equal(ck.name, "run-1");
  assert.deepEqual(ck.history, [0.5, 0.25]);
  assert.deepEqual(ck.flags, [true, null]);
  const g = ck.optimizer.param_groups[0];
  assert.equal(g.lr, 0.1); assert.equal(g.momentum, 0.9); assert.equal(g.nesterov, false);
  assert.deepEqual(g.params, Array.from({ length: exp.n_params }, (_, i) => i));
  assertClose(values(ck.optimizer.state["0"].momentum_buffer), exp.momentum_0.data, "momentum_buffer", 0, 0);
  assert.deepEqual(ck.adam.param_groups[0].betas, [0.9, 0.999]);
  assert.equal(ck.adam.state["0"].step.item(), exp.adam_step);
  assert.equal(ck.model["1.num_batches_tracked"].dtype, "int64");
});

test("a pickle naming os.system is refused by name and nothing runs", () => {
  assert.throws(() => flow.load(path.join(dir, "evil.pth")), (e: Error) => {
    assert.match(e.message, /refusing to load global 'posix\.system'/);
    assert.match(e.message, /never executes/);
    return true;
  });
  assert.throws(() => flow.load(path.join(dir, "eval.pth")), /refusing to load global 'builtins\.eval'/);
  assert.equal(fs.existsSync(path.join(dir, "PWNED")), false, "the payload did not run");
  assert.equal(flow.load(path.join(dir, "dtypes.pth")).f32.shape.length, 2, "the process is alive and loads the next file");
});

test("not a torch file: a clear error", () => {
  const p = path.join(dir, "junk.pth");
  fs.writeFileSync(p, "hello world, not a pickle");
  assert.throws(() => flow.load(p), /not a torch\.save file/);
  assert.throws(() => flow.load(path.join(dir, "missing.pth")), /no such file: .*missing\.pth/);
  const trunc = path.join(dir, "trunc.pth");
  fs.writeFileSync(trunc, fs.readFileSync(path.join(dir, "dtypes.pth")).subarray(0, 300));
  assert.throws(() => flow.load(trunc), /trunc\.pth/);
});

test("flow.save(.pth) is read by torch.load (values, dtypes, shared storage, nesting) and by flow.load", () => {
  const base = flow.tensor([[1, 2, 3], [4, 5, 6]]);
  const row = new flow.Tensor([3], "float32", flow.device("cpu"), base._storage, 3); // a view of base's second row
  const sd = {
    w: base, flat: row, h: flow.tensor([0.5, -2], { dtype: "float16" }), l: flow.tensor([1, -(2 ** 40)], { dtype: "int64" }),
    b: flow.tensor([true, false], { dtype: "bool" }), u: flow.tensor([255, 0], { dtype: "uint8" }), i8: flow.tensor([-5], { dtype: "int8" }),
    d: flow.tensor([1e-300], { dtype: "float64" }), i32: flow.tensor([7], { dtype: "int32" }),
  };
  const p = path.join(dir, "mine.pth");
  flow.save({ model: sd, epoch: 3, lr: 0.5, big: 2 ** 40, neg: -7, name: "x", list: [1, 2.5, null, true] }, p);
  const out = JSON.parse(python(String.raw`
import sys, json, torch
ck = torch.load(sys.argv[1])
m = ck["model"]
print(json.dumps({"keys": list(m.keys()), "dtypes": {k: str(v.dtype) for k, v in m.items()},
  "vals": {k: v.double().tolist() for k, v in m.items()}, "shared": m["w"].storage().data_ptr() == m["flat"].storage().data_ptr(),
  "rest": {k: v for k, v in ck.items() if k != "model"}}))
`, [p]));
  assert.deepEqual(out.keys, Object.keys(sd));
  assert.equal(out.dtypes.h, "torch.float16"); assert.equal(out.dtypes.l, "torch.int64"); assert.equal(out.dtypes.b, "torch.bool");
  assert.deepEqual(out.vals.w, [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(out.vals.flat, [4, 5, 6]);
  assert.deepEqual(out.vals.h, [0.5, -2]);
  assert.deepEqual(out.vals.l, [1, -(2 ** 40)]);
  assert.deepEqual(out.vals.u, [255, 0]);
  assert.equal(out.shared, true);
  assert.deepEqual(out.rest, { epoch: 3, lr: 0.5, big: 2 ** 40, neg: -7, name: "x", list: [1, 2.5, null, true] });
  const back = flow.load(p);
  assert.deepEqual(back.model.w.tolist(), [[1, 2, 3], [4, 5, 6]]);
  assert.equal(back.model.w._storage, back.model.flat._storage);
  assert.equal(back.epoch, 3);
});

test("renameKeys: function, table, regex rules; collisions are errors", () => {
  const sd = { "module.conv.weight": flow.zeros(1), "module.fc.bias": flow.zeros(1), "module.aux": flow.zeros(1) };
  assert.deepEqual(Object.keys(flow.io.renameKeys(sd, (k) => k.replace(/^module\./, ""))), ["conv.weight", "fc.bias", "aux"]);
  assert.deepEqual(Object.keys(flow.io.renameKeys(sd, (k) => (k.endsWith("aux") ? null : k))), ["module.conv.weight", "module.fc.bias"]);
  assert.deepEqual(Object.keys(flow.io.renameKeys(sd, { "module.fc.bias": "head.bias" })), ["module.conv.weight", "head.bias", "module.aux"]);
  assert.deepEqual(Object.keys(flow.io.renameKeys(sd, [[/^module\./, ""], ["conv", "stem"]])), ["stem.weight", "fc.bias", "aux"]);
  assert.throws(() => flow.io.renameKeys(sd, () => "same"), /'module\.conv\.weight' and 'module\.fc\.bias' both map to 'same'/);
});
