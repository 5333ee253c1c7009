/**
 * Signature conformance: every public function, tensor method, layer constructor, initialiser, optimizer and
 * scheduler is called in PyTorch's positional order and with one trailing options object, and both calls must
 * give equal results; the options form with one unknown name must throw a TypeError naming the function and
 * the bad option. Adding a public function means adding a row here.
 *
 * Row format: [name, positional call, options call]. The options call receives `O`, which it must wrap around
 * its options object: `O({ dim: 1 })`. The rejection check passes an `O` that adds `bogusOption`.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";

// The rows call through `any`: mixed forms (`x.narrow(1, { start, length })`) are valid at runtime whatever
// the declared overloads cover.
const fl: any = flow;
const F: any = flow.nn.functional;
const nn: any = flow.nn;
const init: any = flow.nn.init;
const optim: any = flow.optim;
const sched: any = flow.optim.lrScheduler;

type Wrap = <T extends object>(o: T) => T;
type Row = [name: string, pos: () => unknown, opt: (O: Wrap) => unknown];

// Fixed inputs (fresh tensors per call, so in-place rows do not leak between the two forms).
const X = () => flow.tensor([[1, -2, 3, 0.5], [4, 5, -6, 2], [0.25, -1, 2, 7]]);
const C = () => flow.tensor([[0.5, 1, -1, 2], [2, 0, 1, -3], [1, 1, 1, 1]]);
const V = () => flow.tensor([3, -1, 2, 0.5, 4, -2]);
const I64 = (...v: number[]) => flow.tensor(v, { dtype: "int64" });
const IMG = () => flow.arange(0, 2 * 3 * 5 * 5, { dtype: "float32" }).reshape(2, 3, 5, 5).div(50).sin();
const W = () => flow.arange(0, 4 * 3 * 3 * 3, { dtype: "float32" }).reshape(4, 3, 3, 3).div(30).cos();
const P = () => flow.arange(0, 12, { dtype: "float32" }).reshape(3, 4).div(7);

/** Output of a module on a fixed input, with a fixed seed for its initialisation already applied. */
const runModule = (m: any, x: flow.Tensor) => { m.eval(); return m.forward(x); };
/** Weights of a tensor after an initialiser. */
const initWith = (f: (w: flow.Tensor) => unknown) => { flow.manualSeed(3); const w = flow.empty(6, 5); f(w); return w; };
/** lr over 8 steps of a scheduler built by `make`. */
function lrs(make: (opt: any) => unknown, optMaker: (p: flow.Tensor[]) => any = (p) => new optim.SGD(p, 0.1, 0.9)): number[] {
  const p = [flow.zeros(2, { requiresGrad: true })];
  const opt = optMaker(p);
  const s: any = make(opt);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) { opt.step(); s.step(); out.push(opt.paramGroups[0].lr); }
  return out;
}
/** Parameters after 3 steps of an optimizer on a fixed quadratic. */
function trained(make: (p: flow.Tensor[]) => any): unknown {
  const w = flow.tensor([1, -2, 3], { requiresGrad: true });
  const opt = make([w]);
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    w.mul(w).mul(flow.tensor([1, 2, 3])).sum().backward();
    opt.step();
  }
  return w.detach();
}
/** Gradient after backward of a small graph, with the backward call given. */
function gradAfter(call: (y: flow.Tensor, x: flow.Tensor) => void): flow.Tensor {
  const x = flow.tensor([1, 2, 3], { requiresGrad: true });
  const y = x.mul(x).sum();
  call(y, x);
  return x.grad!;
}

