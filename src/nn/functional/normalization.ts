/**
 * Normalisation. Inference-mode batch norm is a primitive (`_batchNormEval`, ONNX BatchNormalization: one
 * fused kernel, the path a CNN's eager forward takes); training-mode batch norm, layerNorm and groupNorm are
 * derived from sum/mul/div, so autograd differentiates them through the batch statistics.
 */
import { Tensor } from "../../tensor/tensor";
import { defineOp, Meta } from "../../ops/registry";
import { assign, bind1 } from "../../ops/dispatch";
import { parseArgs } from "../../ops/args";
import { float } from "../../onnx/proto";
import { add, div, mul, sqrt, sub } from "../../ops/elementwise";
import { sum } from "../../ops/reduce";
import { reshape } from "../../ops/shape";
import { noGrad } from "../../autograd/mode";
import { constTensor } from "./take";

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** Reshapes a per-channel [C] tensor to broadcast against [N, C, *] of rank `ndim`. */
const perChannel = (t: Tensor, ndim: number) => reshape(t, [1, t.shape[0], ...new Array(Math.max(ndim - 2, 0)).fill(1)]);

defineOp<{ eps: number }>({
  name: "_batchNormEval",
  infer: ([x, w, b, m, v]) => {
    for (const [name, t] of [["weight", w], ["bias", b], ["running_mean", m], ["running_var", v]] as [string, Meta][]) {
      if (t.dtype !== x.dtype) throw new TypeError(`batch_norm: expected ${name} to have dtype ${x.dtype}, got ${t.dtype}`);
    }
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  lower: (b, ins, { eps }) => [b.op("BatchNormalization", ins, { epsilon: float(eps) })],
  // Running statistics are not differentiable (PyTorch refuses them too), so they get no cotangent.
  vjp: ({ grads: [g], inputs: [x, w, b, m, v], attrs: { eps } }) => {
    const nd = x.ndim, dims = [0, ...range(2, nd)];
    const rstd = div(1, sqrt(add(v, eps)));
    const xc = w.requiresGrad ? sub(x, perChannel(m, nd)) : x;
    return [
      x.requiresGrad ? mul(g!, perChannel(mul(w, rstd), nd)) : null,
      w.requiresGrad ? mul(sum(mul(g!, xc), dims), rstd) : null,
      b.requiresGrad ? sum(g!, dims) : null,
      null,
      null,
    ];
  },
});

// momentum may also be a 0-d float tensor (BatchNorm's cumulative average 1/num_batches_tracked inside nn.Graph).
type BatchNormOpts = { weight: Tensor | null; bias: Tensor | null; training: boolean; momentum: number | Tensor; eps: number };

function checkPerChannel(name: string, t: Tensor | null, c: number): void {
  if (t && (t.ndim !== 1 || t.shape[0] !== c)) throw new RangeError(`batch_norm: ${name} should contain ${c} elements not ${t.numel()} (got shape ${fmt(t.shape)})`);
}

/**
 * Batch normalisation over [N, C, *]. Training (`training: true`) normalises with the batch mean and biased
 * variance and, when running stats are given, updates them in place:
 * `running = (1 - momentum) * running + momentum * batchStat` (the variance term unbiased, as PyTorch).
 * Eval uses the running statistics. Arguments in PyTorch's order: input, runningMean, runningVar, weight,
 * bias, training, momentum, eps.
 * @example F.batchNorm(x, rm, rv, w, b, { training: true, momentum: 0.1 })
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, ...args: unknown[]): Tensor {
  const a = parseArgs<BatchNormOpts>("batch_norm", args, ["weight", "bias", "training", "momentum", "eps"], { weight: null, bias: null, training: false, momentum: 0.1, eps: 1e-5 });
  if (input.ndim < 2) throw new RangeError(`batch_norm: expected an input of at least 2 dimensions [N, C, *], got ${fmt(input.shape)}`);
  const c = input.shape[1], nd = input.ndim;
  checkPerChannel("running_mean", runningMean, c); checkPerChannel("running_var", runningVar, c);
  checkPerChannel("weight", a.weight, c); checkPerChannel("bias", a.bias, c);
  if (!a.training) {
    if (!runningMean || !runningVar) throw new TypeError("batch_norm: running_mean and running_var must be defined in evaluation mode");
    const w = a.weight ?? constTensor(new Array(c).fill(1), [c], input), b = a.bias ?? constTensor(new Array(c).fill(0), [c], input);
    return bind1("_batchNormEval", [input, w, b, runningMean, runningVar], { eps: a.eps });
  }
  const dims = [0, ...range(2, nd)], n = input.numel() / c;
  if (n <= 1) throw new RangeError(`Expected more than 1 value per channel when training, got input size ${fmt(input.shape)}`);
  const mean = div(sum(input, dims, true), n);
  const xc = sub(input, mean);
  const varB = div(sum(mul(xc, xc), dims, true), n);
  if (runningMean || runningVar) {
    noGrad(() => {
      const m = a.momentum;
      const keep = typeof m === "number" ? 1 - m : sub(1, m), unbiased = typeof m === "number" ? (m * n) / (n - 1) : mul(m, n / (n - 1));
      // Through dispatch's assign, so that a training nn.Graph writes the running stats back too.
      if (runningMean) assign(runningMean, add(mul(runningMean, keep), mul(reshape(mean, [c]), m)));
      if (runningVar) assign(runningVar, add(mul(runningVar, keep), mul(reshape(varB, [c]), unbiased)));
    });
  }
  return affine(div(xc, sqrt(add(varB, a.eps))), a.weight && perChannel(a.weight, nd), a.bias && perChannel(a.bias, nd));
}

function affine(y: Tensor, w: Tensor | null, b: Tensor | null): Tensor {
  if (w) y = mul(y, w);
  if (b) y = add(y, b);
  return y;
}

/** (x - mean) / sqrt(var + eps) over `dims`, with the biased variance. */
function standardize(x: Tensor, dims: number[], eps: number): Tensor {
  const n = dims.reduce((p, d) => p * x.shape[d], 1);
  const xc = sub(x, div(sum(x, dims, true), n));
  return div(xc, sqrt(add(div(sum(mul(xc, xc), dims, true), n), eps)));
}

type LayerNormOpts = { weight: Tensor | null; bias: Tensor | null; eps: number };

/**
 * Layer normalisation over the trailing `normalizedShape` dimensions, then `* weight + bias`
 * (both of shape normalizedShape). Arguments in PyTorch's order: input, normalizedShape, weight, bias, eps.
 * @example F.layerNorm(x, [64], w, b)
 */
export function layerNorm(input: Tensor, normalizedShape: number | number[], ...args: unknown[]): Tensor {
  const a = parseArgs<LayerNormOpts>("layer_norm", args, ["weight", "bias", "eps"], { weight: null, bias: null, eps: 1e-5 });
  const ns = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  const k = ns.length, tail = input.shape.slice(input.ndim - k);
  if (k === 0 || input.ndim < k || tail.join() !== ns.join()) {
    throw new RangeError(`Given normalized_shape=${fmt(ns)}, expected input with shape [*, ${ns.join(", ")}], but got input of size${fmt(input.shape)}`);
  }
  for (const [name, t] of [["weight", a.weight], ["bias", a.bias]] as [string, Tensor | null][]) {
    if (t && t.shape.join() !== ns.join()) throw new RangeError(`layer_norm: Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape ${fmt(t.shape)} and normalized_shape = ${fmt(ns)}`);
  }
  return affine(standardize(input, range(input.ndim - k, input.ndim), a.eps), a.weight, a.bias);
}

/**
 * Group normalisation of [N, C, *]: channels split into `numGroups` groups, each normalised over its channels
 * and spatial positions, then `* weight + bias` per channel. Arguments: input, numGroups, weight, bias, eps.
 * @example F.groupNorm(x, 8, w, b)
 */
export function groupNorm(input: Tensor, numGroups: number, ...args: unknown[]): Tensor {
  const a = parseArgs<LayerNormOpts>("group_norm", args, ["weight", "bias", "eps"], { weight: null, bias: null, eps: 1e-5 });
  if (input.ndim < 2) throw new RangeError(`group_norm: Expected at least 2 dimensions for input tensor but received ${input.ndim}`);
  const [n, c] = input.shape;
  if (!Number.isInteger(numGroups) || numGroups <= 0 || c % numGroups !== 0) {
    throw new RangeError(`Expected number of channels in input to be divisible by num_groups, but got input of shape ${fmt(input.shape)} and num_groups=${numGroups}`);
  }
  for (const [name, t] of [["weight", a.weight], ["bias", a.bias]] as [string, Tensor | null][]) {
    if (t && (t.ndim !== 1 || t.shape[0] !== c)) throw new RangeError(`group_norm: Expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of shape ${fmt(t.shape)} and input of shape ${fmt(input.shape)}`);
  }
  const grouped = reshape(input, [n, numGroups, -1]);
  const y = reshape(standardize(grouped, [2], a.eps), input.shape);
  return affine(y, a.weight && perChannel(a.weight, input.ndim), a.bias && perChannel(a.bias, input.ndim));
}
