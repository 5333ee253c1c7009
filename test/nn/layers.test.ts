/**
 * Every layer against its PyTorch module: same constructor arguments, PyTorch's initial weights loaded
 * through loadStateDict, then forward output, parameter and input gradients, and state after the call
 * (BatchNorm running stats) must match.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { assertClose, randomData, rng } from "../helpers/torch";
import { JsonTensor, flat, fromJson, stateFromJson, torchJson } from "./helpers";

const nn = flow.nn;

interface In { shape: number[]; dtype?: string; range?: [number, number] }
interface LayerCase { torch: string; flow: () => flow.nn.Module; inputs: In[]; eval?: boolean }
const CASES: LayerCase[] = [
  { torch: "nn.Linear(5, 3)", flow: () => new nn.Linear(5, 3), inputs: [{ shape: [2, 4, 5] }] },
  { torch: "nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2)", flow: () => new nn.Conv1d(4, 6, 3, { stride: 2, padding: 1, groups: 2 }), inputs: [{ shape: [2, 4, 9] }] },
  { torch: "nn.Conv1d(3, 4, 4, padding='same', dilation=2, bias=False)", flow: () => new nn.Conv1d(3, 4, 4, { padding: "same", dilation: 2, bias: false }), inputs: [{ shape: [1, 3, 10] }] },
  { torch: "nn.Conv2d(3, 8, 3, stride=2, padding=1)", flow: () => new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1 }), inputs: [{ shape: [2, 3, 9, 8] }] },
  { torch: "nn.Conv2d(4, 4, (3, 2), padding=(1, 2), padding_mode='reflect', groups=4)", flow: () => new nn.Conv2d(4, 4, [3, 2], { padding: [1, 2], paddingMode: "reflect", groups: 4 }), inputs: [{ shape: [2, 4, 6, 6] }] },
  { torch: "nn.Conv2d(2, 3, 3, padding=1, padding_mode='replicate')", flow: () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: "replicate" }), inputs: [{ shape: [1, 2, 5, 5] }] },
  { torch: "nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)", flow: () => new nn.ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }), inputs: [{ shape: [2, 4, 5, 5] }] },
  { torch: "nn.BatchNorm1d(5)", flow: () => new nn.BatchNorm1d(5), inputs: [{ shape: [8, 5] }] },
  { torch: "nn.BatchNorm1d(5, momentum=None)", flow: () => new nn.BatchNorm1d(5, { momentum: null }), inputs: [{ shape: [4, 5, 3] }] },
  { torch: "nn.BatchNorm2d(3)", flow: () => new nn.BatchNorm2d(3), inputs: [{ shape: [4, 3, 5, 5] }] },
  { torch: "nn.BatchNorm2d(3, affine=False, track_running_stats=False)", flow: () => new nn.BatchNorm2d(3, { affine: false, trackRunningStats: false }), inputs: [{ shape: [4, 3, 2, 2] }] },
  { torch: "nn.BatchNorm2d(3)", flow: () => new nn.BatchNorm2d(3), inputs: [{ shape: [4, 3, 5, 5] }], eval: true },
  { torch: "nn.LayerNorm([4, 5])", flow: () => new nn.LayerNorm([4, 5]), inputs: [{ shape: [3, 4, 5] }] },
  { torch: "nn.LayerNorm(5, elementwise_affine=False, eps=1e-3)", flow: () => new nn.LayerNorm(5, { elementwiseAffine: false, eps: 1e-3 }), inputs: [{ shape: [3, 5] }] },
  { torch: "nn.GroupNorm(2, 6)", flow: () => new nn.GroupNorm(2, 6), inputs: [{ shape: [3, 6, 4, 4] }] },
  { torch: "nn.Embedding(10, 4, padding_idx=2)", flow: () => new nn.Embedding(10, 4, { paddingIdx: 2 }), inputs: [{ shape: [3, 5], dtype: "int64", range: [0, 10] }] },
  { torch: "nn.Embedding(10, 4, max_norm=1.0)", flow: () => new nn.Embedding(10, 4, { maxNorm: 1 }), inputs: [{ shape: [6], dtype: "int64", range: [0, 10] }] },
  { torch: "nn.ReLU()", flow: () => new nn.ReLU(), inputs: [{ shape: [3, 7] }] },
  { torch: "nn.Sigmoid()", flow: () => new nn.Sigmoid(), inputs: [{ shape: [3, 7] }] },
  { torch: "nn.Tanh()", flow: () => new nn.Tanh(), inputs: [{ shape: [3, 7] }] },
  { torch: "nn.Softmax(dim=1)", flow: () => new nn.Softmax(1), inputs: [{ shape: [3, 7, 2] }] },
  { torch: "nn.GELU()", flow: () => new nn.GELU(), inputs: [{ shape: [3, 7] }] },
  { torch: "nn.GELU(approximate='tanh')", flow: () => new nn.GELU("tanh"), inputs: [{ shape: [3, 7] }] },
  { torch: "nn.SiLU()", flow: () => new nn.SiLU(), inputs: [{ shape: [3, 7] }] },
  { torch: "nn.MaxPool2d(3, stride=2, padding=1)", flow: () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }), inputs: [{ shape: [2, 3, 7, 7] }] },
  { torch: "nn.MaxPool2d(2, ceil_mode=True)", flow: () => new nn.MaxPool2d(2, { ceilMode: true }), inputs: [{ shape: [1, 2, 5, 5] }] },
  { torch: "nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)", flow: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), inputs: [{ shape: [2, 3, 7, 7] }] },
  { torch: "nn.AdaptiveAvgPool2d((2, 3))", flow: () => new nn.AdaptiveAvgPool2d([2, 3]), inputs: [{ shape: [2, 3, 7, 8] }] },
  { torch: "nn.Flatten()", flow: () => new nn.Flatten(), inputs: [{ shape: [2, 3, 4, 5] }] },
  { torch: "nn.Flatten(0, 1)", flow: () => new nn.Flatten(0, 1), inputs: [{ shape: [2, 3, 4] }] },
  { torch: "nn.Dropout(0.3)", flow: () => new nn.Dropout(0.3), inputs: [{ shape: [4, 5] }], eval: true },
  { torch: "nn.Identity()", flow: () => new nn.Identity(), inputs: [{ shape: [4, 5] }] },
  { torch: "nn.CrossEntropyLoss()", flow: () => new nn.CrossEntropyLoss(), inputs: [{ shape: [6, 4] }, { shape: [6], dtype: "int64", range: [0, 4] }] },
  { torch: "nn.CrossEntropyLoss(weight=torch.tensor([1., 2., 0.5, 1.]), label_smoothing=0.1, ignore_index=1)", flow: () => new nn.CrossEntropyLoss({ weight: flow.tensor([1, 2, 0.5, 1]), labelSmoothing: 0.1, ignoreIndex: 1 }), inputs: [{ shape: [6, 4] }, { shape: [6], dtype: "int64", range: [0, 4] }] },
  { torch: "nn.NLLLoss(reduction='sum')", flow: () => new nn.NLLLoss({ reduction: "sum" }), inputs: [{ shape: [6, 4] }, { shape: [6], dtype: "int64", range: [0, 4] }] },
  { torch: "nn.MSELoss()", flow: () => new nn.MSELoss(), inputs: [{ shape: [3, 4] }, { shape: [3, 4] }] },
  { torch: "nn.L1Loss(reduction='none')", flow: () => new nn.L1Loss({ reduction: "none" }), inputs: [{ shape: [3, 4] }, { shape: [3, 4] }] },
  { torch: "nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1., 2., 3.]))", flow: () => new nn.BCEWithLogitsLoss({ posWeight: flow.tensor([1, 2, 3]) }), inputs: [{ shape: [4, 3] }, { shape: [4, 3], range: [0, 1] }] },
];

const r = rng(4242);
const inputs: JsonTensor[][] = CASES.map((c) => c.inputs.map((i) => {
  const n = i.shape.reduce((a, b) => a * b, 1);
  let data = randomData(r, n, ...(i.range ?? [-2, 2]));
  if (i.dtype === "int64") data = data.map(Math.floor);
  return { data, shape: i.shape, dtype: i.dtype ?? "float32" };
}));
interface Ref { init: Record<string, JsonTensor>; out: JsonTensor; seed: JsonTensor; grads: Record<string, JsonTensor>; xgrad: JsonTensor | null; after: Record<string, JsonTensor> }
const refs = torchJson<Ref[]>(`
torch.manual_seed(0)
out = []
for c, ins in zip(INPUT["cases"], INPUT["inputs"]):
    m = eval(c["torch"])
    if c["eval"]:
        with torch.no_grad():
            for b in m.buffers():
                if b.dtype.is_floating_point: b.uniform_(0.5, 1.5)
        m.eval()
    init = sd(m)
    xs = [dec(i) for i in ins]
    if xs[0].dtype.is_floating_point: xs[0].requires_grad_()
    y = m(*xs)
    seed = torch.randn(y.shape)
    (y * seed).sum().backward()
    out.append({"init": init, "out": enc(y), "seed": enc(seed), "grads": {k: enc(p.grad) for k, p in m.named_parameters() if p.grad is not None},
                "xgrad": enc(xs[0].grad) if xs[0].grad is not None else None, "after": sd(m)})
print(json.dumps(out))`, { cases: CASES.map((c) => ({ torch: c.torch, eval: !!c.eval })), inputs });

CASES.forEach((c, i) => {
  test(`nn.${c.torch.slice(3)} ${c.eval ? "(eval) " : ""}matches PyTorch: output, gradients, state`, () => {
    const ref = refs[i];
    const m = c.flow();
    if (c.eval) m.eval();
    m.loadStateDict(stateFromJson(ref.init));
    const xs = inputs[i].map(fromJson);
    if (xs[0].dtype === "float32") xs[0].requiresGrad_();
    const y = (m as (...a: flow.Tensor[]) => flow.Tensor)(...xs);
    assert.deepEqual(y.shape, ref.out.shape);
    assertClose(flat(y), ref.out.data, "output", 1e-4, 1e-5);
    y.mul(fromJson(ref.seed)).sum().backward();
    for (const [k, p] of m.namedParameters()) {
      if (!ref.grads[k]) { assert.equal(p.grad, null, `${k} gets no gradient in PyTorch`); continue; }
      assertClose(flat(p.grad!), ref.grads[k].data, `grad of ${k}`, 1e-3, 1e-4);
    }
    if (ref.xgrad) assertClose(flat(xs[0].grad!), ref.xgrad.data, "input grad", 1e-3, 1e-4);
    const after = m.stateDict();
    assert.deepEqual(Object.keys(after), Object.keys(ref.after));
    for (const [k, v] of Object.entries(ref.after)) assertClose(flat(after[k]), v.data, `state ${k} after forward`, 1e-4, 1e-5);
  });
});

test("Dropout in training mode zeroes about p of the elements and scales the rest by 1/(1-p)", () => {
  flow.manualSeed(11);
  const y = flat(new nn.Dropout(0.25)(flow.ones(20000)));
  const zeros = y.filter((v) => v === 0).length / y.length;
  assert.ok(Math.abs(zeros - 0.25) < 0.01, `${zeros}`);
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
});

