/**
 * Elementwise ops: casts, unary math and binary arithmetic/comparison with broadcasting and PyTorch's type
 * promotion. Each op is one `unaryOp`/`binaryOp` entry: ONNX op, host kernel, gradient rule.
 */
import { Tensor } from "../tensor/tensor";
import { DType, TypedArray, allocArray, checkDType, isFloating, onnxTypeOf, promoteTypes, promoteWithScalar, readNumber, writeNumber } from "../tensor/dtype";
import { defineOp, Meta, OpDef, VjpArgs } from "./registry";
import { bind1 } from "./dispatch";
import { broadcastShapes, binaryKernel } from "./broadcast";
import { addTensorMethods } from "./methods";
import { int } from "../onnx/proto";
import { parseArgs } from "./args";

/** A tensor or a JS scalar operand. */
export type TensorOrScalar = Tensor | number | boolean;

// Dtypes whose host kernels run on plain JS numbers (int64 uses BigInt64Array and goes to ONNX Runtime).
const HOST_DTYPES = new Set<DType>(["float32", "float64", "int32", "int8", "uint8", "bool"]);
const hostable = (m: readonly Meta[]) => m.every((x) => HOST_DTYPES.has(x.dtype));

// ---- cast --------------------------------------------------------------------------------------

/** @internal */
export const castOp = defineOp<{ dtype: DType }>({
  name: "cast",
  infer: ([x], { dtype }) => [{ shape: x.shape, dtype }],
  lower: (b, [x], { dtype }) => [b.op("Cast", [x], { to: int(onnxTypeOf(dtype)) })],
  vjp: ({ grads: [g], inputs: [x] }) => [isFloating(x.dtype) ? cast(g!, x.dtype) : null],
  host: ([x], { dtype }, [m]) => {
    const out = allocArray(dtype, x.length);
    for (let i = 0; i < x.length; i++) writeNumber(dtype, out, i, readNumber(m.dtype, x, i));
    return [out];
  },
});

/** Converts `x` to `dtype` (no-op when it already has it). */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkDType(dtype, "to");
  return x.dtype === dtype ? x : bind1("cast", [x], { dtype });
}

// ---- unary -------------------------------------------------------------------------------------

interface UnarySpec {
  onnx: string | ((b: import("./builder").OnnxBuilder, x: string, m: Meta) => string);
  f?: (x: number) => number;
  vjp?: (g: Tensor, x: Tensor, y: Tensor) => Tensor;
  /** Output dtype for int inputs: "float" promotes ints to the default float (exp of an int tensor). */
  intResult?: "same" | "float";
  floatOnly?: boolean;
}

function unaryOp(name: string, spec: UnarySpec): OpDef<{}> {
  return defineOp<{}>({
    name,
    infer: ([x]) => {
      if (spec.floatOnly && !isFloating(x.dtype)) throw new TypeError(`${name}: expected a floating point tensor, got ${x.dtype}`);
      return [{ shape: x.shape, dtype: x.dtype }];
    },
    lower: (b, [x], _a, [m]) => [typeof spec.onnx === "string" ? b.op(spec.onnx, [x]) : spec.onnx(b, x, m)],
    vjp: spec.vjp ? ({ grads: [g], inputs: [x], outputs: [y] }: VjpArgs<{}>) => [spec.vjp!(g!, x, y)] : undefined,
    host: spec.f ? (([x], _a, inMeta, [o]) => {
      if (!hostable(inMeta)) return null;
      const out = allocArray(o.dtype, x.length) as Float64Array, X = x as Float64Array, f = spec.f!;
      for (let i = 0; i < X.length; i++) out[i] = f(X[i]);
      return [out as TypedArray];
    }) : undefined,
  });
}

/** Promotes integer inputs of float-valued functions (exp, sin, ...) to float32, as PyTorch does. */
const toFloat = (x: Tensor) => (isFloating(x.dtype) ? x : cast(x, "float32"));
const un = (name: string) => (x: Tensor) => bind1(name, [x]);
const unF = (name: string) => (x: Tensor) => bind1(name, [toFloat(x)]);

unaryOp("neg", { onnx: "Neg", f: (x) => -x, vjp: (g) => neg(g) });
unaryOp("abs", { onnx: "Abs", f: Math.abs, vjp: (g, x) => mul(g, sign(x)) });
unaryOp("sign", { onnx: "Sign", f: Math.sign });
unaryOp("exp", { onnx: "Exp", f: Math.exp, vjp: (g, _x, y) => mul(g, y), floatOnly: true });
unaryOp("log", { onnx: "Log", f: Math.log, vjp: (g, x) => div(g, x), floatOnly: true });
unaryOp("sqrt", { onnx: "Sqrt", f: Math.sqrt, vjp: (g, _x, y) => div(g, mul(y, 2)), floatOnly: true });
unaryOp("reciprocal", { onnx: "Reciprocal", f: (x) => 1 / x, vjp: (g, _x, y) => neg(mul(g, mul(y, y))), floatOnly: true });
unaryOp("sin", { onnx: "Sin", f: Math.sin, vjp: (g, x) => mul(g, cos(x)), floatOnly: true });
unaryOp("cos", { onnx: "Cos", f: Math.cos, vjp: (g, x) => neg(mul(g, sin(x))), floatOnly: true });
unaryOp("tanh", { onnx: "Tanh", f: Math.tanh, vjp: (g, _x, y) => mul(g, rsub(mul(y, y), 1)), floatOnly: true });
unaryOp("sigmoid", { onnx: "Sigmoid", f: (x) => 1 / (1 + Math.exp(-x)), vjp: (g, _x, y) => mul(g, mul(y, rsub(y, 1))), floatOnly: true });
unaryOp("relu", { onnx: "Relu", f: (x) => (x > 0 ? x : 0), vjp: (g, _x, y) => mul(g, cast(gt(y, 0), g.dtype)) });

