/**
 * `flow.autograd.gradcheck`: compares the gradient rules' Jacobian with central finite differences in float64,
 * as `torch.autograd.gradcheck` does (its default, full-Jacobian mode).
 */
import { Tensor } from "../tensor/tensor";
import { isFloating, readNumber, writeNumber } from "../tensor/dtype";
import { noGrad } from "./mode";
import { runBackward } from "./engine";
import { zerosLike } from "../tensor/creation";

/** Options of gradcheck (PyTorch's names and defaults). */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, relative to the numerical value (default 1e-3). */
  rtol?: number;
  /** Throw on a mismatch (default true); false returns false instead. */
  raiseException?: boolean;
}

type Fn = (...inputs: Tensor[]) => Tensor | Tensor[];

/**
 * Checks the gradients of `fn` at `inputs` against finite differences: for every input that requires grad and
 * every output, the Jacobian from backward (one pass per output element) must match central differences
 * `(f(x + eps) - f(x - eps)) / (2 eps)` within `atol + rtol * |numerical|`. Inputs that require grad must be
 * float64 (float32 cannot resolve a step of 1e-6). Returns true, or throws an error that names the output,
 * the input, the element and both values.
 * @example flow.autograd.gradcheck((a, b) => a.mul(b).sin(), [x, y]) // x, y: float64, requiresGrad
 */
export function gradcheck(fn: Fn, inputs: Tensor | Tensor[], opts: GradcheckOptions = {}): boolean {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raiseException = true } = opts;
  const xs = Array.isArray(inputs) ? inputs : [inputs];
  const checked = xs.map((x, i) => ({ x, i })).filter(({ x }) => x instanceof Tensor && x.requiresGrad);
  if (!checked.length) throw new Error("gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True.");
  for (const { x, i } of checked) {
    if (x.dtype !== "float64") throw new TypeError(`gradcheck: input ${i} requires gradient and is not a double precision floating point (it is ${x.dtype}); finite differences need float64: pass x.to("float64")`);
    if (x.device.type !== "cpu") throw new Error(`gradcheck: input ${i} is on ${x.device.name}; gradcheck perturbs inputs on the CPU`);
  }
  const run = (): Tensor[] => { const r = fn(...xs); return Array.isArray(r) ? r : [r]; };
  const flat = (t: Tensor): Float64Array => {
    const d = t._host("gradcheck"), out = new Float64Array(t.numel());
    for (let k = 0; k < out.length; k++) out[k] = Number(readNumber(t.dtype, d, k));
    return out;
  };

  // Analytical: row m of d(out)/d(inputs) from one backward pass seeded with the one-hot cotangent e_m.
  const outs = run();
  outs.forEach((o, oi) => { if (!(o instanceof Tensor)) throw new TypeError(`gradcheck: fn returned a non-tensor as output ${oi}`); });
  const analytical = checked.map(({ x }) => outs.map((o) => new Float64Array(x.numel() * o.numel())));
  outs.forEach((o, oi) => {
    if (!o.requiresGrad || !isFloating(o.dtype)) return; // the Jacobian of an output that does not require grad is zero
    const n = o.numel();
    for (let m = 0; m < n; m++) {
      const seed = zerosLike(o);
      writeNumber(seed.dtype, seed._host(), m, 1);
      const grads = runBackward([o], [seed], { retainGraph: true }, checked.map(({ x }) => x));
      grads.forEach((g, c) => {
        if (!g) return;
        const x = checked[c].x;
        if (g.shape.join() !== x.shape.join()) throw new Error(`gradcheck: Gradient has shape mismatch: input ${checked[c].i} has shape [${x.shape.join(", ")}], its gradient [${g.shape.join(", ")}]`);
        if (g.dtype !== x.dtype) throw new Error(`gradcheck: Gradient has dtype mismatch: input ${checked[c].i} is ${x.dtype}, its gradient ${g.dtype}`);
        const gv = flat(g), J = analytical[c][oi];
        for (let k = 0; k < gv.length; k++) J[k * n + m] = gv[k];
      });
    }
  });

  // Numerical: column k of the Jacobian from central differences, perturbing one input element at a time.
  const numerical = checked.map(({ x }) => outs.map((o) => new Float64Array(x.numel() * o.numel())));
  noGrad(() => {
    checked.forEach(({ x }, c) => {
      const data = x._host("gradcheck") as Float64Array;
      // Each write is an in-place change: the version bump makes every cache keyed by the tensor's storage
      // version (an eager conv session with the weight baked in) see the perturbed value.
      const set = (k: number, v: number) => { data[k] = v; x._storage!.version++; };
      for (let k = 0; k < data.length; k++) {
        const orig = data[k];
        let plus: Float64Array[], minus: Float64Array[];
        try {
          set(k, orig + eps); plus = run().map(flat);
          set(k, orig - eps); minus = run().map(flat);
        } finally { set(k, orig); }
        outs.forEach((o, oi) => {
          const n = o.numel(), J = numerical[c][oi];
          for (let m = 0; m < n; m++) J[k * n + m] = (plus[oi][m] - minus[oi][m]) / (2 * eps);
        });
      }
    });
  });

  for (let c = 0; c < checked.length; c++) {
    for (let oi = 0; oi < outs.length; oi++) {
      const A = analytical[c][oi], N = numerical[c][oi], n = outs[oi].numel(), x = checked[c].x;
      for (let j = 0; j < A.length; j++) {
        const a = A[j], num = N[j];
        if (Math.abs(a - num) <= atol + rtol * Math.abs(num)) continue;
        if (!raiseException) return false;
        const k = Math.floor(j / n), m = j % n;
        throw new Error(
          `Jacobian mismatch for output ${oi} with respect to input ${checked[c].i}: ` +
          `d(output ${oi}[${unravel(m, outs[oi].shape)}]) / d(input ${checked[c].i}[${unravel(k, x.shape)}]) ` +
          `numerical ${num} vs analytical ${a} (atol ${atol}, rtol ${rtol}, eps ${eps})`,
        );
      }
    }
  }
  return true;
}

/** Multi-index of flat position k in a row-major shape, as "i, j, ...". */
function unravel(k: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) { idx.unshift(k % shape[d]); k = Math.floor(k / shape[d]); }
  return idx.join(", ");
}
