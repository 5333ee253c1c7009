/** Creating tensors from JS data and constants: flow.tensor, zeros, ones, full, empty, their *Like forms, arange, linspace, eye. */
import { Tensor } from "./tensor";
import { DType, TypedArray, allocArray, checkDType, isFloating, readNumber, writeNumber } from "./dtype";
import { Device, device as parseDevice, getDefaultDevice, checkUsable } from "../backend/device";
import { transferTo } from "../backend/gpu";
import { parseArgs, isOptions } from "../ops/args";

/** Options shared by tensor factories. */
export interface TensorOptions { dtype?: DType; device?: string | Device; requiresGrad?: boolean }
/** @internal The factory keywords every creation function accepts in its options object. */
export const FACTORY_KEYS = ["dtype", "device", "requiresGrad"] as const;
/** @internal Checks a factory options object's names (a misspelt `requires_grad` must not pass silently). */
export function factoryOptions<T extends TensorOptions>(fn: string, opts: T | undefined, extra: readonly string[] = []): T {
  if (opts === undefined || opts === null) return {} as T;
  if (!isOptions(opts)) throw new TypeError(`${fn}(): expected an options object {${[...FACTORY_KEYS, ...extra].join(", ")}}, got ${String(opts)}`);
  return parseArgs<T>(fn, [opts], [...FACTORY_KEYS, ...extra] as never[]);
}

/** Nested arrays of numbers/booleans, or a flat typed array. */
export type TensorData = number | boolean | bigint | TypedArray | NestedArray;
/** Nested arrays of numbers, booleans or bigints. */
export interface NestedArray extends Array<number | boolean | bigint | NestedArray | TypedArray> {}

function typedArrayDType(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof BigInt64Array) return "int64";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Uint8Array) return "uint8";
  throw new TypeError("flow.tensor: a Uint16Array is ambiguous; pass {dtype: 'float16'} to read it as half-precision bits");
}

/** @internal Places a finished CPU tensor on the requested device with the requested grad flag. */
export function finish(t: Tensor, opts: TensorOptions): Tensor {
  const dev = checkUsable(parseDevice(opts.device ?? getDefaultDevice()));
  const r = dev.type === "cpu" ? t : transferTo(t, dev);
  if (opts.requiresGrad) {
    if (!isFloating(r.dtype)) throw new TypeError(`only Tensors of floating point dtype can require gradients (got ${r.dtype})`);
    r.requiresGrad = true;
  }
  return r;
}

/**
 * Creates a tensor from nested arrays, a typed array or a scalar. JS numbers cannot tell `1.` from `1`, so
 * number data is float32 unless `dtype` says otherwise (`{dtype: "int64"}` for class labels); bigint data
 * is int64, booleans are bool, and a typed array keeps its own type.
 * @example flow.tensor([[1, 2], [3, 4]], { dtype: "float32", requiresGrad: true })
 */