/** -x */ export const neg = un("neg");
/** |x| */ export const abs = un("abs");
/** Sign of each element (-1, 0, 1). */ export const sign = un("sign");
/** e^x */ export const exp = unF("exp");
/** Natural logarithm. */ export const log = unF("log");
/** Square root. */ export const sqrt = unF("sqrt");
/** 1/x */ export const reciprocal = unF("reciprocal");
/** Sine. */ export const sin = unF("sin");
/** Cosine. */ export const cos = unF("cos");
/** Hyperbolic tangent. */ export const tanh = unF("tanh");
/** Logistic sigmoid 1/(1+e^-x). */ export const sigmoid = unF("sigmoid");
/** max(x, 0). */ export const relu = un("relu");

// ---- binary ------------------------------------------------------------------------------------

interface BinarySpec {
  onnx: string | ((b: import("./builder").OnnxBuilder, x: string, y: string, m: Meta) => string);
  f?: (a: number, b: number) => number;
  vjp?: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];
  bool?: boolean; // comparison: output dtype bool
}

function binaryOp(name: string, spec: BinarySpec): OpDef<{}> {
  return defineOp<{}>({
    name,
    infer: ([a, b]) => {
      if (a.dtype !== b.dtype) throw new TypeError(`${name}: operands must have one dtype after promotion (got ${a.dtype} and ${b.dtype})`);
      return [{ shape: broadcastShapes(name, a.shape, b.shape), dtype: spec.bool ? "bool" : a.dtype }];
    },
    lower: (b, [x, y], _a, [m]) => [typeof spec.onnx === "string" ? b.op(spec.onnx, [x, y]) : spec.onnx(b, x, y, m)],
    vjp: spec.vjp ? ({ grads: [g], inputs: [a, b], outputs: [y] }: VjpArgs<{}>) => spec.vjp!(g!, a, b, y) : undefined,
    host: spec.f ? (([x, y], _a, inMeta, [o]) => {
      if (!hostable(inMeta)) return null;
      const out = allocArray(o.dtype, o.shape.reduce((p, q) => p * q, 1));
      binaryKernel(x, inMeta[0].shape, y, inMeta[1].shape, out, o.shape, spec.f!);
      return [out];
    }) : undefined,
  });
}

binaryOp("add", { onnx: "Add", f: (a, b) => a + b, vjp: (g) => [g, g] });
binaryOp("sub", { onnx: "Sub", f: (a, b) => a - b, vjp: (g) => [g, neg(g)] });
binaryOp("mul", { onnx: "Mul", f: (a, b) => a * b, vjp: (g, a, b) => [mul(g, b), mul(g, a)] });
binaryOp("div", { onnx: "Div", f: (a, b) => a / b, vjp: (g, a, b) => [div(g, b), neg(div(mul(g, a), mul(b, b)))] });
binaryOp("pow", {
  onnx: "Pow", f: Math.pow,
  vjp: (g, a, b, y) => [mul(g, mul(b, pow(a, sub(b, 1)))), mul(g, mul(y, log(where(gt(a, 0), a, onesOf(a)))))],
});
binaryOp("maximum", { onnx: "Max", f: Math.max, vjp: (g, a, b) => splitTies(g, a, b, ge) });
binaryOp("minimum", { onnx: "Min", f: Math.min, vjp: (g, a, b) => splitTies(g, a, b, le) });
binaryOp("eq", { onnx: "Equal", f: (a, b) => +(a === b), bool: true });
binaryOp("lt", { onnx: "Less", f: (a, b) => +(a < b), bool: true });
binaryOp("le", { onnx: "LessOrEqual", f: (a, b) => +(a <= b), bool: true });
binaryOp("gt", { onnx: "Greater", f: (a, b) => +(a > b), bool: true });
binaryOp("ge", { onnx: "GreaterOrEqual", f: (a, b) => +(a >= b), bool: true });

// max/min send the gradient to the larger/smaller input, split evenly on ties (as PyTorch does).
function splitTies(g: Tensor, a: Tensor, b: Tensor, cmp: (x: Tensor, y: TensorOrScalar) => Tensor): [Tensor, Tensor] {
  const aWins = cast(cmp(a, b), g.dtype), bWins = cast(cmp(b, a), g.dtype);
  const total = add(aWins, bWins);
  return [mul(g, div(aWins, total)), mul(g, div(bWins, total))];
}
const onesOf = (t: Tensor) => Tensor._fromArray(fillArray(t.dtype, 1), [], t.dtype, t.device);
function fillArray(dtype: DType, v: number): TypedArray { const a = allocArray(dtype, 1); writeNumber(dtype, a, 0, v); return a; }

