/**
 * Losses, all derived from primitives (logSoftmax, sum, mul, ...), so autograd differentiates them and the
 * class-index losses need no gather: a target becomes a per-class weight mask W (one-hot × class weight ×
 * not-ignored), and nll = -sum(logp * W over classes).
 */
import { Tensor } from "../../tensor/tensor";
import { isFloating } from "../../tensor/dtype";
import { parseArgs } from "../../ops/args";
import { abs, add, cast, div, eq, exp, log, maximum, mul, neg, relu, sub, where, lt } from "../../ops/elementwise";
import { sum } from "../../ops/reduce";
import { reshape } from "../../ops/shape";
import { logSoftmax } from "./activation";
import { hostIndices } from "./embedding";
import { indexTensor } from "./take";
import { asIndex } from "../../ops/indexing";

/** How a loss reduces over elements. */
export type Reduction = "none" | "mean" | "sum";

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

// size_average/reduce are PyTorch's deprecated spellings; they keep PyTorch's positional order working.
function legacyReduction(fn: string, a: { sizeAverage?: boolean | null; reduce?: boolean | null; reduction: Reduction }): Reduction {
  let r = a.reduction;
  for (const [k, v] of [["sizeAverage", a.sizeAverage], ["reduce", a.reduce]] as const) {
    // F.mseLoss(x, y, "sum") puts "sum" into PyTorch's positional size_average slot: say so instead of ignoring it.
    if (v != null && typeof v !== "boolean") throw new TypeError(`${fn}(): ${k} (PyTorch's deprecated ${k === "reduce" ? "reduce" : "size_average"}) must be a boolean or null, got ${JSON.stringify(v)}; pass the reduction by name: { reduction: ${JSON.stringify(v)} }`);
  }
  if (a.sizeAverage != null || a.reduce != null) r = a.reduce === false ? "none" : a.sizeAverage === false ? "sum" : "mean";
  if (!["none", "mean", "sum"].includes(r)) throw new RangeError(`${fn}: ${JSON.stringify(r)} is not a valid value for reduction`);
  return r;
}

function reduce(loss: Tensor, r: Reduction): Tensor {
  if (r === "none") return loss;
  const s = sum(loss);
  return r === "sum" ? s : div(s, loss.numel());
}

/** Shape [1, C, 1, ...] (or [C] for unbatched input) so a per-class tensor broadcasts over input. */
const classView = (t: Tensor, input: Tensor) => (input.ndim === 1 ? t : reshape(t, [1, t.shape[0], ...new Array(input.ndim - 2).fill(1)]));

interface NllParts { W: Tensor; targetWeight: Tensor }

// Checks a class-index target against input and builds W [N, C, *]: weight[target] at the target class, 0
// elsewhere and on ignored positions.
function nllParts(fn: string, input: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number): NllParts {
  if (input.ndim < 1) throw new RangeError(`${fn}: input tensor should be 1D or more, got a 0-D tensor`);
  target = asIndex(fn, "target", target);
  const classDim = input.ndim === 1 ? 0 : 1, c = input.shape[classDim];
  const expected = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (input.ndim >= 2 && target.shape[0] !== input.shape[0]) throw new RangeError(`Expected input batch_size (${input.shape[0]}) to match target batch_size (${target.shape[0] ?? 0}).`);
  if (target.shape.join() !== expected.join()) throw new RangeError(`${fn}: Expected target size ${fmt(expected)}, got ${fmt(target.shape)}`);
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== c)) throw new RangeError(`${fn}: weight tensor should be defined either for all ${c} classes or no classes but got weight tensor of shape: ${fmt(weight.shape)}`);
  const vals = hostIndices(target);
  const bad = vals?.find((v) => v !== ignoreIndex && (v < 0 || v >= c));
  if (bad !== undefined) throw new RangeError(`${fn}: Target ${bad} is out of bounds.`);
  const classes = classView(indexTensor(Array.from({ length: c }, (_, i) => i), input), input);
  const t = input.ndim === 1 ? target : reshape(target, [target.shape[0], 1, ...target.shape.slice(1)]);
  let W = cast(eq(t, classes), input.dtype);
  if (weight) W = mul(W, classView(weight.detach(), input));
  if (ignoreIndex >= 0 && ignoreIndex < c) W = mul(W, cast(eq(eq(t, ignoreIndex), false), input.dtype));
  return { W, targetWeight: sum(W, classDim) };
}

