/**
 * nn.Module against PyTorch: the same architecture gives the same stateDict keys, shapes, dtypes and repr;
 * loadStateDict reports what PyTorch reports; registration, hooks, modes, dtype moves and containers.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { assertClose } from "../helpers/torch";
import { flat, fromJson, stateFromJson, torchJson } from "./helpers";

const nn = flow.nn;

/** One of every layer, with containers, own parameters and buffers (persistent and not). */
class Zoo extends nn.Module {
  conv1 = new nn.Conv2d(3, 16, 3, { padding: 1, bias: false });
  bn1 = new nn.BatchNorm2d(16);
  act = new nn.GELU();
  pool = new nn.MaxPool2d(2);
  layers = new nn.ModuleList([new nn.Linear(16, 8), new nn.Linear(8, 4)]);
  heads = new nn.ModuleDict({ a: new nn.Linear(4, 2), b: new nn.Linear(4, 3, false) });
  emb = new nn.Embedding(10, 4, { paddingIdx: 0 });
  ln = new nn.LayerNorm([4]);
  gn = new nn.GroupNorm(2, 16);
  convt = new nn.ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 });
  conv1d = new nn.Conv1d(4, 6, 5, { groups: 2, padding: "same" });
  conv2 = new nn.Conv2d(8, 8, [3, 1], 2, [1, 0], 1, 4, true, "reflect");
  bn1d = new nn.BatchNorm1d(6, { affine: false, momentum: null });
  drop = new nn.Dropout(0.2);
  flat = new nn.Flatten();
  seq = new nn.Sequential(new nn.Identity(), new nn.SiLU(), new nn.Softmax(1), new nn.Sigmoid(), new nn.Tanh(),
    new nn.AvgPool2d(3, { stride: 2 }), new nn.AdaptiveAvgPool2d([1, 1]), new nn.ReLU(true));
  scale = new nn.Parameter(flow.ones(3));
  crit = new nn.CrossEntropyLoss({ weight: flow.ones(3), labelSmoothing: 0.1 });
  bce = new nn.BCEWithLogitsLoss({ posWeight: flow.ones(2) });
  losses = new nn.ModuleList([new nn.NLLLoss(), new nn.MSELoss(), new nn.L1Loss({ reduction: "sum" })]);
  constructor() {
    super();
    this.registerBuffer("step", flow.zeros(1));
    this.registerBuffer("scratch", flow.zeros(2), false);
  }
}

const TORCH_ZOO = `
class Zoo(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.act = nn.GELU()
        self.pool = nn.MaxPool2d(2)
        self.layers = nn.ModuleList([nn.Linear(16, 8), nn.Linear(8, 4)])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 2), "b": nn.Linear(4, 3, False)})
        self.emb = nn.Embedding(10, 4, padding_idx=0)
        self.ln = nn.LayerNorm([4])
        self.gn = nn.GroupNorm(2, 16)
        self.convt = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
        self.conv1d = nn.Conv1d(4, 6, 5, groups=2, padding="same")
        self.conv2 = nn.Conv2d(8, 8, (3, 1), 2, (1, 0), 1, 4, True, "reflect")
        self.bn1d = nn.BatchNorm1d(6, affine=False, momentum=None)
        self.drop = nn.Dropout(0.2)
        self.flat = nn.Flatten()
        self.seq = nn.Sequential(nn.Identity(), nn.SiLU(), nn.Softmax(1), nn.Sigmoid(), nn.Tanh(),
            nn.AvgPool2d(3, stride=2), nn.AdaptiveAvgPool2d((1, 1)), nn.ReLU(True))
        self.scale = nn.Parameter(torch.ones(3))
        self.crit = nn.CrossEntropyLoss(weight=torch.ones(3), label_smoothing=0.1)
        self.bce = nn.BCEWithLogitsLoss(pos_weight=torch.ones(2))
        self.losses = nn.ModuleList([nn.NLLLoss(), nn.MSELoss(), nn.L1Loss(reduction="sum")])
        self.register_buffer("step", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)
`;

