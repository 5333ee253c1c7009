/** NumPy/PyTorch broadcasting: the shape rule and a host loop for elementwise kernels. */
import type { TypedArray } from "../tensor/dtype";

/** The broadcast shape of `a` and `b`, or PyTorch's error naming the mismatched dimension. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` aligned to `outShape`, with 0 on broadcast dimensions. */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const s = new Array<number>(outShape.length).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = i + outShape.length - shape.length;
    s[o] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i];
  }
  return s;
}

/** Calls `f(ia, ib, io)` for every output element with the input element indices it reads. */
export function forEachBroadcast(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[], f: (ia: number, ib: number, io: number) => void): void {
  const n = outShape.reduce((x, y) => x * y, 1);
  const sa = broadcastStrides(aShape, outShape), sb = broadcastStrides(bShape, outShape);
  const nd = outShape.length;
  const idx = new Array<number>(nd).fill(0);
  let ia = 0, ib = 0;
  for (let io = 0; io < n; io++) {
    f(ia, ib, io);
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) { ia += sa[d]; ib += sb[d]; break; }
      ia -= sa[d] * (outShape[d] - 1); ib -= sb[d] * (outShape[d] - 1); idx[d] = 0;
    }
  }
}

/** Elementwise binary kernel with broadcasting and fast paths for equal shapes and scalars. */
export function binaryKernel(a: TypedArray, aShape: readonly number[], b: TypedArray, bShape: readonly number[], out: TypedArray, outShape: readonly number[], f: (x: number, y: number) => number): void {
  const A = a as Float64Array, B = b as Float64Array, O = out as Float64Array;
  const n = O.length;
  if (A.length === n && B.length === n) for (let i = 0; i < n; i++) O[i] = f(A[i], B[i]);
  else if (B.length === 1 && A.length === n) { const y = B[0]; for (let i = 0; i < n; i++) O[i] = f(A[i], y); }
  else if (A.length === 1 && B.length === n) { const x = A[0]; for (let i = 0; i < n; i++) O[i] = f(x, B[i]); }
  else forEachBroadcast(aShape, bShape, outShape, (ia, ib, io) => { O[io] = f(A[ia], B[ib]); });
}
