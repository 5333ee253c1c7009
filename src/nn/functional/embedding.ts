/** embedding (a gather of weight rows, built on the private take ops) and oneHot (a comparison with 0..C-1). */
import { Tensor } from "../../tensor/tensor";
import { parseArgs } from "../../ops/args";
import { TensorOrScalar, cast, eq, where } from "../../ops/elementwise";
import { reshape } from "../../ops/shape";
import { indexTensor, take } from "./take";

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

/** @internal Reads an index tensor's values on the host (null while nn.Graph traces symbolic values). */
export function hostIndices(t: Tensor): number[] | null {
  if (t.isSymbolic) return null;
  return Array.from(t.toTypedArray() as ArrayLike<number | bigint>, Number);
}

/** @internal Checks that `t` holds integer indices (int64 or int32) and returns it as int64. */
export function asIndex(fn: string, t: Tensor, what = "indices"): Tensor {
  if (t.dtype !== "int64" && t.dtype !== "int32") throw new TypeError(`${fn}: Expected tensor for argument '${what}' to have one of the following scalar types: int64, int32; but got ${t.dtype} instead`);
  return cast(t, "int64");
}

// a != b as not(a == b) (the math family's ne may not be registered yet).
const ne = (a: Tensor, b: TensorOrScalar) => eq(eq(a, b), false);

type EmbeddingOpts = { paddingIdx: number | null };

/**
 * Looks up rows of `weight` ([numEmbeddings, dim]) at integer `input` positions: result shape
 * input.shape + [dim]. Rows at `paddingIdx` receive no gradient, as in PyTorch.
 * @example F.embedding(tokens, table, { paddingIdx: 0 })
 */
export function embedding(input: Tensor, weight: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<EmbeddingOpts>("embedding", args, ["paddingIdx"], { paddingIdx: null });
  if (weight.ndim !== 2) throw new RangeError(`embedding: 'weight' must be 2-D, got ${fmt(weight.shape)}`);
  const idx = asIndex("embedding", input);
  const n = weight.shape[0];
  const vals = hostIndices(idx);
  if (vals && vals.some((v) => v < 0 || v >= n)) throw new RangeError(`embedding: index out of range in self (index ${vals.find((v) => v < 0 || v >= n)} for a table of ${n} rows)`);
  let pad = a.paddingIdx;
  if (pad !== null) {
    if (pad >= n || pad < -n) throw new RangeError(`embedding: Padding_idx must be within num_embeddings (got ${pad} for ${n} rows)`);
    if (pad < 0) pad += n;
  }
  const out = take(weight, idx, 0);
  if (pad === null || !weight.requiresGrad) return out;
  // Same values; the rows read at paddingIdx come from a detached weight so they send back no gradient.
  const keep = reshape(ne(idx, indexTensor([pad], idx, [])), [...idx.shape, 1]);
  return where(keep, out, take(weight.detach(), idx, 0));
}

/**
 * One-hot encoding of an int64 tensor: shape input.shape + [numClasses], int64 (numClasses -1 = max + 1).
 * @example F.oneHot(labels, 10)
 */
export function oneHot(input: Tensor, numClasses = -1): Tensor {
  if (input.dtype !== "int64") throw new TypeError(`one_hot is only applicable to index tensor (int64), got ${input.dtype}`);
  const vals = hostIndices(input);
  if (vals) {
    if (vals.some((v) => v < 0)) throw new RangeError("one_hot: Class values must be non-negative.");
    if (numClasses === -1) {
      if (!vals.length) throw new RangeError("one_hot: Can not infer total number of classes from empty tensor.");
      numClasses = Math.max(...vals) + 1;
    } else if (vals.some((v) => v >= numClasses)) throw new RangeError("one_hot: Class values must be smaller than num_classes.");
  } else if (numClasses === -1) throw new TypeError("one_hot: numClasses must be given while nn.Graph traces");
  const classes = indexTensor(Array.from({ length: numClasses }, (_, i) => i), input);
  return cast(eq(reshape(input, [...input.shape, 1]), classes), "int64");
}
