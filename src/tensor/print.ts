/**
 * PyTorch's tensor repr, ported from torch/_tensor_str.py (1.13): one formatter chosen from all shown values
 * (integer mode `1.`, fixed `0.1235`, or scientific `1.2346e+05`), padded to a common width, lines wrapped at
 * `linewidth`, summarised with `...` past `threshold` elements, then the suffixes (device, size, dtype, grad).
 * Numbers are rounded like Python's format(): exactly, half to even (JS's toFixed rounds exact ties up).
 */
import type { Tensor } from "./tensor";
import { isFloating, readNumber } from "./dtype";

/** Print options, as `torch.set_printoptions` (sciMode null = chosen from the values). */
export const printOptions = { precision: 4, threshold: 1000, edgeItems: 3, lineWidth: 80, sciMode: null as boolean | null };

/** Options accepted by `flow.setPrintOptions`. */
export interface PrintOptions { precision?: number; threshold?: number; edgeitems?: number; linewidth?: number; sciMode?: boolean | null; profile?: "default" | "short" | "full" }

/** Changes how tensors print, like `torch.set_printoptions`. @example flow.setPrintOptions({ precision: 2 }) */
export function setPrintOptions(o: PrintOptions): void {
  if (o.profile) Object.assign(printOptions, { default: { precision: 4, threshold: 1000, edgeItems: 3 }, short: { precision: 2, threshold: 1000, edgeItems: 2 }, full: { precision: 4, threshold: Infinity, edgeItems: 3 } }[o.profile], { lineWidth: 80 });
  if (o.precision !== undefined) printOptions.precision = o.precision;
  if (o.threshold !== undefined) printOptions.threshold = o.threshold;
  if (o.edgeitems !== undefined) printOptions.edgeItems = o.edgeitems;
  if (o.linewidth !== undefined) printOptions.lineWidth = o.linewidth;
  if ("sciMode" in o) printOptions.sciMode = o.sciMode ?? null;
}

// ---- exact decimal rounding (Python's "{:.Nf}" and "{:.Ne}") ------------------------------------

