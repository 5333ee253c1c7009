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
  const out = allocArray(t0.dtype, n * ts.length) as Float32Array;
  ts.forEach((t, i) => out.set(t.toTypedArray() as Float32Array, i * n));
  return Tensor._fromArray(out, [ts.length, ...t0.shape], t0.dtype);
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
