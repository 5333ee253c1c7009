/**
 * The one dispatcher every op call goes through: device check, shape rule, then either tracing (nn.Graph
 * records the op) or eager execution, then recording on the autograd tape when a gradient is wanted.
 */
import { Tensor } from "../tensor/tensor";
import { getOp, Meta, OpDef } from "./registry";
import { isGradEnabled } from "../autograd/mode";
import { GradNode, checkSavedVersions } from "../autograd/node";
import { runEager } from "../backend/eager";
import * as path from "path";

// flowbook's own compiled sources (dist/src); frames from here are not the user's.
const OWN_ROOT = path.resolve(__dirname, "..");

/** Records ops into a graph instead of running them (installed by nn.Graph while it traces `build`). */
export interface Tracer {
  record(op: OpDef<any>, inputs: Tensor[], attrs: unknown, outMeta: Meta[]): Tensor[];
  /** An in-place write `target <- value` while tracing (in-place ops, optimizer updates): it becomes a graph output. */
  assign(target: Tensor, value: Tensor): void;
}
let tracer: Tracer | null = null;
/** Installs (or with null removes) the active tracer; returns the previous one. */
export function setTracer(t: Tracer | null): Tracer | null { const prev = tracer; tracer = t; return prev; }
/** The active tracer, if nn.Graph is tracing. */
export function activeTracer(): Tracer | null { return tracer; }

/** Observers of every eager op call (the profiler). */
export interface OpObserver { onOp(op: string, inputs: Tensor[], outputs: Tensor[], ms: number): void }
const observers = new Set<OpObserver>();
/** Adds an observer of eager op calls; returns a function that removes it. */
export function observeOps(o: OpObserver): () => void { observers.add(o); return () => observers.delete(o); }

function checkDevices(name: string, inputs: Tensor[]): void {
  for (let i = 1; i < inputs.length; i++) {
    if (inputs[i].device !== inputs[0].device) {
      throw new Error(`${name}: Expected all tensors to be on the same device, but found at least two devices, ${inputs[0].device.name} and ${inputs[i].device.name}! Move them with .to("${inputs[0].device.name}").`);
    }
  }
}

/** Applies op `name` to `inputs` with `attrs`; returns its outputs. */
export function bind(name: string, inputs: Tensor[], attrs: unknown = {}): Tensor[] {
  const op = getOp(name);
  checkDevices(name, inputs);
  checkSavedVersions(inputs);
  const outMeta = op.infer(inputs, attrs as never);
  let outputs: Tensor[];
  if (tracer) outputs = tracer.record(op, inputs, attrs, outMeta);
  else if (observers.size) {
    const t0 = performance.now();
    outputs = runEager(op, inputs, attrs, outMeta);
    const ms = performance.now() - t0;
    for (const o of observers) o.onOp(name, inputs, outputs, ms);
  } else outputs = runEager(op, inputs, attrs, outMeta);
  if (op.vjp && isGradEnabled() && inputs.some((t) => t.requiresGrad)) recordNode(op, inputs, outputs, attrs);
  return outputs;
}

/**
 * Writes `value` into `target` in place (same number of elements; dtype converted to the target's), bumping the
 * target's storage version. In-place ops and optimizers write through here so that, while nn.Graph traces,
 * the write is recorded (the new value becomes a graph output copied back into the target after each run).
 */
export function assign(target: Tensor, value: Tensor): void {
  if (tracer) { tracer.assign(target, value); return; }
  if (value.numel() !== target.numel()) throw new RangeError(`in-place assignment: a tensor of shape [${value.shape.join(", ")}] cannot be written into one of shape [${target.shape.join(", ")}]`);
  const v = value.dtype === target.dtype ? value : bind1("cast", [value], { dtype: target.dtype });
  target._assignHost(v._host("in-place assignment"));
}

/** Applies a single-output op. */
export function bind1(name: string, inputs: Tensor[], attrs: unknown = {}): Tensor {
  return bind(name, inputs, attrs)[0];
}

function recordNode(op: OpDef<any>, inputs: Tensor[], outputs: Tensor[], attrs: unknown): void {
  const node = new GradNode(op, inputs, outputs, attrs, tracer ? callerLine() : undefined);
  outputs.forEach((o, i) => {
    o.gradFn = node;
    o._outputIndex = i;
    o.requiresGrad = true;
  });
}

/** The first stack frame outside flowbook's own files: the user's line, for traced-graph displays. */
export function callerLine(): string | undefined {
  // Backward and optimizer ops run many frames below the user's line: look deeper than V8's default 10.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack?.split("\n").slice(2) ?? [];
  Error.stackTraceLimit = limit;
  const frame = stack.find((l) => !l.includes(OWN_ROOT) && !l.includes("node:internal") && !l.includes("(<anonymous>)") && !l.includes("(native)"));
  return frame?.trim().replace(/^at\s+/, "");
}
