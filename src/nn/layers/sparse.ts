/** Embedding (torch/nn/modules/sparse.py). */
import { Tensor } from "../../tensor/tensor";
import { allocArray } from "../../tensor/dtype";
import { Module } from "../module";
import { Parameter } from "../parameter";
import * as init from "../init";
import { pyFloat } from "../pyrepr";
import { FactoryOptions, layerArgs, newParameter } from "./common";
import { F } from "./functional";

/** Options of Embedding. */
export interface EmbeddingOptions extends FactoryOptions { paddingIdx?: number | null; maxNorm?: number | null; normType?: number; scaleGradByFreq?: boolean; sparse?: boolean }

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim` (weight initialised N(0, 1), the
 * paddingIdx row zero).
 * @example const emb = new nn.Embedding(10, 3, { paddingIdx: 0 })
 */
export class Embedding extends Module<[Tensor], Tensor> {
  declare numEmbeddings: number;
  declare embeddingDim: number;
  declare paddingIdx: number | null;
  declare maxNorm: number | null;
  declare normType: number;
  declare scaleGradByFreq: boolean;
  declare sparse: boolean;
  declare weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, paddingIdx?: number | null | EmbeddingOptions, maxNorm?: number | null, normType?: number, scaleGradByFreq?: boolean, sparse?: boolean, opts?: FactoryOptions);
  constructor(numEmbeddings: number, embeddingDim: number, ...rest: unknown[]) {
    super();
    const o = layerArgs<{ paddingIdx: number | null; maxNorm: number | null; normType: number; scaleGradByFreq: boolean; sparse: boolean }>("Embedding", rest,
      ["paddingIdx", "maxNorm", "normType", "scaleGradByFreq", "sparse"], { paddingIdx: null, maxNorm: null, normType: 2, scaleGradByFreq: false, sparse: false });
    let pad = o.paddingIdx;
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
    return F.embedding(x, this.weight, { paddingIdx: this.paddingIdx, maxNorm: this.maxNorm, normType: this.normType, scaleGradByFreq: this.scaleGradByFreq, sparse: this.sparse });
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