const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);
/** |x| = D / 10^s exactly, for finite x. */
function exactDecimal(x: number): [bigint, number] {
  f64[0] = Math.abs(x);
  const bits = u64[0], expBits = Number((bits >> 52n) & 0x7ffn);
  let m = bits & ((1n << 52n) - 1n), e = expBits - 1075;
  if (expBits === 0) e = -1074; else m |= 1n << 52n;
  return e >= 0 ? [m << BigInt(e), 0] : [m * 5n ** BigInt(-e), -e];
}
/** D / 10^drop rounded half to even. */
function roundDiv(d: bigint, drop: number): bigint {
  if (drop <= 0) return d * 10n ** BigInt(-drop);
  const div = 10n ** BigInt(drop), q = d / div, r2 = (d % div) * 2n;
  return r2 > div || (r2 === div && q % 2n === 1n) ? q + 1n : q;
}
const signOf = (x: number) => (x < 0 || Object.is(x, -0) ? "-" : "");
const nonFinite = (x: number) => (Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf");

/** Python's `"{:.pf}".format(x)`. */
export function pyFixed(x: number, p: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const [d, s] = exactDecimal(x);
  const q = roundDiv(d, s - p).toString().padStart(p + 1, "0");
  return signOf(x) + (p ? `${q.slice(0, q.length - p)}.${q.slice(q.length - p)}` : q);
}
/** Python's `"{:.pe}".format(x)`. */
export function pySci(x: number, p: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  if (x === 0) return `${signOf(x)}0${p ? "." + "0".repeat(p) : ""}e+00`;
  const [d, s] = exactDecimal(x);
  const nd = d.toString().length;
  let e10 = nd - 1 - s;
  let q = roundDiv(d, nd - p - 1).toString();
  if (q.length > p + 1) { q = q.slice(0, p + 1); e10++; } // rounded up to 10.000
  return `${signOf(x)}${q[0]}${p ? "." + q.slice(1) : ""}e${e10 < 0 ? "-" : "+"}${String(Math.abs(e10)).padStart(2, "0")}`;
}

// ---- the formatter ---------------------------------------------------------------------------

interface Formatter { width: number; format(v: number | string): string }

/** torch._tensor_str._Formatter for floating values. */
function floatFormatter(values: number[]): Formatter {
  const p = printOptions.precision;
  const vals = values.filter((v) => Number.isFinite(v) && v !== 0);
  let intMode = true, sci = false, width = 1;
  if (vals.length) {
    const abs = vals.map(Math.abs);
    const min = Math.min(...abs), max = Math.max(...abs);
    intMode = vals.every((v) => v === Math.ceil(v));
    if (intMode) {
      sci = max / min > 1000 || max > 1e8;
      for (const v of vals) width = Math.max(width, sci ? pySci(v, p).length : pyFixed(v, 0).length + 1);
    } else {
      sci = max / min > 1000 || max > 1e8 || min < 1e-4;
      for (const v of vals) width = Math.max(width, (sci ? pySci(v, p) : pyFixed(v, p)).length);
    }
  }
  if (printOptions.sciMode !== null) sci = printOptions.sciMode;
  const fmt = (v: number): string => {
    if (sci) return pySci(v, p);
    if (intMode) return pyFixed(v, 0) + (Number.isFinite(v) ? "." : "");
    return pyFixed(v, p);
  };
  return { width, format: (v) => fmt(v as number).padStart(width) };
}
function textFormatter(values: string[]): Formatter {
  const width = Math.max(1, ...values.map((v) => v.length));
  return { width, format: (v) => String(v).padStart(width) };
}

// ---- layout ------------------------------------------------------------------------------------

/** Formats a tensor as PyTorch's repr: `tensor([[1., 2.]], dtype=flow.float16)`. */
export function formatTensor(t: Tensor): string {
  if (t.isSymbolic) return `tensor(<symbolic>, shape=[${t.shape.join(", ")}], dtype=flow.${t.dtype})`;
  const prefix = "tensor(", indent = prefix.length, suffixes: string[] = [];
  if (t.device.type !== "cpu") suffixes.push(`device='${t.device.name}'`);
  let body: string;
  if (t.numel() === 0) {
    if (t.ndim !== 1) suffixes.push(`size=(${t.shape.join(", ")})`);
    if (t.dtype !== "float32") suffixes.push(`dtype=flow.${t.dtype}`);
    body = "[]";
  } else {
    if (t.dtype !== "float32" && t.dtype !== "int64" && t.dtype !== "bool") suffixes.push(`dtype=flow.${t.dtype}`);
    body = tensorBody(t, indent);
  }
  if (t.gradFn) suffixes.push(`grad_fn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) suffixes.push("requires_grad=True");
  return addSuffixes(prefix + body, suffixes, indent);
}

function addSuffixes(str: string, suffixes: string[], indent: number): string {
  let out = str, lastLen = str.length - str.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (lastLen + s.length + 2 > printOptions.lineWidth) { out += ",\n" + " ".repeat(indent) + s; lastLen = indent + s.length; }
    else { out += ", " + s; lastLen += s.length + 2; }
  }
  return out + ")";
}

/** The bracketed values of a non-empty tensor (`_tensor_str`), starting at column `indent`. */
export function tensorBody(t: Tensor, indent: number): string {
  const data = t.toTypedArray(), shape = t.shape;
  const summarize = t.numel() > printOptions.threshold, edge = printOptions.edgeItems;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const shown = (dim: number): number[] => {
    const n = shape[dim];
    return summarize && n > 2 * edge ? [...Array(edge).keys(), ...Array.from({ length: edge }, (_, i) => n - edge + i)] : [...Array(n).keys()];
  };
  const flat: number[] = [];
  const collect = (dim: number, base: number) => {
    if (dim === shape.length) flat.push(base);
    else for (const i of shown(dim)) collect(dim + 1, base + i * strides[dim]);
  };
  collect(0, 0);
  const value = (i: number): number | string => {
    if (t.dtype === "bool") return data[i] ? "True" : "False";
    if (t.dtype === "int64") return (data as BigInt64Array)[i].toString();
    return isFloating(t.dtype) ? readNumber(t.dtype, data, i) : String(data[i]);
  };
  const f = isFloating(t.dtype) ? floatFormatter(flat.map((i) => value(i) as number)) : textFormatter(flat.map((i) => value(i) as string));
  const render = (dim: number, base: number, ind: number): string => {
    if (dim === shape.length) return f.format(value(base));
    const n = shape[dim], cut = summarize && n > 2 * edge;
    if (dim === shape.length - 1) {
      const items = shown(dim).map((i) => f.format(value(base + i * strides[dim])));
      if (cut) items.splice(edge, 0, " ...");
      const perLine = Math.max(1, Math.floor((printOptions.lineWidth - ind) / (f.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(", "));
      return "[" + lines.join(",\n" + " ".repeat(ind + 1)) + "]";
    }
    const parts = shown(dim).map((i) => render(dim + 1, base + i * strides[dim], ind + 1));
    if (cut) parts.splice(edge, 0, "...");
    return "[" + parts.join("," + "\n".repeat(shape.length - dim - 1) + " ".repeat(ind + 1)) + "]";
  };
  return render(0, 0, indent);
}

/** Formats element `i` (flat index) of `t` with the formatter its repr would use (for display tables). */
export function valueFormatter(t: Tensor): (i: number) => string {
  const data = t.toTypedArray();
  const value = (i: number): number | string => {
    if (t.dtype === "bool") return data[i] ? "True" : "False";
    if (t.dtype === "int64") return (data as BigInt64Array)[i].toString();
    return isFloating(t.dtype) ? readNumber(t.dtype, data, i) : String(data[i]);
  };
  // The formatter is chosen from the values a summarised repr shows, as in tensorBody.
  const n = Math.min(t.numel(), 2000), step = Math.max(1, Math.floor(t.numel() / n));
  const sample = Array.from({ length: Math.ceil(t.numel() / step) }, (_, k) => value(k * step));
  const f = isFloating(t.dtype) ? floatFormatter(sample as number[]) : textFormatter(sample as string[]);
  return (i) => f.format(value(i));
}