type NllOpts = { weight: Tensor | null; sizeAverage: boolean | null; ignoreIndex: number; reduce: boolean | null; reduction: Reduction };
const NLL_NAMES: (keyof NllOpts)[] = ["weight", "sizeAverage", "ignoreIndex", "reduce", "reduction"];

/**
 * Negative log-likelihood of log-probabilities `input` ([N, C, *] or [C]) at int64 class `target`
 * ([N, *] or []). Options in PyTorch's order: weight, sizeAverage, ignoreIndex (-100), reduce,
 * reduction ("mean" divides by the summed weights of non-ignored targets).
 * @example F.nllLoss(F.logSoftmax(logits, 1), labels)
 */
export function nllLoss(input: Tensor, target: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<NllOpts>("nll_loss", args, NLL_NAMES, { weight: null, ignoreIndex: -100, reduction: "mean" });
  const r = legacyReduction("nll_loss", a);
  const { W, targetWeight } = nllParts("nll_loss", input, target, a.weight, a.ignoreIndex);
  const loss = neg(sum(mul(input, W), input.ndim === 1 ? 0 : 1));
  if (r === "none") return loss;
  return r === "sum" ? sum(loss) : div(sum(loss), sum(targetWeight));
}

type CrossEntropyOpts = NllOpts & { labelSmoothing: number };

/**
 * Cross entropy of unnormalised logits `input` ([N, C, *] or [C]) against class indices (int64, [N, *]) or
 * class probabilities (float, input's shape). Options in PyTorch's order: weight, sizeAverage, ignoreIndex,
 * reduce, reduction, labelSmoothing.
 * @example F.crossEntropy(logits, labels, { labelSmoothing: 0.1 })
 */
