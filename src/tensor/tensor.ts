/**
 * The Tensor: shape, dtype, device, storage and autograd state. Ops are not written here: each op family file
 * in src/ops adds its methods to Tensor.prototype next to the op's definition (see ops/methods.ts), so that
 * one op stays one entry.
 */
import { DType, TypedArray, allocArray, readNumber, writeNumber } from "./dtype";
import { Device, device as parseDevice } from "../backend/device";
import type { GradNode } from "../autograd/node";
import { formatTensor } from "./print";
import { trackTensor } from "./memory";

/** Host storage of a tensor: a dense, row-major typed array shared by views of the same data. */
export interface Storage { data: TypedArray; version: number }

/** Marks a tensor that stands for a value inside a graph being traced (it has no data). */
export interface SymbolicValue { readonly graph: unknown; readonly id: number }

/** Called when code asks for the data of a symbolic tensor; nn.Graph installs it to name the user's line. */
let symbolicDataError: (t: Tensor, what: string) => Error = (_t, what) =>
  new Error(`${what} needs a concrete value, but this tensor is symbolic (it is being traced by nn.Graph)`);
/** nn.Graph sets the error raised when traced code reads a symbolic tensor's data. */
export function setSymbolicDataError(f: (t: Tensor, what: string) => Error): void { symbolicDataError = f; }

let nextTensorId = 1;

/** A multi-dimensional array on a device, with optional gradient tracking. */
export class Tensor {
  /** Dimensions, outermost first. */
  readonly shape: number[];
  /** Element type. */
  readonly dtype: DType;
  /** Where the data lives. */
  readonly device: Device;
  /** Unique id (for graph capture, profiling and debugging). */
  readonly id = nextTensorId++;
  /** @internal host data; null for symbolic tensors and tensors resident on a GPU. */
  _storage: Storage | null;
  /** @internal offset (in elements) of this view into its storage. */
  _offset: number;
  /** @internal set while this tensor is a value inside a traced graph. */
  _symbolic: SymbolicValue | null;
  /** @internal device-resident value (an onnxruntime tensor) for GPU devices. */
  _deviceValue: unknown = null;
  /** Whether operations on this tensor are recorded for automatic differentiation. */
  requiresGrad = false;
  /** Gradient accumulated by `backward()` (leaf tensors, or non-leaves after `retainGrad()`). */
  grad: Tensor | null = null;
  /** The autograd node that produced this tensor, or null for leaves. */
  gradFn: GradNode | null = null;
  /** @internal output index of this tensor in gradFn. */
  _outputIndex = 0;
  /** @internal whether backward() stores .grad on this non-leaf. */
  _retainsGrad = false;
  /** @internal hooks run on this tensor's gradient. */
  _hooks: ((g: Tensor) => Tensor | void)[] = [];
  /** @internal a Parameter's or buffer's name path, used by graph capture and display. */
  _name: string | null = null;

  /** @internal Use flow.tensor / flow.zeros / ... to create tensors. */
  constructor(shape: number[], dtype: DType, dev: Device, storage: Storage | null, offset = 0, symbolic: SymbolicValue | null = null) {
    this.shape = shape;
    this.dtype = dtype;
    this.device = dev;
    this._storage = storage;
    this._offset = offset;
    this._symbolic = symbolic;
    trackTensor(this);
  }

  /** @internal Wraps a typed array (taken, not copied) as a tensor. */
  static _fromArray(data: TypedArray, shape: number[], dtype: DType, dev: Device | string = "cpu"): Tensor {
    return new Tensor(shape, dtype, parseDevice(dev), { data, version: 0 });
  }

  /** Number of dimensions. */
  get ndim(): number { return this.shape.length; }
  /** Number of elements. */
  numel(): number { let n = 1; for (const d of this.shape) n *= d; return n; }
  /** Size of one dimension (negative counts from the end), or the whole shape. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (dim === undefined) return [...this.shape];
    return this.shape[normalizeDim(dim, this.ndim, "size")];
  }
  /** Dimension count, as `dim()` in PyTorch. */
  dim(): number { return this.ndim; }
  /** True when the tensor was created by the user (not by a recorded op). */
  get isLeaf(): boolean { return this.gradFn === null; }
  /** True for a tensor that stands for a traced graph value. */
  get isSymbolic(): boolean { return this._symbolic !== null; }

  /** @internal The host data of this tensor as a dense typed array of exactly numel() elements. */
  _host(what = "reading tensor data"): TypedArray {
    if (this._symbolic) throw symbolicDataError(this, what);
    if (!this._storage) this._storage = { data: hostFromDevice(this), version: 0 };
    const n = this.numel();
    const d = this._storage.data;
    if (this._offset === 0 && d.length === n) return d;
    return d.subarray(this._offset, this._offset + n) as TypedArray;
  }

  /** The data as a typed array (float16 as raw Uint16 bits, bool as 0/1 bytes, int64 as BigInt64Array). Shares memory for CPU tensors. */
  toTypedArray(): TypedArray { return this._host("toTypedArray()"); }

  /** The value of a one-element tensor as a JS number (or boolean for bool tensors). */
  item(): number {
    if (this.numel() !== 1) throw new RangeError(`a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    const v = readNumber(this.dtype, this._host("item()"), 0);
    return v;
  }

  /** Nested JS arrays of numbers (booleans for bool tensors), like PyTorch's `tolist()`. */
  tolist(): unknown {
    const data = this._host("tolist()");
    const read = (i: number): unknown => this.dtype === "bool" ? data[i] !== 0 : readNumber(this.dtype, data, i);
    const build = (dim: number, base: number): unknown => {
      if (dim === this.ndim) return read(base);
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, base + i * stride));
    };
    return build(0, 0);
  }

  /** @internal Writes `src`'s values into this tensor's storage (same numel), bumping its version. */
  _assignHost(src: TypedArray): void {
    const dst = this._host("in-place assignment");
    if (src.length !== dst.length) throw new RangeError(`in-place assignment: ${src.length} values into a tensor of ${dst.length}`);
    (dst as Float32Array).set(src as Float32Array);
    this._storage!.version++;
    this._deviceValue = null;
  }

  /** @internal Sets element i (flat index) from a JS value. */
  _setFlat(i: number, v: number | boolean | bigint): void {
    writeNumber(this.dtype, this._host("in-place assignment"), i, v);
  }

  /** PyTorch-style text form: `tensor([[1., 2.]], dtype=flow.float16)`. */
  toString(): string { return formatTensor(this); }

  /** Node's util.inspect uses the PyTorch-style text form. */
  [Symbol.for("nodejs.util.inspect.custom")](): string { return this.toString(); }
}

/** Host copy of a device-resident tensor; GPU backends install the real implementation. */
let hostFromDevice: (t: Tensor) => TypedArray = (t) => {
  if (t._deviceValue === null) return allocArray(t.dtype, t.numel());
  throw new Error(`no backend can copy a tensor from ${t.device.name} to the host`);
};
/** @internal Installs the device→host copy used when device-resident data is read. */
export function setHostFromDevice(f: (t: Tensor) => TypedArray): void { hostFromDevice = f; }

/** Normalises a possibly negative dimension index, with PyTorch's error when out of range. */
export function normalizeDim(dim: number, ndim: number, op = "dim"): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new RangeError(`${op}: Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + n : dim;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** Number of elements of a shape. */
export function numelOf(shape: readonly number[]): number { let n = 1; for (const d of shape) n *= d; return n; }
