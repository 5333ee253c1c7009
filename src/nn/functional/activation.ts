/**
 * softmax and logSoftmax: primitives lowered to ONNX Softmax/LogSoftmax (opset 13+, one axis; ONNX Runtime
 * subtracts the maximum, so large logits do not overflow), with host kernels for small tensors that do the
 * same. Also re-exports the elementwise activations under F.
 *   softmax:    dx = y * (dy - sum(dy * y, dim))
 *   logSoftmax: dx = dy - exp(y) * sum(dy, dim)
 */
import { Tensor, normalizeDim } from "../../tensor/tensor";
import { DType, TypedArray, allocArray, isFloating } from "../../tensor/dtype";
import { defineOp, Meta } from "../../ops/registry";
import { bind1 } from "../../ops/dispatch";
import { parseArgs } from "../../ops/args";
import { addTensorMethods } from "../../ops/methods";
import { int } from "../../onnx/proto";
import { cast, exp, mul, sub } from "../../ops/elementwise";
import { sum } from "../../ops/reduce";

interface SoftmaxAttrs { dim: number }

function softmaxRule(op: string) {
  return ([x]: readonly Meta[], { dim }: SoftmaxAttrs): Meta[] => {
    if (!isFloating(x.dtype)) throw new TypeError(`${op}: "${op}_lastdim_kernel_impl" not implemented for '${x.dtype}' (pass {dtype: "float32"} or a float tensor)`);
    if (dim < 0 || dim >= Math.max(x.shape.length, 1)) throw new RangeError(`${op}: Dimension out of range (got ${dim} for a ${x.shape.length}-D tensor)`);
    return [{ shape: x.shape, dtype: x.dtype }];
  };
}

// Host kernel: for each line along `dim`, subtract its max, exponentiate, normalise.
function softmaxHost(log: boolean) {
  return ([x]: TypedArray[], { dim }: SoftmaxAttrs, [m]: readonly Meta[]): TypedArray[] | null => {
    if (m.dtype !== "float32" && m.dtype !== "float64") return null;
    const X = x as Float64Array, out = allocArray(m.dtype, X.length) as Float64Array;
    const n = m.shape.length ? m.shape[dim] : 1;
    const inner = m.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const outer = X.length / Math.max(n * inner, 1);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let mx = -Infinity;
        for (let k = 0; k < n; k++) mx = Math.max(mx, X[base + k * inner]);
        let s = 0;
        for (let k = 0; k < n; k++) s += Math.exp(X[base + k * inner] - mx);
        const lse = mx + Math.log(s);
        for (let k = 0; k < n; k++) {
          const v = X[base + k * inner];
          out[base + k * inner] = log ? v - lse : Math.exp(v - lse);
        }
      }
    }
    return [out as TypedArray];
  };
}

defineOp<SoftmaxAttrs>({
  name: "softmax",
  infer: softmaxRule("softmax"),
  lower: (b, [x], { dim }, [m]) => [b.op("Softmax", [x], { axis: int(m.shape.length ? dim : 0) })],
  vjp: ({ grads: [g], outputs: [y], attrs: { dim } }) => [mul(y, sub(g!, sum(mul(g!, y), dim, true)))],
  host: softmaxHost(false),
});

defineOp<SoftmaxAttrs>({
  name: "logSoftmax",
  infer: softmaxRule("log_softmax"),
  lower: (b, [x], { dim }, [m]) => [b.op("LogSoftmax", [x], { axis: int(m.shape.length ? dim : 0) })],
  vjp: ({ grads: [g], outputs: [y], attrs: { dim } }) => [sub(g!, mul(exp(y), sum(g!, dim, true)))],
  host: softmaxHost(true),
});

type SoftmaxOpts = { dim: number | null; dtype: DType | null };

function softmaxCall(op: string, name: string, input: Tensor, args: unknown[]): Tensor {
  const a = parseArgs<SoftmaxOpts>(op, args, ["dim", "dtype"], { dim: null, dtype: null });
  // PyTorch's implicit dim (deprecated there) is 0 for 0-D, 1-D and 3-D inputs, else 1; flowbook requires it.
  if (a.dim === null) throw new TypeError(`${op}(): the dim argument is required (e.g. ${name}(x, -1))`);
  const x = a.dtype ? cast(input, a.dtype) : input;
  return bind1(name, [x], { dim: normalizeDim(a.dim, x.ndim, op) });
}

/**
 * Softmax along `dim`: exp(x) / sum(exp(x)), computed stably. Optional `dtype` casts the input first.
 * @example F.softmax(logits, -1)
 */
export function softmax(input: Tensor, ...args: unknown[]): Tensor { return softmaxCall("softmax", "softmax", input, args); }

/**
 * log(softmax(x)) along `dim`, computed stably (x - logsumexp(x)). Optional `dtype` casts the input first.
 * @example F.logSoftmax(logits, 1)
 */
export function logSoftmax(input: Tensor, ...args: unknown[]): Tensor { return softmaxCall("log_softmax", "logSoftmax", input, args); }

declare module "../../tensor/tensor" {
  interface Tensor {
    /** Softmax along `dim`. */
    softmax(dim: number | { dim: number; dtype?: DType }, dtype?: DType): Tensor;
    /** Log-softmax along `dim`. */
    logSoftmax(dim: number | { dim: number; dtype?: DType }, dtype?: DType): Tensor;
  }
}
addTensorMethods({
  softmax(...args: unknown[]) { return softmax(this, ...args); },
  logSoftmax(...args: unknown[]) { return logSoftmax(this, ...args); },
});

export { relu, sigmoid, tanh, gelu, silu, softplus } from "../../ops/elementwise";
