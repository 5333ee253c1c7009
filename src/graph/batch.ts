/**
 * Dynamic batch dimension. Tracing sees concrete shapes, and some lowerings write them into the model
 * (Reshape's target shape, Expand's shape). To emit a model whose dimension 0 is symbolic, the graph is traced
 * a second time with every input's batch size plus one, and the two lowered graphs are compared: they must be
 * identical except for Reshape/Expand shape constants whose first entry is the batch size, which are rewritten
 * to "copy dimension 0 from the input" (Reshape 0, Expand 1). Any other difference means build() bakes the
 * batch size somewhere (e.g. `x.reshape(16, -1)` with a JS number); the error names that op and line.
 */
import { Tensor } from "../tensor/tensor";
import type { IRGraph, IRNode } from "./ir";
import { shortLine } from "./repr";

/** Stand-ins for `inputs` with dimension 0 grown by `delta` (shape only; tracing never reads their data). */
export function growBatch(inputs: unknown, delta: number): unknown {
  if (inputs instanceof Tensor) {
    if (!inputs.shape.length) return inputs;
    const t = new Tensor([inputs.shape[0] + delta, ...inputs.shape.slice(1)], inputs.dtype, inputs.device, null);
    t.requiresGrad = inputs.requiresGrad;
    return t;
  }
  if (Array.isArray(inputs)) return inputs.map((x) => growBatch(x, delta));
  if (inputs !== null && typeof inputs === "object" && Object.getPrototypeOf(inputs) === Object.prototype) {
    return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, growBatch(v, delta)]));
  }
  return inputs;
}

const small = (t: Tensor) => t.numel() <= 64;
const values = (t: Tensor) => Array.from(t._host() as ArrayLike<number | bigint>, Number);

function notPolymorphic(n: IRNode | null, why: string): Error {
  const where = n ? ` at op ${n.op}${n.sourceLine ? ` (${shortLine(n.sourceLine)})` : ""}` : "";
  return new Error(`dynamic batch: the graph is not batch-polymorphic${where}: ${why}. Avoid writing the batch size as a number in build() (use -1 in reshape, or x.shape[0] read from the input).`);
}

/**
 * Rewrites `a` (traced at batch `batch`) in place so dimension 0 may vary, using `b` (the same graph traced at
 * batch + 1) to tell batch-dependent constants from the rest; throws when the graph is not batch-polymorphic.
 */
export function makeBatchDynamic(a: IRGraph, b: IRGraph, batch: number): void {
  if (a.nodes.length !== b.nodes.length) throw notPolymorphic(null, `it has ${a.nodes.length} ops at batch ${batch} but ${b.nodes.length} at batch ${batch + 1}`);
  for (const o of a.outputs.filter((x) => x.kind === "output")) {
    if (a.meta.get(o.name)?.shape[0] !== batch) throw notPolymorphic(null, `output '${o.name}' has no batch dimension (shape [${a.meta.get(o.name)?.shape.join(", ")}])`);
  }
  const rewritten = new Map<string, string>();
  a.nodes.forEach((n, k) => {
    const m = b.nodes[k];
    if (n.op !== m.op || JSON.stringify(n.attrs) !== JSON.stringify(m.attrs) || n.inputs.length !== m.inputs.length) throw notPolymorphic(n, "its ops differ between batch sizes");
    n.inputs.forEach((x, i) => {
      const y = m.inputs[i];
      const ca = a.constants.get(x), cb = b.constants.get(y);
      if (!ca || !cb) { if (!!ca !== !!cb) throw notPolymorphic(n, "an input is constant at one batch size only"); return; }
      if (ca.shape.join() !== cb.shape.join()) throw notPolymorphic(n, `constant '${x}' changes shape with the batch size`);
      if (!small(ca)) return;
      const va = values(ca), vb = values(cb);
      if (va.every((v, j) => v === vb[j])) return;
      const shapeInput = (n.op === "Reshape" || n.op === "Expand") && i === 1;
      const dataDim0 = a.meta.get(n.inputs[0])?.shape[0];
      if (!shapeInput || va[0] !== batch || vb[0] !== batch + 1 || va.slice(1).some((v, j) => v !== vb[j + 1]) || dataDim0 !== batch) {
        throw notPolymorphic(n, `constant '${x}' holds the batch size`);
      }
      const key = `${n.op}:${x}`;
      let name = rewritten.get(key);
      if (!name) {
        name = `${x}_dynbatch`;
        const fixed = [n.op === "Reshape" ? 0 : 1, ...va.slice(1)];
        a.constants.set(name, Tensor._fromArray(BigInt64Array.from(fixed.map(BigInt)), [fixed.length], "int64"));
        a.meta.set(name, { shape: [fixed.length], dtype: "int64" });
        rewritten.set(key, name);
      }
      n.inputs[i] = name;
    });
  });
}
