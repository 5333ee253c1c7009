/**
 * The op table. Each op is one entry holding, side by side (as JAX's primitives do):
 *   infer  - the shape/dtype rule; it throws PyTorch-worded errors before ONNX Runtime sees bad input,
 *   lower  - the ONNX lowering, used by eager single-op sessions, by nn.Graph's emitter and by export,
 *   vjp    - the gradient rule, written with other ops, returning one cotangent per input (null = none);
 *            the autograd engine un-broadcasts and accumulates, rules never do,
 *   host   - optionally, a TypeScript kernel for small CPU tensors, where a session call would cost more
 *            than the arithmetic; it is tested against the ONNX lowering.
 * Public functions (flow.add, x.add, F.conv2d) are thin wrappers that normalise arguments and call bind().
 */
import type { DType, TypedArray } from "../tensor/dtype";
import type { Tensor } from "../tensor/tensor";
import type { OnnxBuilder } from "./builder";

/** Shape and dtype of a value: what shape rules consume and produce. */
export interface Meta { readonly shape: readonly number[]; readonly dtype: DType }

/** What a gradient rule receives. */
export interface VjpArgs<A> {
  /** Cotangent of each output (null where no gradient flows into that output). */
  grads: (Tensor | null)[];
  inputs: Tensor[];
  outputs: Tensor[];
  attrs: A;
}

/** One op: shape rule, ONNX lowering, gradient rule and optional host kernel. */
export interface OpDef<A = Record<string, unknown>> {
  readonly name: string;
  infer(inputs: readonly Meta[], attrs: A): Meta[];
  lower(b: OnnxBuilder, inputs: string[], attrs: A, inMeta: readonly Meta[], outMeta: readonly Meta[]): string[];
  vjp?(args: VjpArgs<A>): (Tensor | null)[];
  /** Returns null when it does not handle these dtypes/attrs, and the session path runs instead. */
  host?(inputs: TypedArray[], attrs: A, inMeta: readonly Meta[], outMeta: readonly Meta[]): TypedArray[] | null;
  /** Largest input or output size for which `host` is used instead of a session (default 1024 elements). */
  readonly hostMaxNumel?: number;
  /**
   * Indices of inputs that an eager CPU session may bake in as constants (conv: weight and bias while no
   * gradient is recorded for them), so that ONNX Runtime can pre-pack them; the session is then keyed by
   * those tensors' identity and storage version.
   */
  bakeInputs?(inputs: readonly Tensor[], attrs: A): number[];
  /** Devices whose execution provider cannot run this lowering: eager runs it on the CPU provider there and moves results back (each crossing counted). */
  readonly cpuFallback?: readonly ("webgpu" | "cuda")[];
  /** Ops whose result depends on more than their inputs (random ops) are never CSE'd or constant-folded. */
  readonly impure?: boolean;
}

const table = new Map<string, OpDef<any>>();

/** Registers an op; a second registration under the same name is a bug and throws. */
export function defineOp<A>(def: OpDef<A>): OpDef<A> {
  if (table.has(def.name)) throw new Error(`op '${def.name}' is defined twice`);
  table.set(def.name, def);
  return def;
}

/** Looks up an op, throwing if no op of that name exists. */
export function getOp(name: string): OpDef<any> {
  const d = table.get(name);
  if (!d) throw new Error(`no op named '${name}' (known: ${[...table.keys()].sort().join(", ")})`);
  return d;
}

/** Every registered op name (used by table-driven tests and by graph display). */
export function opNames(): string[] { return [...table.keys()]; }
