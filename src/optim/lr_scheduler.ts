/**
 * Learning-rate schedulers (torch/optim/lr_scheduler.py, PyTorch 1.13): StepLR, MultiStepLR,
 * CosineAnnealingLR, LinearLR, OneCycleLR. Each computes the next lr from the current one with PyTorch's
 * chainable formulas, so the sequences equal PyTorch's. Call `scheduler.step()` after `optimizer.step()`.
 */
import { parseArgs } from "../ops/args";
import type { Optimizer, ParamGroup } from "./optimizer";

type Group = ParamGroup<{ lr: number }> & { initialLr?: number };

/** Base class: tracks lastEpoch, sets each group's lr from getLr() on every step(). */
export abstract class LRScheduler {
  /** The optimizer whose groups' lr this scheduler sets. */
  readonly optimizer: Optimizer<any>;
  /** Each group's initial lr. */
  baseLrs: number[];
  /** Number of step() calls so far minus one (the epoch index of the current lr). */
  lastEpoch: number;
  /** @internal */
  _stepCount = 0;
  private lastLr: number[] = [];

  constructor(optimizer: Optimizer<any>, lastEpoch = -1) {
    this.optimizer = optimizer;
    const groups = optimizer.paramGroups as Group[];
    if (lastEpoch === -1) for (const g of groups) g.initialLr ??= g.lr;
    else groups.forEach((g, i) => { if (g.initialLr === undefined) throw new Error(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`); });
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** Subclasses call this at the end of their constructor: PyTorch's _initial_step (sets the epoch-0 lr). */
  protected initialStep(): void { this._stepCount = 0; this.step(); }

  /** The lr of each group for the current lastEpoch, computed from the groups' current lr (chainable form). */
  protected abstract getLr(): number[];

  /** Advances one epoch (or step) and sets each group's lr. */
  step(): void {
    this._stepCount++;
    this.lastEpoch++;
    const lrs = this.getLr();
    (this.optimizer.paramGroups as Group[]).forEach((g, i) => { g.lr = lrs[i]; });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The lr of each group as last set by this scheduler. */
  getLastLr(): number[] { return [...this.lastLr]; }

  /** The scheduler's state (everything but the optimizer). */
  stateDict(): Record<string, unknown> {
    const { optimizer: _o, ...rest } = this as unknown as Record<string, unknown>;
    return JSON.parse(JSON.stringify(rest));
  }
  /** Restores a stateDict(). */
  loadStateDict(sd: Record<string, unknown>): void { Object.assign(this, sd); }

  protected get groups(): Group[] { return this.optimizer.paramGroups as Group[]; }
}

/**
 * Multiplies each group's lr by gamma every stepSize epochs.
 * @example new flow.optim.lrScheduler.StepLR(opt, 30, { gamma: 0.1 })
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: Optimizer<any>, stepSize: number | { stepSize: number; gamma?: number; lastEpoch?: number }, gamma?: number | { gamma?: number; lastEpoch?: number }, lastEpoch?: number);
  constructor(optimizer: Optimizer<any>, ...rest: unknown[]) {
    const o = parseArgs<{ stepSize: number; gamma: number; lastEpoch: number }>("StepLR", rest, ["stepSize", "gamma", "lastEpoch"], { gamma: 0.1, lastEpoch: -1 }, { required: 1 });
    if (!Number.isInteger(o.stepSize) || o.stepSize <= 0) throw new RangeError(`StepLR: stepSize must be a positive integer, got ${o.stepSize}`);
    super(optimizer, o.lastEpoch);
    this.stepSize = o.stepSize;
    this.gamma = o.gamma;
    this.initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }
}

/** Multiplies each group's lr by gamma at each milestone epoch (a milestone listed twice applies gamma twice). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;
  constructor(optimizer: Optimizer<any>, milestones: number[] | { milestones: number[]; gamma?: number; lastEpoch?: number }, gamma?: number | { gamma?: number; lastEpoch?: number }, lastEpoch?: number);
  constructor(optimizer: Optimizer<any>, ...rest: unknown[]) {
    const o = parseArgs<{ milestones: number[]; gamma: number; lastEpoch: number }>("MultiStepLR", rest, ["milestones", "gamma", "lastEpoch"], { gamma: 0.1, lastEpoch: -1 }, { required: 1 });
    if (!Array.isArray(o.milestones)) throw new TypeError(`MultiStepLR: milestones must be a list of epochs, got ${JSON.stringify(o.milestones)}`);
    super(optimizer, o.lastEpoch);
    this.milestones = [...o.milestones];
    this.gamma = o.gamma;
    this.initialStep();
  }
  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (!hits) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** hits);
  }
}

/** Cosine annealing from the initial lr to etaMin over tMax epochs (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: Optimizer<any>, tMax: number | { tMax?: number; TMax?: number; etaMin?: number; lastEpoch?: number }, etaMin?: number | { etaMin?: number; lastEpoch?: number }, lastEpoch?: number);
  constructor(optimizer: Optimizer<any>, ...rest: unknown[]) {
    // PyTorch's T_max is tMax here; TMax is accepted as its literal camelCase.
    const o = parseArgs<{ tMax: number; etaMin: number; lastEpoch: number }>("CosineAnnealingLR", rest, ["tMax", "etaMin", "lastEpoch"], { etaMin: 0, lastEpoch: -1 }, { required: 1, aliases: { TMax: "tMax" } });
    if (!(o.tMax > 0)) throw new RangeError(`CosineAnnealingLR: tMax must be positive, got ${o.tMax}`);
    super(optimizer, o.lastEpoch);
    this.tMax = o.tMax;
    this.etaMin = o.etaMin;
    this.initialStep();
  }
  protected getLr(): number[] {
    const e = this.lastEpoch, T = this.tMax, eta = this.etaMin;
    if (e === 0) return this.groups.map((g) => g.lr);
    if (this._stepCount === 1 && e > 0) return this.baseLrs.map((b) => eta + (b - eta) * (1 + Math.cos((e * Math.PI) / T)) / 2);
    if (pyMod(e - 1 - T, 2 * T) === 0) return this.groups.map((g, i) => g.lr + (this.baseLrs[i] - eta) * (1 - Math.cos(Math.PI / T)) / 2);
    return this.groups.map((g) => (1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T)) * (g.lr - eta) + eta);
  }
}
const pyMod = (a: number, b: number) => ((a % b) + b) % b;

/** Multiplies the lr by a factor going linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: Optimizer<any>, startFactor?: number | { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number }, endFactor?: number, totalIters?: number, lastEpoch?: number);
  constructor(optimizer: Optimizer<any>, ...rest: unknown[]) {
    const o = parseArgs<{ startFactor: number; endFactor: number; totalIters: number; lastEpoch: number }>("LinearLR", rest, ["startFactor", "endFactor", "totalIters", "lastEpoch"], { startFactor: 1 / 3, endFactor: 1, totalIters: 5, lastEpoch: -1 });
    if (o.startFactor > 1 || o.startFactor <= 0) throw new RangeError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
    if (o.endFactor > 1 || o.endFactor < 0) throw new RangeError("Ending multiplicative factor expected to be between 0 and 1.");
    super(optimizer, o.lastEpoch);
    this.startFactor = o.startFactor;
    this.endFactor = o.endFactor;
    this.totalIters = o.totalIters;
    this.initialStep();
  }
  protected getLr(): number[] {
    const e = this.lastEpoch, s = this.startFactor, f = this.endFactor;
    if (e === 0) return this.groups.map((g) => g.lr * s);
    if (e > this.totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (f - s) / (this.totalIters * s + (e - 1) * (f - s))));
  }
}

/** Options of OneCycleLR (PyTorch's defaults). */
export interface OneCycleLROptions {
  totalSteps?: number | null; epochs?: number | null; stepsPerEpoch?: number | null; pctStart?: number;
  annealStrategy?: "cos" | "linear"; cycleMomentum?: boolean; baseMomentum?: number | number[]; maxMomentum?: number | number[];
  divFactor?: number; finalDivFactor?: number; threePhase?: boolean; lastEpoch?: number;
}
interface Phase { endStep: number; startLr: string; endLr: string; startMomentum: string; endMomentum: string }

/**
 * The 1cycle policy (Smith & Topin, 2017): lr rises from maxLr/divFactor to maxLr over pctStart of the
 * steps, then anneals to initialLr/finalDivFactor; momentum (or Adam's beta1) cycles inversely. Step it
 * after every batch.
 * @example new flow.optim.lrScheduler.OneCycleLR(opt, 0.1, { totalSteps: 1000 })
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  private phases: Phase[];
  private anneal: (start: number, end: number, pct: number) => number;
  private cycleMomentum: boolean;
  private useBeta1: boolean;

  constructor(optimizer: Optimizer<any>, maxLr: number | number[], opts?: OneCycleLROptions);
  constructor(optimizer: Optimizer<any>, opts: OneCycleLROptions & { maxLr: number | number[] });
  constructor(optimizer: Optimizer<any>, maxLr: number | number[], totalSteps?: number | null, epochs?: number | null, stepsPerEpoch?: number | null, pctStart?: number, annealStrategy?: "cos" | "linear", cycleMomentum?: boolean, baseMomentum?: number | number[], maxMomentum?: number | number[], divFactor?: number, finalDivFactor?: number, threePhase?: boolean, lastEpoch?: number);
  constructor(optimizer: Optimizer<any>, ...rest: unknown[]) {
    const o = parseArgs<Required<OneCycleLROptions> & { maxLr: number | number[] }>("OneCycleLR", rest,
      ["maxLr", "totalSteps", "epochs", "stepsPerEpoch", "pctStart", "annealStrategy", "cycleMomentum", "baseMomentum", "maxMomentum", "divFactor", "finalDivFactor", "threePhase", "lastEpoch"],
      { totalSteps: null, epochs: null, stepsPerEpoch: null, pctStart: 0.3, annealStrategy: "cos", cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95, divFactor: 25, finalDivFactor: 1e4, threePhase: false, lastEpoch: -1 }, { required: 1 });
    const maxLr = o.maxLr;
    let total: number;
    if (o.totalSteps == null && o.epochs == null && o.stepsPerEpoch == null) throw new Error("You must define either total_steps OR (epochs AND steps_per_epoch)");
    if (o.totalSteps != null) {
      if (!Number.isInteger(o.totalSteps) || o.totalSteps <= 0) throw new RangeError(`Expected positive integer total_steps, but got ${o.totalSteps}`);
      total = o.totalSteps;
    } else {
      if (!Number.isInteger(o.epochs) || o.epochs! <= 0) throw new RangeError(`Expected positive integer epochs, but got ${o.epochs}`);
      if (!Number.isInteger(o.stepsPerEpoch) || o.stepsPerEpoch! <= 0) throw new RangeError(`Expected positive integer steps_per_epoch, but got ${o.stepsPerEpoch}`);
      total = o.epochs! * o.stepsPerEpoch!;
    }
    if (!(o.pctStart >= 0 && o.pctStart <= 1)) throw new RangeError(`Expected float between 0 and 1 pct_start, but got ${o.pctStart}`);
    if (o.annealStrategy !== "cos" && o.annealStrategy !== "linear") throw new Error(`anneal_strategy must by one of 'cos' or 'linear', instead got ${o.annealStrategy}`);
    const n = optimizer.paramGroups.length;
    const perGroup = (name: string, v: number | number[]) => {
      if (!Array.isArray(v)) return new Array<number>(n).fill(v);
      if (v.length !== n) throw new Error(`expected ${n} values for ${name}, got ${v.length}`);
      return v;
    };
    const groups = optimizer.paramGroups as (Group & Record<string, unknown>)[];
    const maxLrs = perGroup("max_lr", maxLr);
    if (o.lastEpoch === -1) groups.forEach((g, i) => { g.initialLr = maxLrs[i] / o.divFactor; g.maxLr = maxLrs[i]; g.minLr = g.initialLr / o.finalDivFactor; });
    let useBeta1 = false;
    if (o.cycleMomentum) {
      const d = optimizer.defaults as Record<string, unknown>;
      if (!("momentum" in d) && !("betas" in d)) throw new Error("optimizer must support momentum with `cycle_momentum` option enabled");
      useBeta1 = "betas" in d;
      const maxM = perGroup("max_momentum", o.maxMomentum), baseM = perGroup("base_momentum", o.baseMomentum);
      if (o.lastEpoch === -1) groups.forEach((g, i) => {
        if (useBeta1) g.betas = [maxM[i], ...(g.betas as number[]).slice(1)];
        else g.momentum = maxM[i];
        g.maxMomentum = maxM[i];
        g.baseMomentum = baseM[i];
      });
    }
    super(optimizer, o.lastEpoch);
    this.totalSteps = total;
    const p = o.pctStart;
    this.phases = o.threePhase
      ? [
        { endStep: p * total - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
        { endStep: 2 * p * total - 2, startLr: "maxLr", endLr: "initialLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
        { endStep: total - 1, startLr: "initialLr", endLr: "minLr", startMomentum: "maxMomentum", endMomentum: "maxMomentum" },
      ]
      : [
        { endStep: p * total - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
        { endStep: total - 1, startLr: "maxLr", endLr: "minLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
      ];
    this.anneal = o.annealStrategy === "cos"
      ? (start, end, pct) => end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1)
      : (start, end, pct) => (end - start) * pct + start;
    this.cycleMomentum = o.cycleMomentum;
    this.useBeta1 = useBeta1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) throw new Error(`Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`);
    return (this.groups as (Group & Record<string, unknown>)[]).map((g) => {
      let start = 0, lr = 0, momentum = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i];
        if (stepNum <= ph.endStep || i === this.phases.length - 1) {
          const pct = (stepNum - start) / (ph.endStep - start);
          lr = this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
          if (this.cycleMomentum) momentum = this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct);
          break;
        }
        start = ph.endStep;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [momentum, ...(g.betas as number[]).slice(1)];
        else g.momentum = momentum;
      }
      return lr;
    });
  }
}