/** Result dtype of a binary op, with PyTorch's rules: scalars and 0-d tensors do not widen within a category. */
export function resultType(a: TensorOrScalar, b: TensorOrScalar): DType {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) return typeof a === "boolean" && typeof b === "boolean" ? "bool" : Number.isInteger(a) && Number.isInteger(b) ? "int64" : "float32";
  if (!(a instanceof Tensor)) return promoteWithScalar((b as Tensor).dtype, a);
  if (!(b instanceof Tensor)) return promoteWithScalar(a.dtype, b);
  const cat = (d: DType) => (isFloating(d) ? 2 : d === "bool" ? 0 : 1);
  if (a.ndim === 0 && b.ndim > 0 && cat(a.dtype) <= cat(b.dtype)) return b.dtype;
  if (b.ndim === 0 && a.ndim > 0 && cat(b.dtype) <= cat(a.dtype)) return a.dtype;
  return promoteTypes(a.dtype, b.dtype);
}

/** A scalar as a 0-d tensor of `dtype` on `like`'s device. */
export function scalarTensor(v: number | boolean, dtype: DType, like: Tensor): Tensor {
  return Tensor._fromArray(fillArray(dtype, typeof v === "boolean" ? +v : v), [], dtype, like.device);
}

/** Promotes both operands to their result dtype (or `force`) and returns them as tensors. */
export function promoteOperands(name: string, a: TensorOrScalar, b: TensorOrScalar, force?: DType): [Tensor, Tensor] {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : null;
  if (!like) throw new TypeError(`${name}: at least one operand must be a Tensor`);
  const dtype = force ?? resultType(a, b);
  const ta = a instanceof Tensor ? cast(a, dtype) : scalarTensor(a, dtype, like);
  const tb = b instanceof Tensor ? cast(b, dtype) : scalarTensor(b, dtype, like);
  return [ta, tb];
}

const bin = (name: string) => (a: TensorOrScalar, b: TensorOrScalar) => bind1(name, promoteOperands(name, a, b));
const cmp = (name: string) => (a: TensorOrScalar, b: TensorOrScalar) => bind1(name, promoteOperands(name, a, b));

/** add/sub's optional `alpha`, positionally or as `{ alpha }`. */
export type AlphaArgs = [alpha?: number] | [{ alpha?: number }];
/** div's optional `roundingMode`, positionally or as `{ roundingMode }`. */
export type RoundingArgs = [roundingMode?: RoundingMode] | [{ roundingMode?: RoundingMode }];
const ALPHA = ["alpha"] as const;
/** `b * alpha` for add/sub's optional alpha (PyTorch's `alpha=1`), read positionally or as `{alpha}`. */
function scaled(fn: string, b: TensorOrScalar, args: readonly unknown[]): TensorOrScalar {
  if (args.length === 0) return b; // the hot path: no alpha
  const { alpha } = parseArgs<{ alpha: number }>(fn, args, ALPHA, { alpha: 1 });
  if (typeof alpha !== "number") throw new TypeError(`${fn}(): alpha must be a number, got ${String(alpha)}`);
  return alpha === 1 ? b : b instanceof Tensor ? mul(b, alpha) : (b as number) * alpha;
}

/** a + alpha * b, with broadcasting. @example flow.add(a, b, 2); flow.add(a, b, { alpha: 2 }) */
export function add(a: TensorOrScalar, b: TensorOrScalar, ...args: AlphaArgs): Tensor {
  return bind1("add", promoteOperands("add", a, scaled("add", b, args)));
}
/** a - alpha * b, with broadcasting. @example flow.sub(a, b, { alpha: 0.5 }) */
export function sub(a: TensorOrScalar, b: TensorOrScalar, ...args: AlphaArgs): Tensor {
  return bind1("sub", promoteOperands("sub", a, scaled("sub", b, args)));
}
/** b - a (PyTorch's rsub). */
export const rsub = (a: TensorOrScalar, b: TensorOrScalar): Tensor => sub(b, a);
/** a * b, with broadcasting. */
export const mul = bin("mul");

/** torch.div's rounding_mode: none (true division), "trunc" (toward zero) or "floor" (toward -inf). */
export type RoundingMode = "trunc" | "floor" | null;
/**
 * a / b. Without a rounding mode this is true division (integer inputs give float32); `roundingMode: "trunc"`
 * or `"floor"` rounds the quotient and keeps integer dtypes, as torch.div does. Rounded division has a zero
 * gradient, as in PyTorch.
 * @example flow.div(x, 2); flow.div(x, 2, { roundingMode: "floor" }); flow.div(x, 2, "trunc")
 */
export function div(a: TensorOrScalar, b: TensorOrScalar, ...args: RoundingArgs): Tensor {
  const dtype = resultType(a, b);
  if (args.length === 0) return bind1("div", promoteOperands("div", a, b, isFloating(dtype) ? dtype : "float32"));
  const { roundingMode } = parseArgs<{ roundingMode: RoundingMode }>("div", args, ["roundingMode"], { roundingMode: null });
  if (roundingMode === null) return div(a, b);
  if (roundingMode !== "trunc" && roundingMode !== "floor") throw new RangeError(`div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '${String(roundingMode)}'`);
  if (isFloating(dtype)) return roundingMode === "floor" ? floor(div(a, b)) : trunc(div(a, b));
  const q = floorDivide(a, b);
  if (roundingMode === "floor") return q;
  // Truncation differs from flooring where the division is inexact and the operands' signs differ.
  const sgn = (v: TensorOrScalar) => (v instanceof Tensor ? sign(v) : Math.sign(Number(v)));
  const inexact = ne(remainder(a, b), 0), signsDiffer = lt(mul(sgn(a), sgn(b)), 0);
  return where(logicalAnd(inexact, signsDiffer), add(q, 1), q);
}
/** a ** b. */
export const pow = bin("pow");
/** Elementwise maximum. */
export const maximum = bin("maximum");
/** Elementwise minimum. */
export const minimum = bin("minimum");
/** a == b */ export const eq = cmp("eq");
/** a < b */ export const lt = cmp("lt");
/** a <= b */ export const le = cmp("le");
/** a > b */ export const gt = cmp("gt");
/** a >= b */ export const ge = cmp("ge");

