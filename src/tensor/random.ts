/**
 * Random numbers. One seeded generator on the host (xoshiro128**, Blackman & Vigna 2018: 128-bit state,
 * 32-bit outputs, period 2^128-1, seeded through splitmix32 so that nearby seeds give unrelated streams).
 * `flow.manualSeed(n)` makes every random result reproducible: creation functions, in-place initialisers
 * (`uniform_`, `normal_`, used by flow.nn.init) and dropout masks all draw from it. flowbook does not
 * reproduce PyTorch's random stream (Philox/mt19937), only its API and distributions.
 *
 * Values are generated on the host and go through the ordinary creation path (`finish`), so `device`,
 * `dtype` and `requiresGrad` behave as in flow.zeros.
 */
import { Tensor } from "./tensor";
import { DType, TypedArray, allocArray, checkDType, isFloating, readNumber, writeNumber } from "./dtype";
import { TensorOptions, finish, shapeArgs, factoryOptions, FACTORY_KEYS } from "./creation";
import { parseArgs, isOptions } from "../ops/args";
import { isGradEnabled, noGrad } from "../autograd/mode";
import { addTensorMethods } from "../ops/methods";
import { broadcastShapes } from "../ops/broadcast";
import { add, mul } from "../ops/elementwise";
import { randomBytes } from "crypto";

/** A pseudo-random generator (xoshiro128**). `flow.defaultGenerator` is the one every function uses by default. */
export class Generator {
  private s = new Uint32Array(4);
  private seed0: bigint = 0n;

  /** A generator seeded with `seed`, or with a fresh non-deterministic seed. */
  constructor(seed?: number | bigint) { if (seed === undefined) this.seed(); else this.manualSeed(seed); }

  /** Reseeds deterministically; returns this generator (as torch.Generator.manual_seed). */
  manualSeed(seed: number | bigint): this {
    if (typeof seed === "number" && !Number.isInteger(seed)) throw new TypeError(`manualSeed: seed must be an integer, got ${seed}`);
    const v = BigInt.asUintN(64, BigInt(seed));
    this.seed0 = v;
    // splitmix32 over both halves of the 64-bit seed fills the 128-bit state (never all zero).
    let x = Number(v & 0xffffffffn) ^ Math.imul(Number(v >> 32n), 0x9e3779b9);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
    return this;
  }

  /** Reseeds from the operating system's entropy; returns the new seed. */
  seed(): bigint {
    const seed = randomBytes(8).readBigUInt64LE(0);
    this.manualSeed(seed);
    return seed;
  }

  /** The seed last set (as torch.Generator.initial_seed). */
  initialSeed(): bigint { return this.seed0; }

  /** A copy of the generator's state (16 bytes of xoshiro state, then the 8-byte seed). */
  getState(): Uint8Array {
    const out = new Uint8Array(24);
    out.set(new Uint8Array(this.s.slice().buffer), 0);
    new DataView(out.buffer).setBigUint64(16, this.seed0, true);
    return out;
  }

  /** Restores a state returned by getState(). */
  setState(state: Uint8Array): void {
    if (state.length !== 24) throw new RangeError(`setState: expected a 24-byte state, got ${state.length} bytes`);
    const copy = state.slice();
    this.s.set(new Uint32Array(copy.buffer, 0, 4));
    this.seed0 = new DataView(copy.buffer).getBigUint64(16, true);
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** A float in [0, 1) with 24 random bits (exactly representable in float32). */
  nextFloat24(): number { return (this.nextUint32() >>> 8) * 2 ** -24; }

  /** A double in [0, 1) with 53 random bits. */
  nextDouble(): number { return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) * 2 ** -53; }

  /** An integer uniform in [0, n), unbiased (rejection sampling), for n up to 2^53. */
  nextBelow(n: number): number {
    if (n <= 0x100000000) {
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) { const r = this.nextUint32(); if (r < limit) return r % n; }
    }
    const limit = 2 ** 53 - (2 ** 53 % n);
    for (;;) { const r = this.nextDouble() * 2 ** 53; if (r < limit) return r % n; }
  }

  /** Fills `out` with standard normal values (Box-Muller on 53-bit uniforms). */
  fillNormal(out: Float64Array): void {
    for (let i = 0; i < out.length; i += 2) {
      const u1 = 1 - this.nextDouble(); // (0, 1], so log(u1) is finite
      const u2 = this.nextDouble();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
  }
}
const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The generator used when no `generator` option is given. */
export const defaultGenerator = new Generator();

