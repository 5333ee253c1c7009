/**
 * PyTorch's tensor printing (torch/_tensor_str.py): a shared formatter chosen from all shown values (integer
 * mode `1.`, fixed `0.1235`, or scientific `1.2346e+05`), summarised with `...` past 1000 elements.
 */
import type { Tensor } from "./tensor";
import { isFloating, readNumber } from "./dtype";

/** Print options, as `torch.set_printoptions`. */
export const printOptions = { precision: 4, threshold: 1000, edgeItems: 3, lineWidth: 80 };

type Fmt = (v: number) => string;

function floatFormatter(values: number[]): { fmt: Fmt; width: number } {
  const finite = values.filter((v) => Number.isFinite(v));
  const p = printOptions.precision;
  let fmt: Fmt;
  if (finite.length === 0) fmt = (v) => String(v);
  else {
    const abs = finite.map(Math.abs).filter((v) => v !== 0);
    const max = abs.length ? Math.max(...abs) : 0, min = abs.length ? Math.min(...abs) : 0;
    const allInt = finite.every((v) => Number.isInteger(v));
    if (allInt && max < 1e8) fmt = (v) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : nonFinite(v));
    else if (max / min > 1000 || max > 1e8 || min < 1e-4) fmt = (v) => (Number.isFinite(v) ? sci(v, p) : nonFinite(v));
    else fmt = (v) => (Number.isFinite(v) ? v.toFixed(p) : nonFinite(v));
  }
  const width = Math.max(...values.map((v) => fmt(v).length), 1);
  return { fmt, width };
}
const nonFinite = (v: number) => (Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf");
function sci(v: number, p: number): string {
  const [m, e] = v.toExponential(p).split("e");
  const n = Number(e);
  return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
}

/** Formats a tensor's values as PyTorch's repr body plus suffixes. */
export function formatTensor(t: Tensor): string {
  if (t.isSymbolic) return `tensor(<symbolic>, shape=[${t.shape.join(", ")}], dtype=flow.${t.dtype})`;
  const data = t.toTypedArray();
  const n = t.numel();
  const summarize = n > printOptions.threshold;
  const shown: number[] = [];
  const read = (i: number) => readNumber(t.dtype, data, i);
  const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const indices = (dim: number): number[] => {
    const size = t.shape[dim];
    const e = printOptions.edgeItems;
    if (summarize && size > 2 * e) return [...Array(e).keys(), -1, ...Array.from({ length: e }, (_, i) => size - e + i)];
    return [...Array(size).keys()];
  };
  const collect = (dim: number, base: number) => {
    if (dim === t.ndim) { shown.push(read(base)); return; }
    for (const i of indices(dim)) if (i >= 0) collect(dim + 1, base + i * strides[dim]);
  };
  collect(0, 0);
  let fmt: Fmt, width: number;
  if (t.dtype === "bool") { fmt = (v) => (v ? "True" : "False"); width = Math.max(...shown.map((v) => fmt(v).length), 4); }
  else if (isFloating(t.dtype)) ({ fmt, width } = floatFormatter(shown));
  else { fmt = (v) => String(v); width = Math.max(...shown.map((v) => String(v).length), 1); }

  const indent = "tensor(".length;
  const render = (dim: number, base: number, ind: number): string => {
    if (dim === t.ndim) return fmt(read(base)).padStart(width);
    const parts = indices(dim).map((i) => (i < 0 ? "..." : render(dim + 1, base + i * strides[dim], ind + 1)));
    if (dim === t.ndim - 1) {
      const perLine = Math.max(1, Math.floor((printOptions.lineWidth - ind) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < parts.length; i += perLine) lines.push(parts.slice(i, i + perLine).join(", "));
      return `[${lines.join(",\n" + " ".repeat(ind + 1))}]`;
    }
    const sep = "," + "\n".repeat(t.ndim - dim - 1) + " ".repeat(ind + 1);
    return `[${parts.join(sep)}]`;
  };
  const body = t.ndim === 0 ? fmt(read(0)) : n === 0 ? "[]" : render(0, 0, indent);
  const suffix: string[] = [];
  if (t.device.type !== "cpu") suffix.push(`device='${t.device.name}'`);
  if (n === 0 && t.ndim !== 1) suffix.push(`size=(${t.shape.join(", ")})`);
  const defaultDtype = t.dtype === "float32" || t.dtype === "int64" || t.dtype === "bool";
  if (!defaultDtype) suffix.push(`dtype=flow.${t.dtype}`);
  if (t.gradFn) suffix.push(`grad_fn=<${t.gradFn.name}Backward>`);
  else if (t.requiresGrad) suffix.push("requires_grad=True");
  return `tensor(${body}${suffix.length ? ", " + suffix.join(", ") : ""})`;
}