// ---- where -------------------------------------------------------------------------------------

defineOp<{}>({
  name: "where",
  infer: ([c, a, b]) => {
    if (c.dtype !== "bool") throw new TypeError(`where: condition must be a bool tensor, got ${c.dtype}`);
    return [{ shape: broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape), dtype: a.dtype }];
  },
  lower: (b, [c, x, y]) => [b.op("Where", [c, x, y])],
  vjp: ({ grads: [g], inputs: [c] }) => {
    const zero = scalarTensor(0, g!.dtype, g!);
    return [null, bind1("where", [c, g!, zero]), bind1("where", [c, zero, g!])];
  },
});

/** Elements of `a` where `cond` is true, else of `b` (torch.where(condition, input, other)). */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor;
export function where(opts: { condition: Tensor; input: TensorOrScalar; other: TensorOrScalar }): Tensor;
export function where(...args: unknown[]): Tensor {
  let [cond, a, b] = args as [Tensor, TensorOrScalar, TensorOrScalar];
  if (args.length !== 3) ({ condition: cond, input: a, other: b } = parseArgs<{ condition: Tensor; input: TensorOrScalar; other: TensorOrScalar }>("where", args, ["condition", "input", "other"], {}, { required: 3 }));
  const [ta, tb] = promoteOperands("where", a, b);
  return bind1("where", [cond, ta, tb]);
}

// ---- more unary math ---------------------------------------------------------------------------

const SQRT1_2 = Math.SQRT1_2, TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erfc(x) for x >= 2.5 by its continued fraction (60 terms give double precision there). */
function erfcLarge(x: number): number {
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}
/** The error function in double precision (Taylor series below 2.5, continued fraction above). */
function erfHost(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return NaN;
  if (ax >= 2.5) return x > 0 ? 1 - erfcLarge(ax) : erfcLarge(ax) - 1;
  const x2 = x * x;
  let term = x, sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return sum * TWO_OVER_SQRT_PI;
}
/** 1 - erf(x), accurate in the tail (where 1 - erf would cancel). */
function erfcHost(x: number): number { return x >= 2.5 ? erfcLarge(x) : 1 - erfHost(x); }

/** Round half to even, as torch.round and ONNX Round do. */
const roundHalfEven = (x: number) => { const r = Math.round(x); return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; };
const truncate = (x: number) => Math.trunc(x);
/** A zero cotangent shaped like `g` (floor, round, sign ... have zero gradient in PyTorch). */
const zerosOf = (g: Tensor) => bind1("expand", [scalarTensor(0, g.dtype, g)], { shape: [...g.shape] });
/** A 0-d constant of the op's dtype in an ONNX lowering. */
const k = (b: import("./builder").OnnxBuilder, m: Meta, v: number) => b.scalar(m.dtype, v);

unaryOp("rsqrt", { onnx: (b, x) => b.op("Reciprocal", [b.op("Sqrt", [x])]), f: (x) => 1 / Math.sqrt(x), vjp: (g, _x, y) => mul(g, mul(mul(y, mul(y, y)), -0.5)), floatOnly: true });
unaryOp("erf", { onnx: "Erf", f: erfHost, vjp: (g, x) => mul(g, mul(exp(neg(mul(x, x))), TWO_OVER_SQRT_PI)), floatOnly: true });
unaryOp("log1p", { onnx: (b, x, m) => b.op("Log", [b.op("Add", [x, k(b, m, 1)])]), f: Math.log1p, vjp: (g, x) => div(g, add(x, 1)), floatOnly: true });
unaryOp("expm1", { onnx: (b, x, m) => b.op("Sub", [b.op("Exp", [x]), k(b, m, 1)]), f: Math.expm1, vjp: (g, _x, y) => mul(g, add(y, 1)), floatOnly: true });
unaryOp("log2", { onnx: (b, x, m) => b.op("Div", [b.op("Log", [x]), k(b, m, Math.LN2)]), f: Math.log2, vjp: (g, x) => div(g, mul(x, Math.LN2)), floatOnly: true });
unaryOp("log10", { onnx: (b, x, m) => b.op("Div", [b.op("Log", [x]), k(b, m, Math.LN10)]), f: Math.log10, vjp: (g, x) => div(g, mul(x, Math.LN10)), floatOnly: true });
unaryOp("floor", { onnx: "Floor", f: Math.floor, vjp: zerosOf, floatOnly: true });
unaryOp("ceil", { onnx: "Ceil", f: Math.ceil, vjp: zerosOf, floatOnly: true });
unaryOp("round", { onnx: "Round", f: roundHalfEven, vjp: zerosOf, floatOnly: true });
// opset 17 has no Trunc: round toward zero is ceil below zero and floor above.
unaryOp("trunc", { onnx: (b, x, m) => b.op("Where", [b.op("Less", [x, k(b, m, 0)]), b.op("Ceil", [x]), b.op("Floor", [x])]), f: truncate, vjp: zerosOf, floatOnly: true });
unaryOp("logical_not", { onnx: "Not", f: (x) => +!x });
unaryOp("silu", {
  onnx: (b, x) => b.op("Mul", [x, b.op("Sigmoid", [x])]), f: (x) => x / (1 + Math.exp(-x)), floatOnly: true,
  vjp: (g, x) => { const s = sigmoid(x); return mul(g, mul(s, add(mul(x, rsub(s, 1)), 1))); },
});