test("stateDict keys, shapes and dtypes equal PyTorch's for the same architecture", () => {
  const ref = torchJson<{ keys: string[]; shapes: number[][]; dtypes: string[]; params: string[]; buffers: string[]; modules: string[] }>(`${TORCH_ZOO}
m = Zoo()
s = m.state_dict()
print(json.dumps({"keys": list(s.keys()), "shapes": [list(v.shape) for v in s.values()], "dtypes": [str(v.dtype)[6:] for v in s.values()],
  "params": [n for n, _ in m.named_parameters()], "buffers": [n for n, _ in m.named_buffers()], "modules": [n for n, _ in m.named_modules()]}))`);
  const m = new Zoo();
  const sd = m.stateDict();
  assert.deepEqual(Object.keys(sd), ref.keys);
  assert.deepEqual(Object.values(sd).map((t) => t.shape), ref.shapes);
  assert.deepEqual(Object.values(sd).map((t) => t.dtype), ref.dtypes);
  assert.deepEqual(m.namedParameters().map(([n]) => n), ref.params);
  assert.deepEqual(m.namedBuffers().map(([n]) => n), ref.buffers);
  assert.deepEqual(m.namedModules().map(([n]) => n), ref.modules);
});

test("toString() is PyTorch's repr, line for line", () => {
  const ref = torchJson<string>(`${TORCH_ZOO}\nprint(json.dumps(str(Zoo())))`);
  assert.equal(new Zoo().toString(), ref);
  const seq = torchJson<string>("print(json.dumps(str(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))))");
  assert.equal(new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2)).toString(), seq);
});

test("Jupyter display: text/plain repr and an HTML tree with parameter counts", () => {
  const m = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Sequential(new nn.Linear(8, 2)));
  const bundle = (m as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")]();
  assert.equal(bundle["text/plain"], m.toString());
  assert.match(bundle["text/html"], /<details/);
  assert.match(bundle["text/html"], /58 params/); // 4*8+8 + 8*2+2
  assert.match(bundle["text/html"], /Total params: 58 \(trainable 58\)/);
});

test("a model loaded from PyTorch's state dict computes PyTorch's outputs", () => {
  const ref = torchJson(`
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3), nn.Sigmoid(), nn.Linear(3, 2, bias=False), nn.Tanh())
x = torch.randn(4, 5)
print(json.dumps({"sd": sd(m), "x": enc(x), "y": enc(m(x))}))`);
  const m = new nn.Sequential(new nn.Linear(5, 7), new nn.ReLU(), new nn.Linear(7, 3), new nn.Sigmoid(), new nn.Linear(3, 2, { bias: false }), new nn.Tanh());
  assert.deepEqual(m.loadStateDict(stateFromJson(ref.sd)), { missingKeys: [], unexpectedKeys: [] });
  const y = m(fromJson(ref.x));
  assert.deepEqual(y.shape, [4, 2]);
  assertClose(flat(y), ref.y.data, "Sequential forward");
});

