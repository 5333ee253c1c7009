/**
 * flow.nn.init: in-place parameter initialisers with PyTorch's fan computations and gains
 * (torch/nn/init.py). Each fills the tensor without recording gradients and returns it.
 */
import { Tensor } from "../tensor/tensor";
import { allocArray, writeNumber } from "../tensor/dtype";
import { noGrad } from "../autograd/mode";
import type { Generator } from "../tensor/random";
import "../tensor/random"; // installs Tensor.uniform_ / normal_
import { parseArgs } from "../ops/args";

/** Nonlinearities calculateGain knows. */
export type Nonlinearity = "linear" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/**
 * The recommended gain for a nonlinearity (`param` is leaky_relu's negative slope, default 0.01).
 * @example nn.init.calculateGain("leaky_relu", 0.2) // 1.3867...
 */
export function calculateGain(nonlinearity: Nonlinearity | { nonlinearity: Nonlinearity; param?: number }, param?: number | null): number {
  const o = parseArgs<{ nonlinearity: Nonlinearity; param: number | null }>("calculate_gain", param === undefined ? [nonlinearity] : [nonlinearity, param], ["nonlinearity", "param"], { param: null }, { required: 1 });
  param = o.param ?? undefined;
  // camelCase spellings ("leakyRelu", "convTranspose2d") name the same nonlinearities.
  switch (o.nonlinearity.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()) as Nonlinearity) {
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
    default: throw new Error(`Unsupported nonlinearity ${o.nonlinearity}`);
  }
}

/** fan_in and fan_out of a weight: dims 1 and 0 times the receptive field (product of dims 2..). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new Error("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

/** fan mode: PyTorch's "fan_in"/"fan_out", or flowbook's camelCase "fanIn"/"fanOut". */
export type FanMode = "fan_in" | "fan_out" | "fanIn" | "fanOut";
function fan(t: Tensor, mode: FanMode): number {
  const m = mode === "fanIn" ? "fan_in" : mode === "fanOut" ? "fan_out" : mode;
  if (m !== "fan_in" && m !== "fan_out") throw new Error(`Mode ${mode} not supported, please use one of fan_in, fan_out (or fanIn, fanOut)`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return m === "fan_in" ? fanIn : fanOut;
}

/** Options of the kaiming initialisers. */
export interface KaimingOptions { a?: number; mode?: FanMode; nonlinearity?: Nonlinearity; generator?: Generator }
const KAIMING = ["a", "mode", "nonlinearity", "generator"] as const;
type KaimingArgs = [a?: number, mode?: FanMode, nonlinearity?: Nonlinearity, opts?: { generator?: Generator }] | [a: number, mode: FanMode, nonlinearity: Nonlinearity | KaimingOptions] | [a: number, mode: FanMode | KaimingOptions] | [KaimingOptions];
const GEN = { generator: undefined as Generator | undefined };
const gen = (g: Generator | undefined) => (g ? { generator: g } : {});

/** Fills `t` with U(a, b): `uniform_(w, -0.1, 0.1)` or `uniform_(w, { a: -0.1, b: 0.1 })`. */
export function uniform_(t: Tensor, ...args: [a?: number, b?: number, opts?: { generator?: Generator }] | [a: number, opts: { b?: number; generator?: Generator }] | [{ a?: number; b?: number; generator?: Generator }]): Tensor {
  const o = parseArgs<{ a: number; b: number; generator?: Generator }>("uniform_", args, ["a", "b", "generator"], { a: 0, b: 1, ...GEN });
  return noGrad(() => t.uniform_(o.a, o.b, gen(o.generator)));
}
/** Fills `t` with N(mean, std²): `normal_(w, 0, 0.02)` or `normal_(w, { std: 0.02 })`. */
export function normal_(t: Tensor, ...args: [mean?: number, std?: number, opts?: { generator?: Generator }] | [mean: number, opts: { std?: number; generator?: Generator }] | [{ mean?: number; std?: number; generator?: Generator }]): Tensor {
  const o = parseArgs<{ mean: number; std: number; generator?: Generator }>("normal_", args, ["mean", "std", "generator"], { mean: 0, std: 1, ...GEN });
  return noGrad(() => t.normal_(o.mean, o.std, gen(o.generator)));
}
/** Fills `t` with `val`. */
export function constant_(t: Tensor, val: number | { val: number }): Tensor {
  const value = parseArgs<{ val: number }>("constant_", [val], ["val"], {}, { required: 1 }).val;
  const out = allocArray(t.dtype, t.numel());
  for (let i = 0; i < out.length; i++) writeNumber(t.dtype, out, i, value);
  t._assignHost(out);
  return t;
}
/** Fills `t` with zeros. */
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
/** Fills `t` with ones. */
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

function kaimingStd(fn: string, t: Tensor, args: unknown[]): { std: number; generator?: Generator } {
  const o = parseArgs<Required<KaimingOptions>>(fn, args, KAIMING, { a: 0, mode: "fan_in", nonlinearity: "leaky_relu" });
  return { std: calculateGain(o.nonlinearity, o.a) / Math.sqrt(fan(t, o.mode)), generator: o.generator };
}

/**
 * He et al. (2015) uniform init: U(-bound, bound) with bound = gain·sqrt(3 / fan). PyTorch's signature
 * `kaimingUniform_(w, a = 0, mode = "fan_in", nonlinearity = "leaky_relu")`, positionally or as options.
 */
export function kaimingUniform_(t: Tensor, ...args: KaimingArgs): Tensor {
  const { std, generator } = kaimingStd("kaiming_uniform_", t, args);
  if (t.numel() === 0) return t;
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound, gen(generator));
}

/** He et al. (2015) normal init: N(0, std²) with std = gain / sqrt(fan). Same arguments as kaimingUniform_. */
export function kaimingNormal_(t: Tensor, ...args: KaimingArgs): Tensor {
  const { std, generator } = kaimingStd("kaiming_normal_", t, args);
  if (t.numel() === 0) return t;
  return normal_(t, 0, std, gen(generator));
}

type GainArgs = [gain?: number, opts?: { generator?: Generator }] | [{ gain?: number; generator?: Generator }];
/** Glorot & Bengio (2010) uniform init: U(-a, a) with a = gain·sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, ...args: GainArgs): Tensor {
  const o = parseArgs<{ gain: number; generator?: Generator }>("xavier_uniform_", args, ["gain", "generator"], { gain: 1, ...GEN });
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const a = Math.sqrt(3) * o.gain * Math.sqrt(2 / (fanIn + fanOut));
  return uniform_(t, -a, a, gen(o.generator));
}

/** Glorot & Bengio (2010) normal init: N(0, std²) with std = gain·sqrt(2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, ...args: GainArgs): Tensor {
  const o = parseArgs<{ gain: number; generator?: Generator }>("xavier_normal_", args, ["gain", "generator"], { gain: 1, ...GEN });
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, o.gain * Math.sqrt(2 / (fanIn + fanOut)), gen(o.generator));
}