/** Seeds the default generator, making every later random result reproducible; returns the generator. */
export function manualSeed(seed: number | bigint): Generator { return defaultGenerator.manualSeed(seed); }
/** Seeds the default generator non-deterministically and returns the seed. */
export function seed(): bigint { return defaultGenerator.seed(); }
/** The seed the default generator was last seeded with. */
export function initialSeed(): bigint { return defaultGenerator.initialSeed(); }
/** The default generator's state as a uint8 tensor (restore it with setRngState). */
export function getRngState(): Tensor { return Tensor._fromArray(defaultGenerator.getState(), [24], "uint8"); }
/** Restores the default generator's state from getRngState(). */
export function setRngState(state: Tensor): void {
  if (state.dtype !== "uint8") throw new TypeError(`setRngState: expected a uint8 tensor, got ${state.dtype}`);
  defaultGenerator.setState(state.toTypedArray() as Uint8Array);
}

/** Options of the random tensor factories: TensorOptions plus the generator to draw from. */
export interface RandomOptions extends TensorOptions { generator?: Generator }

const genOf = (o: { generator?: Generator }) => o.generator ?? defaultGenerator;
const GEN = ["generator"] as const;
const RANDOM_KEYS = [...FACTORY_KEYS, "generator"] as const;
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const tensorOpts = ({ generator: _g, ...rest }: RandomOptions): TensorOptions => rest;

function floatDType(fn: string, d: DType | undefined): DType {
  const dtype = d ? checkDType(d, fn) : "float32";
  if (!isFloating(dtype)) throw new TypeError(`${fn}(): expected a floating point dtype, got ${dtype}`);
  return dtype;
}

/** Writes JS numbers into a fresh host array of `dtype`. */
function fromValues(dtype: DType, n: number, value: (i: number) => number): TypedArray {
  const out = allocArray(dtype, n);
  if (dtype === "float32" || dtype === "float64") { const o = out as Float64Array; for (let i = 0; i < n; i++) o[i] = value(i); }
  else for (let i = 0; i < n; i++) writeNumber(dtype, out, i, value(i));
  return out;
}

/** @internal Uniform values in [lo, hi) as a host array of `dtype`. */
export function uniformArray(dtype: DType, n: number, lo: number, hi: number, g: Generator = defaultGenerator): TypedArray {
  const f = dtype === "float64" ? () => g.nextDouble() : () => g.nextFloat24();
  return fromValues(dtype, n, () => lo + (hi - lo) * f());
}

/** @internal Normal values N(mean, std²) as a host array of `dtype`. */
export function normalArray(dtype: DType, n: number, mean: number, std: number, g: Generator = defaultGenerator): TypedArray {
  const z = new Float64Array(n);
  g.fillNormal(z);
  return fromValues(dtype, n, (i) => mean + std * z[i]);
}

/**
 * Uniform random values in [0, 1): `flow.rand(2, 3)`, `flow.rand([2, 3], {dtype: "float64"})`.
 * @example flow.manualSeed(0); const x = flow.rand(4)
 */
export function rand(...args: (number | number[] | RandomOptions)[]): Tensor {
  const { shape, opts } = shapeArgs("rand", args, GEN) as { shape: number[]; opts: RandomOptions };
  const dtype = floatDType("rand", opts.dtype);
  return finish(Tensor._fromArray(uniformArray(dtype, numel(shape), 0, 1, genOf(opts)), shape, dtype), tensorOpts(opts));
}

/**
 * Standard normal random values: `flow.randn(2, 3)`, `flow.randn([2, 3], {requiresGrad: true})`.
 * @example flow.manualSeed(0); const w = flow.randn(3, 4)
 */
export function randn(...args: (number | number[] | RandomOptions)[]): Tensor {
  const { shape, opts } = shapeArgs("randn", args, GEN) as { shape: number[]; opts: RandomOptions };
  const dtype = floatDType("randn", opts.dtype);
  return finish(Tensor._fromArray(normalArray(dtype, numel(shape), 0, 1, genOf(opts)), shape, dtype), tensorOpts(opts));
}

/**
 * Random integers in [low, high), int64 unless `dtype` says otherwise. As PyTorch: `randint(high, size)` or
 * `randint(low, high, size)`.
 * @example flow.randint(0, 10, [3]) // e.g. tensor([7, 1, 4])
 */