test("loadStateDict: one error listing missing keys, unexpected keys and size mismatches, as PyTorch words it", () => {
  const ref = torchJson<{ strict: string; loose: string; keys: [string[], string[]] }>(`
m = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
s = m.state_dict()
del s["0.bias"]; del s["1.running_var"]
s["2.weight"] = torch.zeros(3, 8); s["extra"] = torch.zeros(1); s["1.foo"] = torch.zeros(1)
def err(strict):
    try:
        m.load_state_dict(s, strict=strict)
    except RuntimeError as e:
        return str(e)
s2 = dict(s); s2["2.weight"] = torch.zeros(2, 8)
r = m.load_state_dict(s2, strict=False)
print(json.dumps({"strict": err(True), "loose": err(False), "keys": [r.missing_keys, r.unexpected_keys]}))`);
  const norm = (s: string) => s.replace(/torch\.Size\(\[([^\]]*)\]\)/g, "[$1]");
  const m = new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.Linear(8, 2));
  const s = m.stateDict();
  delete s["0.bias"]; delete s["1.running_var"];
  s["2.weight"] = flow.zeros(3, 8); s["extra"] = flow.zeros(1); s["1.foo"] = flow.zeros(1);
  assert.throws(() => m.loadStateDict(s), (e: Error) => { assert.equal(e.message, norm(ref.strict)); return true; });
  // strict=false still raises on a size mismatch (PyTorch's words first); flowbook's one error then also lists
  // the keys strict=true would have refused, so a partial load is diagnosed in one go.
  assert.throws(() => m.loadStateDict(s, { strict: false }), (e: Error & { shapeMismatches?: unknown[] }) => {
    assert.ok(e.message.startsWith(norm(ref.loose).trimEnd()), e.message);
    assert.match(e.message, /Missing key\(s\) in state_dict \(allowed with strict=false\): "0.bias", "1.running_var"/);
    assert.equal(e.shapeMismatches?.length, 1);
    return true;
  });
  const before = flat(m.stateDict()["0.weight"]);
  s["2.weight"] = flow.full([2, 8], 0.5);
  const r = m.loadStateDict(s, { strict: false });
  assert.deepEqual([r.missingKeys, r.unexpectedKeys], ref.keys);
  assert.deepEqual(flat(m.stateDict()["2.weight"]), new Array(16).fill(0.5));
  assert.deepEqual(flat(m.stateDict()["0.weight"]), before);
});

test("stateDict values are detached and share storage; loadStateDict copies in place with dtype conversion", () => {
  const lin = new nn.Linear(2, 2);
  const w = lin.weight;
  const sd = lin.stateDict();
  assert.equal(sd.weight.requiresGrad, false);
  assert.equal(sd.weight.gradFn, null);
  lin.loadStateDict({ weight: flow.tensor([[1, 2], [3, 4]], { dtype: "float64" }), bias: flow.tensor([5, 6]) });
  assert.equal(lin.weight, w, "the Parameter object is kept");
  assert.equal(lin.weight.dtype, "float32");
  assert.deepEqual(lin.weight.tolist(), [[1, 2], [3, 4]]);
  assert.deepEqual(sd.weight.tolist(), [[1, 2], [3, 4]], "the earlier stateDict shares storage");
  assert.equal(lin.stateDict({ keepVars: true }).weight, w);
});

