/** Embedding (torch/nn/modules/sparse.py). */
import { Tensor } from "../../tensor/tensor";
import { allocArray } from "../../tensor/dtype";
import { cast } from "../../ops/elementwise";
import { Module } from "../module";
import { Parameter } from "../parameter";
import * as init from "../init";
import { pyFloat } from "../pyrepr";
import { FactoryOptions, layerArgs, newParameter } from "./common";
import * as F from "../functional";

/** Options of Embedding. */
export interface EmbeddingOptions extends FactoryOptions { paddingIdx?: number | null; maxNorm?: number | null; normType?: number; scaleGradByFreq?: boolean; sparse?: boolean }

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim` (weight initialised N(0, 1), the
 * paddingIdx row zero). With `maxNorm`, looked-up rows whose `normType`-norm exceeds it are rescaled in
 * place first, as PyTorch's embedding_renorm_. `sparse` gradients are dense in flowbook (same values).
 * @example const emb = new nn.Embedding(10, 3, { paddingIdx: 0 })
 */
export class Embedding extends Module<[Tensor], Tensor> {
  /** Size of the dictionary. */
  declare numEmbeddings: number;
  /** Size of each embedding vector. */
  declare embeddingDim: number;
  /** Row that gets no gradient and starts at zero, or null. */
  declare paddingIdx: number | null;
  /** Rows looked up are renormalised to at most this norm, or null. */
  declare maxNorm: number | null;
  /** The p of the norm used with maxNorm. */
  declare normType: number;
  /** PyTorch's scale_grad_by_freq (must be false). */
  declare scaleGradByFreq: boolean;
  /** PyTorch's sparse flag (gradients are dense in flowbook). */
  declare sparse: boolean;
  /** The embedding table [numEmbeddings, embeddingDim]. */
  declare weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, paddingIdx?: number | null | EmbeddingOptions, maxNorm?: number | null, normType?: number, scaleGradByFreq?: boolean, sparse?: boolean, opts?: FactoryOptions);
  constructor(numEmbeddings: number, embeddingDim: number, ...rest: unknown[]) {
    super();
    const o = layerArgs<{ paddingIdx: number | null; maxNorm: number | null; normType: number; scaleGradByFreq: boolean; sparse: boolean }>("Embedding", rest,
      ["paddingIdx", "maxNorm", "normType", "scaleGradByFreq", "sparse"], { paddingIdx: null, maxNorm: null, normType: 2, scaleGradByFreq: false, sparse: false });
    let pad = o.paddingIdx;
    if (o.scaleGradByFreq) throw new Error("Embedding: scaleGradByFreq is not supported by flowbook; use scaleGradByFreq: false");
    if (pad !== null) {
      if (pad >= numEmbeddings || pad < -numEmbeddings) throw new RangeError("Padding_idx must be within num_embeddings");
      if (pad < 0) pad += numEmbeddings;
    }
    Object.assign(this, { numEmbeddings, embeddingDim, paddingIdx: pad, maxNorm: o.maxNorm, normType: o.normType, scaleGradByFreq: o.scaleGradByFreq, sparse: o.sparse });
    this.weight = newParameter([numEmbeddings, embeddingDim], o);
    this.resetParameters();
  }

  /** N(0, 1), then zeros in the padding row. */
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) {
      const data = this.weight.toTypedArray();
      const row = allocArray(this.weight.dtype, this.embeddingDim);
      const copy = data.slice();
      (copy as Float32Array).set(row as Float32Array, this.paddingIdx * this.embeddingDim);
      this.weight._assignHost(copy);
    }
  }

  forward(x: Tensor): Tensor {
    if (this.maxNorm !== null) this.renorm(x);
    return F.embedding(x, this.weight, { paddingIdx: this.paddingIdx });
  }

  /** PyTorch's embedding_renorm_: rows looked up by `x` with norm > maxNorm are scaled to maxNorm/(norm + 1e-7), in place. */
  private renorm(x: Tensor): void {
    const w = cast(this.weight.detach(), "float64").toTypedArray().slice() as Float64Array;
    const d = this.embeddingDim, p = this.normType, max = this.maxNorm!;
    let changed = false;
    for (const i of new Set(Array.from(x.toTypedArray() as ArrayLike<number | bigint>, Number))) {
      const row = w.subarray(i * d, (i + 1) * d);
      const norm = p === Infinity ? Math.max(...row.map(Math.abs)) : row.reduce((a, v) => a + Math.abs(v) ** p, 0) ** (1 / p);
      if (norm > max) { const s = max / (norm + 1e-7); row.forEach((v, k) => { row[k] = v * s; }); changed = true; }
    }
    if (changed) this.weight._assignHost(cast(Tensor._fromArray(w, this.weight.shape, "float64"), this.weight.dtype).toTypedArray());
  }

  extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += ", scale_grad_by_freq=True";
    if (this.sparse) s += ", sparse=True";
    return s;
  }
}
