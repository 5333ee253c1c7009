/**
 * Loss modules (torch/nn/modules/loss.py): CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, BCEWithLogitsLoss.
 * Constructor arguments in PyTorch's order (including the deprecated sizeAverage/reduce, mapped to
 * `reduction` as PyTorch does) or as one options object. Class weights are buffers, as in PyTorch.
 */
import { Tensor } from "../../tensor/tensor";
import { parseArgs } from "../../ops/args";
import { Module } from "../module";
import * as F from "../functional";
import type { Reduction } from "../functional";

/** PyTorch's _Reduction.legacy_get_string: the reduction implied by the deprecated sizeAverage/reduce flags. */
function reductionOf(o: { sizeAverage?: boolean | null; reduce?: boolean | null; reduction: Reduction }): Reduction {
  if (o.sizeAverage == null && o.reduce == null) return o.reduction;
  const sizeAverage = o.sizeAverage ?? true, reduce = o.reduce ?? true;
  return sizeAverage && reduce ? "mean" : reduce ? "sum" : "none";
}
function checkReduction(r: string): Reduction {
  if (r !== "none" && r !== "mean" && r !== "sum") throw new Error(`${r} is not a valid value for reduction`);
  return r;
}

/** Base of the losses: holds `reduction`. */
export abstract class Loss extends Module<[Tensor, Tensor], Tensor> {
  /** 'none', 'mean' or 'sum'. */
  declare reduction: Reduction;
}

/** Options of CrossEntropyLoss. */
export interface CrossEntropyLossOptions { weight?: Tensor | null; sizeAverage?: boolean | null; ignoreIndex?: number; reduce?: boolean | null; reduction?: Reduction; labelSmoothing?: number }

/**
 * Cross entropy between logits (N, C, ...) and class indices (N, ...) or class probabilities.
 * @example const loss = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 })(logits, labels)
 */
export class CrossEntropyLoss extends Loss {
  /** Per-class weights (a buffer), or null. */
  declare weight: Tensor | null;
  /** Target value that is ignored. */
  declare ignoreIndex: number;
  /** Amount of label smoothing in [0, 1]. */
  declare labelSmoothing: number;
  constructor(weight?: Tensor | null | CrossEntropyLossOptions, sizeAverage?: boolean | null, ignoreIndex?: number, reduce?: boolean | null, reduction?: Reduction, labelSmoothing?: number);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs<Required<CrossEntropyLossOptions>>("CrossEntropyLoss", args, ["weight", "sizeAverage", "ignoreIndex", "reduce", "reduction", "labelSmoothing"], { weight: null, ignoreIndex: -100, reduction: "mean", labelSmoothing: 0 });
    this.reduction = checkReduction(reductionOf(o));
    this.registerBuffer("weight", o.weight);
    this.ignoreIndex = o.ignoreIndex;
    this.labelSmoothing = o.labelSmoothing;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

/** Options of NLLLoss. */
export interface NLLLossOptions { weight?: Tensor | null; sizeAverage?: boolean | null; ignoreIndex?: number; reduce?: boolean | null; reduction?: Reduction }

/** Negative log likelihood of log-probabilities (N, C, ...) at class indices (N, ...). */
export class NLLLoss extends Loss {
  /** Per-class weights (a buffer), or null. */
  declare weight: Tensor | null;
  /** Target value that is ignored. */
  declare ignoreIndex: number;
  constructor(weight?: Tensor | null | NLLLossOptions, sizeAverage?: boolean | null, ignoreIndex?: number, reduce?: boolean | null, reduction?: Reduction);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs<Required<NLLLossOptions>>("NLLLoss", args, ["weight", "sizeAverage", "ignoreIndex", "reduce", "reduction"], { weight: null, ignoreIndex: -100, reduction: "mean" });
    this.reduction = checkReduction(reductionOf(o));
    this.registerBuffer("weight", o.weight);
    this.ignoreIndex = o.ignoreIndex;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** Options of MSELoss and L1Loss. */
export interface PointwiseLossOptions { sizeAverage?: boolean | null; reduce?: boolean | null; reduction?: Reduction }

/** Mean squared error. */
export class MSELoss extends Loss {
  constructor(sizeAverage?: boolean | null | PointwiseLossOptions, reduce?: boolean | null, reduction?: Reduction);
  constructor(...args: unknown[]) {
    super();
    this.reduction = checkReduction(reductionOf(parseArgs<Required<PointwiseLossOptions>>("MSELoss", args, ["sizeAverage", "reduce", "reduction"], { reduction: "mean" })));
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.mseLoss(input, target, { reduction: this.reduction }); }
}

/** Mean absolute error. */
export class L1Loss extends Loss {
  constructor(sizeAverage?: boolean | null | PointwiseLossOptions, reduce?: boolean | null, reduction?: Reduction);
  constructor(...args: unknown[]) {
    super();
    this.reduction = checkReduction(reductionOf(parseArgs<Required<PointwiseLossOptions>>("L1Loss", args, ["sizeAverage", "reduce", "reduction"], { reduction: "mean" })));
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.l1Loss(input, target, { reduction: this.reduction }); }
}

/** Options of BCEWithLogitsLoss. */
export interface BCEWithLogitsLossOptions { weight?: Tensor | null; sizeAverage?: boolean | null; reduce?: boolean | null; reduction?: Reduction; posWeight?: Tensor | null }

/** Binary cross entropy on logits (a sigmoid and BCE in one numerically stable step); weight and pos_weight are buffers. */
export class BCEWithLogitsLoss extends Loss {
  /** Per-class weights (a buffer), or null. */
  declare weight: Tensor | null;
  /** Weight of positive examples per class (a buffer), or null. */
  declare pos_weight: Tensor | null;
  constructor(weight?: Tensor | null | BCEWithLogitsLossOptions, sizeAverage?: boolean | null, reduce?: boolean | null, reduction?: Reduction, posWeight?: Tensor | null);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs<Required<BCEWithLogitsLossOptions>>("BCEWithLogitsLoss", args, ["weight", "sizeAverage", "reduce", "reduction", "posWeight"], { weight: null, reduction: "mean", posWeight: null });
    this.reduction = checkReduction(reductionOf(o));
    this.registerBuffer("weight", o.weight);
    this.registerBuffer("pos_weight", o.posWeight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, reduction: this.reduction, posWeight: this.pos_weight });
  }
}
