/**
 * flow.nn.init: in-place parameter initialisers with PyTorch's fan computations and gains
 * (torch/nn/init.py). Each fills the tensor without recording gradients and returns it.
 */
import { Tensor } from "../tensor/tensor";
import { allocArray, writeNumber } from "../tensor/dtype";
import { noGrad } from "../autograd/mode";
import type { Generator } from "../tensor/random";
import "../tensor/random"; // installs Tensor.uniform_ / normal_

/** Nonlinearities calculateGain knows. */
export type Nonlinearity = "linear" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/**
 * The recommended gain for a nonlinearity (`param` is leaky_relu's negative slope, default 0.01).
 * @example nn.init.calculateGain("leaky_relu", 0.2) // 1.3867...
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear": case "conv1d": case "conv2d": case "conv3d":
    case "conv_transpose1d": case "conv_transpose2d": case "conv_transpose3d": case "sigmoid": return 1;
    case "tanh": return 5 / 3;
    case "relu": return Math.sqrt(2);
    case "leaky_relu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number") throw new TypeError(`negative_slope ${slope} not a valid number`);
      return Math.sqrt(2 / (1 + slope ** 2));
    }
    case "selu": return 3 / 4;
    default: throw new Error(`Unsupported nonlinearity ${nonlinearity}`);
  }
}

/** fan_in and fan_out of a weight: dims 1 and 0 times the receptive field (product of dims 2..). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new Error("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

function fan(t: Tensor, mode: "fan_in" | "fan_out"): number {
  if (mode !== "fan_in" && mode !== "fan_out") throw new Error(`Mode ${mode} not supported, please use one of fan_in, fan_out`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return mode === "fan_in" ? fanIn : fanOut;
}

/** Options of the kaiming initialisers. */
export interface KaimingOptions { a?: number; mode?: "fan_in" | "fan_out"; nonlinearity?: Nonlinearity; generator?: Generator }

/** Fills `t` with U(a, b). */
export function uniform_(t: Tensor, a = 0, b = 1, opts: { generator?: Generator } = {}): Tensor {
  return noGrad(() => t.uniform_(a, b, opts));
}
/** Fills `t` with N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1, opts: { generator?: Generator } = {}): Tensor {
  return noGrad(() => t.normal_(mean, std, opts));
}
/** Fills `t` with `value`. */
export function constant_(t: Tensor, value: number): Tensor {
  const out = allocArray(t.dtype, t.numel());
  for (let i = 0; i < out.length; i++) writeNumber(t.dtype, out, i, value);
  t._assignHost(out);
  return t;
}
/** Fills `t` with zeros. */
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
/** Fills `t` with ones. */
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/**
 * He et al. (2015) uniform init: U(-bound, bound) with bound = gain·sqrt(3 / fan). PyTorch's signature:
 * `kaimingUniform_(w, a = 0, mode = "fan_in", nonlinearity = "leaky_relu")` or an options object.
 */
export function kaimingUniform_(t: Tensor, a: number | KaimingOptions = 0, mode: "fan_in" | "fan_out" = "fan_in", nonlinearity: Nonlinearity = "leaky_relu"): Tensor {
  const o = typeof a === "object" ? a : { a, mode, nonlinearity };
  if (t.numel() === 0) return t;
  const std = calculateGain(o.nonlinearity ?? "leaky_relu", o.a ?? 0) / Math.sqrt(fan(t, o.mode ?? "fan_in"));
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound, { generator: o.generator });
}

/** He et al. (2015) normal init: N(0, std²) with std = gain / sqrt(fan). Same arguments as kaimingUniform_. */
export function kaimingNormal_(t: Tensor, a: number | KaimingOptions = 0, mode: "fan_in" | "fan_out" = "fan_in", nonlinearity: Nonlinearity = "leaky_relu"): Tensor {
  const o = typeof a === "object" ? a : { a, mode, nonlinearity };
  if (t.numel() === 0) return t;
  const std = calculateGain(o.nonlinearity ?? "leaky_relu", o.a ?? 0) / Math.sqrt(fan(t, o.mode ?? "fan_in"));
  return normal_(t, 0, std, { generator: o.generator });
}

/** Glorot & Bengio (2010) uniform init: U(-a, a) with a = gain·sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, opts: { generator?: Generator } = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const a = Math.sqrt(3) * gain * Math.sqrt(2 / (fanIn + fanOut));
  return uniform_(t, -a, a, opts);
}

/** Glorot & Bengio (2010) normal init: N(0, std²) with std = gain·sqrt(2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1, opts: { generator?: Generator } = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts);
}
