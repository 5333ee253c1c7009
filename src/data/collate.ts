/**
 * Batching (torch.utils.data.default_collate) and moving batches between threads (tensors become
 * {dtype, shape, data} records whose buffers are transferred, not copied).
 */
import { Tensor } from "../tensor/tensor";
import { allocArray } from "../tensor/dtype";

/** Stacks tensors, turns numbers into an int64 (all integers) or float64 tensor, and recurses into arrays and records. */
export function defaultCollate(batch: unknown[]): unknown {
  if (!batch.length) throw new RangeError("default_collate: empty batch");
  const first = batch[0];
  if (first instanceof Tensor) return stack(batch as Tensor[]);
  if (typeof first === "number") {
    const nums = batch as number[];
    const ints = nums.every(Number.isInteger);
    return Tensor._fromArray(ints ? BigInt64Array.from(nums, BigInt) : Float64Array.from(nums), [nums.length], ints ? "int64" : "float64");
  }
  if (typeof first === "bigint") return Tensor._fromArray(BigInt64Array.from(batch as bigint[]), [batch.length], "int64");
  if (typeof first === "boolean") return Tensor._fromArray(Uint8Array.from(batch as boolean[], Number), [batch.length], "bool");
  if (typeof first === "string") return batch;
  if (Array.isArray(first)) {
    if (batch.some((b) => !Array.isArray(b) || b.length !== first.length)) throw new RangeError("default_collate: each element in list of batch should be of equal size");
    return first.map((_, k) => defaultCollate(batch.map((b) => (b as unknown[])[k])));
  }
  if (first !== null && typeof first === "object" && Object.getPrototypeOf(first) === Object.prototype) {
    return Object.fromEntries(Object.keys(first).map((k) => [k, defaultCollate(batch.map((b) => (b as Record<string, unknown>)[k]))]));
  }
  const kind = first === null ? "null" : (first as object).constructor?.name ?? typeof first;
  throw new TypeError(`default_collate: batch must contain tensors, numbers, strings, dicts or lists; found ${kind}${kind === "RawImage" ? " (add ToTensor() to the transform)" : ""}`);
}

function stack(ts: Tensor[]): Tensor {
  const t0 = ts[0], n = t0.numel();
  ts.forEach((t, i) => {
    if (t.shape.join() !== t0.shape.join() || t.dtype !== t0.dtype) {
      throw new RangeError(`stack expects each tensor to be equal size, but got [${t0.shape.join(", ")}] ${t0.dtype} at entry 0 and [${t.shape.join(", ")}] ${t.dtype} at entry ${i}`);
    }
  });
  const whole = filledArena(ts, n);
  if (whole) return Tensor._fromArray(whole, [ts.length, ...t0.shape], t0.dtype);
  const out = allocArray(t0.dtype, n * ts.length) as Float32Array;
  ts.forEach((t, i) => out.set(t.toTypedArray() as Float32Array, i * n));
  return Tensor._fromArray(out, [ts.length, ...t0.shape], t0.dtype);
}

/**
 * One batch's float32 buffer, handed out slot by slot (sample k of the batch gets elements [k*n, (k+1)*n)) to
 * transforms that can write their output in place (see Generator.sink). When every sample of the batch wrote its
 * tensor into its own slot, in order, stacking them is the whole buffer: no copy.
 */
export class BatchArena {
  private buf: Float32Array | null = null;
  private n = 0;
  private readonly taken: Uint8Array;
  constructor(readonly size: number) { this.taken = new Uint8Array(size); }
  /** The sink of sample k: its slot, once (a second tensor of the same sample gets null: a fresh array). */
  sinkFor(k: number): { take(numel: number): Float32Array | null } {
    return { take: (numel: number) => {
      if (this.taken[k] || numel <= 0) return null;
      if (!this.buf) { this.buf = new Float32Array(numel * this.size); this.n = numel; }
      if (numel !== this.n) return null;
      this.taken[k] = 1;
      return this.buf.subarray(k * numel, (k + 1) * numel);
    } };
  }
}

// The buffer that ts[0..] fill in order, slot by slot and whole, or null (then stack copies).
function filledArena(ts: Tensor[], n: number): Float32Array | null {
  if (ts[0].dtype !== "float32") return null;
  const d0 = ts[0].toTypedArray() as Float32Array, buf = d0.buffer;
  if (d0.byteOffset !== 0 || buf.byteLength !== n * ts.length * 4 || !(buf instanceof ArrayBuffer)) return null;
  for (let i = 0; i < ts.length; i++) {
    const d = ts[i].toTypedArray();
    if (d.buffer !== buf || d.byteOffset !== i * n * 4 || d.length !== n) return null;
  }
  return new Float32Array(buf);
}

const TENSOR = "__flowbook_tensor__";
/** Replaces tensors by transferable records; returns the buffers to transfer. */
export function pack(v: unknown, transfer: Set<ArrayBuffer> = new Set()): { value: unknown; transfer: ArrayBuffer[] } {
  const walk = (x: unknown): unknown => {
    if (x instanceof Tensor) {
      const data = x.toTypedArray();
      // Transfer only a buffer the array owns whole (not a Node Buffer pool slice, not shared with a view).
      if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) transfer.add(data.buffer);
      return { [TENSOR]: true, dtype: x.dtype, shape: x.shape, data };
    }
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return { value: walk(v), transfer: [...transfer] };
}

/** Inverse of pack. */
export function unpack(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unpack);
  if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v)) {
    const o = v as Record<string, unknown>;
    if (o[TENSOR]) return Tensor._fromArray(o.data as never, o.shape as number[], o.dtype as never);
    return Object.fromEntries(Object.entries(o).map(([k, y]) => [k, unpack(y)]));
  }
  return v;
}
