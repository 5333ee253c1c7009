/** Small flow.nn models, deterministic inputs and comparison helpers for the graph tests (real flow.nn and flow.optim). */
import * as flow from "../../src/index";
import { Tensor } from "../../src/tensor/tensor";

/** A deterministic float32 tensor of `shape` with values from a sine sequence. */
export function det(shape: number[], seed: number, scale = 0.5, requiresGrad = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.31 + i * 1.37) * scale);
  return flow.tensor(data, { requiresGrad }).reshape(shape).detach().requiresGrad_(requiresGrad);
}

/** Overwrites every parameter of `m` with deterministic values (so eager and graph copies start equal). */
export function detInit(m: flow.nn.Module, seed = 1): flow.nn.Module {
  flow.noGrad(() => m.namedParameters().forEach(([, p], i) => {
    const fanIn = p.ndim > 1 ? p.numel() / p.shape[0] : 10;
    p.copy_(det([...p.shape], seed + i * 0.37, 1 / Math.sqrt(fanIn)));
  }));
  return m;
}

/** A two-layer perceptron of flow.nn layers with deterministic weights. */
export class MLP extends flow.nn.Module<[Tensor], Tensor> {
  fc1: flow.nn.Linear; fc2: flow.nn.Linear;
  constructor(inF = 4, hidden = 8, outF = 3, seed = 1) {
    super();
    this.fc1 = new flow.nn.Linear(inF, hidden);
    this.fc2 = new flow.nn.Linear(hidden, outF);
    detInit(this, seed);
  }
  forward(x: Tensor): Tensor { return this.fc2(this.fc1(x).relu()); }
}

/** A linear layer written with tensor ops (x·Wᵀ + b): gives the IR passes a transpose to fold and matmuls. */
export class MatmulLinear extends flow.nn.Module<[Tensor], Tensor> {
  weight: flow.nn.Parameter; bias: flow.nn.Parameter;
  constructor(inF: number, outF: number) {
    super();
    this.weight = new flow.nn.Parameter(flow.zeros(outF, inF));
    this.bias = new flow.nn.Parameter(flow.zeros(outF));
  }
  forward(x: Tensor): Tensor { return x.matmul(this.weight.transpose(0, 1)).add(this.bias); }
}

/** The MLP with MatmulLinear layers (for tests that look at matmul, permute and add nodes). */
export class MatmulMLP extends flow.nn.Module<[Tensor], Tensor> {
  fc1: MatmulLinear; fc2: MatmulLinear;
  constructor(inF = 4, hidden = 8, outF = 3, seed = 1) {
    super();
    this.fc1 = new MatmulLinear(inF, hidden);
    this.fc2 = new MatmulLinear(hidden, outF);
    detInit(this, seed);
  }
  forward(x: Tensor): Tensor { return this.fc2(this.fc1(x).relu()); }
}

/**
 * A small CNN of flow.nn layers: conv → batchnorm → relu → maxpool, a residual block (conv-bn-relu-conv-bn +
 * skip, relu), global average pool, linear. Deterministic weights; 10 classes.
 */
export class SmallCNN extends flow.nn.Module<[Tensor], Tensor> {
  conv1 = new flow.nn.Conv2d(3, 8, 3, { padding: 1, bias: false });
  bn1 = new flow.nn.BatchNorm2d(8);
  pool = new flow.nn.MaxPool2d(2);
  block = new ResBlock(8);
  gap = new flow.nn.AdaptiveAvgPool2d(1);
  fc = new flow.nn.Linear(8, 10);
  constructor(seed = 1) { super(); detInit(this, seed); }
  forward(x: Tensor): Tensor {
    const h = this.pool(this.bn1(this.conv1(x)).relu());
    return this.fc(this.gap(this.block(h)).flatten(1));
  }
}

/** conv-bn-relu-conv-bn plus the input, then relu (ResNet's BasicBlock without downsampling). */
export class ResBlock extends flow.nn.Module<[Tensor], Tensor> {
  conv1: flow.nn.Conv2d; bn1: flow.nn.BatchNorm2d; conv2: flow.nn.Conv2d; bn2: flow.nn.BatchNorm2d;
  constructor(c: number) {
    super();
    this.conv1 = new flow.nn.Conv2d(c, c, 3, { padding: 1, bias: false });
    this.bn1 = new flow.nn.BatchNorm2d(c);
    this.conv2 = new flow.nn.Conv2d(c, c, 3, { padding: 1, bias: false });
    this.bn2 = new flow.nn.BatchNorm2d(c);
  }
  forward(x: Tensor): Tensor { return this.bn2(this.conv2(this.bn1(this.conv1(x)).relu())).add(x).relu(); }
}

/** Mean squared error. */
export const mse = (a: Tensor, b: Tensor) => a.sub(b).mul(a.sub(b)).sum().div(a.numel());

/** Plain SGD (flow.optim.SGD with a positional lr). */
export const sgd = (params: Iterable<Tensor>, lr: number, momentum = 0) => new flow.optim.SGD(params, { lr, momentum });
/** flow.optim.AdamW with PyTorch's defaults. */
export const adamw = (params: Iterable<Tensor>, lr: number) => new flow.optim.AdamW(params, { lr });
/** Multiplies every group's lr by gamma on each step (StepLR with step size 1). */
export const exponentialLR = (opt: flow.optim.Optimizer<any>, gamma: number) => new flow.optim.lrScheduler.StepLR(opt, 1, gamma);

/** Max absolute difference of two tensors' values. */
export function maxDiff(a: Tensor, b: Tensor): number {
  const x = a.toTypedArray() as Float32Array, y = b.toTypedArray() as Float32Array;
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** A copy of a tensor's values (a new storage). */
export const snapshot = (t: Tensor) => flow.tensor((t.toTypedArray() as Float32Array).slice()).reshape(t.shape);

import { IRGraph } from "../../src/graph/ir";
import { lowerGraph, emitModel } from "../../src/graph/emit";
import { createSession, ort } from "../../src/backend/ort";
import { ortTypeOf, dtypeFromOrt, TypedArray } from "../../src/tensor/dtype";

/**
 * Runs an IR (traced ops or ONNX nodes) as its own ONNX Runtime session, feeding user inputs by position and
 * captured tensors from the IR; returns the outputs. ORT's own optimisations are off so that what is measured
 * is the IR as given.
 */
export function runIR(ir: IRGraph, userInputs: Tensor[]): Tensor[] {
  const g = ir.nodes.some((n) => n.kind === "op") ? lowerGraph(ir) : ir;
  const { bytes } = emitModel(g);
  const s = createSession(bytes, { executionProviders: ["cpu"], graphOptimizationLevel: "disabled" }, "a test IR");
  const { Tensor: T } = ort();
  const feeds: Record<string, any> = {};
  for (const i of g.inputs) {
    const t = i.kind === "input" ? userInputs[i.index!] : i.tensor!;
    feeds[i.name] = new T(ortTypeOf(t.dtype), t._host(), t.shape);
  }
  const names = s.outputMetadata.map((m) => m.name);
  const r = s.run(feeds, Object.fromEntries(names.map((n) => [n, null])), {});
  return names.map((n) => { const v = r[n] as any; return Tensor._fromArray(v.data as TypedArray, [...v.dims], dtypeFromOrt(v.type)); });
}
