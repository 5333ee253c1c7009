/**
 * The Optimizer base class (torch/optim/optimizer.py): parameter groups with per-group options, per-parameter
 * state, zeroGrad, stateDict/loadStateDict, addParamGroup. Subclasses implement `updateGroup`, which runs
 * under noGrad; `step(closure)` wraps it as PyTorch's step does.
 */
import { Tensor } from "../tensor/tensor";
import { isFloating } from "../tensor/dtype";
import { zero_ } from "../ops/inplace";
import { enableGrad, noGrad } from "../autograd/mode";
import { cast } from "../ops/elementwise";
import { cloneTensor } from "./update";

/** Per-parameter optimizer state (`exp_avg`, `momentum_buffer`, `step`, ...), named as in PyTorch. */
export type ParamState = Record<string, Tensor | number>;

/** A parameter group: its parameters and its option values. */
export type ParamGroup<O> = O & { params: Tensor[]; [extra: string]: unknown };

/** A parameter group as given to the constructor or addParamGroup: params plus any options to override. */
export type ParamGroupSpec<O> = Partial<O> & { params: Iterable<Tensor> | Tensor; [extra: string]: unknown };

/** What stateDict() returns: state by parameter index, groups with parameter indices (PyTorch's layout). */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: Record<string, unknown>[];
}

/** Base class of flow.optim optimizers. */
export abstract class Optimizer<O extends { lr: number } = { lr: number }> {
  /** The option values used where a group does not set its own. */
  readonly defaults: O;
  /** Parameter groups, each with its own options (`optimizer.paramGroups[0].lr = 0.01`). */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, keyed by the parameter tensor. */
  readonly state = new Map<Tensor, ParamState>();
  /** @internal how many times step() ran (schedulers use it). */
  _stepCount = 0;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<O>>, defaults: O) {
    this.defaults = defaults;
    if (params instanceof Tensor) throw new TypeError("params argument given to the optimizer should be an iterable of Tensors or objects, but got a Tensor");
    const list = [...(params as Iterable<Tensor | ParamGroupSpec<O>>)];
    if (list.length === 0) throw new Error("optimizer got an empty parameter list");
    const groups = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupSpec<O>] : (list as ParamGroupSpec<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group of parameters (with optional option overrides), e.g. to unfreeze layers during training. */
  addParamGroup(group: ParamGroupSpec<O>): void {
    const params = group.params instanceof Tensor ? [group.params] : [...group.params];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeof p}`);
      if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor");
    }
    const g = { ...this.defaults, ...group, params } as ParamGroup<O>;
    for (const [k, v] of Object.entries(g)) {
      if (v === undefined) throw new Error(`parameter group didn't specify a value of required optimization parameter ${k}`);
    }
    const seen = new Set(this.paramGroups.flatMap((pg) => pg.params));
    if (params.some((p) => seen.has(p)) || new Set(params).size !== params.length) throw new Error("some parameters appear in more than one parameter group");
    this.paramGroups.push(g);
  }

  /** Resets the gradients of all optimized parameters: to null (default) or, with `setToNone = false`, to zeros. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) for (const p of g.params) {
      if (!p.grad) continue;
      if (setToNone) { p.grad = null; continue; }
      const grad = p.grad.gradFn ? p.grad.detach() : p.grad;
      noGrad(() => zero_(grad));
      p.grad = grad;
    }
  }

  /**
   * Performs one optimization step. `closure`, if given, re-evaluates the model and returns the loss (run
   * with gradients enabled); its result is returned.
   */
  step(closure?: () => Tensor): Tensor | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => { for (const g of this.paramGroups) this.updateGroup(g); });
    this._stepCount++;
    return loss;
  }

  /** Applies this optimizer's update rule to every parameter of `group` that has a gradient (runs under noGrad). */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /** The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) { s = {}; this.state.set(p, s); }
    return s;
  }

  /** State and options in PyTorch's layout: parameters replaced by their index across all groups. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const ids = g.params.map((p) => { if (!index.has(p)) index.set(p, index.size); return index.get(p)!; });
      return { ...g, params: ids };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) if (index.has(p)) state[index.get(p)!] = { ...s };
    return { state, paramGroups };
  }

  /** Loads a stateDict(): group options and per-parameter state (tensors copied, cast to the parameter's dtype). */
  loadStateDict(sd: OptimizerStateDict): void {
    const groups = sd.paramGroups;
    if (groups.length !== this.paramGroups.length) throw new Error("loaded state dict has a different number of parameter groups");
    groups.forEach((g, i) => {
      if ((g.params as number[]).length !== this.paramGroups[i].params.length) throw new Error("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
    });
    const byIndex = new Map<number, Tensor>();
    groups.forEach((g, i) => (g.params as number[]).forEach((id, j) => byIndex.set(id, this.paramGroups[i].params[j])));
    this.state.clear();
    for (const [id, s] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(id));
      if (!p) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) {
        copy[k] = v instanceof Tensor ? (k !== "step" && isFloating(v.dtype) ? cloneTensor(cast(v, p.dtype)) : cloneTensor(v)) : v;
      }
      this.state.set(p, copy);
    }
    groups.forEach((g, i) => {
      const { params: _ids, ...opts } = g;
      Object.assign(this.paramGroups[i], opts);
    });
  }
}

/** Throws PyTorch's message when `v` fails `ok`. */
export function checkOption(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(message);
}