export function randint(...args: (number | number[] | (RandomOptions & { low?: number; high?: number; size?: number[] }))[]): Tensor {
  const last = args[args.length - 1];
  const nPos = isOptions(last) ? args.length - 1 : args.length;
  // randint(high, size) / randint(low=0, high, size): two positionals are (high, size) unless the options name low.
  const names = nPos === 2 && !(isOptions(last) && last.low !== undefined) ? ["high", "size", "low"] : ["low", "high", "size"];
  const a = parseArgs<{ low: number; high: number; size: number[] } & RandomOptions>("randint", args, [...names, ...RANDOM_KEYS] as never[], { low: 0 });
  const { low, high, size } = a, opts: RandomOptions = { dtype: a.dtype, device: a.device, requiresGrad: a.requiresGrad, generator: a.generator };
  if (high === undefined || !Array.isArray(size)) throw new TypeError("randint(): expected (high, size) or (low, high, size) with size a list of ints");
  if (!Number.isInteger(low) || !Number.isInteger(high)) throw new TypeError(`randint(): low and high must be integers, got ${low} and ${high}`);
  if (low >= high) throw new RangeError(`random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  const dtype = opts.dtype ? checkDType(opts.dtype, "randint") : "int64";
  const g = genOf(opts);
  const { shape } = shapeArgs("randint", [size]);
  const out = fromValues(dtype, numel(shape), () => low + g.nextBelow(high - low));
  return finish(Tensor._fromArray(out, shape, dtype), tensorOpts(opts));
}

/** A random permutation of 0..n-1 (int64 unless `dtype` says otherwise). */
export function randperm(n: number | (RandomOptions & { n: number }), opts?: RandomOptions): Tensor {
  const a = parseArgs<{ n: number } & RandomOptions>("randperm", opts === undefined ? [n] : [n, opts], ["n", ...RANDOM_KEYS], {}, { required: 1 });
  n = a.n; opts = a;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`randperm(): n must be a non-negative integer, got ${n}`);
  const g = genOf(opts);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = g.nextBelow(i + 1); const t = p[i]; p[i] = p[j]; p[j] = t; }
  const dtype = opts.dtype ? checkDType(opts.dtype, "randperm") : "int64";
  return finish(Tensor._fromArray(fromValues(dtype, n, (i) => p[i]), [n], dtype), tensorOpts(opts));
}

/**
 * Normal random values with the given mean and std. As PyTorch: `normal(mean, std, size)` with numbers, or
 * with a tensor mean and/or std (the result has their broadcast shape and is not differentiable).
 * @example flow.normal(0, 0.02, [768, 768])
 */
export function normal(mean: number | Tensor, std: number | Tensor, size?: number[] | (RandomOptions & { size?: number[] }), opts?: RandomOptions): Tensor;
export function normal(opts: RandomOptions & { mean: number | Tensor; std: number | Tensor; size?: number[] }): Tensor;
export function normal(...args: unknown[]): Tensor {
  const a = parseArgs<{ mean: number | Tensor; std: number | Tensor; size: number[] | undefined } & RandomOptions>("normal", args, ["mean", "std", "size", ...RANDOM_KEYS], {}, { required: 2 });
  const { mean, std, size } = a, opts: RandomOptions = { dtype: a.dtype, device: a.device, requiresGrad: a.requiresGrad, generator: a.generator };
  const checkStd = (s: number) => { if (!(s >= 0)) throw new RangeError(`normal expects std >= 0.0, but found std ${s}`); };
  if (typeof mean === "number" && typeof std === "number") {
    if (!size) throw new TypeError("normal(): with number mean and std, pass a size: normal(0, 1, [2, 3])");
    checkStd(std);
    const dtype = floatDType("normal", opts.dtype);
    const { shape } = shapeArgs("normal", [size]);
    return finish(Tensor._fromArray(normalArray(dtype, numel(shape), mean, std, genOf(opts)), shape, dtype), tensorOpts(opts));
  }
  if (typeof std === "number") checkStd(std);
  const shapeOf = (v: number | Tensor) => (typeof v === "number" ? [] : v.shape);
  const shape = broadcastShapes("normal", shapeOf(mean), shapeOf(std));
  const like = (mean instanceof Tensor ? mean : std) as Tensor;
  const dtype = floatDType("normal", like.dtype);
  const z = Tensor._fromArray(normalArray(dtype, numel(shape), 0, 1, genOf(opts)), shape, dtype, like.device);
  return noGrad(() => add(mean, mul(std, z)));
}

/** Uniform [0, 1) values with the shape (and, unless overridden, dtype and device) of `t`. */
export const randLike = (t: Tensor, opts: RandomOptions = {}): Tensor => rand(t.shape, { dtype: t.dtype, device: t.device, ...factoryOptions("rand_like", opts, GEN) });
/** Standard normal values with the shape (and, unless overridden, dtype and device) of `t`. */
export const randnLike = (t: Tensor, opts: RandomOptions = {}): Tensor => randn(t.shape, { dtype: t.dtype, device: t.device, ...factoryOptions("randn_like", opts, GEN) });
/** Random integers in [low, high) with the shape, dtype and device of `t`; `randintLike(t, high)` means low 0. */
export function randintLike(t: Tensor, low: number | (RandomOptions & { low?: number; high: number }), high?: number | (RandomOptions & { high?: number }), opts?: RandomOptions): Tensor {
  const args = [low, high, opts].filter((v) => v !== undefined);
  const nPos = args.filter((v) => !isOptions(v)).length, last = args[args.length - 1];
  const names = nPos === 1 && !(isOptions(last) && last.low !== undefined) ? ["high", "low"] : ["low", "high"];
  const a = parseArgs<{ low: number; high: number } & RandomOptions>("randint_like", args, [...names, ...RANDOM_KEYS] as never[], { low: 0 });
  if (a.high === undefined) throw new TypeError("randint_like() missing required argument 'high'");
  return randint(a.low, a.high, t.shape, { dtype: a.dtype ?? t.dtype, device: a.device ?? t.device, requiresGrad: a.requiresGrad, generator: a.generator });
}

/**
 * A mask of the given shape whose elements are 1 with probability `p` and 0 otherwise (dropout keeps an
 * element with p = 1 - dropProbability). Float32 unless `dtype` is given.
 * @example const keep = bernoulliMask(x.shape, 0.9, x.device, x.dtype)
 */
export function bernoulliMask(shape: readonly number[], p: number, device: TensorOptions["device"] = undefined, dtype: DType = "float32", generator: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulliMask: p must be in [0, 1], got ${p}`);
  const out = fromValues(dtype, numel(shape), () => +(generator.nextDouble() < p));
  return finish(Tensor._fromArray(out, [...shape], dtype), { device });
}