export function tensor(data: TensorData | Tensor, opts: TensorOptions = {}): Tensor {
  opts = factoryOptions("tensor", opts);
  if (data instanceof Tensor) {
    // A copy detached from the graph, like torch.tensor(t) (which PyTorch answers with a warning).
    const src = data._host("flow.tensor(tensor)");
    const dtype = opts.dtype ? checkDType(opts.dtype, "flow.tensor") : data.dtype;
    const out = allocArray(dtype, src.length);
    if (dtype === data.dtype) (out as Float32Array).set(src as Float32Array);
    else for (let i = 0; i < src.length; i++) writeNumber(dtype, out, i, readNumber(data.dtype, src, i));
    return finish(Tensor._fromArray(out, [...data.shape], dtype), { device: data.device, ...opts });
  }
  if (ArrayBuffer.isView(data)) {
    const src = data as TypedArray;
    const dtype = opts.dtype ? checkDType(opts.dtype, "flow.tensor") : typedArrayDType(src);
    const out = allocArray(dtype, src.length);
    if (dtype === typedArrayDType0(src)) (out as Float32Array).set(src as Float32Array);
    else for (let i = 0; i < src.length; i++) writeNumber(dtype, out, i, (src as Float32Array)[i]);
    return finish(Tensor._fromArray(out, [src.length], dtype), opts);
  }
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe) || ArrayBuffer.isView(probe)) { shape.push((probe as ArrayLike<unknown>).length); probe = (probe as ArrayLike<unknown>)[0]; }
  const flat: (number | boolean | bigint)[] = [];
  let sawFloat = false, sawBool = false, sawInt = false;
  const walk = (v: unknown, dim: number) => {
    if (dim === shape.length) {
      if (typeof v === "boolean") sawBool = true;
      else if (typeof v === "bigint") sawInt = true;
      else if (typeof v === "number") { if (Number.isInteger(v)) sawInt = true; else sawFloat = true; }
      else throw new TypeError(`flow.tensor: expected a number, boolean or bigint, got ${typeof v === "object" ? JSON.stringify(v) : typeof v}`);
      flat.push(v as number);
      return;
    }
    const arr = v as ArrayLike<unknown>;
    if (!(Array.isArray(arr) || ArrayBuffer.isView(arr)) || arr.length !== shape[dim]) {
      throw new RangeError(`flow.tensor: expected sequence of length ${shape[dim]} at dim ${dim} (got ${Array.isArray(arr) ? arr.length : typeof arr})`);
    }
    for (let i = 0; i < arr.length; i++) walk(arr[i], dim + 1);
  };
  walk(data, 0);
  // JS cannot tell `1.` from `1`, so JS numbers give float32 (the default dtype); bigint data gives int64.
  const sawBigInt = flat.some((v) => typeof v === "bigint");
  const inferred: DType = sawFloat || (sawInt && !sawBigInt) ? "float32" : sawBigInt ? "int64" : sawBool ? "bool" : "float32";
  const dtype = opts.dtype ? checkDType(opts.dtype, "flow.tensor") : inferred;
  const out = allocArray(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) writeNumber(dtype, out, i, flat[i]);
  return finish(Tensor._fromArray(out, shape, dtype), opts);
}
const typedArrayDType0 = (a: TypedArray): DType | null => { try { return typedArrayDType(a); } catch { return null; } };

/**
 * Normalises `zeros(2, 3)`, `zeros([2, 3])` and a trailing options object (which may also hold `size`);
 * `extra` names option keys beyond the factory keywords (random functions take `generator`).
 */
