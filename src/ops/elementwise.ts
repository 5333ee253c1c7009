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
  onnx: string;
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
    lower: (b, [x, y]) => [b.op(spec.onnx, [x, y])],
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

/** a + alpha * b, with broadcasting. */
export function add(a: TensorOrScalar, b: TensorOrScalar, alpha = 1): Tensor {
  return bind1("add", promoteOperands("add", a, alpha === 1 ? b : b instanceof Tensor ? mul(b, alpha) : (b as number) * alpha));
}
/** a - alpha * b, with broadcasting. */
export function sub(a: TensorOrScalar, b: TensorOrScalar, alpha = 1): Tensor {
  return bind1("sub", promoteOperands("sub", a, alpha === 1 ? b : b instanceof Tensor ? mul(b, alpha) : (b as number) * alpha));
}
/** b - a (PyTorch's rsub). */
export const rsub = (a: TensorOrScalar, b: TensorOrScalar): Tensor => sub(b, a);
/** a * b, with broadcasting. */
export const mul = bin("mul");
/** True division a / b (integer inputs give float32), as torch.div without rounding_mode. */
export function div(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const dtype = resultType(a, b);
  return bind1("div", promoteOperands("div", a, b, isFloating(dtype) ? dtype : "float32"));
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

/** Elements of `a` where `cond` is true, else of `b`. */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const [ta, tb] = promoteOperands("where", a, b);
  return bind1("where", [cond, ta, tb]);
}

// ---- tensor methods ----------------------------------------------------------------------------

declare module "../tensor/tensor" {
  interface Tensor {
    /** this + alpha * other */ add(other: TensorOrScalar, alpha?: number): Tensor;
    /** this - alpha * other */ sub(other: TensorOrScalar, alpha?: number): Tensor;
    /** this * other */ mul(other: TensorOrScalar): Tensor;
    /** this / other (true division) */ div(other: TensorOrScalar): Tensor;
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
    /** int64 copy. */ long(): Tensor;
    /** int32 copy. */ int(): Tensor;
    /** bool copy. */ bool(): Tensor;
  }
}

addTensorMethods({
  add(o: TensorOrScalar, alpha?: number) { return add(this, o, alpha); },
  sub(o: TensorOrScalar, alpha?: number) { return sub(this, o, alpha); },
  mul(o: TensorOrScalar) { return mul(this, o); },
  div(o: TensorOrScalar) { return div(this, o); },
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
  half() { return cast(this, "float16"); }, long() { return cast(this, "int64"); },
  int() { return cast(this, "int32"); }, bool() { return cast(this, "bool"); },
});