export function crossEntropy(input: Tensor, target: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<CrossEntropyOpts>("cross_entropy", args, [...NLL_NAMES, "labelSmoothing"], { weight: null, ignoreIndex: -100, reduction: "mean", labelSmoothing: 0 });
  const r = legacyReduction("cross_entropy", a), eps = a.labelSmoothing;
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: ${eps}`);
  const classDim = input.ndim === 1 ? 0 : 1, c = input.shape[classDim];
  const logp = logSoftmax(input, classDim);
  // PyTorch tells probabilities from class indices by dtype; JS numbers give float32 either way
  // (flow.tensor([0, 2])), so flowbook decides by shape: input's shape = probabilities, input's shape without
  // the class dim = class indices (checked integral, then int64).
  if (target.ndim === input.ndim && isFloating(target.dtype)) return probTargetLoss(logp, target, a.weight, r, eps, classDim);
  target = asIndex("cross_entropy", "target", target);
  const { W, targetWeight } = nllParts("cross_entropy", logp, target, a.weight, a.ignoreIndex);
  const nll = neg(sum(mul(logp, W), classDim));
  const nllR = r === "none" ? nll : r === "sum" ? sum(nll) : div(sum(nll), sum(targetWeight));
  if (eps === 0) return nllR;
  // PyTorch's smoothing term: -sum_c(logp_c * w_c), zero on ignored targets; "mean" divides by the summed
  // target weights when weighted, else by the number of targets not ignored.
  const wl = a.weight ? mul(logp, classView(a.weight.detach(), logp)) : logp;
  let smooth = neg(sum(wl, classDim));
  smooth = where(eq(target, a.ignoreIndex), 0, smooth);
  const smoothR = r === "none" ? smooth : r === "sum" ? sum(smooth) : div(sum(smooth), a.weight ? sum(targetWeight) : sum(cast(eq(eq(target, a.ignoreIndex), false), smooth.dtype)));
  return add(mul(nllR, 1 - eps), mul(smoothR, eps / c));
}

function probTargetLoss(logp: Tensor, target: Tensor, weight: Tensor | null, r: Reduction, eps: number, classDim: number): Tensor {
  if (target.shape.join() !== logp.shape.join()) throw new RangeError(`cross_entropy: Expected target of shape ${fmt(logp.shape)} (class probabilities), got ${fmt(target.shape)}`);
  const c = logp.shape[classDim];
  let t = eps > 0 ? add(mul(target, 1 - eps), eps / c) : target;
  if (weight) t = mul(t, classView(weight.detach(), logp));
  const loss = neg(sum(mul(logp, t), classDim));
  if (r === "none") return loss;
  return r === "sum" ? sum(loss) : div(sum(loss), logp.numel() / c);
}

type PairOpts = { sizeAverage: boolean | null; reduce: boolean | null; reduction: Reduction };

// Shapes broadcast, as in PyTorch (which warns when they differ).
function checkPair(fn: string, input: Tensor, _target: Tensor): void {
  if (!isFloating(input.dtype)) throw new TypeError(`${fn}: expected a floating point input, got ${input.dtype}`);
}

/**
 * Mean squared error (input - target)². Options: sizeAverage, reduce, reduction ("mean").
 * @example F.mseLoss(pred, y)
 */
export function mseLoss(input: Tensor, target: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<PairOpts>("mse_loss", args, ["sizeAverage", "reduce", "reduction"], { reduction: "mean" });
  checkPair("mse_loss", input, target);
  const d = sub(input, target);
  return reduce(mul(d, d), legacyReduction("mse_loss", a));
}

/** Mean absolute error |input - target|. Options: sizeAverage, reduce, reduction ("mean"). */
export function l1Loss(input: Tensor, target: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<PairOpts>("l1_loss", args, ["sizeAverage", "reduce", "reduction"], { reduction: "mean" });
  checkPair("l1_loss", input, target);
  return reduce(abs(sub(input, target)), legacyReduction("l1_loss", a));
}

/**
 * Smooth L1: 0.5·d²/beta where |d| < beta, else |d| - 0.5·beta. Options: sizeAverage, reduce, reduction, beta.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<PairOpts & { beta: number }>("smooth_l1_loss", args, ["sizeAverage", "reduce", "reduction", "beta"], { reduction: "mean", beta: 1 });
  checkPair("smooth_l1_loss", input, target);
  if (a.beta < 0) throw new RangeError("smooth_l1_loss does not support negative values for beta.");
  const d = abs(sub(input, target));
  const loss = a.beta === 0 ? d : where(lt(d, a.beta), div(mul(mul(d, d), 0.5), a.beta), sub(d, 0.5 * a.beta));
  return reduce(loss, legacyReduction("smooth_l1_loss", a));
}

type BceOpts = { weight: Tensor | null; sizeAverage: boolean | null; reduce: boolean | null; reduction: Reduction; posWeight: Tensor | null };

function checkSameSize(fn: string, input: Tensor, target: Tensor): void {
  if (input.shape.join() !== target.shape.join()) throw new RangeError(`${fn}: Target size (${fmt(target.shape)}) must be the same as input size (${fmt(input.shape)})`);
}

/**
 * Binary cross entropy on logits, computed stably:
 * (1 - t)·x + (1 + (posWeight - 1)·t)·(log(1 + e^-|x|) + max(-x, 0)).
 * Options in PyTorch's order: weight, sizeAverage, reduce, reduction, posWeight (per class, broadcast over
 * the last dimension).
 * @example F.binaryCrossEntropyWithLogits(logits, y, { posWeight })
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<BceOpts>("binary_cross_entropy_with_logits", args, ["weight", "sizeAverage", "reduce", "reduction", "posWeight"], { weight: null, reduction: "mean", posWeight: null });
  checkSameSize("binary_cross_entropy_with_logits", input, target);
  const softplusNeg = add(log(add(exp(neg(abs(input))), 1)), relu(neg(input))); // log(1 + e^-x), stable
  const logWeight = a.posWeight ? add(mul(sub(a.posWeight, 1), target), 1) : null;
  let loss = add(mul(sub(1, target), input), logWeight ? mul(logWeight, softplusNeg) : softplusNeg);
  if (a.weight) loss = mul(loss, a.weight);
  return reduce(loss, legacyReduction("binary_cross_entropy_with_logits", a));
}

/**
 * Binary cross entropy of probabilities `input` in [0, 1]: -(t·log(x) + (1 - t)·log(1 - x)), each log
 * clamped at -100 as PyTorch does. Options in PyTorch's order: weight, sizeAverage, reduce, reduction.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, ...args: unknown[]): Tensor {
  const a = parseArgs<Omit<BceOpts, "posWeight">>("binary_cross_entropy", args, ["weight", "sizeAverage", "reduce", "reduction"], { weight: null, reduction: "mean" });
  checkSameSize("binary_cross_entropy", input, target);
  if (!input.isSymbolic && (input.dtype === "float32" || input.dtype === "float64") && Array.from(input.toTypedArray() as Float32Array).some((v) => !(v >= 0 && v <= 1))) {
    throw new RangeError("binary_cross_entropy: all elements of input should be between 0 and 1");
  }
  const logX = maximum(log(input), -100), log1mX = maximum(log(sub(1, input)), -100);
  let loss = neg(add(mul(target, logX), mul(sub(1, target), log1mX)));
  if (a.weight) loss = mul(loss, a.weight);
  return reduce(loss, legacyReduction("binary_cross_entropy", a));
}
