/**
 * The backward pass: walks the tape from the outputs in reverse topological order, calls each node's gradient
 * rule, reduces broadcast cotangents to each input's shape, runs tensor hooks, and accumulates into `.grad`
 * of leaves (and of non-leaves that `retainGrad()`). Rules never un-broadcast or accumulate themselves.
 */
import { Tensor } from "../tensor/tensor";
import { GradNode, setRunningNode } from "./node";
import { setGradEnabled } from "./mode";
import { bind1 } from "../ops/dispatch";

/** Options of backward() and autograd.grad(). */
export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again. */
  retainGraph?: boolean;
  /** Record the backward computation itself, for higher-order gradients. */
  createGraph?: boolean;
}

/** Sums `g` down to `shape` (undoing broadcasting), or returns it unchanged. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  let r = axes.length ? bind1("sum", [g], { dims: axes, keepdim: true }) : g;
  if (lead > 0 || r.shape.length !== shape.length) r = bind1("reshape", [r], { shape: [...shape] });
  return r;
}

function add(a: Tensor | null, b: Tensor): Tensor { return a === null ? b : bind1("add", [a, b]); }

/** Nodes reachable from `roots`, in an order where every node comes after all nodes that consume it. */
function topoOrder(roots: GradNode[]): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  const stack: [GradNode, number][] = roots.filter((r) => !seen.has(r) && seen.add(r)).map((r) => [r, 0]);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1]++;
      const next = node.inputs[i].requiresGrad ? node.inputs[i].gradFn : null;
      if (next && !seen.has(next)) { seen.add(next); stack.push([next, 0]); }
    } else { stack.pop(); order.push(node); }
  }
  return order.reverse();
}

/**
 * Runs backpropagation from `outputs` seeded with `grads`. When `capture` is given, gradients of those
 * tensors are returned instead of accumulated into `.grad` (autograd.grad).
 */
export function runBackward(outputs: Tensor[], grads: Tensor[], opts: BackwardOptions = {}, capture?: Tensor[]): (Tensor | null)[] {
  const prevMode = setGradEnabled(!!opts.createGraph);
  try {
    const pending = new Map<GradNode, (Tensor | null)[]>();
    const captured = new Map<Tensor, Tensor | null>(capture?.map((t) => [t, null]));
    const leafGrads = new Map<Tensor, Tensor>();
    const roots: GradNode[] = [];
    outputs.forEach((o, i) => {
      if (!o.requiresGrad) throw new Error("element " + i + " of tensors does not require grad and does not have a grad_fn");
      deliver(o, grads[i], pending, captured, leafGrads);
      if (o.gradFn) roots.push(o.gradFn);
    });
    for (const node of topoOrder(roots)) {
      if (node.freed) throw freedError();
      const outGrads = pending.get(node);
      pending.delete(node);
      if (!outGrads || outGrads.every((g) => g === null)) continue;
      // While the rule runs, every op it calls checks that the saved tensors it reads were not modified in place.
      const prevNode = setRunningNode(node);
      let inGrads: (Tensor | null)[];
      try {
        inGrads = node.op.vjp!({ grads: outGrads, inputs: node.inputs, outputs: node.outputs, attrs: node.attrs });
      } finally {
        setRunningNode(prevNode);
      }
      if (inGrads.length !== node.inputs.length) throw new Error(`gradient rule of '${node.op.name}' returned ${inGrads.length} cotangents for ${node.inputs.length} inputs`);
      inGrads.forEach((g, i) => {
        const x = node.inputs[i];
        if (g && x.requiresGrad) deliver(x, sumToShape(g, x.shape), pending, captured, leafGrads);
      });
      if (!opts.retainGraph) node.release();
    }
    if (!capture) for (const [leaf, g] of leafGrads) leaf.grad = leaf.grad ? add(leaf.grad.detach(), g).detach() : (opts.createGraph ? g : g.detach());
    return capture ? capture.map((t) => captured.get(t) ?? null) : [];
  } finally {
    setGradEnabled(prevMode);
  }
}

const freedError = () => new Error("Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Specify retainGraph: true if you need to backward a second time.");

function deliver(t: Tensor, g: Tensor, pending: Map<GradNode, (Tensor | null)[]>, captured: Map<Tensor, Tensor | null>, leafGrads: Map<Tensor, Tensor>): void {
  for (const hook of t._hooks) { const r = hook(g); if (r instanceof Tensor) g = r; }
  if (captured.has(t)) captured.set(t, add(captured.get(t)!, g));
  if (t.gradFn) {
    if (t.gradFn.freed) throw freedError();
    if (t._retainsGrad && !captured.size) t.grad = t.grad ? add(t.grad, g).detach() : g.detach();
    const slots = pending.get(t.gradFn) ?? new Array(t.gradFn.outputs.length).fill(null);
    slots[t._outputIndex] = add(slots[t._outputIndex], g);
    pending.set(t.gradFn, slots);
  } else if (!captured.size) {
    leafGrads.set(t, add(leafGrads.get(t) ?? null, g));
  }
}
