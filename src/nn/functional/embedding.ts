/** embedding (a gather of weight rows, built on the private take ops) and oneHot (a comparison with 0..C-1). */
import { Tensor } from "../../tensor/tensor";
import { parseArgs } from "../../ops/args";
import { TensorOrScalar, cast, eq, where } from "../../ops/elementwise";
import { reshape } from "../../ops/shape";
import { asIndex } from "../../ops/indexing";
import { noGrad } from "../../autograd/mode";
import { indexTensor, take } from "./take";

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

/** @internal Reads an index tensor's values on the host (null while nn.Graph traces symbolic values). */
export function hostIndices(t: Tensor): number[] | null {
  if (t.isSymbolic) return null;
  return Array.from(t.toTypedArray() as ArrayLike<number | bigint>, Number);
}


// a != b as not(a == b) (the math family's ne may not be registered yet).
const ne = (a: Tensor, b: TensorOrScalar) => eq(eq(a, b), false);

type EmbeddingOpts = { paddingIdx: number | null; maxNorm: number | null; normType: number; scaleGradByFreq: boolean; sparse: boolean };
/** @internal embedding's optional parameters in PyTorch's order. */
export const EMBEDDING_NAMES = ["paddingIdx", "maxNorm", "normType", "scaleGradByFreq", "sparse"] as const;

/**
 * Looks up rows of `weight` ([numEmbeddings, dim]) at integer `input` positions: result shape
 * input.shape + [dim]. Options in PyTorch's order: paddingIdx (rows there receive no gradient), maxNorm
 * (referenced rows with a larger normType-norm are rescaled in place to maxNorm first, as PyTorch does),
 * normType (2), scaleGradByFreq (not supported: throws when true), sparse (accepted; gradients are dense).
 * `input` may be any integer tensor, or a float tensor of integral values (JS numbers make
 * `flow.tensor([1, 2])` float32; see flow.gather).
 * @example F.embedding(tokens, table, { paddingIdx: 0 })
 */
export function embedding(input: Tensor, weight: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<EmbeddingOpts>("embedding", args, EMBEDDING_NAMES, { paddingIdx: null, maxNorm: null, normType: 2, scaleGradByFreq: false, sparse: false });
  if (weight.ndim !== 2) throw new RangeError(`embedding: 'weight' must be 2-D, got ${fmt(weight.shape)}`);
  if (a.scaleGradByFreq) throw new RangeError("embedding: scaleGradByFreq is not supported by flowbook");
  const idx = asIndex("embedding", "indices", input);
  const n = weight.shape[0];
  const vals = hostIndices(idx);
  if (vals && vals.some((v) => v < 0 || v >= n)) throw new RangeError(`embedding: index out of range in self (index ${vals.find((v) => v < 0 || v >= n)} for a table of ${n} rows)`);
  let pad = a.paddingIdx;
  if (pad !== null) {
    if (pad >= n || pad < -n) throw new RangeError(`embedding: Padding_idx must be within num_embeddings (got ${pad} for ${n} rows)`);
    if (pad < 0) pad += n;
  }
  if (a.maxNorm !== null && vals && vals.length) renormRows(weight, [...new Set(vals)], a.maxNorm, a.normType);
  const out = take(weight, idx, 0);
  if (pad === null || !weight.requiresGrad) return out;
  // Same values; the rows read at paddingIdx come from a detached weight so they send back no gradient.
  const keep = reshape(ne(idx, indexTensor([pad], idx, [])), [...idx.shape, 1]);
  return where(keep, out, take(weight.detach(), idx, 0));
}

// PyTorch's embedding_renorm_: rows whose norm exceeds maxNorm are scaled to maxNorm / (norm + 1e-7), in place.
function renormRows(weight: Tensor, rows: number[], maxNorm: number, normType: number): void {
  noGrad(() => {
    const idx = indexTensor(rows, weight, [rows.length]);
    const sel = weight.indexSelect(0, idx);
    const norms = sel.norm(normType, 1, true);
    const scale = where(norms.gt(maxNorm), norms.add(1e-7).reciprocal().mul(maxNorm), 1);
    weight.indexPut_([idx], sel.mul(scale));
  });
}

/**
 * One-hot encoding of an index tensor: shape input.shape + [numClasses], int64 (numClasses -1 = max + 1).
 * A float tensor of integral values is accepted as indices (see flow.gather).
 * @example F.oneHot(labels, 10); F.oneHot(labels, { numClasses: 10 })
 */
export function oneHot(input: Tensor, ...args: [numClasses?: number] | [{ numClasses?: number }]): Tensor {
  let { numClasses } = parseArgs<{ numClasses: number }>("one_hot", args, ["numClasses"], { numClasses: -1 });
  input = asIndex("one_hot", "input", input);
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
