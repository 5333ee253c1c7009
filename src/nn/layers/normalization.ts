/** BatchNorm1d/2d, LayerNorm, GroupNorm (torch/nn/modules/batchnorm.py, normalization.py). */
import { Tensor } from "../../tensor/tensor";
import { zeros, ones } from "../../tensor/creation";
import { noGrad } from "../../autograd/mode";
import { add_ } from "../../ops/inplace";
import { cast, reciprocal } from "../../ops/elementwise";
import { activeTracer } from "../../ops/dispatch";
import { Module } from "../module";
import { Parameter } from "../parameter";
import * as init from "../init";
import { pyFloat, pyRepr } from "../pyrepr";
import { FactoryOptions, layerArgs, newParameter } from "./common";
import * as F from "../functional";

/** Options of BatchNorm1d/2d. */
export interface BatchNormOptions extends FactoryOptions { eps?: number; momentum?: number | null; affine?: boolean; trackRunningStats?: boolean }

/**
 * Batch normalisation (shared by BatchNorm1d and BatchNorm2d). Parameters weight/bias [C] when affine;
 * buffers running_mean, running_var [C] and num_batches_tracked (int64 scalar) when tracking running stats.
 * `momentum: null` uses a cumulative moving average, as in PyTorch.
 */
export abstract class BatchNormBase extends Module<[Tensor], Tensor> {
  /** Number of channels C. */
  declare numFeatures: number;
  /** Added to the variance for numerical stability. */
  declare eps: number;
  /** Weight of the newest batch in the running statistics (null: cumulative average). */
  declare momentum: number | null;
  /** Whether the layer has learnable weight and bias. */
  declare affine: boolean;
  /** Whether running mean and variance are kept (and used in eval mode). */
  declare trackRunningStats: boolean;
  /** Learnable scale, or null when not affine. */
  declare weight: Parameter | null;
  /** Learnable shift, or null when not affine. */
  declare bias: Parameter | null;
  /** Running mean of each channel (a buffer; the stateDict key is PyTorch's). */
  declare running_mean: Tensor | null;
  /** Running variance of each channel (a buffer). */
  declare running_var: Tensor | null;
  /** Number of training batches seen (int64 buffer). */
  declare num_batches_tracked: Tensor | null;

  constructor(layer: string, numFeatures: number, rest: unknown[]) {
    super();
    const o = layerArgs<{ eps: number; momentum: number | null; affine: boolean; trackRunningStats: boolean }>(layer, rest, ["eps", "momentum", "affine", "trackRunningStats"], { eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true });
    Object.assign(this, { numFeatures, eps: o.eps, momentum: o.momentum, affine: o.affine, trackRunningStats: o.trackRunningStats });
    if (o.affine) { this.weight = newParameter([numFeatures], o); this.bias = newParameter([numFeatures], o); }
    else { this.registerParameter("weight", null); this.registerParameter("bias", null); }
    if (o.trackRunningStats) {
      const f = { dtype: o.dtype ?? "float32", device: o.device } as const;
      this.registerBuffer("running_mean", zeros([numFeatures], f));
      this.registerBuffer("running_var", ones([numFeatures], f));
      this.registerBuffer("num_batches_tracked", zeros([], { dtype: "int64", device: o.device }));
    } else {
      for (const b of ["running_mean", "running_var", "num_batches_tracked"]) this.registerBuffer(b, null);
    }
    this.resetParameters();
  }

