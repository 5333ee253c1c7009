/**
 * Small models and optimizers for the graph tests, written with flowbook's tensor ops. (They stand in for
 * flow.nn / flow.optim until those land in this branch; they follow the same protocols nn.Graph reads:
 * namedModules/namedParameters, enterModule/exitModule around forward, paramGroups + step with in-place
 * writes through dispatch's assign.)
 */
import * as flow from "../../src/index";
import { Tensor } from "../../src/tensor/tensor";
import { assign } from "../../src/ops/dispatch";
import { enterModule, exitModule } from "../../src/graph/index";

/** A deterministic float32 tensor of `shape` with values from a sine sequence. */
export function det(shape: number[], seed: number, scale = 0.5, requiresGrad = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.31 + i * 1.37) * scale);
  return flow.tensor(data, { requiresGrad }).reshape(shape).detach().requiresGrad_(requiresGrad);
}

export abstract class TinyModule {
  protected kids: [string, TinyModule][] = [];
  protected params: [string, Tensor][] = [];
  abstract forward(...x: Tensor[]): Tensor;
  call(...x: Tensor[]): Tensor {
    const scoped = enterModule(this);
    try { return this.forward(...x); } finally { if (scoped) exitModule(); }
  }
  *namedModules(prefix = ""): Iterable<[string, TinyModule]> {
    yield [prefix, this];
    for (const [k, m] of this.kids) yield* m.namedModules(prefix ? `${prefix}.${k}` : k);
  }
  *namedParameters(prefix = ""): Iterable<[string, Tensor]> {
    for (const [k, p] of this.params) yield [prefix ? `${prefix}.${k}` : k, p];
    for (const [k, m] of this.kids) yield* m.namedParameters(prefix ? `${prefix}.${k}` : k);
  }
  parameters(): Tensor[] { return [...this.namedParameters()].map(([, p]) => p); }
  stateDict(): Record<string, Tensor> { return Object.fromEntries(this.namedParameters()); }
  loadStateDict(sd: Record<string, Tensor>): void { for (const [k, p] of this.namedParameters()) assign(p, sd[k]); }
}

export class Linear extends TinyModule {
  weight: Tensor; bias: Tensor;
  constructor(inF: number, outF: number, seed: number) {
    super();
    this.weight = det([outF, inF], seed, 1 / Math.sqrt(inF), true);
    this.bias = det([outF], seed + 0.5, 0.1, true);
    this.params = [["weight", this.weight], ["bias", this.bias]];
  }
  forward(x: Tensor): Tensor { return x.matmul(this.weight.transpose(0, 1)).add(this.bias); }
}

export class MLP extends TinyModule {
  fc1: Linear; fc2: Linear;
  constructor(inF = 4, hidden = 8, outF = 3, seed = 1) {
    super();
    this.fc1 = new Linear(inF, hidden, seed);
    this.fc2 = new Linear(hidden, outF, seed + 1);
    this.kids = [["fc1", this.fc1], ["fc2", this.fc2]];
  }
  forward(x: Tensor): Tensor { return this.fc2.call(this.fc1.call(x).relu()); }
}

/** Mean squared error. */
export const mse = (a: Tensor, b: Tensor) => a.sub(b).mul(a.sub(b)).sum().div(a.numel());

/** Plain SGD, in-place through assign. */
export class SGD {
  paramGroups: { params: Tensor[]; lr: number }[];
  constructor(params: Tensor[], lr: number) { this.paramGroups = [{ params, lr }]; }
  step(): void {
    for (const g of this.paramGroups) for (const p of g.params) if (p.grad) assign(p, p.sub(p.grad.mul(g.lr)));
  }
  zeroGrad(): void { for (const g of this.paramGroups) for (const p of g.params) p.grad = null; }
}

/** AdamW with a JS step counter and lazily created state (exercises the hyper-parameter replay). */
export class AdamW {
  paramGroups: { params: Tensor[]; lr: number }[];
  state = new Map<Tensor, { m: Tensor; v: Tensor }>();
  t = 0;
  constructor(params: Tensor[], lr: number, readonly betas = [0.9, 0.999], readonly eps = 1e-8, readonly wd = 0.01) { this.paramGroups = [{ params, lr }]; }
  step(): void {
    this.t++;
    const [b1, b2] = this.betas;
    for (const g of this.paramGroups) for (const p of g.params) {
      if (!p.grad) continue;
      let s = this.state.get(p);
      if (!s) { s = { m: flow.zerosLike(p), v: flow.zerosLike(p) }; this.state.set(p, s); }
      const grad = p.grad;
      assign(p, p.mul(1 - g.lr * this.wd));
      assign(s.m, s.m.mul(b1).add(grad.mul(1 - b1)));
      assign(s.v, s.v.mul(b2).add(grad.mul(grad).mul(1 - b2)));
      const mhat = s.m.div(1 - b1 ** this.t), vhat = s.v.div(1 - b2 ** this.t);
      assign(p, p.sub(mhat.div(vhat.sqrt().add(this.eps)).mul(g.lr)));
    }
  }
  zeroGrad(): void { for (const g of this.paramGroups) for (const p of g.params) p.grad = null; }
}

/** Multiplies every group's lr by gamma on each step. */
export class ExponentialLR {
  constructor(private readonly opt: { paramGroups: { lr: number }[] }, private readonly gamma: number) {}
  step(): void { for (const g of this.opt.paramGroups) g.lr *= this.gamma; }
}

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
