/**
 * Two private primitives that several nn functions are built from, each the other's gradient:
 *   _nnTake(x, idx, axis)            = ONNX Gather: x[..., idx, ...] along `axis` (idx any shape, int64)
 *   _nnTakeGrad(g, idx, axis, size)  = ONNX ScatterElements(reduction="add") of g into zeros: the adjoint
 * embedding, reflect/replicate padding and max-pool gradients are written with them. (Public gather/scatter/
 * indexSelect belong to the shape family; these carry distinct names so the two never clash.)
 */
import { Tensor } from "../../tensor/tensor";
import { defineOp } from "../../ops/registry";
import { bind1 } from "../../ops/dispatch";
import { str, int } from "../../onnx/proto";
import { allocArray, writeNumber } from "../../tensor/dtype";

interface TakeAttrs { axis: number }
interface TakeGradAttrs { axis: number; size: number }

defineOp<TakeAttrs>({
  name: "_nnTake",
  infer: ([x, idx], { axis }) => {
    if (idx.dtype !== "int64") throw new TypeError(`_nnTake: indices must be int64, got ${idx.dtype}`);
    return [{ shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)], dtype: x.dtype }];
  },
  lower: (b, [x, idx], { axis }) => [b.op("Gather", [x, idx], { axis: int(axis) })],
  vjp: ({ grads: [g], inputs: [x, idx], attrs: { axis } }) => [takeGrad(g!, idx, axis, x.shape[axis]), null],
});

defineOp<TakeGradAttrs>({
  name: "_nnTakeGrad",
  infer: ([g, idx], { axis, size }) => [{ shape: [...g.shape.slice(0, axis), size, ...g.shape.slice(axis + idx.shape.length)], dtype: g.dtype }],
  lower: (b, [g, idx], { axis }, [gm, im], [om]) => {
    const k = im.shape.reduce((p, q) => p * q, 1);
    const flat = [...gm.shape.slice(0, axis), k, ...gm.shape.slice(axis + im.shape.length)];
    const gR = b.op("Reshape", [g, b.int64s(flat)]);
    const idxShape = flat.map((_, i) => (i === axis ? k : 1));
    const idxE = b.op("Expand", [b.op("Reshape", [idx, b.int64s(idxShape)]), b.int64s(flat)]);
    const zeros = b.op("Expand", [b.scalar(gm.dtype, 0), b.int64s([...om.shape])]);
    return [b.op("ScatterElements", [zeros, idxE, gR], { axis: int(axis), reduction: str("add") })];
  },
  vjp: ({ grads: [g], inputs: [, idx], attrs: { axis } }) => [take(g!, idx, axis), null],
});

/** @internal x gathered along `axis` at int64 `idx` (result shape x[:axis] + idx.shape + x[axis+1:]). */
export function take(x: Tensor, idx: Tensor, axis: number): Tensor {
  return bind1("_nnTake", [x, idx], { axis });
}

/** @internal Adjoint of take: sums `g` into a zero tensor whose `axis` has `size` entries. */
export function takeGrad(g: Tensor, idx: Tensor, axis: number, size: number): Tensor {
  return bind1("_nnTakeGrad", [g, idx], { axis, size });
}

/** @internal An int64 index tensor from JS numbers, on `like`'s device. */
export function indexTensor(values: ArrayLike<number>, like: Tensor, shape: number[] = [values.length]): Tensor {
  const arr = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) arr[i] = BigInt(values[i]);
  return Tensor._fromArray(arr, shape, "int64", like.device);
}

/** @internal A float constant tensor of `like`'s dtype and device. */
export function constTensor(values: ArrayLike<number>, shape: number[], like: Tensor): Tensor {
  const arr = allocArray(like.dtype, values.length);
  for (let i = 0; i < values.length; i++) writeNumber(like.dtype, arr, i, values[i]);
  return Tensor._fromArray(arr, shape, like.dtype, like.device);
}
