/**
 * Tracing: while nn.Graph runs `build`, the dispatcher hands every op call to a GraphTracer, which appends an
 * IR node and returns symbolic tensors (no storage). Real tensors met on the way (parameters, buffers,
 * constants, optimizer state) are captured once each, keyed by their storage so that `p`, `p.detach()` and the
 * grad-accumulation alias of `p.grad` are one value. In-place writes (`assign`) rebind the target to the new
 * value; for a real target the new value becomes a graph output written back after every run.
 *
 * Scalars created during the optimizer phase (learning rate, Adam's bias corrections, weight-decay factors)
 * are JS numbers turned into 0-d tensors; they change between steps, so they become "hyper" graph inputs and
 * their current values are collected each call by replaying `optimizer.step()` under a HyperReplay tracer
 * (a symbolic run: shape rules only, no arithmetic, no IR).
 */
import { Tensor, SymbolicValue, setSymbolicDataError } from "../tensor/tensor";
import type { Meta, OpDef } from "../ops/registry";
import { Tracer, callerLine, bind1 } from "../ops/dispatch";
import { Device, getDefaultDevice } from "../backend/device";
import { IRGraph, IRInput, Phase } from "./ir";
import { currentScope } from "./scope";

setSymbolicDataError((t, what) => {
  const where = callerLine();
  return new Error(`${what} on a tensor traced by nn.Graph${where ? ` (at ${where})` : ""}: inside build() tensors are symbolic and have no values yet. ` +
    `Compute with tensor ops and return tensors from build(); read values (item(), tolist()) from the graph call's outputs. ` +
    `Python-style control flow on tensor values cannot be traced (the branch taken would be baked in).` + (t.shape.length ? ` The tensor has shape [${t.shape.join(", ")}], dtype ${t.dtype}.` : ` It is a 0-d ${t.dtype} tensor.`));
});

/** Storage identity of a real tensor: views with the same offset and shape over one storage are one value. */
function storageKey(t: Tensor): unknown {
  return t._storage ? t._storage : t;
}
const viewKey = (t: Tensor) => `${t._offset}|${t.shape.join(",")}|${t.dtype}`;

/** A 0-d, non-parameter scalar: the kind of tensor an optimizer makes from a JS number. */
export function isScalarConstant(t: Tensor): boolean {
  return t._symbolic === null && t.shape.length === 0 && !t.requiresGrad && t._name === null;
}

interface Capture { name: string; tensor: Tensor; phase: Phase; hyperCandidate: boolean; gradBefore: Tensor | null }

/** Records ops into an IRGraph. */
export class GraphTracer implements Tracer {
  readonly ir = new IRGraph();
  phase: Phase = "forward";
  readonly captures: Capture[] = [];
  /** Real tensors written in place during the trace, with the value they hold at the end. */
  readonly assigned = new Map<Tensor, string>();
  private names: string[] = [];
  private byStorage = new Map<unknown, Map<string, string>>();
  private counter = 0;

  /** Captured tensors fed as inputs whatever their kind (gradient accumulators). */
  private forced = new Map<unknown, IRInput["kind"]>();

  constructor(readonly training: boolean, readonly device: Device = getDefaultDevice(), private readonly labels: Map<Tensor, string> = new Map()) {}

  /** Makes `t` a fed graph input of `kind` when the trace reads it. */
  forceFed(t: Tensor, kind: IRInput["kind"]): void { this.forced.set(storageKey(t), kind); }

  /** A fresh symbolic tensor for value `name` with `meta`. */
  private symbolic(name: string, m: Meta, dev: Device): Tensor {
    const id = this.names.push(name) - 1;
    const sym: SymbolicValue = { graph: this, id };
    return new Tensor([...m.shape], m.dtype, dev, null, 0, sym);
  }

  private fresh(hint: string): string { return `${hint}_${this.counter++}`; }

  /** A symbolic tensor standing for user input `index` (flattened order). */
  input(t: Tensor, index: number): Tensor {
    const name = `input_${index}`;
    this.ir.meta.set(name, { shape: [...t.shape], dtype: t.dtype });
    this.ir.inputs.push({ name, kind: "input", index });
    const s = this.symbolic(name, t, t.device);
    s.requiresGrad = t.requiresGrad;
    return s;
  }

  /** The value name a tensor stands for, capturing real tensors on first use. */
  valueOf(t: Tensor): string {
    if (t._symbolic) {
      if (t._symbolic.graph !== this) throw new Error("a tensor from another nn.Graph's trace (or a finished trace) was used here; symbolic tensors live only inside the build() call that made them");
      return this.names[t._symbolic.id];
    }
    let views = this.byStorage.get(storageKey(t));
    const vk = viewKey(t);
    const hit = views?.get(vk);
    if (hit) return hit;
    if (!views) this.byStorage.set(storageKey(t), (views = new Map()));
    const label = this.labels.get(t) ?? t._name;
    const name = label ? this.uniqueLabel(label) : this.fresh(t.shape.length === 0 ? "scalar" : "const");
    views.set(vk, name);
    this.ir.meta.set(name, { shape: [...t.shape], dtype: t.dtype });
    this.captures.push({ name, tensor: t, phase: this.phase, hyperCandidate: this.phase === "optimizer" && isScalarConstant(t), gradBefore: t.grad });
    return name;
  }