/** 1 with probability given by each element of `probs` (in [0, 1]), else 0; same shape and dtype. */
export function bernoulli(probs: Tensor, opts: { generator?: Generator } = {}): Tensor {
  opts = parseArgs<{ generator?: Generator }>("bernoulli", [opts], GEN);
  if (!isFloating(probs.dtype)) throw new TypeError(`bernoulli: expected a floating point tensor of probabilities, got ${probs.dtype}`);
  const g = genOf(opts);
  const src = probs.toTypedArray();
  const pv = Float64Array.from({ length: src.length }, (_, i) => Number(readAt(probs, src, i)));
  const bad = pv.findIndex((v) => !(v >= 0 && v <= 1));
  if (bad >= 0) throw new RangeError(`bernoulli: all elements of input must be in [0, 1] (element ${bad} is ${pv[bad]})`);
  const out = fromValues(probs.dtype, pv.length, (i) => +(g.nextDouble() < pv[i]));
  return finish(Tensor._fromArray(out, [...probs.shape], probs.dtype), { device: probs.device });
}
const readAt = (t: Tensor, a: TypedArray, i: number) => readNumber(t.dtype, a, i);

// ---- in-place initialisers (tensor methods) ------------------------------------------------------

/** PyTorch forbids in-place writes into a leaf that requires grad while grad mode is on. */
function checkInPlace(t: Tensor, fn: string): void {
  if (t.requiresGrad && t.isLeaf && isGradEnabled()) {
    throw new Error(`${fn}: a leaf Variable that requires grad is being used in an in-place operation (wrap it in flow.noGrad)`);
  }
  if (!isFloating(t.dtype)) throw new TypeError(`${fn}: expected a floating point tensor, got ${t.dtype}`);
}

declare module "./tensor" {
  interface Tensor {
    /** Fills this tensor in place with uniform values in [from, to) (default [0, 1)); returns this. */
    uniform_(from?: number | { from?: number; to?: number; generator?: Generator }, to?: number, opts?: { generator?: Generator }): Tensor;
    /** Fills this tensor in place with normal values N(mean, std²) (default N(0, 1)); returns this. */
    normal_(mean?: number | { mean?: number; std?: number; generator?: Generator }, std?: number, opts?: { generator?: Generator }): Tensor;
    /** 1 with probability given by each element (in [0, 1]), else 0. */
    bernoulli(opts?: { generator?: Generator }): Tensor;
  }
}

addTensorMethods({
  uniform_(...args: unknown[]) {
    const { from, to, ...opts } = parseArgs<{ from: number; to: number; generator?: Generator }>("uniform_", args, ["from", "to", "generator"], { from: 0, to: 1 });
    checkInPlace(this, "uniform_");
    if (from > to) throw new RangeError(`uniform_ expects to return a [from, to) range, but found from=${from} > to=${to}`);
    this._assignHost(uniformArray(this.dtype, this.numel(), from, to, genOf(opts)));
    return this;
  },
  normal_(...args: unknown[]) {
    const { mean, std, ...opts } = parseArgs<{ mean: number; std: number; generator?: Generator }>("normal_", args, ["mean", "std", "generator"], { mean: 0, std: 1 });
    checkInPlace(this, "normal_");
    if (!(std >= 0)) throw new RangeError(`normal_ expects std >= 0.0, but found std ${std}`);
    this._assignHost(normalArray(this.dtype, this.numel(), mean, std, genOf(opts)));
    return this;
  },
  bernoulli(opts: { generator?: Generator } = {}) { return bernoulli(this, opts); },
});