const un2 = (name: string) => (x: Tensor) => (isFloating(x.dtype) ? bind1(name, [x]) : x);
/** 1/sqrt(x). */ export const rsqrt = unF("rsqrt");
/** The Gauss error function. */ export const erf = unF("erf");
/** ln(1 + x), accurate for small x. */ export const log1p = unF("log1p");
/** e^x - 1, accurate for small x. */ export const expm1 = unF("expm1");
/** Base-2 logarithm. */ export const log2 = unF("log2");
/** Base-10 logarithm. */ export const log10 = unF("log10");
/** Largest integer <= x (integer tensors are returned as they are). */ export const floor = un2("floor");
/** Smallest integer >= x. */ export const ceil = un2("ceil");
/** Rounds half to even, like torch.round. */ export const round = un2("round");
/** Rounds toward zero. */ export const trunc = un2("trunc");
/** x * sigmoid(x) (also called swish). @example flow.silu(flow.tensor([-1, 0, 1])) */ export const silu = unF("silu");
/** x * x (keeps integer dtypes, like torch.square). */ export function square(x: Tensor): Tensor { return mul(x, x); }

// gelu: x * Φ(x), or its tanh approximation. opset 17 has no Gelu node, so it lowers to Erf or Tanh arithmetic.
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI), GELU_C = 0.044715;
function _geluVjp(g: Tensor, x: Tensor, approximate: string): Tensor {
  if (approximate === "tanh") {
    const inner = mul(add(x, mul(mul(x, mul(x, x)), GELU_C)), SQRT_2_OVER_PI);
    const t = tanh(inner);
    const dInner = mul(add(mul(mul(x, x), 3 * GELU_C), 1), SQRT_2_OVER_PI);
    return mul(g, add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), rsub(mul(t, t), 1)), dInner)));
  }
  const cdf = mul(add(erf(mul(x, SQRT1_2)), 1), 0.5);
  const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return mul(g, add(cdf, mul(x, pdf)));
}
defineOp<{ approximate: "none" | "tanh" }>({
  name: "gelu",
  infer: ([x]) => {
    if (!isFloating(x.dtype)) throw new TypeError(`gelu: expected a floating point tensor, got ${x.dtype}`);
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  lower: (b, [x], { approximate }, [m]) => {
    if (approximate === "tanh") {
      const cube = b.op("Mul", [x, b.op("Mul", [x, x])]);
      const inner = b.op("Mul", [k(b, m, SQRT_2_OVER_PI), b.op("Add", [x, b.op("Mul", [k(b, m, GELU_C), cube])])]);
      return [b.op("Mul", [b.op("Mul", [k(b, m, 0.5), x]), b.op("Add", [k(b, m, 1), b.op("Tanh", [inner])])])];
    }
    const phi = b.op("Mul", [k(b, m, 0.5), b.op("Add", [k(b, m, 1), b.op("Erf", [b.op("Mul", [x, k(b, m, SQRT1_2)])])])]);
    return [b.op("Mul", [x, phi])];
  },
  vjp: ({ grads: [g], inputs: [x], attrs }) => [_geluVjp(g!, x, attrs.approximate)],
  host: ([x], { approximate }, inMeta, [o]) => {
    if (!hostable(inMeta)) return null;
    const X = x as Float64Array, out = allocArray(o.dtype, X.length) as Float64Array;
    if (approximate === "tanh") for (let i = 0; i < X.length; i++) { const v = X[i]; out[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v))); }
    else for (let i = 0; i < X.length; i++) out[i] = 0.5 * X[i] * erfcHost(-X[i] * SQRT1_2);
    return [out];
  },
});

/**
 * Gaussian error linear unit, `x * Φ(x)`; `approximate: "tanh"` uses the tanh approximation.
 * @example flow.gelu(x, { approximate: "tanh" })
 */