  private uniqueLabel(label: string): string {
    let name = label, i = 1;
    while (this.ir.meta.has(name)) name = `${label}_${i++}`;
    return name;
  }

  record(op: OpDef<any>, inputs: Tensor[], attrs: unknown, outMeta: Meta[]): Tensor[] {
    const ins = inputs.map((t) => this.valueOf(t));
    const dev = inputs[0]?.device ?? (attrs as { device?: Device } | null)?.device ?? this.device;
    const outs = outMeta.map((m) => {
      const name = this.fresh(op.name);
      this.ir.meta.set(name, { shape: [...m.shape], dtype: m.dtype });
      return name;
    });
    this.ir.add({ kind: "op", op: op.name, inputs: ins, outputs: outs, attrs, sourceLine: callerLine(), scope: currentScope(), phase: this.phase });
    return outs.map((name, i) => this.symbolic(name, outMeta[i], dev));
  }

  assign(target: Tensor, value: Tensor): void {
    if (value.numel() !== target.numel()) throw new RangeError(`in-place assignment: a tensor of shape [${value.shape.join(", ")}] cannot be written into one of shape [${target.shape.join(", ")}]`);
    let v = value;
    if (v.dtype !== target.dtype) v = bind1("cast", [v], { dtype: target.dtype });
    if (v.shape.join() !== target.shape.join()) v = bind1("reshape", [v], { shape: [...target.shape] });
    const name = this.valueOf(v);
    if (target._symbolic) {
      if (target._symbolic.graph !== this) throw new Error("in-place assignment into a symbolic tensor of another trace");
      target._symbolic = v._symbolic ?? { graph: this, id: this.names.push(name) - 1 };
      return;
    }
    this.valueOf(target); // the target's storage becomes a known capture (state), even if never read before
    this.byStorage.get(storageKey(target))!.set(viewKey(target), name);
    this.assigned.set(target, name);
  }

  /**
   * Turns captures into graph inputs (fed each run) or constants (baked). Fed: anything written in place
   * (state), and for training graphs tensors that require grad (parameters) and optimizer-phase scalars
   * (hyper-parameters). Everything else is baked and its storage version remembered, so that a change made
   * outside the graph triggers a recompile rather than a stale answer.
   */
  finishCaptures(): { baked: { tensor: Tensor; version: number }[]; hyper: Capture[] } {
    const assignedStorage = new Set([...this.assigned.keys()].map(storageKey));
    const baked: { tensor: Tensor; version: number }[] = [];
    const hyper: Capture[] = [];
    for (const c of this.captures) {
      const isState = assignedStorage.has(storageKey(c.tensor));
      let kind: IRInput["kind"] | null = this.forced.get(storageKey(c.tensor)) ?? null;
      if (kind) { /* forced */ } else if (this.training && c.tensor.requiresGrad) kind = "param";
      else if (isState) kind = "state";
      else if (this.training && c.hyperCandidate) { kind = "hyper"; hyper.push(c); }
      if (kind) this.ir.inputs.push({ name: c.name, kind, tensor: c.tensor });
      else {
        this.ir.constants.set(c.name, c.tensor);
        baked.push({ tensor: c.tensor, version: c.tensor._storage?.version ?? 0 });
      }
      const label = this.labels.get(c.tensor) ?? c.tensor._name;
      if (label && label !== c.name) this.ir.labels.set(c.name, label);
    }
    return { baked, hyper };
  }

  /** Gradients that backward() inside build left on captured tensors are symbolic: put back what was there. */
  restoreGrads(): void {
    for (const c of this.captures) if (c.tensor.grad?._symbolic) c.tensor.grad = c.gradBefore;
  }

  /** Storage keys of every captured tensor (what a replay must not mistake for a fresh scalar). */
  knownKeys(): Set<unknown> { return new Set(this.captures.map((c) => storageKey(c.tensor))); }
}

/**
 * Collects the optimizer-phase scalars of one `optimizer.step()` replay, in the order the trace met them.
 * Ops return symbolic tensors carrying only shapes; in-place writes are ignored.
 */
export class HyperReplay implements Tracer {
  readonly values: Tensor[] = [];
  private seen = new Set<unknown>();
  constructor(private readonly known: Set<unknown>) {}

  private visit(t: Tensor): void {
    if (!isScalarConstant(t)) return;
    const k = storageKey(t);
    if (this.known.has(k) || this.seen.has(k)) return;
    this.seen.add(k);
    this.values.push(t);
  }

  record(_op: OpDef<any>, inputs: Tensor[], attrs: unknown, outMeta: Meta[]): Tensor[] {
    for (const t of inputs) this.visit(t);
    const dev = inputs[0]?.device ?? (attrs as { device?: Device } | null)?.device ?? getDefaultDevice();
    return outMeta.map((m) => new Tensor([...m.shape], m.dtype, dev, null, 0, { graph: this, id: 0 }));
  }

  assign(_target: Tensor, value: Tensor): void { this.visit(value); }
}