export function shapeArgs(fn: string, args: unknown[], extra: readonly string[] = []): { shape: number[]; opts: TensorOptions } {
  let opts: TensorOptions & { size?: number[] } = {};
  const last = args[args.length - 1];
  if (args.length && isOptions(last)) { opts = factoryOptions(fn, last as TensorOptions, ["size", ...extra]); args = args.slice(0, -1); }
  if (opts.size !== undefined) {
    if (args.length) throw new TypeError(`${fn}() got multiple values for argument 'size'`);
    args = [opts.size];
    const { size: _s, ...rest } = opts;
    opts = rest;
  }
  const shape = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as number[];
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${fn}(): shape must be non-negative integers, got [${shape.join(", ")}]`);
  }
  return { shape: [...shape], opts };
}

/** A tensor of `size` filled with `fillValue`: `flow.full([2, 3], 7, {dtype: "int64"})` or `flow.full({size, fillValue})`. */
export function full(size: number[], fillValue: number | boolean, opts?: TensorOptions): Tensor;
export function full(opts: TensorOptions & { size: number[]; fillValue: number | boolean }): Tensor;
export function full(...args: unknown[]): Tensor {
  if (Array.isArray(args[0]) && args.length <= 3 && (args[2] === undefined || isOptions(args[2])) && (args[2] === undefined || !("size" in (args[2] as object)))) {
    // The common internal call full(shape, value, opts): the same parse without building a name table.
    return fullImpl(args[0] as number[], args[1] as number | boolean, factoryOptions("full", args[2] as TensorOptions));
  }
  const a = parseArgs<{ size: number[]; fillValue: number | boolean } & TensorOptions>("full", args, ["size", "fillValue", ...FACTORY_KEYS], {}, { required: 2 });
  return fullImpl(a.size, a.fillValue, { dtype: a.dtype, device: a.device, requiresGrad: a.requiresGrad });
}
function fullImpl(shape: number[], value: number | boolean, opts: TensorOptions): Tensor {
  const dtype = opts.dtype ? checkDType(opts.dtype, "flow.full") : typeof value === "boolean" ? "bool" : "float32";
  const n = shape.reduce((a, b) => a * b, 1);
  const out = allocArray(dtype, n);
  if (value !== 0 && value !== false) for (let i = 0; i < n; i++) writeNumber(dtype, out, i, value);
  return finish(Tensor._fromArray(out, [...shape], dtype), opts);
}

/** Zeros: `flow.zeros(2, 3)` or `flow.zeros([2, 3], {dtype})`. */
export function zeros(...args: (number | number[] | TensorOptions)[]): Tensor {
  const { shape, opts } = shapeArgs("zeros", args);
  return full(shape, 0, { dtype: "float32", ...opts });
}
/** Ones: `flow.ones(2, 3)` or `flow.ones([2, 3], {dtype})`. */
export function ones(...args: (number | number[] | TensorOptions)[]): Tensor {
  const { shape, opts } = shapeArgs("ones", args);
  return full(shape, 1, { dtype: "float32", ...opts });
}
/** Uninitialised memory in PyTorch; zeros here (JS arrays are always initialised). */
export function empty(...args: (number | number[] | TensorOptions)[]): Tensor {
  const { shape, opts } = shapeArgs("empty", args);
  return full(shape, 0, { dtype: "float32", ...opts });
}
const likeOpts = (fn: string, t: Tensor, opts: TensorOptions | undefined): TensorOptions => ({ dtype: t.dtype, device: t.device, ...factoryOptions(fn, opts) });
/** Zeros with the shape, dtype and device of `t`. */
export const zerosLike = (t: Tensor, opts: TensorOptions = {}): Tensor => fullImpl(t.shape, 0, likeOpts("zeros_like", t, opts));
/** Ones with the shape, dtype and device of `t`. */
export const onesLike = (t: Tensor, opts: TensorOptions = {}): Tensor => fullImpl(t.shape, 1, likeOpts("ones_like", t, opts));
/** `fillValue` with the shape, dtype and device of `t`: `fullLike(t, 7)` or `fullLike(t, {fillValue: 7})`. */
export function fullLike(t: Tensor, fillValue: number | boolean | (TensorOptions & { fillValue: number | boolean }), opts?: TensorOptions): Tensor {
  const a = parseArgs<{ fillValue: number | boolean } & TensorOptions>("full_like", opts === undefined ? [fillValue] : [fillValue, opts], ["fillValue", ...FACTORY_KEYS], {}, { required: 1 });
  return fullImpl(t.shape, a.fillValue, { dtype: a.dtype ?? t.dtype, device: a.device ?? t.device, requiresGrad: a.requiresGrad });
}
/** Same as zerosLike. */
export const emptyLike = zerosLike;

// ---- ranges and eye ----------------------------------------------------------------------------

/**
 * Values from `start` (default 0) up to but excluding `end`, `step` apart: `arange(5)`, `arange(1, 2, 0.25)`.
 * int64 when start, end and step are all integers, else float32, as in PyTorch (JS cannot tell `1.` from
 * `1`: pass `{dtype: "float32"}` for a float range of integers).
 */
export function arange(...args: (number | (TensorOptions & { start?: number; end?: number; step?: number }))[]): Tensor {
  const last = args[args.length - 1];
  const nPos = isOptions(last) ? args.length - 1 : args.length;
  // PyTorch's arange(end) / arange(start, end, step=1): one positional number is the end unless the options name it.
  const names = nPos === 1 && !(isOptions(last) && last.end !== undefined) ? ["end", "start", "step"] : ["start", "end", "step"];
  const a = parseArgs<{ start: number; end: number; step: number } & TensorOptions>("arange", args, [...names, ...FACTORY_KEYS] as never[], { start: 0, step: 1 });
  if (a.end === undefined) throw new TypeError("arange() missing required argument 'end'");
  const { start, end, step } = a, opts: TensorOptions = { dtype: a.dtype, device: a.device, requiresGrad: a.requiresGrad };
  if ([start, end, step].some((v) => typeof v !== "number")) throw new TypeError(`arange(): expected numbers for start, end and step, got (${start}, ${end}, ${step})`);
  if (step === 0) throw new RangeError("arange(): step must be nonzero");
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new RangeError(`arange(): unsupported range: ${start} -> ${end}`);
  if ((step > 0 && end < start) || (step < 0 && end > start)) throw new RangeError("arange(): upper bound and larger bound inconsistent with step sign");
  const dtype = opts.dtype ? checkDType(opts.dtype, "arange") : [start, end, step].every(Number.isInteger) ? "int64" : "float32";
  const n = Math.ceil((end - start) / step);
  const out = allocArray(dtype, n);
  for (let i = 0; i < n; i++) writeNumber(dtype, out, i, start + i * step);
  return finish(Tensor._fromArray(out, [n], dtype), opts);
}

/**
 * `steps` evenly spaced values from `start` to `end` inclusive (float32 unless `dtype` says otherwise),
 * computed as PyTorch does: from the start for the first half, from the end for the second.
 */
export function linspace(start: number, end: number, steps: number, opts?: TensorOptions): Tensor;
export function linspace(start: number, end: number, opts: TensorOptions & { steps: number }): Tensor;
export function linspace(opts: TensorOptions & { start: number; end: number; steps: number }): Tensor;
export function linspace(...args: unknown[]): Tensor {
  const a = parseArgs<{ start: number; end: number; steps: number } & TensorOptions>("linspace", args, ["start", "end", "steps", ...FACTORY_KEYS], {}, { required: 3 });
  const { start, end, steps } = a, opts: TensorOptions = { dtype: a.dtype, device: a.device, requiresGrad: a.requiresGrad };
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace(): number of steps must be non-negative, got ${steps}`);
  const dtype = opts.dtype ? checkDType(opts.dtype, "linspace") : "float32";
  const out = allocArray(dtype, steps);
  const f = dtype === "float32" ? Math.fround : (v: number) => v;
  const step = steps > 1 ? f((end - start) / (steps - 1)) : 0;
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) writeNumber(dtype, out, i, i < half || steps === 1 ? f(start + step * i) : f(end - step * (steps - i - 1)));
  return finish(Tensor._fromArray(out, [steps], dtype), opts);
}

/** An `n` × `m` (default square) matrix with ones on the diagonal. */
export function eye(n: number | (TensorOptions & { n: number; m?: number }), m?: number | null | (TensorOptions & { m?: number }), opts?: TensorOptions): Tensor;
export function eye(...args: unknown[]): Tensor {
  const a = parseArgs<{ n: number; m: number | null } & TensorOptions>("eye", args, ["n", "m", ...FACTORY_KEYS], { m: null }, { required: 1 });
  const n = a.n, cols = a.m ?? n, opts: TensorOptions = { dtype: a.dtype, device: a.device, requiresGrad: a.requiresGrad };
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`eye(): n must be greater or equal to 0, got ${n}`);
  if (!Number.isInteger(cols) || cols < 0) throw new RangeError(`eye(): m must be greater or equal to 0, got ${cols}`);
  const dtype = opts.dtype ? checkDType(opts.dtype, "eye") : "float32";
  const out = allocArray(dtype, n * cols);
  for (let i = 0; i < Math.min(n, cols); i++) writeNumber(dtype, out, i * cols + i, 1);
  return finish(Tensor._fromArray(out, [n, cols], dtype), opts);
}