  /** Zeroes running_mean and num_batches_tracked, sets running_var to ones. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    init.zeros_(this.running_mean!);
    init.ones_(this.running_var!);
    init.zeros_(this.num_batches_tracked!);
  }
  /** PyTorch's default initialisation: weight ones, bias zeros, fresh running stats. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.affine) { init.ones_(this.weight!); init.zeros_(this.bias!); }
  }

  /** Throws PyTorch's error for an input of the wrong rank. */
  protected abstract checkInputDim(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    let factor: number | Tensor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      const n = this.num_batches_tracked;
      noGrad(() => add_(n, 1));
      if (this.momentum === null) {
        // Cumulative moving average. Inside nn.Graph the factor 1/num_batches_tracked is computed in the graph
        // from the (fed, written-back) counter, so each step uses its own count.
        const dtype = this.running_mean?.dtype ?? "float32";
        factor = activeTracer() ? noGrad(() => reciprocal(cast(n, dtype))) : 1 / n.item();
      }
    }
    const bnTraining = this.training || (this.running_mean === null && this.running_var === null);
    const useStats = !this.training || this.trackRunningStats;
    return F.batchNorm(x, useStats ? this.running_mean : null, useStats ? this.running_var : null,
      { weight: this.weight, bias: this.bias, training: bnTraining, momentum: factor, eps: this.eps });
  }

  extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? "None" : pyFloat(this.momentum)}, affine=${pyRepr(this.affine)}, track_running_stats=${pyRepr(this.trackRunningStats)}`;
  }
}

/** Batch norm over a 2-D (N, C) or 3-D (N, C, L) input. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, eps?: number | BatchNormOptions, momentum?: number | null, affine?: boolean, trackRunningStats?: boolean, opts?: FactoryOptions);
  constructor(numFeatures: number, ...rest: unknown[]) { super("BatchNorm1d", numFeatures, rest); }
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`expected 2D or 3D input (got ${x.ndim}D input)`);
  }
}

/** Batch norm over a 4-D (N, C, H, W) input. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, eps?: number | BatchNormOptions, momentum?: number | null, affine?: boolean, trackRunningStats?: boolean, opts?: FactoryOptions);
  constructor(numFeatures: number, ...rest: unknown[]) { super("BatchNorm2d", numFeatures, rest); }
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 4) throw new RangeError(`expected 4D input (got ${x.ndim}D input)`);
  }
}

/** Options of LayerNorm. */
export interface LayerNormOptions extends FactoryOptions { eps?: number; elementwiseAffine?: boolean }

/** Layer normalisation over the trailing `normalizedShape` dims; weight/bias of that shape when elementwiseAffine. */
export class LayerNorm extends Module<[Tensor], Tensor> {
  /** Trailing dims normalised over. */
  declare normalizedShape: number[];
  /** Added to the variance for numerical stability. */
  declare eps: number;
  /** Whether weight and bias are learnable. */
  declare elementwiseAffine: boolean;
  /** Learnable scale, or null when not affine. */
  declare weight: Parameter | null;
  /** Learnable shift, or null when not affine. */
  declare bias: Parameter | null;

  constructor(normalizedShape: number | number[], eps?: number | LayerNormOptions, elementwiseAffine?: boolean, opts?: FactoryOptions);
  constructor(normalizedShape: number | number[], ...rest: unknown[]) {
    super();
    const o = layerArgs<{ eps: number; elementwiseAffine: boolean }>("LayerNorm", rest, ["eps", "elementwiseAffine"], { eps: 1e-5, elementwiseAffine: true });
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    this.eps = o.eps;
    this.elementwiseAffine = o.elementwiseAffine;
    if (o.elementwiseAffine) { this.weight = newParameter(this.normalizedShape, o); this.bias = newParameter(this.normalizedShape, o); }
    else { this.registerParameter("weight", null); this.registerParameter("bias", null); }
    this.resetParameters();
  }
  /** weight ones, bias zeros. */
  resetParameters(): void { if (this.weight) { init.ones_(this.weight); init.zeros_(this.bias!); } }
  forward(x: Tensor): Tensor { return F.layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps }); }
  extraRepr(): string { return `${pyRepr(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyRepr(this.elementwiseAffine)}`; }
}

/** Options of GroupNorm. */
export interface GroupNormOptions extends FactoryOptions { eps?: number; affine?: boolean }

/** Group normalisation: channels split into `numGroups` groups; weight/bias [numChannels] when affine. */
export class GroupNorm extends Module<[Tensor], Tensor> {
  /** Number of channel groups. */
  declare numGroups: number;
  /** Number of channels. */
  declare numChannels: number;
  /** Added to the variance for numerical stability. */
  declare eps: number;
  /** Whether the layer has learnable weight and bias. */
  declare affine: boolean;
  /** Learnable scale, or null when not affine. */
  declare weight: Parameter | null;
  /** Learnable shift, or null when not affine. */
  declare bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, eps?: number | GroupNormOptions, affine?: boolean, opts?: FactoryOptions);
  constructor(numGroups: number, numChannels: number, ...rest: unknown[]) {
    super();
    if (numChannels % numGroups !== 0) throw new Error("num_channels must be divisible by num_groups");
    const o = layerArgs<{ eps: number; affine: boolean }>("GroupNorm", rest, ["eps", "affine"], { eps: 1e-5, affine: true });
    Object.assign(this, { numGroups, numChannels, eps: o.eps, affine: o.affine });
    if (o.affine) { this.weight = newParameter([numChannels], o); this.bias = newParameter([numChannels], o); }
    else { this.registerParameter("weight", null); this.registerParameter("bias", null); }
    this.resetParameters();
  }
  /** weight ones, bias zeros. */
  resetParameters(): void { if (this.weight) { init.ones_(this.weight); init.zeros_(this.bias!); } }
  forward(x: Tensor): Tensor { return F.groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps }); }
  extraRepr(): string { return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyRepr(this.affine)}`; }
}