test("registration by assignment follows PyTorch's __setattr__ rules", () => {
  class Net extends nn.Module<[flow.Tensor], flow.Tensor> {
    fc = new nn.Linear(3, 4);
    w = new nn.Parameter(flow.zeros(2));
    note = "plain attribute";
    t = flow.zeros(1); // a plain tensor attribute is not registered (as in PyTorch)
    forward(x: flow.Tensor) { return this.fc(x); }
  }
  const n = new Net();
  assert.deepEqual(Object.keys(n.stateDict()), ["w", "fc.weight", "fc.bias"]);
  assert.throws(() => { (n as any).w = flow.zeros(2); }, /cannot assign 'Tensor' as parameter 'w' \(flow.nn.Parameter or null expected\)/);
  assert.throws(() => { (n as any).fc = 3; }, /cannot assign 'number' as child module 'fc'/);
  (n as any).w = null;
  assert.deepEqual(Object.keys(n.stateDict()), ["fc.weight", "fc.bias"]);
  n.fc = new nn.Linear(3, 5);
  assert.deepEqual(n.stateDict()["fc.weight"].shape, [5, 3]);
  delete (n as any).fc;
  assert.deepEqual(Object.keys(n.stateDict()), []);
  n.registerBuffer("running", flow.ones(2));
  (n as any).running = flow.full([2], 3);
  assert.deepEqual(n.stateDict().running.tolist(), [3, 3]);
  assert.throws(() => { (n as any).running = 5; }, /cannot assign 'number' as buffer 'running'/);
  assert.throws(() => n.registerBuffer("a.b", flow.ones(1)), /buffer name can't contain "."/);
  assert.throws(() => n.registerParameter("note", null), /attribute 'note' already exists/);
});

test("a subclass redeclaring a registered field without initializer keeps the registration", () => {
  class MyLinear extends nn.Linear {
    // TypeScript flags this (TS2612), but notebook cells are transpiled without type checks: the field is
    // emitted and defines `undefined` after Linear's constructor ran.
    // @ts-expect-error TS2612
    weight: flow.nn.Parameter;
    extra = new nn.Parameter(flow.zeros(1));
  }
  const m = new MyLinear(2, 3);
  assert.ok(m.weight instanceof nn.Parameter);
  assert.deepEqual(Object.keys(m.stateDict()), ["weight", "bias", "extra"]);
});

test("modules are callable functions whose prototype chain is the class", () => {
  const lin = new nn.Linear(3, 2);
  assert.equal(typeof lin, "function");
  assert.ok(lin instanceof nn.Linear && lin instanceof nn.Module);
  const x = flow.randn(4, 3);
  assert.deepEqual(flat(lin(x)), flat(lin.forward(x)));
  class NoForward extends nn.Module {}
  assert.throws(() => new NoForward()(x), /Module \[NoForward\] is missing the required "forward" function/);
});

test("forward pre-hooks and hooks can replace inputs and outputs, and be removed", () => {
  const lin = new nn.Linear(2, 2, { bias: false });
  lin.loadStateDict({ weight: flow.tensor([[1, 0], [0, 1]]) });
  const seen: string[] = [];
  const h1 = lin.registerForwardPreHook((_m, [x]) => { seen.push("pre"); return (x as flow.Tensor).mul(2); });
  const h2 = lin.registerForwardHook((_m, _args, y) => { seen.push("post"); return (y as flow.Tensor).add(1); });
  assert.deepEqual(lin(flow.tensor([[1, 2]])).tolist(), [[3, 5]]);
  assert.deepEqual(seen, ["pre", "post"]);
  h1.remove(); h2.remove();
  assert.deepEqual(lin(flow.tensor([[1, 2]])).tolist(), [[1, 2]]);
});

test("train/eval recurse, apply visits children first, zeroGrad and requiresGrad_", () => {
  const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.Dropout(), new nn.Linear(2, 1)));
  m.eval();
  assert.ok(m.modules().every((x) => !x.training));
  m.train();
  assert.ok(m.modules().every((x) => x.training));
  const order: string[] = [];
  m.apply((x) => order.push(x.constructor.name));
  assert.deepEqual(order, ["Linear", "Dropout", "Linear", "Sequential", "Sequential"]);
  m(flow.ones(3, 2).mul(0.5)).sum().backward();
  assert.ok(m.parameters().every((p) => p.grad !== null));
  m.zeroGrad(false);
  assert.ok(m.parameters().every((p) => p.grad !== null && flat(p.grad).every((v) => v === 0)));
  m.zeroGrad();
  assert.ok(m.parameters().every((p) => p.grad === null));
  m.requiresGrad_(false);
  assert.ok(m.parameters().every((p) => !p.requiresGrad));
});

test("to(dtype) converts floating parameters and buffers in place, keeping Parameter identity", () => {
  const m = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
  const params = m.parameters();
  const before = flat(params[0]);
  m.to("float64");
  assert.deepEqual(m.parameters(), params);
  assert.ok(m.parameters().every((p) => p.dtype === "float64" && p.requiresGrad));
  assertClose(flat(params[0]), before, "values kept");
  const sd = m.stateDict();
  assert.equal(sd["1.running_mean"].dtype, "float64");
  assert.equal(sd["1.num_batches_tracked"].dtype, "int64");
  assert.throws(() => m.to("int32"), /only accepts floating point dtypes/);
  assert.equal(m.to("cpu"), m);
  const y = m(flow.ones(4, 2, { dtype: "float64" }));
  assert.deepEqual([y.shape, y.dtype], [[4, 3], "float64"]);
});

