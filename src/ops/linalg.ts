/** Matrix products. `matmul` follows numpy/PyTorch semantics (1-D promotion, batch broadcasting). */
import { Tensor } from "../tensor/tensor";
import { defineOp } from "./registry";
import { bind1 } from "./dispatch";
import { broadcastShapes } from "./broadcast";
import { addTensorMethods } from "./methods";
import { reshape, transpose } from "./shape";
import { promoteOperands } from "./elementwise";

defineOp<{}>({
  name: "matmul",
  infer: ([a, b]) => {
    if (a.dtype !== b.dtype) throw new TypeError(`expected m1 and m2 to have the same dtype, but got: ${a.dtype} != ${b.dtype}`);
    if (a.shape.length === 0 || b.shape.length === 0) throw new RangeError("both arguments to matmul need to be at least 1D, but they are " + `${a.shape.length}D and ${b.shape.length}D`);
    const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
    const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
    const [m, k] = as.slice(-2), [k2, n] = bs.slice(-2);
    if (k !== k2) {
      const show = (s: readonly number[]) => (s.length === 2 ? `${s[0]}x${s[1]}` : `[${s.join(", ")}]`);
      throw new RangeError(a.shape.length <= 2 && b.shape.length <= 2
        ? `mat1 and mat2 shapes cannot be multiplied (${show(as)} and ${show(bs)})`
        : `matmul: inner dimensions differ: ${show(a.shape)} @ ${show(b.shape)} (${k} != ${k2})`);
    }
    const batch = broadcastShapes("matmul", as.slice(0, -2), bs.slice(0, -2));
    const shape = [...batch, ...(a.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])];
    return [{ shape, dtype: a.dtype }];
  },
  lower: (b, [x, y]) => [b.op("MatMul", [x, y])],
  vjp: ({ grads: [g], inputs: [a, b] }) => {
    // Work in ≥2-D form, then reshape back; the engine sums broadcast batch dims.
    const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
    const b2 = b.ndim === 1 ? reshape(b, [b.shape[0], 1]) : b;
    const gShape = [...g!.shape.slice(0, g!.ndim - (a.ndim === 1 ? 0 : 1) - (b.ndim === 1 ? 0 : 1))];
    const g2 = reshape(g!, [...gShape, a2.shape[a2.ndim - 2], b2.shape[b2.ndim - 1]]);
    let ga = matmul(g2, transpose(b2, -1, -2));
    let gb = matmul(transpose(a2, -1, -2), g2);
    if (a.ndim === 1) ga = reshape(ga, [...ga.shape.slice(0, -2), a.shape[0]]);
    if (b.ndim === 1) gb = reshape(gb, [...gb.shape.slice(0, -2), b.shape[0]]);
    return [ga, gb];
  },
});

/** Matrix product with broadcasting: `a.matmul(b)`. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return bind1("matmul", promoteOperands("matmul", a, b));
}

declare module "../tensor/tensor" {
  interface Tensor {
    /** Matrix product. */
    matmul(other: Tensor): Tensor;
  }
}
addTensorMethods({ matmul(o: Tensor) { return matmul(this, o); } });
