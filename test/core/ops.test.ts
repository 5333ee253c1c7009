/**
 * Table-driven forward and backward checks of every op row in ./rows against PyTorch, in one python call.
 */
import { test } from "node:test";
import * as fs from "fs";
import * as path from "path";
import * as flow from "../../src/index";
import { OpRow } from "./rows/row";
import { RefCase, assertClose, randomData, rng, torchEval } from "../helpers/torch";

const rowFiles = fs.readdirSync(path.join(__dirname, "rows")).filter((f) => f.endsWith(".rows.js"));
const rows: OpRow[] = rowFiles.flatMap((f) => require(path.join(__dirname, "rows", f)).rows as OpRow[]);
const FLOATS = new Set(["float32", "float64", "float16"]);

interface Prepared { row: OpRow; shapes: number[][]; inputs: { data: number[]; shape: number[]; dtype: string; grad: boolean }[]; seed?: number[] }

const r = rng(1234);
const prepared: Prepared[] = rows.flatMap((row) => row.shapes.map((shapes) => {
  const inputs = shapes.map((shape, i) => {
    const dtype = Array.isArray(row.dtype) ? row.dtype[i] : row.dtype ?? "float32";
    const range = (Array.isArray(row.range?.[0]) ? (row.range as [number, number][])[i] : row.range as [number, number] | undefined) ?? [-2, 2];
    let data = randomData(r, shape.reduce((a, b) => a * b, 1), range[0], range[1]);
    if (!FLOATS.has(dtype)) data = data.map(Math.floor);
    const grad = FLOATS.has(dtype) && (Array.isArray(row.grad) ? row.grad[i] : !!row.grad);
    return { data, shape, dtype, grad };
  });
  return { row, shapes, inputs };
}));

function runFlow(p: Prepared) {
  const xs = p.inputs.map((i) => flow.tensor(Float64Array.from(i.data), { dtype: i.dtype as flow.DType }).reshape(i.shape).detach().requiresGrad_(i.grad));
  const out = p.row.flow(flow, ...xs);
  return { xs, out: Array.isArray(out) ? out : [out] };
}

// Forward once to learn output shapes for the backward seeds, then ask PyTorch about everything at once.
const firstOuts = prepared.map((p) => { try { return runFlow(p).out[0]; } catch (e) { return e as Error; } });
prepared.forEach((p, i) => {
  const o = firstOuts[i];
  if (!(o instanceof Error) && p.inputs.some((x) => x.grad)) p.seed = randomData(r, o.numel());
});
const refs = torchEval(prepared.map((p): RefCase => ({ inputs: p.inputs, expr: p.row.torch, seed: p.seed })));

prepared.forEach((p, i) => {
  const label = `${p.row.name} ${p.shapes.map((s) => `[${s.join(",")}]`).join(" ")}`;
  test(label, () => {
    const ref = refs[i];
    if (ref.error) throw new Error(`PyTorch raised ${ref.error}`);
    const { xs, out } = runFlow(p);
    const refOuts = Array.isArray(ref.out) ? ref.out : [ref.out!];
    const rtol = p.row.rtol ?? 1e-4, atol = p.row.atol ?? 1e-5;
    out.forEach((o, k) => {
      const e = refOuts[k];
      if (o.shape.join() !== e.shape.join()) throw new Error(`output ${k} shape [${o.shape}] but PyTorch gives [${e.shape}]`);
      const want = e.dtype === "bool" ? "bool" : e.dtype;
      if (o.dtype !== want) throw new Error(`output ${k} dtype ${o.dtype} but PyTorch gives ${want}`);
      const vals = flatNumbers(o); // bool values read as 0/1
      assertClose(vals, e.data, `${label} output ${k}`, rtol, atol);
    });
    if (!p.seed) return;
    const seed = flow.tensor(Float64Array.from(p.seed), { dtype: out[0].dtype }).reshape(out[0].shape);
    out[0].backward(seed);
    xs.forEach((x, k) => {
      const g = ref.grads?.[k];
      if (!p.inputs[k].grad) return;
      if (!g) { if (x.grad) throw new Error(`input ${k} got a gradient; PyTorch gives none`); return; }
      if (!x.grad) throw new Error(`input ${k} got no gradient`);
      if (x.grad.shape.join() !== g.shape.join()) throw new Error(`grad ${k} shape [${x.grad.shape}] but PyTorch gives [${g.shape}]`);
      assertClose(flatNumbers(x.grad), g.data, `${label} grad ${k}`, rtol * 10, atol * 10);
    });
  });
});

function flatNumbers(t: flow.Tensor): number[] {
  const l = t.tolist();
  return Array.isArray(l) ? (l as unknown[]).flat(Infinity).map(Number) : [Number(l)];
}