export function gelu(x: Tensor, ...args: unknown[]): Tensor {
  const { approximate } = parseArgs<{ approximate: string }>("gelu", args, ["approximate"], { approximate: "none" });
  if (approximate !== "none" && approximate !== "tanh") throw new RangeError(`gelu: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  return bind1("gelu", [toFloat(x)], { approximate });
}

// softplus: log(1 + e^(beta x)) / beta, linear above `threshold` (as PyTorch, for numerical stability).
defineOp<{ beta: number; threshold: number }>({
  name: "softplus",
  infer: ([x]) => {
    if (!isFloating(x.dtype)) throw new TypeError(`softplus: expected a floating point tensor, got ${x.dtype}`);
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  lower: (b, [x], { beta, threshold }, [m]) => {
    const bx = b.op("Mul", [x, k(b, m, beta)]);
    const soft = b.op("Div", [b.op("Log", [b.op("Add", [k(b, m, 1), b.op("Exp", [bx])])]), k(b, m, beta)]);
    return [b.op("Where", [b.op("Greater", [bx, k(b, m, threshold)]), x, soft])];
  },
  vjp: ({ grads: [g], inputs: [x], attrs: { beta, threshold } }) => {
    const bx = mul(x, beta);
    return [where(gt(bx, threshold), g!, mul(g!, sigmoid(bx)))];
  },
  host: ([x], { beta, threshold }, inMeta, [o]) => {
    if (!hostable(inMeta)) return null;
    const X = x as Float64Array, out = allocArray(o.dtype, X.length) as Float64Array;
    for (let i = 0; i < X.length; i++) { const bx = X[i] * beta; out[i] = bx > threshold ? X[i] : Math.log1p(Math.exp(bx)) / beta; }
    return [out];
  },
});

/**
 * Smooth ReLU `log(1 + exp(beta * x)) / beta`, exactly `x` where `beta * x > threshold`.
 * @example flow.softplus(x, 2, 10) // or flow.softplus(x, { beta: 2 })
 */
export function softplus(x: Tensor, ...args: unknown[]): Tensor {
  const { beta, threshold } = parseArgs<{ beta: number; threshold: number }>("softplus", args, ["beta", "threshold"], { beta: 1, threshold: 20 });
  return bind1("softplus", [toFloat(x)], { beta, threshold });
}

// ---- clamp -------------------------------------------------------------------------------------

interface ClampAttrs { min: number | null; max: number | null }
defineOp<ClampAttrs>({
  name: "clamp",
  infer: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
  // ONNX Clip takes optional min/max inputs; "" leaves one out. min > max gives max everywhere, as PyTorch.
  lower: (b, [x], { min, max }, [m]) => [b.op("Clip", [x, min === null ? "" : k(b, m, min), max === null ? "" : k(b, m, max)])],
  vjp: ({ grads: [g], inputs: [x], attrs: { min, max } }) => {
    let keep: Tensor | null = null;
    if (min !== null) keep = ge(x, min);
    if (max !== null) keep = keep ? logicalAnd(keep, le(x, max)) : le(x, max);
    return [where(keep!, g!, 0)];
  },
  host: ([x], { min, max }, inMeta, [o]) => {
    if (!hostable(inMeta)) return null;
    const X = x as Float64Array, out = allocArray(o.dtype, X.length) as Float64Array;
    const lo = min ?? -Infinity, hi = max ?? Infinity;
    for (let i = 0; i < X.length; i++) { const v = X[i]; out[i] = v !== v ? v : Math.min(Math.max(v, lo), hi); }
    return [out];
  },
});

/** A clamp bound: a JS number, a tensor, or null/undefined for none. */
export type ClampBound = number | Tensor | null | undefined;

/**
 * Clamps every element into [min, max]; either bound may be a number, a tensor (broadcast), or omitted.
 * @example flow.clamp(x, -1, 1); x.clamp({ min: 0 }); x.clamp(lo, hi) // lo, hi tensors
 */
export function clamp(x: Tensor, ...args: unknown[]): Tensor {
  const { min, max } = parseArgs<{ min: ClampBound; max: ClampBound }>("clamp", args, ["min", "max"], {});
  if ((min === null || min === undefined) && (max === null || max === undefined)) throw new TypeError("clamp: At least one of 'min' or 'max' must not be None");
  if (min instanceof Tensor || max instanceof Tensor) {
    let y: Tensor = x;
    if (min !== null && min !== undefined) { const [a, b] = promoteOperands("clamp", y, min); y = where(lt(a, b), b, a); }
    if (max !== null && max !== undefined) { const [a, b] = promoteOperands("clamp", y, max); y = where(gt(a, b), b, a); }
    return y;
  }
  let dtype = x.dtype;
  if (typeof min === "number") dtype = promoteWithScalar(dtype, min);
  if (typeof max === "number") dtype = promoteWithScalar(dtype, max);
  return bind1("clamp", [cast(x, dtype)], { min: min ?? null, max: max ?? null });
}
/** Alias of clamp. */ export const clip = clamp;
/** clamp(x, min) */ export const clampMin = (x: Tensor, min: number | Tensor): Tensor => clamp(x, min, null);
/** clamp(x, null, max) */ export const clampMax = (x: Tensor, max: number | Tensor): Tensor => clamp(x, null, max);

// ---- more binary ops ---------------------------------------------------------------------------

const neq = (b: import("./builder").OnnxBuilder, x: string, y: string) => b.op("Not", [b.op("Equal", [x, y])]);
// True where a Python-style result must be corrected: r != 0 and sign(r) != sign(divisor).
const signFix = (b: import("./builder").OnnxBuilder, r: string, y: string, m: Meta) =>
  b.op("And", [neq(b, r, k(b, m, 0)), b.op("Xor", [b.op("Less", [r, k(b, m, 0)]), b.op("Less", [y, k(b, m, 0)])])]);
const pyMod = (a: number, b: number) => { const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r; };

binaryOp("ne", { onnx: neq, f: (a, b) => +(a !== b), bool: true });
binaryOp("logical_and", { onnx: "And", f: (a, b) => +(a !== 0 && b !== 0), bool: true });
binaryOp("logical_or", { onnx: "Or", f: (a, b) => +(a !== 0 || b !== 0), bool: true });
binaryOp("logical_xor", { onnx: "Xor", f: (a, b) => +((a !== 0) !== (b !== 0)), bool: true });
// fmod: C's remainder (sign of the dividend); remainder: Python's (sign of the divisor).
binaryOp("fmod", {
  onnx: (b, x, y) => b.op("Mod", [x, y], { fmod: int(1) }), f: (a, b) => a % b,
  vjp: (g, a, b) => [g, neg(mul(g, trunc(div(a, b))))],
});
binaryOp("remainder", {
  onnx: (b, x, y, m) => {
    if (!isFloating(m.dtype)) return b.op("Mod", [x, y], { fmod: int(0) });
    const r = b.op("Mod", [x, y], { fmod: int(1) });
    return b.op("Where", [signFix(b, r, y, m), b.op("Add", [r, y]), r]);
  },
  f: pyMod,
  vjp: (g, a, b) => [g, neg(mul(g, floor(div(a, b))))],
});
binaryOp("floor_divide", {
  onnx: (b, x, y, m) => {
    if (isFloating(m.dtype)) return b.op("Floor", [b.op("Div", [x, y])]);
    const q = b.op("Div", [x, y]); // integer Div truncates
    const r = b.op("Sub", [x, b.op("Mul", [q, y])]);
    return b.op("Where", [signFix(b, r, y, m), b.op("Sub", [q, k(b, m, 1)]), q]);
  },
  f: (a, b) => Math.floor(a / b),
});

const toBool = (v: TensorOrScalar, like: Tensor): Tensor => (v instanceof Tensor ? cast(v, "bool") : scalarTensor(!!v, "bool", like));
const logical = (name: string) => (a: TensorOrScalar, b: TensorOrScalar): Tensor => {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : null;
  if (!like) throw new TypeError(`${name}: at least one operand must be a Tensor`);
  return bind1(name, [toBool(a, like), toBool(b, like)]);
};
/** a != b (bool result). */ export const ne = cmp("ne");
/** Elementwise AND of truth values (nonzero = true); bool result. */ export const logicalAnd = logical("logical_and");
/** Elementwise OR of truth values; bool result. */ export const logicalOr = logical("logical_or");
/** Elementwise XOR of truth values; bool result. */ export const logicalXor = logical("logical_xor");
/** Elementwise NOT of truth values (nonzero = true); bool result. */ export function logicalNot(x: Tensor): Tensor { return bind1("logical_not", [cast(x, "bool")]); }
/** C-style remainder: the result has the sign of the dividend, like torch.fmod. */ export const fmod = bin("fmod");
/** Python-style modulus: the result has the sign of the divisor, like torch.remainder. */ export const remainder = bin("remainder");
/** floor(a / b), like torch.floor_divide (PyTorch ≥ 1.13 rounds down). Not differentiable. */ export const floorDivide = bin("floor_divide");

/** True where x is NaN. */ export function isnan(x: Tensor): Tensor { return ne(x, x); }
/** True where x is +inf or -inf. */ export function isinf(x: Tensor): Tensor { return isFloating(x.dtype) ? eq(abs(x), Infinity) : ne(x, x); }
/** True where x is neither NaN nor infinite. */ export function isfinite(x: Tensor): Tensor { return isFloating(x.dtype) ? lt(abs(x), Infinity) : eq(x, x); }
/** start + weight * (end - start). @example flow.lerp(a, b, 0.25) */
export function lerp(start: Tensor, end: Tensor, weight: TensorOrScalar): Tensor { return add(start, mul(weight, sub(end, start))); }

// ---- tensor methods ----------------------------------------------------------------------------

declare module "../tensor/tensor" {
  interface Tensor {
    /** this + alpha * other: `x.add(y, 2)` or `x.add(y, { alpha: 2 })` */ add(other: TensorOrScalar, alpha?: number | { alpha?: number }): Tensor;
    /** this - alpha * other */ sub(other: TensorOrScalar, alpha?: number | { alpha?: number }): Tensor;
    /** this * other */ mul(other: TensorOrScalar): Tensor;
    /** this / other (true division, or rounded with `{ roundingMode: "floor" | "trunc" }`) */ div(other: TensorOrScalar, roundingMode?: RoundingMode | { roundingMode?: RoundingMode }): Tensor;
    /** Elements of this where `condition`, else of `other` (`torch.Tensor.where`). */ where(condition: Tensor, other: TensorOrScalar): Tensor;
    /** this ** exponent */ pow(exponent: TensorOrScalar): Tensor;
    /** Elementwise maximum. */ maximum(other: Tensor): Tensor;
    /** Elementwise minimum. */ minimum(other: Tensor): Tensor;
    /** -this */ neg(): Tensor;
    /** |this| */ abs(): Tensor;
    /** Sign. */ sign(): Tensor;
    /** e^this */ exp(): Tensor;
    /** ln(this) */ log(): Tensor;
    /** sqrt(this) */ sqrt(): Tensor;
    /** 1/this */ reciprocal(): Tensor;
    /** sin */ sin(): Tensor;
    /** cos */ cos(): Tensor;
    /** tanh */ tanh(): Tensor;
    /** sigmoid */ sigmoid(): Tensor;
    /** max(this, 0) */ relu(): Tensor;
    /** this == other */ eq(other: TensorOrScalar): Tensor;
    /** this < other */ lt(other: TensorOrScalar): Tensor;
    /** this <= other */ le(other: TensorOrScalar): Tensor;
    /** this > other */ gt(other: TensorOrScalar): Tensor;
    /** this >= other */ ge(other: TensorOrScalar): Tensor;
    /** Converts to another dtype (`x.to("float16")`) — see also `to(device)`. */
    type(dtype: DType): Tensor;
    /** float32 copy. */ float(): Tensor;
    /** float64 copy. */ double(): Tensor;
    /** float16 copy. */ half(): Tensor;
    /** bfloat16 copy (computed in float32 and rounded on the CPU: ONNX Runtime has no bfloat16 kernels there). */ bfloat16(): Tensor;
    /** int64 copy. */ long(): Tensor;
    /** int32 copy. */ int(): Tensor;
    /** bool copy. */ bool(): Tensor;
  }
}

addTensorMethods({
  add(o: TensorOrScalar, ...a: AlphaArgs) { return add(this, o, ...a); },
  sub(o: TensorOrScalar, ...a: AlphaArgs) { return sub(this, o, ...a); },
  mul(o: TensorOrScalar) { return mul(this, o); },
  div(o: TensorOrScalar, ...a: RoundingArgs) { return div(this, o, ...a); },
  where(c: Tensor, o: TensorOrScalar) { return where(c, this, o); },
  pow(o: TensorOrScalar) { return pow(this, o); },
  maximum(o: Tensor) { return maximum(this, o); },
  minimum(o: Tensor) { return minimum(this, o); },
  neg() { return neg(this); }, abs() { return abs(this); }, sign() { return sign(this); },
  exp() { return exp(this); }, log() { return log(this); }, sqrt() { return sqrt(this); },
  reciprocal() { return reciprocal(this); }, sin() { return sin(this); }, cos() { return cos(this); },
  tanh() { return tanh(this); }, sigmoid() { return sigmoid(this); }, relu() { return relu(this); },
  eq(o: TensorOrScalar) { return eq(this, o); }, lt(o: TensorOrScalar) { return lt(this, o); },
  le(o: TensorOrScalar) { return le(this, o); }, gt(o: TensorOrScalar) { return gt(this, o); },
  ge(o: TensorOrScalar) { return ge(this, o); },
  type(d: DType) { return cast(this, d); },
  float() { return cast(this, "float32"); }, double() { return cast(this, "float64"); },
  half() { return cast(this, "float16"); }, bfloat16() { return cast(this, "bfloat16"); }, long() { return cast(this, "int64"); },
  int() { return cast(this, "int32"); }, bool() { return cast(this, "bool"); },
});

declare module "../tensor/tensor" {
  interface Tensor {
    /** 1/sqrt(this) */ rsqrt(): Tensor;
    /** erf(this) */ erf(): Tensor;
    /** ln(1 + this) */ log1p(): Tensor;
    /** e^this - 1 */ expm1(): Tensor;
    /** log2(this) */ log2(): Tensor;
    /** log10(this) */ log10(): Tensor;
    /** Rounds down. */ floor(): Tensor;
    /** Rounds up. */ ceil(): Tensor;
    /** Rounds half to even. */ round(): Tensor;
    /** Rounds toward zero. */ trunc(): Tensor;
    /** this * this */ square(): Tensor;
    /** Clamps into [min, max]: `x.clamp(-1, 1)`, `x.clamp({ min: 0 })`, tensor bounds broadcast. */
    clamp(min?: ClampBound | { min?: ClampBound; max?: ClampBound }, max?: ClampBound): Tensor;
    /** Alias of clamp. */
    clip(min?: ClampBound | { min?: ClampBound; max?: ClampBound }, max?: ClampBound): Tensor;
    /** clamp(min) */ clampMin(min: number | Tensor): Tensor;
    /** clamp(null, max) */ clampMax(max: number | Tensor): Tensor;
    /** this != other */ ne(other: TensorOrScalar): Tensor;
    /** Elementwise AND of truth values. */ logicalAnd(other: TensorOrScalar): Tensor;
    /** Elementwise OR of truth values. */ logicalOr(other: TensorOrScalar): Tensor;
    /** Elementwise XOR of truth values. */ logicalXor(other: TensorOrScalar): Tensor;
    /** Elementwise NOT of truth values. */ logicalNot(): Tensor;
    /** C-style remainder (sign of this). */ fmod(other: TensorOrScalar): Tensor;
    /** Python-style modulus (sign of other). */ remainder(other: TensorOrScalar): Tensor;
    /** floor(this / other). */ floorDivide(other: TensorOrScalar): Tensor;
    /** True where NaN. */ isnan(): Tensor;
    /** True where infinite. */ isinf(): Tensor;
    /** True where finite. */ isfinite(): Tensor;
    /** this + weight * (end - this) */ lerp(end: Tensor, weight: TensorOrScalar): Tensor;
  }
}

addTensorMethods({
  rsqrt() { return rsqrt(this); }, erf() { return erf(this); }, log1p() { return log1p(this); },
  expm1() { return expm1(this); }, log2() { return log2(this); }, log10() { return log10(this); },
  floor() { return floor(this); }, ceil() { return ceil(this); }, round() { return round(this); },
  trunc() { return trunc(this); }, square() { return square(this); },
  clamp(...a: unknown[]) { return clamp(this, ...a); }, clip(...a: unknown[]) { return clamp(this, ...a); },
  clampMin(m: number | Tensor) { return clampMin(this, m); }, clampMax(m: number | Tensor) { return clampMax(this, m); },
  ne(o: TensorOrScalar) { return ne(this, o); },
  logicalAnd(o: TensorOrScalar) { return logicalAnd(this, o); }, logicalOr(o: TensorOrScalar) { return logicalOr(this, o); },
  logicalXor(o: TensorOrScalar) { return logicalXor(this, o); }, logicalNot() { return logicalNot(this); },
  fmod(o: TensorOrScalar) { return fmod(this, o); }, remainder(o: TensorOrScalar) { return remainder(this, o); },
  floorDivide(o: TensorOrScalar) { return floorDivide(this, o); },
  isnan() { return isnan(this); }, isinf() { return isinf(this); }, isfinite() { return isfinite(this); },
  lerp(e: Tensor, w: TensorOrScalar) { return lerp(this, e, w); },
});
