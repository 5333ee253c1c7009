/**
 * Notebook display of a tensor: `tensor[Symbol.for("Jupyter.display")]()` returns a MIME bundle with the
 * PyTorch-style repr as text/plain, and as text/html a header (shape, dtype, device, grad), a summarised
 * values table, and for 2-D/3-D/4-D floating tensors a heat map (PNG, data URI). The PNG is written here
 * synchronously with node:zlib, so display needs no async image library.
 */
import { deflateSync } from "node:zlib";
import { Tensor } from "./tensor";
import { isFloating, readNumber } from "./dtype";
import { formatTensor, printOptions, valueFormatter } from "./print";

const DISPLAY = Symbol.for("Jupyter.display");
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// ---- PNG -----------------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/** Encodes 8-bit RGB pixels (row-major, 3 bytes each) as a PNG file. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1); // filter 0
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit truecolour
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0))]);
}

// ---- heat map ------------------------------------------------------------------------------------

// viridis at 5 stops, interpolated linearly
const STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function colour(u: number): [number, number, number] {
  if (!Number.isFinite(u)) return [200, 200, 200]; // NaN / inf: grey
  const x = Math.min(Math.max(u, 0), 1) * (STOPS.length - 1), i = Math.min(Math.floor(x), STOPS.length - 2), f = x - i;
  return [0, 1, 2].map((c) => Math.round(STOPS[i][c] + f * (STOPS[i + 1][c] - STOPS[i][c]))) as [number, number, number];
}

const MAX_TILES = 8, MAX_SIDE = 512, MIN_SIDE = 96, GAP = 2;

/** A heat map of a 2-D [H, W], 3-D [C, H, W] (C tiles in a row) or 4-D [N, C, H, W] (N×C grid) float tensor. */
export function heatmapPng(t: Tensor): { png: Buffer; width: number; height: number; min: number; max: number } | null {
  if (!isFloating(t.dtype) || t.ndim < 2 || t.ndim > 4 || t.numel() === 0) return null;
  const s = [1, 1, ...t.shape].slice(-4), [N, C, H, W] = s;
  const rows = Math.min(N, MAX_TILES), cols = Math.min(C, MAX_TILES);
  const data = t.toTypedArray(), read = (i: number) => readNumber(t.dtype, data, i);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < t.numel(); i++) { const v = read(i); if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
  // Nearest-neighbour scaling: small maps are enlarged to be visible, large ones sampled down.
  const side = Math.max(H, W);
  const scale = side * Math.max(rows, cols) > MAX_SIDE ? MAX_SIDE / (side * Math.max(rows, cols)) : Math.max(1, Math.floor(MIN_SIDE / side));
  const th = Math.max(1, Math.round(H * scale)), tw = Math.max(1, Math.round(W * scale));
  const width = cols * tw + (cols - 1) * GAP, height = rows * th + (rows - 1) * GAP;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  const span = hi > lo ? hi - lo : 1;
  for (let n = 0; n < rows; n++) for (let c = 0; c < cols; c++) {
    const base = (n * C + c) * H * W;
    for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
      const v = read(base + Math.min(H - 1, Math.floor(y / scale)) * W + Math.min(W - 1, Math.floor(x / scale)));
      const px = ((n * (th + GAP) + y) * width + c * (tw + GAP) + x) * 3;
      rgb.set(colour(hi > lo || !Number.isFinite(v) ? (v - lo) / span : 0.5), px);
    }
  }
  return { png: encodePng(rgb, width, height), width, height, min: lo, max: hi };
}

// ---- values table --------------------------------------------------------------------------------

/** Shown indices of a dim: all, or the edges around an ellipsis (-1). */
function shownIdx(n: number, summarise: boolean): number[] {
  const e = printOptions.edgeItems;
  return summarise && n > 2 * e ? [...Array(e).keys(), -1, ...Array.from({ length: e }, (_, i) => n - e + i)] : [...Array(n).keys()];
}

/** HTML table of the last two dims of one slice starting at flat offset `base`. */
function matrixTable(t: Tensor, base: number, fmt: (i: number) => string, caption: string): string {
  const [H, W] = t.ndim === 1 ? [1, t.shape[0]] : t.shape.slice(-2);
  const big = t.numel() > printOptions.threshold || H > 20 || W > 20;
  const cols = shownIdx(W, big);
  const head = `<tr><th></th>${cols.map((j) => `<th>${j < 0 ? "…" : j}</th>`).join("")}</tr>`;
  const body = shownIdx(H, big).map((i) => `<tr><th>${i < 0 ? "⋮" : i}</th>${cols.map((j) => `<td>${i < 0 || j < 0 ? "…" : esc(fmt(base + i * W + j).trim())}</td>`).join("")}</tr>`).join("");
  return `<table class="flowbook-values" style="font-family:monospace;font-size:12px">${caption ? `<caption style="text-align:left">${esc(caption)}</caption>` : ""}${head}${body}</table>`;
}

function valuesHtml(t: Tensor): string {
  if (t.numel() === 0) return "<div><i>empty</i></div>";
  const fmt = valueFormatter(t);
  if (t.ndim === 0) return `<pre>${esc(fmt(0).trim())}</pre>`;
  if (t.ndim <= 2) return matrixTable(t, 0, fmt, "");
  // ≥3-D: a table per leading index (summarised), each of the last two dims.
  const lead = t.shape.slice(0, -2), per = t.shape.slice(-2).reduce((a, b) => a * b, 1);
  const leadCount = lead.reduce((a, b) => a * b, 1);
  const picks = shownIdx(leadCount, true).slice(0, 2 * printOptions.edgeItems + 1);
  return picks.map((k) => {
    if (k < 0) return "<div>⋮</div>";
    const idx = lead.map((_, d) => Math.floor(k / lead.slice(d + 1).reduce((a, b) => a * b, 1)) % lead[d]);
    return matrixTable(t, k * per, fmt, `[${[...idx, ":", ":"].join(", ")}]`);
  }).join("");
}

/** The MIME bundle a notebook shows for a tensor. */
export function displayTensor(t: Tensor): Record<string, string> {
  const text = formatTensor(t);
  if (t.isSymbolic) return { "text/plain": text };
  const grad = t.gradFn ? ` · grad_fn=${t.gradFn.name}` : t.requiresGrad ? " · requires_grad" : "";
  const header = `<div class="flowbook-tensor-header" style="font-family:monospace"><b>Tensor</b> shape [${t.shape.join(", ")}] · ${t.dtype} · ${t.device.name}${grad}</div>`;
  const heat = heatmapPng(t);
  const img = heat ? `<div><img alt="heat map" src="data:image/png;base64,${heat.png.toString("base64")}" width="${heat.width}" height="${heat.height}" style="image-rendering:pixelated"/><div style="font-family:monospace;font-size:11px">min ${heat.min.toPrecision(4)} · max ${heat.max.toPrecision(4)}${t.ndim > 2 ? ` · tiles: ${t.ndim === 3 ? "dim 0" : "dims 0 × 1"} (first ${MAX_TILES})` : ""}</div></div>` : "";
  return { "text/plain": text, "text/html": `<div class="flowbook-tensor">${header}${valuesHtml(t)}${img}</div>` };
}

declare module "./tensor" {
  interface Tensor {
    /** The MIME bundle for Jupyter: text/plain repr, and HTML with header, values and a heat map. */
    [DISPLAY](): Record<string, string>;
  }
}
Object.defineProperty(Tensor.prototype, DISPLAY, { value: function (this: Tensor) { return displayTensor(this); }, writable: true, configurable: true });
