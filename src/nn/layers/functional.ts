/**
 * The flow.nn.functional calls the layers make, with the signatures the layers rely on (PyTorch's F
 * signatures in camelCase: required arguments positionally, optional ones in a trailing options object).
 * src/nn/functional is written on another branch; until it is merged this file gives the layers a typed
 * view of it, and afterwards it is replaced by a plain re-export.
 */
import type { Tensor } from "../../tensor/tensor";
import * as functional from "../functional";

/** Loss reduction, as PyTorch's `reduction` argument. */
export type Reduction = "none" | "mean" | "sum";
type IntOrList = number | number[];
type ConvPadding = IntOrList | "same" | "valid";

/** The subset of flow.nn.functional used by flow.nn layers. */
export interface FunctionalApi {
  conv1d(input: Tensor, weight: Tensor, bias: Tensor | null, opts: { stride?: IntOrList; padding?: ConvPadding; dilation?: IntOrList; groups?: number }): Tensor;
  conv2d(input: Tensor, weight: Tensor, bias: Tensor | null, opts: { stride?: IntOrList; padding?: ConvPadding; dilation?: IntOrList; groups?: number }): Tensor;
  convTranspose2d(input: Tensor, weight: Tensor, bias: Tensor | null, opts: { stride?: IntOrList; padding?: IntOrList; outputPadding?: IntOrList; groups?: number; dilation?: IntOrList }): Tensor;
  pad(input: Tensor, pad: number[], opts: { mode?: "constant" | "reflect" | "replicate" | "circular"; value?: number }): Tensor;
  batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: { weight?: Tensor | null; bias?: Tensor | null; training?: boolean; momentum?: number; eps?: number }): Tensor;
  layerNorm(input: Tensor, normalizedShape: number[], opts: { weight?: Tensor | null; bias?: Tensor | null; eps?: number }): Tensor;
  groupNorm(input: Tensor, numGroups: number, opts: { weight?: Tensor | null; bias?: Tensor | null; eps?: number }): Tensor;
  dropout(input: Tensor, opts: { p?: number; training?: boolean }): Tensor;
  embedding(input: Tensor, weight: Tensor, opts: { paddingIdx?: number | null }): Tensor;
  relu(input: Tensor): Tensor;
  gelu(input: Tensor, opts: { approximate?: "none" | "tanh" }): Tensor;
  silu(input: Tensor): Tensor;
  softmax(input: Tensor, opts: { dim?: number | null }): Tensor;
  maxPool2d(input: Tensor, kernelSize: IntOrList, opts: { stride?: IntOrList | null; padding?: IntOrList; dilation?: IntOrList; ceilMode?: boolean }): Tensor;
  avgPool2d(input: Tensor, kernelSize: IntOrList, opts: { stride?: IntOrList | null; padding?: IntOrList; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }): Tensor;
  adaptiveAvgPool2d(input: Tensor, outputSize: number | (number | null)[]): Tensor;
  crossEntropy(input: Tensor, target: Tensor, opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number }): Tensor;
  nllLoss(input: Tensor, target: Tensor, opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction }): Tensor;
  mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction }): Tensor;
  l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction }): Tensor;
  binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null }): Tensor;
}

/** flow.nn.functional as the layers call it. */
export const F = functional as unknown as FunctionalApi;