const rows: Row[] = [
  // ---- elementwise --------------------------------------------------------------------------------
  ["flow.add alpha", () => flow.add(X(), C(), 2), (O) => fl.add(X(), C(), O({ alpha: 2 }))],
  ["flow.sub alpha", () => flow.sub(X(), C(), 0.5), (O) => fl.sub(X(), C(), O({ alpha: 0.5 }))],
  ["Tensor.add alpha", () => X().add(C(), 2), (O) => X().add(C(), O({ alpha: 2 }) as never)],
  ["Tensor.sub alpha", () => X().sub(C(), 3), (O) => X().sub(C(), O({ alpha: 3 }) as never)],
  ["flow.div roundingMode floor", () => flow.div(X(), 3, "floor"), (O) => fl.div(X(), 3, O({ roundingMode: "floor" }))],
  ["flow.div roundingMode trunc (int)", () => flow.div(I64(-7, 7, -6, 5), 2, "trunc"), (O) => fl.div(I64(-7, 7, -6, 5), 2, O({ roundingMode: "trunc" }))],
  ["Tensor.div roundingMode", () => X().div(C().add(5), "trunc"), (O) => X().div(C().add(5), O({ roundingMode: "trunc" }) as never)],
  ["Tensor.add_ alpha", () => flow.noGrad(() => X().add_(C(), 2)), (O) => X().add_(C(), O({ alpha: 2 }) as never)],
  ["Tensor.div_ roundingMode", () => X().div_(2, "floor"), (O) => X().div_(2, O({ roundingMode: "floor" }) as never)],
  ["flow.clamp", () => flow.clamp(X(), -1, 1), (O) => fl.clamp(X(), O({ min: -1, max: 1 }))],
  ["Tensor.clamp_", () => X().clamp_(-1, 2), (O) => X().clamp_(O({ min: -1, max: 2 }) as never)],
  ["flow.gelu", () => flow.gelu(X(), "tanh"), (O) => flow.gelu(X(), O({ approximate: "tanh" }))],
  ["flow.softplus", () => flow.softplus(X(), 2, 3), (O) => flow.softplus(X(), O({ beta: 2, threshold: 3 }))],
  ["flow.softmax", () => fl.softmax(X(), 1), (O) => fl.softmax(X(), O({ dim: 1 }))],
  ["flow.logSoftmax", () => fl.logSoftmax(X(), 0), (O) => fl.logSoftmax(X(), O({ dim: 0 }))],
  // ---- reductions ---------------------------------------------------------------------------------
  ["Tensor.sum", () => X().sum(1, true), (O) => X().sum(O({ dim: 1, keepdim: true }))],
  ["Tensor.mean", () => X().mean(0), (O) => X().mean(O({ dim: 0 }))],
  ["Tensor.prod", () => X().prod(1), (O) => X().prod(O({ dim: 1 }))],
  ["Tensor.amax", () => X().amax(1, true), (O) => X().amax(O({ dim: 1, keepdim: true }))],
  ["Tensor.amin", () => X().amin(0), (O) => X().amin(O({ dim: 0 }))],
  ["Tensor.max dim", () => X().max(1, true), (O) => X().max(O({ dim: 1, keepdim: true }))],
  ["Tensor.min dim", () => X().min(0), (O) => X().min(O({ dim: 0 }))],
  ["Tensor.argmax", () => X().argmax(1, true), (O) => X().argmax(O({ dim: 1, keepdim: true }))],
  ["Tensor.argmin", () => X().argmin(0), (O) => X().argmin(O({ dim: 0 }))],
  ["Tensor.var", () => X().var(1, false), (O) => X().var(O({ dim: 1, unbiased: false }))],
  ["Tensor.std", () => X().std(0, true, true), (O) => X().std(O({ dim: 0, keepdim: true }))],
  ["Tensor.norm", () => X().norm(1, 1), (O) => X().norm(O({ p: 1, dim: 1 }))],
  ["Tensor.logsumexp", () => X().logsumexp(1), (O) => X().logsumexp(O({ dim: 1 }))],
  ["Tensor.cumsum", () => X().cumsum(1), (O) => X().cumsum(O({ dim: 1 }))],
  ["Tensor.topk", () => X().topk(2, 0, false), (O) => fl.topk(X(), O({ k: 2, dim: 0, largest: false }))],
  ["Tensor.sort", () => X().sort(1, true), (O) => X().sort(O({ dim: 1, descending: true }))],
  // ---- shape --------------------------------------------------------------------------------------
  ["flow.reshape", () => flow.reshape(X(), [4, 3]), (O) => fl.reshape(X(), O({ shape: [4, 3] }))],
  ["Tensor.view", () => X().view(2, 6), (O) => X().view(O({ size: [2, 6] }) as never)],
  ["Tensor.expand", () => V().reshape(6, 1).expand(6, 2), (O) => V().reshape(6, 1).expand(O({ size: [6, 2] }) as never)],
  ["Tensor.permute", () => X().permute(1, 0), (O) => X().permute(O({ dims: [1, 0] }) as never)],
  ["flow.transpose", () => flow.transpose(X(), 0, 1), (O) => fl.transpose(X(), O({ dim0: 0, dim1: 1 }))],
  ["Tensor.transpose", () => X().transpose(1, 0), (O) => X().transpose(O({ dim0: 1, dim1: 0 }))],
  ["Tensor.flatten", () => IMG().flatten(1), (O) => IMG().flatten(O({ startDim: 1 }))],
  ["Tensor.flatten endDim", () => IMG().flatten(0, 1), (O) => IMG().flatten(O({ endDim: 1 }))],
  ["Tensor.unflatten", () => X().unflatten(1, [2, 2]), (O) => X().unflatten(O({ dim: 1, sizes: [2, 2] }))],
  ["Tensor.squeeze", () => X().reshape(3, 1, 4).squeeze(1), (O) => X().reshape(3, 1, 4).squeeze(O({ dim: 1 }))],
  ["Tensor.unsqueeze", () => X().unsqueeze(0), (O) => X().unsqueeze(O({ dim: 0 }))],
  ["Tensor.expandAs", () => V().reshape(6, 1).expandAs(flow.zeros(6, 3)), (O) => V().reshape(6, 1).expandAs(O({ other: flow.zeros(6, 3) }))],
  ["Tensor.repeat", () => X().repeat(2, 1), (O) => X().repeat(O({ repeats: [2, 1] }) as never)],
  ["flow.cat", () => flow.cat([X(), C()], 1), (O) => fl.cat([X(), C()], O({ dim: 1 }))],
  ["flow.cat all by name", () => flow.cat([X(), C()]), (O) => fl.cat(O({ tensors: [X(), C()] }))],
  ["flow.stack", () => flow.stack([X(), C()], 1), (O) => fl.stack([X(), C()], O({ dim: 1 }))],
  ["Tensor.split", () => X().split(2, 1), (O) => X().split(2, O({ dim: 1 }))],
  ["Tensor.chunk", () => X().chunk(2, 1), (O) => X().chunk(2, O({ dim: 1 }))],
  ["Tensor.unbind", () => X().unbind(1), (O) => X().unbind(O({ dim: 1 }))],
  ["Tensor.narrow", () => X().narrow(1, 1, 2), (O) => X().narrow(O({ dim: 1, start: 1, length: 2 }))],
  ["Tensor.narrow mixed", () => X().narrow(1, 1, 2), (O) => fl.narrow(X(), 1, O({ start: 1, length: 2 }))],
  ["Tensor.flip", () => X().flip(0, 1), (O) => X().flip(O({ dims: [0, 1] }) as never)],
  ["Tensor.roll", () => X().roll(1, 1), (O) => X().roll(O({ shifts: 1, dims: 1 }))],
  ["Tensor.movedim", () => IMG().movedim(1, 3), (O) => IMG().movedim(O({ source: 1, destination: 3 }))],
  ["Tensor.slice", () => X().slice(1, 1, 4, 2), (O) => X().slice(O({ dim: 1, start: 1, end: 4, step: 2 }))],
  ["Tensor.select", () => X().select(1, -1), (O) => X().select(O({ dim: 1, index: -1 }))],
  // ---- indexing -----------------------------------------------------------------------------------
  ["Tensor.gather", () => X().gather(1, I64(0, 2, 1).reshape(3, 1)), (O) => X().gather(O({ dim: 1, index: I64(0, 2, 1).reshape(3, 1) }))],
  ["Tensor.scatter", () => flow.zeros(3, 4).scatter(1, I64(0, 2, 1).reshape(3, 1), X(), "add"), (O) => flow.zeros(3, 4).scatter(1, I64(0, 2, 1).reshape(3, 1), X(), O({ reduce: "add" as const }))],
  ["Tensor.scatterAdd", () => flow.zeros(3, 4).scatterAdd(0, I64(0, 0, 2, 1).reshape(1, 4), X()), (O) => flow.zeros(3, 4).scatterAdd(O({ dim: 0, index: I64(0, 0, 2, 1).reshape(1, 4), src: X() }))],
  ["Tensor.indexSelect", () => X().indexSelect(1, I64(3, 0)), (O) => X().indexSelect(O({ dim: 1, index: I64(3, 0) }))],
  ["Tensor.indexAdd", () => flow.zeros(3, 4).indexAdd(0, I64(2, 0), X().narrow(0, 0, 2), 3), (O) => flow.zeros(3, 4).indexAdd(0, I64(2, 0), X().narrow(0, 0, 2), O({ alpha: 3 }))],
  ["Tensor.takeAlongDim", () => X().takeAlongDim(I64(1, 0, 3).reshape(3, 1), 1), (O) => X().takeAlongDim(I64(1, 0, 3).reshape(3, 1), O({ dim: 1 }))],
  ["Tensor.maskedFill", () => X().maskedFill(X().gt(1), 9), (O) => X().maskedFill(O({ mask: X().gt(1), value: 9 }))],
  ["Tensor.maskedSelect", () => X().maskedSelect(X().gt(1)), (O) => X().maskedSelect(O({ mask: X().gt(1) }))],
  ["Tensor.nonzero", () => X().gt(1).nonzero(true), (O) => X().gt(1).nonzero(O({ asTuple: true }))],
  ["Tensor.indexPut", () => X().indexPut([I64(0, 2)], 7, true), (O) => X().indexPut([I64(0, 2)], 7, O({ accumulate: true }))],
  ["Tensor.where", () => X().where(X().gt(0), C()), (O) => fl.where(O({ condition: X().gt(0), input: X(), other: C() }))],
  // ---- linalg -------------------------------------------------------------------------------------
  ["flow.linear", () => flow.linear(X(), P(), flow.ones(3)), (O) => fl.linear(X(), P(), O({ bias: flow.ones(3) }))],
  // ---- creation and random ------------------------------------------------------------------------
  ["flow.arange step", () => flow.arange(0, 10, 3), (O) => fl.arange(0, 10, O({ step: 3 }))],
  ["flow.arange all by name", () => flow.arange(1, 4), (O) => fl.arange(O({ start: 1, end: 4 }))],
  ["flow.linspace", () => flow.linspace(0, 1, 5), (O) => fl.linspace(0, 1, O({ steps: 5 }))],
  ["flow.eye", () => flow.eye(2, 3), (O) => fl.eye(2, O({ m: 3 }))],
  ["flow.full", () => flow.full([2, 3], 7, { dtype: "int64" }), (O) => fl.full(O({ size: [2, 3], fillValue: 7, dtype: "int64" }))],
  ["flow.zeros", () => flow.zeros(2, 3), (O) => fl.zeros(O({ size: [2, 3] }))],
  ["flow.fullLike", () => flow.fullLike(X(), 2), (O) => fl.fullLike(X(), O({ fillValue: 2 }))],
  ["flow.randint", () => { flow.manualSeed(1); return flow.randint(0, 9, [5]); }, (O) => { flow.manualSeed(1); return fl.randint(O({ low: 0, high: 9, size: [5] })); }],
  ["flow.randperm", () => { flow.manualSeed(1); return flow.randperm(6); }, (O) => { flow.manualSeed(1); return fl.randperm(O({ n: 6 })); }],
  ["flow.normal", () => { flow.manualSeed(1); return flow.normal(1, 2, [4]); }, (O) => { flow.manualSeed(1); return fl.normal(1, 2, O({ size: [4] })); }],
  ["Tensor.uniform_", () => { flow.manualSeed(1); return flow.empty(4).uniform_(2, 3); }, (O) => { flow.manualSeed(1); return flow.empty(4).uniform_(O({ from: 2, to: 3 })); }],
  ["Tensor.normal_", () => { flow.manualSeed(1); return flow.empty(4).normal_(1, 0.5); }, (O) => { flow.manualSeed(1); return flow.empty(4).normal_(O({ mean: 1, std: 0.5 })); }],
  // ---- autograd -----------------------------------------------------------------------------------
  ["Tensor.backward retainGraph", () => gradAfter((y) => { y.backward(null, true); y.backward(); }), (O) => gradAfter((y) => { y.backward(O({ retainGraph: true })); y.backward(); })],
  ["Tensor.backward inputs", () => gradAfter((y, x) => y.backward(null, null, false, [x])), (O) => gradAfter((y, x) => y.backward(O({ inputs: [x] })))],
  ["autograd.grad gradOutputs", () => { const x = flow.tensor([1, 2], { requiresGrad: true }); return flow.autograd.grad(x.mul(x), x, flow.tensor([1, 3])); },
    (O) => { const x = flow.tensor([1, 2], { requiresGrad: true }); return fl.autograd.grad(x.mul(x), x, O({ gradOutputs: flow.tensor([1, 3]) })); }],
  // ---- nn.functional ------------------------------------------------------------------------------
  ["F.conv2d", () => F.conv2d(IMG(), W(), null, 2, 1), (O) => F.conv2d(IMG(), W(), O({ stride: 2, padding: 1 }))],
  ["F.conv2d bias", () => F.conv2d(IMG(), W(), flow.ones(4), 1, "same"), (O) => F.conv2d(IMG(), W(), O({ bias: flow.ones(4), padding: "same" }))],
  ["F.convTranspose2d", () => F.convTranspose2d(IMG(), W().transpose(0, 1), null, 2, 1, 1), (O) => F.convTranspose2d(IMG(), W().transpose(0, 1), O({ stride: 2, padding: 1, outputPadding: 1 }))],
  ["F.maxPool2d", () => F.maxPool2d(IMG(), 3, 2, 1), (O) => F.maxPool2d(IMG(), O({ kernelSize: 3, stride: 2, padding: 1 }))],
  ["F.maxPool2d indices", () => F.maxPool2d(IMG(), 2, null, 0, 1, false, true), (O) => F.maxPool2d(IMG(), 2, O({ returnIndices: true }))],
  ["F.avgPool2d", () => F.avgPool2d(IMG(), 3, 2, 1, false, false), (O) => F.avgPool2d(IMG(), O({ kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }))],
  ["F.adaptiveAvgPool2d", () => F.adaptiveAvgPool2d(IMG(), 2), (O) => F.adaptiveAvgPool2d(IMG(), O({ outputSize: 2 }))],
  ["F.batchNorm", () => F.batchNorm(IMG(), null, null, null, null, true, 0.1, 1e-3), (O) => F.batchNorm(IMG(), null, null, O({ training: true, eps: 1e-3 }))],
  ["F.layerNorm", () => F.layerNorm(X(), [4], flow.ones(4).mul(2), null, 1e-3), (O) => F.layerNorm(X(), [4], O({ weight: flow.ones(4).mul(2), eps: 1e-3 }))],
  ["F.groupNorm", () => F.groupNorm(IMG(), 3, null, flow.ones(3)), (O) => F.groupNorm(IMG(), 3, O({ bias: flow.ones(3) }))],
  ["F.dropout", () => { flow.manualSeed(2); return F.dropout(X(), 0.3, true); }, (O) => { flow.manualSeed(2); return F.dropout(X(), O({ p: 0.3 })); }],
  ["F.embedding", () => F.embedding(I64(2, 0), P(), 0), (O) => F.embedding(I64(2, 0), P(), O({ paddingIdx: 0 }))],
  ["F.embedding maxNorm", () => F.embedding(I64(2, 0), P(), null, 1), (O) => F.embedding(I64(2, 0), P(), O({ maxNorm: 1 }))],
  ["F.oneHot", () => F.oneHot(I64(0, 3, 1), 6), (O) => F.oneHot(I64(0, 3, 1), O({ numClasses: 6 }))],
  ["F.pad", () => F.pad(X(), [1, 2], "constant", 5), (O) => F.pad(X(), [1, 2], O({ value: 5 }))],
  ["F.interpolate", () => F.interpolate(IMG(), null, 2, "bilinear", false), (O) => F.interpolate(IMG(), O({ scaleFactor: 2, mode: "bilinear", alignCorners: false }))],
  ["F.softmax", () => F.softmax(X(), -1), (O) => F.softmax(X(), O({ dim: -1 }))],
  ["F.gelu", () => F.gelu(X(), "tanh"), (O) => F.gelu(X(), O({ approximate: "tanh" }))],
  ["F.softplus", () => F.softplus(X(), 2), (O) => F.softplus(X(), O({ beta: 2 }))],
  ["F.linear", () => F.linear(X(), P()), (O) => F.linear(X(), O({ weight: P() }))],
  ["F.crossEntropy", () => F.crossEntropy(X(), I64(0, 3, 1), null, null, 3, null, "sum", 0.1), (O) => F.crossEntropy(X(), I64(0, 3, 1), O({ ignoreIndex: 3, reduction: "sum", labelSmoothing: 0.1 }))],
  ["F.nllLoss", () => F.nllLoss(X(), I64(0, 3, 1), flow.tensor([1, 2, 3, 4])), (O) => F.nllLoss(X(), I64(0, 3, 1), O({ weight: flow.tensor([1, 2, 3, 4]) }))],
  ["F.mseLoss", () => F.mseLoss(X(), C(), null, null, "sum"), (O) => F.mseLoss(X(), C(), O({ reduction: "sum" }))],
  ["F.l1Loss", () => F.l1Loss(X(), C(), null, null, "none"), (O) => F.l1Loss(X(), C(), O({ reduction: "none" }))],
  ["F.binaryCrossEntropyWithLogits", () => F.binaryCrossEntropyWithLogits(X(), C().sigmoid(), null, null, null, "sum", flow.full([4], 2)), (O) => F.binaryCrossEntropyWithLogits(X(), C().sigmoid(), O({ reduction: "sum", posWeight: flow.full([4], 2) }))],
  // ---- nn layers (seeded initialisation, eval-mode forward) ---------------------------------------
  ["nn.Linear", () => { flow.manualSeed(5); return runModule(new nn.Linear(4, 2, false), X()); }, (O) => { flow.manualSeed(5); return runModule(new nn.Linear(4, 2, O({ bias: false })), X()); }],
  ["nn.Conv2d", () => { flow.manualSeed(5); return runModule(new nn.Conv2d(3, 2, 3, 2, 1), IMG()); }, (O) => { flow.manualSeed(5); return runModule(new nn.Conv2d(3, 2, 3, O({ stride: 2, padding: 1 })), IMG()); }],
  ["nn.ConvTranspose2d", () => { flow.manualSeed(5); return runModule(new nn.ConvTranspose2d(3, 2, 3, 2), IMG()); }, (O) => { flow.manualSeed(5); return runModule(new nn.ConvTranspose2d(3, 2, 3, O({ stride: 2 })), IMG()); }],
  ["nn.BatchNorm2d", () => runModule(new nn.BatchNorm2d(3, 1e-3, 0.2, false), IMG()), (O) => runModule(new nn.BatchNorm2d(3, O({ eps: 1e-3, momentum: 0.2, affine: false })), IMG())],
  ["nn.LayerNorm", () => runModule(new nn.LayerNorm(4, 1e-3, false), X()), (O) => runModule(new nn.LayerNorm(4, O({ eps: 1e-3, elementwiseAffine: false })), X())],
  ["nn.GroupNorm", () => runModule(new nn.GroupNorm(3, 3, 1e-3), IMG()), (O) => runModule(new nn.GroupNorm(3, 3, O({ eps: 1e-3 })), IMG())],
  ["nn.Embedding", () => { flow.manualSeed(5); return runModule(new nn.Embedding(5, 3, 1), I64(1, 4)); }, (O) => { flow.manualSeed(5); return runModule(new nn.Embedding(5, 3, O({ paddingIdx: 1 })), I64(1, 4)); }],
  ["nn.MaxPool2d", () => runModule(new nn.MaxPool2d(3, 2, 1), IMG()), (O) => runModule(new nn.MaxPool2d(O({ kernelSize: 3, stride: 2, padding: 1 })), IMG())],
  ["nn.MaxPool2d returnIndices", () => runModule(new nn.MaxPool2d(2, null, 0, 1, true), IMG()), (O) => runModule(new nn.MaxPool2d(2, O({ returnIndices: true })), IMG())],
  ["nn.AvgPool2d", () => runModule(new nn.AvgPool2d(3, 2, 1), IMG()), (O) => runModule(new nn.AvgPool2d(3, O({ stride: 2, padding: 1 })), IMG())],
  ["nn.AdaptiveAvgPool2d", () => runModule(new nn.AdaptiveAvgPool2d([2, 3]), IMG()), (O) => runModule(new nn.AdaptiveAvgPool2d(O({ outputSize: [2, 3] })), IMG())],
  ["nn.Flatten", () => runModule(new nn.Flatten(0, 1), IMG()), (O) => runModule(new nn.Flatten(O({ startDim: 0, endDim: 1 })), IMG())],
  ["nn.Dropout", () => runModule(new nn.Dropout(0.2), X()), (O) => runModule(new nn.Dropout(O({ p: 0.2 })), X())],
  ["nn.GELU", () => runModule(new nn.GELU("tanh"), X()), (O) => runModule(new nn.GELU(O({ approximate: "tanh" })), X())],
  ["nn.Softmax", () => runModule(new nn.Softmax(0), X()), (O) => runModule(new nn.Softmax(O({ dim: 0 })), X())],
  ["nn.CrossEntropyLoss", () => new nn.CrossEntropyLoss(null, null, -100, null, "sum").forward(X(), I64(0, 3, 1)), (O) => new nn.CrossEntropyLoss(O({ reduction: "sum" })).forward(X(), I64(0, 3, 1))],
  ["nn.MSELoss", () => new nn.MSELoss(null, null, "sum").forward(X(), C()), (O) => new nn.MSELoss(O({ reduction: "sum" })).forward(X(), C())],
  // ---- nn.init ------------------------------------------------------------------------------------
  ["init.uniform_", () => initWith((w) => init.uniform_(w, 2, 3)), (O) => initWith((w) => init.uniform_(w, O({ a: 2, b: 3 })))],
  ["init.normal_", () => initWith((w) => init.normal_(w, 1, 0.02)), (O) => initWith((w) => init.normal_(w, O({ mean: 1, std: 0.02 })))],
  ["init.constant_", () => initWith((w) => init.constant_(w, 0.3)), (O) => initWith((w) => init.constant_(w, O({ val: 0.3 })))],
  ["init.xavierUniform_", () => initWith((w) => init.xavierUniform_(w, 2)), (O) => initWith((w) => init.xavierUniform_(w, O({ gain: 2 })))],
  ["init.xavierNormal_", () => initWith((w) => init.xavierNormal_(w, 0.5)), (O) => initWith((w) => init.xavierNormal_(w, O({ gain: 0.5 })))],
  ["init.kaimingUniform_", () => initWith((w) => init.kaimingUniform_(w, Math.sqrt(5), "fan_out")), (O) => initWith((w) => init.kaimingUniform_(w, O({ a: Math.sqrt(5), mode: "fanOut" })))],
  ["init.kaimingNormal_", () => initWith((w) => init.kaimingNormal_(w, 0, "fan_out", "relu")), (O) => initWith((w) => init.kaimingNormal_(w, O({ mode: "fan_out", nonlinearity: "relu" })))],
  ["init.calculateGain", () => init.calculateGain("leaky_relu", 0.2), (O) => init.calculateGain(O({ nonlinearity: "leaky_relu", param: 0.2 }))],
  // ---- nn.utils -----------------------------------------------------------------------------------
  ["nn.utils.clipGradNorm", () => { const w = flow.tensor([1, -3]); w.grad = flow.tensor([3, -4]); const n = nn.utils.clipGradNorm([w], 0.5, Infinity); return [n, w.grad]; },
    (O) => { const w = flow.tensor([1, -3]); w.grad = flow.tensor([3, -4]); const n = nn.utils.clipGradNorm([w], O({ maxNorm: 0.5, normType: Infinity })); return [n, w.grad]; }],
  ["nn.utils.clipGradValue", () => { const w = flow.tensor([1, -3]); w.grad = flow.tensor([3, -4]); nn.utils.clipGradValue([w], 2); return w.grad; },
    (O) => { const w = flow.tensor([1, -3]); w.grad = flow.tensor([3, -4]); nn.utils.clipGradValue([w], O({ clipValue: 2 })); return w.grad; }],
  // ---- module methods -----------------------------------------------------------------------------
  ["Module.loadStateDict strict", () => { flow.manualSeed(5); const m = new nn.Linear(2, 2); return m.loadStateDict({ weight: flow.ones(2, 2) }, false); },
    (O) => { flow.manualSeed(5); const m = new nn.Linear(2, 2); return m.loadStateDict({ weight: flow.ones(2, 2) }, O({ strict: false })); }],
  // ---- optim --------------------------------------------------------------------------------------
  ["optim.SGD", () => trained((p) => new optim.SGD(p, 0.1, 0.9, 0, 0.01, true)), (O) => trained((p) => new optim.SGD(p, O({ lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true })))],
  ["optim.Adam", () => trained((p) => new optim.Adam(p, 0.1, [0.8, 0.99])), (O) => trained((p) => new optim.Adam(p, O({ lr: 0.1, betas: [0.8, 0.99] })))],
  ["optim.AdamW", () => trained((p) => new optim.AdamW(p, 0.1, [0.9, 0.999], 1e-8, 0.1)), (O) => trained((p) => new optim.AdamW(p, O({ lr: 0.1, weightDecay: 0.1 })))],
  ["optim.RMSprop", () => trained((p) => new optim.RMSprop(p, 0.01, 0.9)), (O) => trained((p) => new optim.RMSprop(p, O({ lr: 0.01, alpha: 0.9 })))],
  ["lrScheduler.StepLR", () => lrs((o) => new sched.StepLR(o, 3, 0.5)), (O) => lrs((o) => new sched.StepLR(o, O({ stepSize: 3, gamma: 0.5 })))],
  ["lrScheduler.MultiStepLR", () => lrs((o) => new sched.MultiStepLR(o, [2, 5])), (O) => lrs((o) => new sched.MultiStepLR(o, O({ milestones: [2, 5] })))],
  ["lrScheduler.CosineAnnealingLR", () => lrs((o) => new sched.CosineAnnealingLR(o, 10, 0.01)), (O) => lrs((o) => new sched.CosineAnnealingLR(o, O({ tMax: 10, etaMin: 0.01 })))],
  ["lrScheduler.LinearLR", () => lrs((o) => new sched.LinearLR(o, 0.5, 1, 4)), (O) => lrs((o) => new sched.LinearLR(o, O({ startFactor: 0.5, totalIters: 4 })))],
  ["lrScheduler.OneCycleLR", () => lrs((o) => new sched.OneCycleLR(o, 1, 12)), (O) => lrs((o) => new sched.OneCycleLR(o, O({ maxLr: 1, totalSteps: 12 })))],
];