test("Sequential, ModuleList and ModuleDict behave like PyTorch's containers", () => {
  const a = new nn.Linear(1, 1), b = new nn.ReLU(), c = new nn.Tanh();
  const seq = new nn.Sequential(a, b);
  assert.equal(seq[0], a);
  assert.equal(seq.at(-1), b);
  assert.equal(seq.length, 2);
  seq.insert(1, c);
  assert.deepEqual([...seq], [a, c, b]);
  assert.deepEqual(seq.namedChildren().map(([k]) => k), ["0", "1", "2"]);
  assert.deepEqual([...seq.slice(1)], [c, b]);
  assert.deepEqual(seq.slice(1).namedChildren().map(([k]) => k), ["1", "2"]);
  const named = new nn.Sequential(new Map<string, flow.nn.Module>([["fc", new nn.Linear(2, 2)], ["act", new nn.ReLU()]]));
  assert.deepEqual(Object.keys(named.stateDict()), ["fc.weight", "fc.bias"]);
  const list = new nn.ModuleList([a]);
  list.append(b).extend([c]);
  assert.equal(list.length, 3);
  assert.equal(list[2], c);
  assert.throws(() => list(flow.ones(1)), /missing the required "forward"/);
  const dict = new nn.ModuleDict({ enc: new nn.Linear(2, 3), keys: new nn.Linear(3, 1) });
  assert.deepEqual(dict.keys(), ["enc", "keys"]);
  assert.deepEqual(Object.keys(dict.stateDict()), ["enc.weight", "enc.bias", "keys.weight", "keys.bias"]);
  assert.equal(typeof dict.keys, "function", "a key named like a method does not shadow it");
  assert.ok((dict as any).enc instanceof nn.Linear);
  dict.pop("enc");
  assert.deepEqual(dict.keys(), ["keys"]);
});

test("default initialisation follows PyTorch's per-layer rules", () => {
  flow.manualSeed(3);
  const lin = new nn.Linear(50, 40);
  const bound = 1 / Math.sqrt(50);
  assert.ok(flat(lin.weight).every((v) => Math.abs(v) <= bound) && flat(lin.bias!).every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...flat(lin.weight).map(Math.abs)) > 0.9 * bound, "weights fill the whole range");
  const conv = new nn.Conv2d(4, 8, 3);
  const cb = 1 / Math.sqrt(4 * 9);
  assert.ok(flat(conv.weight).every((v) => Math.abs(v) <= cb));
  const bn = new nn.BatchNorm2d(4);
  assert.deepEqual([flat(bn.weight!), flat(bn.bias!), flat(bn.running_mean!), flat(bn.running_var!)], [[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]]);
  const emb = new nn.Embedding(1000, 8, { paddingIdx: -1 });
  assert.equal(emb.paddingIdx, 999);
  const w = flat(emb.weight);
  assert.deepEqual(w.slice(999 * 8), new Array(8).fill(0));
  const mean = w.reduce((s, v) => s + v, 0) / w.length;
  const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(mean) < 0.05 && Math.abs(std - 1) < 0.05, `N(0,1): mean ${mean}, std ${std}`);
});

test("layer constructors check arguments with PyTorch's messages", () => {
  assert.throws(() => new nn.Conv2d(3, 8, 3, { groups: 2 }), /in_channels must be divisible by groups/);
  assert.throws(() => new nn.Conv2d(4, 6, 3, { groups: 4 }), /out_channels must be divisible by groups/);
  assert.throws(() => new nn.Conv2d(4, 6, 3, { stride: 2, padding: "same" }), /padding='same' is not supported for strided convolutions/);
  assert.throws(() => new nn.Conv2d(2, 3, 3, { paddingMode: "circular" }), /padding_mode='circular' is not supported yet/);
  assert.throws(() => new nn.Conv2d(2, 3, 3, { paddingMode: "mirror" as never }), /padding_mode must be one of/);
  assert.throws(() => new nn.GroupNorm(3, 16), /num_channels must be divisible by num_groups/);
  assert.throws(() => new nn.Dropout(1.5), /dropout probability has to be between 0 and 1, but got 1.5/);
  assert.throws(() => new nn.Linear(2, 3, { bais: false } as never), /Linear\(\) got an unexpected option 'bais'/);
  assert.throws(() => new nn.MSELoss({ reduction: "avg" as never }), /avg is not a valid value for reduction/);
  assert.equal(new nn.MSELoss(false).reduction, "sum", "deprecated sizeAverage maps to reduction as in PyTorch");
});

