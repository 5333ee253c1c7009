/** flow.nn.utils: gradient clipping (torch/nn/utils/clip_grad.py). */
import { Tensor } from "../tensor/tensor";
import { fromHalf } from "../tensor/dtype";
import { noGrad } from "../autograd/mode";
import { abs, add, div, minimum, mul, pow, sqrt } from "../ops/elementwise";
import { sum } from "../ops/reduce";
import { writeInPlace } from "../optim/update";
import { parseArgs } from "../ops/args";

/** Options of clipGradNorm (its parameters after `parameters`, by name). */
export interface ClipOptions { maxNorm?: number; normType?: number | "inf"; errorIfNonfinite?: boolean }

const gradsOf = (params: Tensor | Iterable<Tensor>) => (params instanceof Tensor ? [params] : [...params]).map((p) => p.grad).filter((g): g is Tensor => g !== null);

/** The p-norm of one tensor as a 0-d tensor (∞ = max |x|). */
function norm(g: Tensor, p: number): Tensor {
  if (p === Infinity) {
    const a = g.toTypedArray();
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(g.dtype === "float16" ? fromHalf((a as Uint16Array)[i]) : (a as Float32Array)[i]));
    return Tensor._fromArray(Float64Array.of(m), [], "float64", g.device).type(g.dtype);
  }
  if (p === 2) return sqrt(sum(mul(g, g)));
  if (p === 1) return sum(abs(g));
  return pow(sum(pow(abs(g), p)), 1 / p);
}

/**
 * Scales the gradients of `parameters` in place so that their total `normType`-norm (as if all gradients
 * were one vector) is at most `maxNorm`; returns the total norm before clipping, as a 0-d tensor.
 * @example const total = nn.utils.clipGradNorm(model.parameters(), 1.0)
 */
export function clipGradNorm(parameters: Tensor | Iterable<Tensor>, maxNorm: number | ClipOptions, normType?: number | ClipOptions, errorIfNonfinite?: boolean | ClipOptions): Tensor;
export function clipGradNorm(parameters: Tensor | Iterable<Tensor>, ...args: unknown[]): Tensor {
  const o = parseArgs<Required<ClipOptions>>("clip_grad_norm_", args, ["maxNorm", "normType", "errorIfNonfinite"], { normType: 2, errorIfNonfinite: false }, { required: 1 });
  const { maxNorm, errorIfNonfinite } = o, normType = o.normType === "inf" ? Infinity : Number(o.normType); // PyTorch also accepts "inf"
  if (Number.isNaN(normType)) throw new TypeError(`clip_grad_norm_(): normType must be a number, got ${JSON.stringify(o.normType)}`);
  const grads = gradsOf(parameters);
  if (grads.length === 0) return Tensor._fromArray(Float32Array.of(0), [], "float32");
  return noGrad(() => {
    const norms = grads.map((g) => norm(g.detach(), normType));
    let total: Tensor;
    if (normType === Infinity) total = norms.reduce((a, b) => (a.item() >= b.item() ? a : b));
    else {
      const powered = norms.map((n) => (normType === 2 ? mul(n, n) : normType === 1 ? n : pow(n, normType)));
      const s = powered.reduce((a, b) => add(a, b));
      total = normType === 2 ? sqrt(s) : normType === 1 ? s : pow(s, 1 / normType);
    }
    if (errorIfNonfinite && !Number.isFinite(total.item())) {
      throw new Error(`The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`errorIfNonfinite=false\``);
    }
    const coef = minimum(div(maxNorm, add(total, 1e-6)), 1);
    for (const g of grads) writeInPlace(g, mul(g, coef));
    return total;
  });
}

/** Clamps every gradient element of `parameters` to [-clipValue, clipValue] in place. */
export function clipGradValue(parameters: Tensor | Iterable<Tensor>, clipValue: number | { clipValue: number }): void {
  clipValue = parseArgs<{ clipValue: number }>("clip_grad_value_", [clipValue], ["clipValue"], {}, { required: 1 }).clipValue;
  noGrad(() => {
    for (const g of gradsOf(parameters)) {
      const lo = Tensor._fromArray(Float64Array.of(-clipValue), [], "float64").type(g.dtype);
      writeInPlace(g, minimum(g, clipValue).maximum(lo));
    }
  });
}
