/**
 * Optimizers, schedulers and clipGradNorm against PyTorch 1.13: the same parameters and gradients give the
 * same updates over several steps for each option; schedulers give the same lr (and momentum) sequences.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { assertClose, randomData, rng } from "../helpers/torch";
import { JsonTensor, flat, fromJson, torchJson } from "./helpers";

const nn = flow.nn;
const snake = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));

interface OptCase { opt: "SGD" | "Adam" | "AdamW" | "RMSprop"; opts: Record<string, unknown>; lr2: number }
const CASES: OptCase[] = [
  { opt: "SGD", opts: { lr: 0.1 }, lr2: 0.05 },
  { opt: "SGD", opts: { lr: 0.1, momentum: 0.9 }, lr2: 0.05 },
  { opt: "SGD", opts: { lr: 0.1, momentum: 0.9, dampening: 0.3 }, lr2: 0.2 },
  { opt: "SGD", opts: { lr: 0.1, momentum: 0.8, nesterov: true, weightDecay: 0.01 }, lr2: 0.05 },
  { opt: "SGD", opts: { lr: 0.1, momentum: 0.5, weightDecay: 0.1, maximize: true }, lr2: 0.05 },
  { opt: "Adam", opts: {}, lr2: 0.01 },
  { opt: "Adam", opts: { lr: 0.01, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.1 }, lr2: 0.02 },
  { opt: "Adam", opts: { lr: 0.01, amsgrad: true }, lr2: 0.003 },
  { opt: "Adam", opts: { lr: 0.01, maximize: true }, lr2: 0.003 },
  { opt: "AdamW", opts: {}, lr2: 0.01 },
  { opt: "AdamW", opts: { lr: 0.02, weightDecay: 0.1, amsgrad: true }, lr2: 0.01 },
  { opt: "AdamW", opts: { lr: 0.02, maximize: true }, lr2: 0.01 },
  { opt: "RMSprop", opts: {}, lr2: 0.001 },
  { opt: "RMSprop", opts: { lr: 0.01, alpha: 0.9, momentum: 0.9 }, lr2: 0.001 },
  { opt: "RMSprop", opts: { lr: 0.01, centered: true, weightDecay: 0.1 }, lr2: 0.001 },
  { opt: "RMSprop", opts: { lr: 0.01, centered: true, momentum: 0.5, maximize: true, eps: 1e-4 }, lr2: 0.02 },
];
const STEPS = 5;

const r = rng(77);
const p1 = { data: randomData(r, 12), shape: [3, 4], dtype: "float32" };
const p2 = { data: randomData(r, 5), shape: [5], dtype: "float32" };
const grads = Array.from({ length: STEPS }, () => [{ ...p1, data: randomData(r, 12) }, { ...p2, data: randomData(r, 5) }]);

const refs = torchJson<JsonTensor[][][]>(`
out = []
for c in INPUT["cases"]:
    ps = [dec(INPUT["p1"]).requires_grad_(), dec(INPUT["p2"]).requires_grad_()]
    opts = dict(c["opts"])
    if "betas" in opts: opts["betas"] = tuple(opts["betas"])
    opt = getattr(torch.optim, c["opt"])([{"params": [ps[0]]}, {"params": [ps[1]], "lr": c["lr2"]}], **opts)
    steps = []
    for gs in INPUT["grads"]:
        for p, g in zip(ps, gs):
            p.grad = dec(g)
        opt.step()
        steps.append([enc(p) for p in ps])
    out.append(steps)
print(json.dumps(out))`, { cases: CASES.map((c) => ({ ...c, opts: snake(c.opts) })), p1, p2, grads });

CASES.forEach((c, ci) => {
  test(`${c.opt} ${JSON.stringify(c.opts)} matches PyTorch for ${STEPS} steps (two param groups)`, () => {
    const ps = [new nn.Parameter(fromJson(p1)), new nn.Parameter(fromJson(p2))];
    const Opt = flow.optim[c.opt] as unknown as new (params: unknown, opts: unknown) => flow.optim.Optimizer;
    const opt = new Opt([{ params: [ps[0]] }, { params: [ps[1]], lr: c.lr2 }], c.opts);
    const storage = ps.map((p) => p.toTypedArray());
    for (let s = 0; s < STEPS; s++) {
      ps.forEach((p, i) => { p.grad = fromJson(grads[s][i]); });
      opt.step();
      ps.forEach((p, i) => assertClose(flat(p), refs[ci][s][i].data, `step ${s + 1} param ${i}`, 1e-5, 1e-6));
    }
    ps.forEach((p, i) => assert.equal(p.toTypedArray(), storage[i], "updated in place"));
  });
});

test("optimizer stateDict/loadStateDict round-trips state and options (training resumes identically)", () => {
  const make = () => [new nn.Parameter(fromJson(p1)), new nn.Parameter(fromJson(p2))];
  const run = (opt: flow.optim.Optimizer, ps: flow.Tensor[], from: number, to: number) => {
    for (let s = from; s < to; s++) { ps.forEach((p, i) => { p.grad = fromJson(grads[s][i]); }); opt.step(); }
  };
  const a = make();
  const optA = new flow.optim.Adam(a, { lr: 0.01, amsgrad: true });
  run(optA, a, 0, 5);
  const b = make();
  const optB0 = new flow.optim.Adam(b, { lr: 0.01, amsgrad: true });
  run(optB0, b, 0, 3);
  const sd = optB0.stateDict();
  assert.deepEqual(Object.keys(sd.state[0]).sort(), ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]);
  assert.deepEqual(sd.paramGroups.map((g) => g.params), [[0, 1]]);
  const optB = new flow.optim.Adam(b, { lr: 0.5 });
  optB.loadStateDict(sd);
  assert.equal(optB.paramGroups[0].lr, 0.01);
  assert.equal(optB.paramGroups[0].amsgrad, true);
  run(optB, b, 3, 5);
  a.forEach((p, i) => assert.deepEqual(flat(b[i]), flat(p)));
});

test("optimizer argument errors use PyTorch's messages; zeroGrad; positional options; closures", () => {
  const p = new nn.Parameter(flow.ones(2));
  assert.throws(() => new flow.optim.SGD([p]), /parameter group didn't specify a value of required optimization parameter lr/);
  assert.throws(() => new flow.optim.SGD([p], -1), /Invalid learning rate: -1/);
  assert.throws(() => new flow.optim.SGD([p], { lr: 0.1, nesterov: true }), /Nesterov momentum requires a momentum and zero dampening/);
  assert.throws(() => new flow.optim.Adam([p], { betas: [1.0, 0.9] }), /Invalid beta parameter at index 0: 1/);
  assert.throws(() => new flow.optim.SGD([], 0.1), /optimizer got an empty parameter list/);
  assert.throws(() => new flow.optim.SGD([{ params: [p] }, { params: [p] }], 0.1), /some parameters appear in more than one parameter group/);
  assert.throws(() => new flow.optim.SGD([p.mul(2)], 0.1), /can't optimize a non-leaf Tensor/);
  const sgd = new flow.optim.SGD([p], 0.5, 0.9);
  assert.equal(sgd.paramGroups[0].momentum, 0.9);
  const loss = sgd.step(() => { const l = p.mul(p).sum(); l.backward(); return l; });
  assert.equal(loss!.item(), 2);
  assert.deepEqual(flat(p), [0, 0]); // 1 - 0.5 * 2
  sgd.zeroGrad(false);
  assert.deepEqual(flat(p.grad!), [0, 0]);
  sgd.zeroGrad();
  assert.equal(p.grad, null);
  sgd.step(); // no gradients: nothing happens
  assert.deepEqual(flat(p), [0, 0]);
});

// ---- schedulers ----------------------------------------------------------------------------------

interface SchedCase { name: string; opt: "SGD" | "Adam"; sched: string; torch: string; flow: (o: flow.optim.Optimizer) => flow.optim.lrScheduler.LRScheduler; steps: number }
const S = flow.optim.lrScheduler;
const SCHEDS: SchedCase[] = [
  { name: "StepLR", opt: "SGD", sched: "StepLR", torch: "StepLR(opt, 5, gamma=0.5)", flow: (o) => new S.StepLR(o, 5, { gamma: 0.5 }), steps: 30 },
  { name: "MultiStepLR", opt: "SGD", sched: "", torch: "MultiStepLR(opt, [3, 7, 7, 12], 0.3)", flow: (o) => new S.MultiStepLR(o, [3, 7, 7, 12], 0.3), steps: 20 },
  { name: "CosineAnnealingLR", opt: "SGD", sched: "", torch: "CosineAnnealingLR(opt, 10, eta_min=0.001)", flow: (o) => new S.CosineAnnealingLR(o, 10, { etaMin: 0.001 }), steps: 45 },
  { name: "LinearLR defaults", opt: "SGD", sched: "", torch: "LinearLR(opt)", flow: (o) => new S.LinearLR(o), steps: 10 },
  { name: "LinearLR", opt: "Adam", sched: "", torch: "LinearLR(opt, start_factor=0.25, end_factor=0.75, total_iters=8)", flow: (o) => new S.LinearLR(o, { startFactor: 0.25, endFactor: 0.75, totalIters: 8 }), steps: 12 },
  { name: "OneCycleLR (SGD, momentum cycles)", opt: "SGD", sched: "", torch: "OneCycleLR(opt, 0.1, total_steps=30)", flow: (o) => new S.OneCycleLR(o, 0.1, { totalSteps: 30 }), steps: 30 },
  { name: "OneCycleLR (Adam, three phases, linear)", opt: "Adam", sched: "", torch: "OneCycleLR(opt, [0.2, 0.05], epochs=5, steps_per_epoch=5, three_phase=True, anneal_strategy='linear', pct_start=0.4)", flow: (o) => new S.OneCycleLR(o, [0.2, 0.05], { epochs: 5, stepsPerEpoch: 5, threePhase: true, annealStrategy: "linear", pctStart: 0.4 }), steps: 25 },
];

const schedRefs = torchJson<{ lr: number[][]; mom: number[][] }[]>(`
import warnings
warnings.filterwarnings("ignore")
from torch.optim.lr_scheduler import *
out = []
for c in INPUT:
    ps = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    groups = [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}]
    opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9) if c["opt"] == "SGD" else torch.optim.Adam(groups, lr=0.1)
    sched = eval(c["torch"])
    lrs, moms = [], []
    for i in range(c["steps"]):
        lrs.append(sched.get_last_lr())
        moms.append([g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups])
        opt.step()
        if i < c["steps"] - 1: sched.step()
    out.append({"lr": lrs, "mom": moms})
print(json.dumps(out))`, SCHEDS.map((s) => ({ opt: s.opt, torch: s.torch, steps: s.steps })));

SCHEDS.forEach((c, ci) => {
  test(`lrScheduler.${c.name}: lr sequence equals PyTorch's`, () => {
    const ps = [new nn.Parameter(flow.zeros(1)), new nn.Parameter(flow.zeros(1))];
    const groups = [{ params: [ps[0]] }, { params: [ps[1]], lr: 0.05 }];
    const opt: flow.optim.Optimizer<any> = c.opt === "SGD" ? new flow.optim.SGD(groups, { lr: 0.1, momentum: 0.9 }) : new flow.optim.Adam(groups, { lr: 0.1 });
    const sched = c.flow(opt);
    const lrs: number[][] = [], moms: number[][] = [];
    for (let i = 0; i < c.steps; i++) {
      lrs.push(sched.getLastLr());
      moms.push(opt.paramGroups.map((g: any) => (g.momentum !== undefined ? g.momentum : g.betas[0])));
      opt.step();
      if (i < c.steps - 1) sched.step();
    }
    assertClose(lrs.flat(), schedRefs[ci].lr.flat(), `${c.name} lr`, 1e-12, 1e-15);
    assertClose(moms.flat(), schedRefs[ci].mom.flat(), `${c.name} momentum`, 1e-12, 1e-15);
  });
});

test("OneCycleLR refuses to step past totalSteps, as PyTorch does", () => {
  const opt = new flow.optim.SGD([new nn.Parameter(flow.zeros(1))], { lr: 0.1, momentum: 0.9 });
  const s = new S.OneCycleLR(opt, 0.1, { totalSteps: 3 });
  s.step(); s.step(); s.step();
  assert.throws(() => s.step(), /Tried to step 5 times. The specified number of total steps is 3/);
});

// ---- clipGradNorm --------------------------------------------------------------------------------

test("nn.utils.clipGradNorm returns PyTorch's total norm and scales gradients like PyTorch", () => {
  const cases = [[1.0, 2], [100, 2], [0.5, 1], [0.3, Infinity], [2.0, 3]];
  const g1 = { ...p1, data: randomData(r, 12) }, g2 = { ...p2, data: randomData(r, 5) };
  const ref = torchJson<{ total: number; grads: JsonTensor[] }[]>(`
out = []
for max_norm, p in INPUT["cases"]:
    ps = [torch.zeros(3, 4, requires_grad=True), torch.zeros(5, requires_grad=True)]
    ps[0].grad = dec(INPUT["g1"]); ps[1].grad = dec(INPUT["g2"])
    total = torch.nn.utils.clip_grad_norm_(ps, max_norm, float("inf") if p is None else p)
    out.append({"total": total.item(), "grads": [enc(q.grad) for q in ps]})
print(json.dumps(out))`, { cases: cases.map(([m, p]) => [m, Number.isFinite(p) ? p : null]), g1, g2 });
  cases.forEach(([maxNorm, p], i) => {
    const ps = [new nn.Parameter(flow.zeros(3, 4)), new nn.Parameter(flow.zeros(5))];
    ps[0].grad = fromJson(g1); ps[1].grad = fromJson(g2);
    const total = nn.utils.clipGradNorm(ps, maxNorm, p);
    assertClose([total.item()], [ref[i].total], `total norm (p=${p})`, 1e-5);
    ps.forEach((q, k) => assertClose(flat(q.grad!), ref[i].grads[k].data, `clipped grad ${k} (p=${p})`, 1e-5, 1e-7));
  });
  const q = new nn.Parameter(flow.zeros(2));
  q.grad = flow.tensor([Infinity, 1]);
  assert.throws(() => nn.utils.clipGradNorm([q], 1, 2, true), /non-finite/);
});