/** A comparable form of a result: tensors as {shape, dtype, values}, recursively through arrays and objects. */
function plain(v: unknown): unknown {
  if (v instanceof flow.Tensor) return { shape: v.shape, dtype: v.dtype, values: v.tolist() };
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
const ident: Wrap = (o) => o;
const bogus: Wrap = (o) => ({ ...o, bogusOption: 1 });

for (const [name, pos, opt] of rows) {
  test(`signature: ${name} — positional and options forms agree`, () => {
    const a = plain(pos()), b = plain(opt(ident));
    assert.deepEqual(b, a);
    assert.ok(!JSON.stringify(a).includes("null") || name.includes("strict") || name.includes("backward"), `${name}: result holds null/NaN: ${JSON.stringify(a).slice(0, 200)}`);
  });
  test(`signature: ${name} — unknown option names throw`, () => {
    assert.throws(() => opt(bogus), (e: Error) => e instanceof TypeError && /unexpected option 'bogusOption'; accepted: /.test(e.message));
  });
}

// ---- the bugs that motivated the table, checked by value ------------------------------------------

test("add/sub alpha, div rounding modes compute PyTorch's values", () => {
  const a = flow.tensor([1, 2]), c = flow.tensor([3, 4]);
  assert.deepEqual(fl.add(a, c, { alpha: 2 }).tolist(), [7, 10]);
  assert.deepEqual(a.sub(c, { alpha: 2 } as never).tolist(), [-5, -6]);
  assert.deepEqual(flow.div(flow.tensor([-7, 7]), 2, "floor").tolist(), [-4, 3]);
  assert.deepEqual(flow.div(flow.tensor([-7, 7]), 2, "trunc").tolist(), [-3, 3]);
  const q = flow.div(flow.tensor([-7, 7, -8, 9], { dtype: "int64" }), flow.tensor([2, -2, 3, 4], { dtype: "int64" }), "trunc");
  assert.equal(q.dtype, "int64");
  assert.deepEqual(q.tolist(), [-3, -3, -2, 2]);
  assert.throws(() => flow.div(a, 2, "round" as never), /div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'/);
});

test("arange step, oneHot numClasses, schedulers, init and clipping give the intended values", () => {
  assert.deepEqual(fl.arange(0, 10, { step: 3 }).tolist(), [0, 3, 6, 9]);
  assert.deepEqual(F.oneHot(I64(1, 0), { numClasses: 3 }).shape, [2, 3]);
  assert.deepEqual(lrs((o) => new sched.StepLR(o, { stepSize: 3, gamma: 0.5 })).map((v) => +v.toFixed(4)), [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025]);
  const w = initWith((t) => init.uniform_(t, { a: 2, b: 3 }));
  assert.ok(w.min().item() >= 2 && w.max().item() < 3);
  const g = flow.zeros(2); g.grad = flow.tensor([3, -4]);
  assert.equal(nn.utils.clipGradNorm([g], 0.5, { normType: Infinity }).item(), 4);
  assert.ok(Math.abs(g.grad!.abs().max().item() - 0.5) < 1e-5);
});

test("unknown option names, duplicates and missing required arguments are clear TypeErrors", () => {
  assert.throws(() => flow.zeros(2, { requires_grad: true } as never), /zeros\(\) got an unexpected option 'requires_grad'; accepted: dtype, device, requiresGrad, size/);
  assert.throws(() => fl.narrow(X(), 1, { dim: 0, start: 0, length: 1 }), /narrow\(\) got multiple values for argument 'dim'/);
  assert.throws(() => fl.narrow(X(), { dim: 0, start: 0 }), /narrow\(\) missing required argument 'length'/);
  assert.throws(() => new sched.StepLR(new optim.SGD([flow.zeros(1, { requiresGrad: true })], 0.1), { stepsize: 3 }), /StepLR\(\) got an unexpected option 'stepsize'; accepted: stepSize, gamma, lastEpoch/);
  assert.throws(() => F.mseLoss(X(), C(), "sum"), /mse_loss\(\): sizeAverage .* must be a boolean or null, got "sum"; pass the reduction by name/);
});

test("backward(null, true) retains the graph; autograd.grad takes a tensor gradOutputs", () => {
  const x = flow.tensor([1, 2, 3], { requiresGrad: true });
  const y = x.mul(x).sum();
  y.backward(null, true);
  y.backward();
  assert.deepEqual(x.grad!.tolist(), [4, 8, 12]);
  const z = flow.tensor([1, 2], { requiresGrad: true });
  assert.deepEqual(flow.autograd.grad(z.mul(z), z, { gradOutputs: flow.tensor([1, 3]) })[0]!.tolist(), [2, 12]);
});

test("F and flow expose the issue's functional names", () => {
  const fNames = ["conv1d", "conv2d", "convTranspose2d", "maxPool2d", "avgPool2d", "adaptiveAvgPool2d", "batchNorm", "layerNorm", "groupNorm", "dropout", "embedding",
    "pad", "interpolate", "oneHot", "crossEntropy", "nllLoss", "mseLoss", "l1Loss", "binaryCrossEntropyWithLogits", "relu", "gelu", "silu", "softplus", "sigmoid", "tanh",
    "softmax", "logSoftmax", "linear"];
  assert.deepEqual(fNames.filter((n) => typeof F[n] !== "function"), []);
  assert.deepEqual(["softmax", "logSoftmax", "gelu", "silu", "softplus", "where", "div"].filter((n) => typeof fl[n] !== "function"), []);
});

test("float tensors of integral values index like int64; fractional ones are refused", () => {
  const x = flow.tensor([[10, 11, 12], [20, 21, 22]]);
  const idx = flow.tensor([2, 0]); // float32: JS numbers cannot say "int"
  assert.deepEqual(x.indexSelect(1, idx).tolist(), [[12, 10], [22, 20]]);
  assert.deepEqual(x.gather(1, flow.tensor([[1], [2]])).tolist(), [[11], [22]]);
  assert.deepEqual(flow.zeros(3).scatter(0, flow.tensor([2]), flow.tensor([5])).tolist(), [0, 0, 5]);
  assert.deepEqual(x.index([flow.tensor([1])]).tolist(), [[20, 21, 22]]);
  assert.deepEqual(F.embedding(flow.tensor([1]), flow.eye(3)).tolist(), [[0, 1, 0]]);
  const logits = flow.tensor([[1, 2, 3], [3, 1, 0]]);
  assert.deepEqual(F.crossEntropy(logits, flow.tensor([2, 0])).tolist(), F.crossEntropy(logits, I64(2, 0)).tolist());
  assert.throws(() => x.indexSelect(1, flow.tensor([0.5])), /index_select\(\): index is a float32 tensor used as indices, but it holds the non-integral value 0.5/);
  assert.throws(() => F.crossEntropy(logits, flow.tensor([1.5, 0])), /cross_entropy\(\): target is a float32 tensor used as indices, but it holds the non-integral value 1.5/);
});

test("grad_fn names, item() and matmul dtype errors read as PyTorch's", () => {
  const x = flow.tensor([1], { requiresGrad: true });
  assert.equal(x.mul(2).gradFn!.name, "MulBackward0");
  assert.match(String(x.add(1)), /grad_fn=<AddBackward0>/);
  assert.throws(() => flow.zeros(2, 3).item(), /a Tensor with 6 elements cannot be converted to Scalar$/);
  assert.throws(() => flow.matmul(flow.ones([2, 2], { dtype: "int64" }), flow.ones(2, 2)), /expected scalar type Long but found Float/);
  assert.throws(() => flow.matmul(flow.ones(2), flow.ones([2], { dtype: "float64" })), /dot : expected both vectors to have same dtype, but found Float and Double/);
});
