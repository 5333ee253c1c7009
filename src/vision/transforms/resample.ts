/**
 * PIL's resampling (Pillow `libImaging/Resample.c`), so that Resize and RandomResizedCrop agree with
 * torchvision's PIL path: a separable convolution whose filter support grows with the downscale factor
 * (antialiasing), horizontal pass then vertical pass (as Pillow orders them), 8-bit fixed-point coefficients (22 fractional bits)
 * and an 8-bit intermediate image, exactly as Pillow does. libvips' own resize differs by up to 24/255
 * when upsampling (another pixel-centre convention), so it is not used here. The passes run as WebAssembly SIMD
 * (resample.wat: the same int32 sums per output value, so the same bytes) where the runtime has it, else in JS.
 */
import { RawImage } from "./image";
import { RESAMPLE_WASM } from "./resample_wasm";

/** Interpolation modes (torchvision's InterpolationMode names). */
export type Interpolation = "bilinear" | "bicubic";

const FILTERS: Record<Interpolation, { support: number; f: (x: number) => number }> = {
  bilinear: { support: 1, f: (x) => { x = Math.abs(x); return x < 1 ? 1 - x : 0; } },
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5; x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
};

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
/** The fixed-point coefficient of a tap that copies its pixel: (p * ONE + HALF) >> PRECISION_BITS === p. */
const ONE = 1 << PRECISION_BITS;

interface Coeffs { ksize: number; bounds: Int32Array; k: Int32Array }

// Coefficients depend only on (mode, input length, output length); RandomResizedCrop meets the same few hundred
// lengths again and again, so they are kept (the table is emptied when it grows past COEFF_CACHE entries).
const coeffCache = new Map<string, Coeffs>();
const COEFF_CACHE = 1024;

/**
 * Pillow's precompute_coeffs + normalize_coeffs_8bpc for a line of `inSize` pixels (the cropped image: torchvision
 * crops, then resizes, so the taps are clamped to the crop) resized to `outSize`. bounds[2i] is the first tap of
 * output i (relative to the crop), bounds[2i+1] the number of taps; k holds `ksize` fixed-point weights per output.
 */
function coeffs(inSize: number, outSize: number, mode: Interpolation): Coeffs {
  const key = `${mode}:${inSize}:${outSize}`;
  const hit = coeffCache.get(key);
  if (hit) return hit;
  const filter = FILTERS[mode];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2), k = new Int32Array(outSize * ksize), w = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) { w[x] = filter.f((x + xmin - center + 0.5) * ss); ww += w[x]; }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[xx * 2] = xmin; bounds[xx * 2 + 1] = xmax;
  }
  const c = { ksize, bounds, k };
  if (coeffCache.size >= COEFF_CACHE) coeffCache.clear();
  coeffCache.set(key, c);
  return c;
}

// Scratch buffers reused between calls (each thread has its own module instance; the resampler is synchronous).
// The intermediate image is read as a Uint8Array (like the source: one element kind in the vertical pass) and
// written through a Uint8ClampedArray view of the same memory.
let midBuf = new Uint8Array(0), midClamped = new Uint8ClampedArray(0), rowBuf = new Uint8ClampedArray(0);
function scratchMid(n: number): Uint8Array {
  if (midBuf.length < n) { midBuf = new Uint8Array(n + (n >> 2)); midClamped = new Uint8ClampedArray(midBuf.buffer); }
  return midBuf;
}
function scratchRow(n: number): Uint8ClampedArray { if (rowBuf.length < n) rowBuf = new Uint8ClampedArray(n); return rowBuf; }

/**
 * Where {@link resizedCropInto} writes: a float32 CHW tensor of 3 planes (outH × outW each) at `offset` in `data`,
 * each byte value v of channel c written as `luts[c][v]` (ToTensor, or ToTensor + Normalize, as a table), the
 * columns mirrored when `flip` (hflip before ToTensor).
 */
export interface TensorSink { data: Float32Array; offset: number; luts: readonly Float32Array[]; flip: boolean }

/**
 * Crops the box (left, top, width, height) out of `img` and resizes it to outW × outH, as torchvision's
 * `F.resized_crop` (= PIL crop then resize) does. With the full box it is `F.resize`.
 */
export function resizedCrop(img: RawImage, top: number, left: number, h: number, w: number, outH: number, outW: number, mode: Interpolation = "bilinear"): RawImage {
  checkArgs(outH, outW, mode);
  if (left < 0 || top < 0 || left + w > img.width || top + h > img.height) return resizedCrop(padTo(img, top, left, h, w), 0, 0, h, w, outH, outW, mode);
  if (w === outW && h === outH) return crop(img, top, left, h, w);
  const out = new Uint8Array(outW * outH * 3);
  resample(img, top, left, h, w, outH, outW, mode, new Uint8ClampedArray(out.buffer), null);
  return new RawImage(out, outW, outH, img.source);
}

/**
 * The same pixels as `resizedCrop` (then `hflip` when sink.flip), written straight into a float32 CHW tensor
 * through per-channel tables: one pass from the decoded image to the normalised tensor, no intermediate images.
 */
export function resizedCropInto(img: RawImage, top: number, left: number, h: number, w: number, outH: number, outW: number, mode: Interpolation, sink: TensorSink): void {
  checkArgs(outH, outW, mode);
  if (sink.luts.length !== 3 || sink.offset < 0 || sink.offset + 3 * outH * outW > sink.data.length) throw new RangeError(`resizedCropInto: the tensor needs ${3 * outH * outW} floats at offset ${sink.offset} and 3 channel tables`);
  if (left < 0 || top < 0 || left + w > img.width || top + h > img.height) return resizedCropInto(padTo(img, top, left, h, w), 0, 0, h, w, outH, outW, mode, sink);
  resample(img, top, left, h, w, outH, outW, mode, null, sink);
}

function checkArgs(outH: number, outW: number, mode: Interpolation): void {
  if (!FILTERS[mode]) throw new TypeError(`resize: interpolation '${mode}' is not supported (use "bilinear" or "bicubic")`);
  if (outW <= 0 || outH <= 0) throw new RangeError(`resize: output size must be positive, got ${outW}x${outH}`);
}

// Pillow's ImagingResampleInner on the crop: a horizontal pass over only the rows the vertical pass reads
// (ybox_first..ybox_last) into an 8-bit intermediate, then the vertical pass. A pass that is not needed (same
// length) is a copy, done here as a one-tap pass with weight 1.0 (exact). Uint8ClampedArray stores are clip8.
function resample(img: RawImage, top: number, left: number, h: number, w: number, outH: number, outW: number, mode: Interpolation, out8: Uint8ClampedArray | null, sink: TensorSink | null): void {
  if (backend === "wasm" && wasm) return resampleWasm(wasm, img, top, left, h, w, outH, outW, mode, out8, sink);
  const S = img.width * 3, rowLen = outW * 3;
  const cv = h !== outH ? coeffs(h, outH, mode) : null;
  const ch = w !== outW ? coeffs(w, outW, mode) : null;
  const ya = cv ? cv.bounds[0] : 0, yb = cv ? cv.bounds[(outH - 1) * 2] + cv.bounds[(outH - 1) * 2 + 1] : h;
  // The vertical pass reads crop row r at m[base + r * mStride].
  let m = img.data, mStride = S, base = top * S + left * 3;
  if (ch) {
    m = scratchMid((yb - ya) * rowLen);
    horizontalPass(img.data, S, (top + ya) * S + left * 3, yb - ya, ch.bounds, ch.k, ch.ksize, outW, midClamped);
    mStride = rowLen; base = -ya * rowLen;
  }
  const row = sink ? scratchRow(rowLen) : null;
  const plane = outH * outW;
  for (let yy = 0; yy < outH; yy++) {
    const dst = row ?? out8!, d0 = row ? 0 : yy * rowLen;
    if (cv) verticalRow(m, base + cv.bounds[yy * 2] * mStride, mStride, cv.bounds[yy * 2 + 1], cv.k, yy * cv.ksize, rowLen, dst, d0);
    else verticalRow(m, base + yy * mStride, mStride, 1, IDENTITY, 0, rowLen, dst, d0);
    if (sink) rowToTensor(row!, outW, sink.data, sink.offset + yy * outW, plane, sink.luts[0], sink.luts[1], sink.luts[2], sink.flip);
  }
}
const IDENTITY = Int32Array.of(ONE);

// ---- WebAssembly SIMD passes (resample.wat) ----------------------------------------------------------------

// The few WebAssembly declarations used here (the project's `lib` has no DOM/WebAssembly typings).
interface WasmApi {
  validate(b: Uint8Array): boolean;
  Module: new (b: Uint8Array) => object;
  Instance: new (m: object) => { exports: unknown };
}
interface WasmResampler {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  hpass(src: number, stride: number, rows: number, bounds: number, k: number, ksize: number, outW: number, mid: number): void;
  vpass(base: number, stride: number, outH: number, len: number, bounds: number, k: number, ksize: number, dst: number): void;
  totensor(src: number, W: number, H: number, out: number, luts: number, flip: number): void;
}

/** This thread's instance of resample.wat, or null where WebAssembly SIMD is not available. */
const wasm: WasmResampler | null = (() => {
  const W = (globalThis as { WebAssembly?: WasmApi }).WebAssembly, bytes = Buffer.from(RESAMPLE_WASM, "base64");
  if (!W || !W.validate(bytes)) return null;
  return new W.Instance(new W.Module(bytes)).exports as WasmResampler;
})();

let backend: "wasm" | "js" = wasm ? "wasm" : "js";
/** @internal Which implementation of the passes runs ("wasm" where available, else "js"); for tests and benchmarks. */
export function setResampleBackend(b: "wasm" | "js"): void {
  if (b === "wasm" && !wasm) throw new Error("resample: WebAssembly SIMD is not available in this runtime");
  backend = b;
}
/** @internal The implementation of the passes in use. */
export function resampleBackend(): "wasm" | "js" { return backend; }

// Vertical "pass" that copies rows (h === outH): one tap of weight 1.0 at row yy (ksize 0: the same weight for all).
let identityBounds = new Int32Array(0);
function identityRows(n: number): Int32Array {
  if (identityBounds.length < 2 * n) { identityBounds = new Int32Array(2 * n); for (let i = 0; i < n; i++) { identityBounds[2 * i] = i; identityBounds[2 * i + 1] = 1; } }
  return identityBounds;
}

// Lays the work out in the module's memory (each region 16-byte aligned, with 16 bytes of slack for the passes'
// wide loads and stores): the source rows the passes read, coefficient tables, the intermediate and output
// images, the channel tables and the float output; then runs the passes and copies the result out.
function resampleWasm(m: WasmResampler, img: RawImage, top: number, left: number, h: number, w: number, outH: number, outW: number, mode: Interpolation, out8: Uint8ClampedArray | null, sink: TensorSink | null): void {
  const S = img.width * 3, rowLen = outW * 3;
  const cv = h !== outH ? coeffs(h, outH, mode) : null;
  const ch = w !== outW ? coeffs(w, outW, mode) : null;
  const ya = cv ? cv.bounds[0] : 0, yb = cv ? cv.bounds[(outH - 1) * 2] + cv.bounds[(outH - 1) * 2 + 1] : h;
  const vb = cv ? cv.bounds : identityRows(outH), vk = cv ? cv.k : IDENTITY, vks = cv ? cv.ksize : 0;
  let end = 0;
  const region = (bytes: number) => { const at = end; end = (end + bytes + 16 + 15) & ~15; return at; };
  const src = region((yb - ya) * S), mid = ch ? region((yb - ya) * rowLen) : 0;
  const hb = ch ? region(ch.bounds.byteLength) : 0, hk = ch ? region(ch.k.byteLength) : 0;
  const vbp = region(outH * 8), vkp = region(vk.byteLength), dst = region(outH * rowLen);
  const luts = sink ? region(3 * 1024) : 0, out = sink ? region(3 * outH * outW * 4) : 0;
  if (end > m.memory.buffer.byteLength) m.memory.grow(Math.ceil((end - m.memory.buffer.byteLength) / 65536));
  const buf = m.memory.buffer, u8 = new Uint8Array(buf), i32 = new Int32Array(buf);
  u8.set(img.data.subarray((top + ya) * S, (top + yb) * S), src);
  if (ch) { i32.set(ch.bounds, hb >> 2); i32.set(ch.k, hk >> 2); }
  i32.set(vb.subarray(0, outH * 2), vbp >> 2); i32.set(vk, vkp >> 2);
  if (ch) {
    m.hpass(src + left * 3, S, yb - ya, hb, hk, ch.ksize, outW, mid);
    m.vpass(mid - ya * rowLen, rowLen, outH, rowLen, vbp, vkp, vks, dst);
  } else {
    m.vpass(src + left * 3 - ya * S, S, outH, rowLen, vbp, vkp, vks, dst);
  }
  if (out8) { out8.set(u8.subarray(dst, dst + outH * rowLen)); return; }
  const f32 = new Float32Array(buf);
  for (let c = 0; c < 3; c++) f32.set(sink!.luts[c], (luts >> 2) + c * 256);
  m.totensor(dst, outW, outH, out, luts, sink!.flip ? 1 : 0);
  sink!.data.set(f32.subarray(out >> 2, (out >> 2) + 3 * outH * outW), sink!.offset);
}

// The hot loops: monomorphic, no allocation, no property loads inside; the common tap counts unrolled.
function horizontalPass(src: Uint8Array, S: number, start: number, rows: number, bounds: Int32Array, k: Int32Array, ksize: number, outW: number, mid: Uint8ClampedArray): void {
  let o = 0;
  for (let y = 0; y < rows; y++) {
    const rowStart = start + y * S;
    for (let xx = 0; xx < outW; xx++) {
      const n = bounds[xx * 2 + 1], kb = xx * ksize;
      let p = rowStart + bounds[xx * 2] * 3, r = HALF, g = HALF, b = HALF;
      if (n === 2) {
        const c0 = k[kb], c1 = k[kb + 1];
        r += src[p] * c0 + src[p + 3] * c1; g += src[p + 1] * c0 + src[p + 4] * c1; b += src[p + 2] * c0 + src[p + 5] * c1;
      } else if (n === 3) {
        const c0 = k[kb], c1 = k[kb + 1], c2 = k[kb + 2];
        r += src[p] * c0 + src[p + 3] * c1 + src[p + 6] * c2; g += src[p + 1] * c0 + src[p + 4] * c1 + src[p + 7] * c2; b += src[p + 2] * c0 + src[p + 5] * c1 + src[p + 8] * c2;
      } else if (n === 4) {
        const c0 = k[kb], c1 = k[kb + 1], c2 = k[kb + 2], c3 = k[kb + 3];
        r += src[p] * c0 + src[p + 3] * c1 + src[p + 6] * c2 + src[p + 9] * c3;
        g += src[p + 1] * c0 + src[p + 4] * c1 + src[p + 7] * c2 + src[p + 10] * c3;
        b += src[p + 2] * c0 + src[p + 5] * c1 + src[p + 8] * c2 + src[p + 11] * c3;
      } else {
        for (let x = 0; x < n; x++, p += 3) { const c = k[kb + x]; r += src[p] * c; g += src[p + 1] * c; b += src[p + 2] * c; }
      }
      mid[o] = r >> PRECISION_BITS; mid[o + 1] = g >> PRECISION_BITS; mid[o + 2] = b >> PRECISION_BITS;
      o += 3;
    }
  }
}

// One output row of the vertical pass: n source rows starting at byte p0, `len` bytes, into dst[d0..].
function verticalRow(m: Uint8Array, p0: number, stride: number, n: number, k: Int32Array, kb: number, len: number, dst: Uint8ClampedArray, d0: number): void {
  if (n === 1) {
    const c0 = k[kb];
    for (let i = 0; i < len; i++) dst[d0 + i] = (HALF + m[p0 + i] * c0) >> PRECISION_BITS;
  } else if (n === 2) {
    const c0 = k[kb], c1 = k[kb + 1], p1 = p0 + stride;
    for (let i = 0; i < len; i++) dst[d0 + i] = (HALF + m[p0 + i] * c0 + m[p1 + i] * c1) >> PRECISION_BITS;
  } else if (n === 3) {
    const c0 = k[kb], c1 = k[kb + 1], c2 = k[kb + 2], p1 = p0 + stride, p2 = p1 + stride;
    for (let i = 0; i < len; i++) dst[d0 + i] = (HALF + m[p0 + i] * c0 + m[p1 + i] * c1 + m[p2 + i] * c2) >> PRECISION_BITS;
  } else if (n === 4) {
    const c0 = k[kb], c1 = k[kb + 1], c2 = k[kb + 2], c3 = k[kb + 3], p1 = p0 + stride, p2 = p1 + stride, p3 = p2 + stride;
    for (let i = 0; i < len; i++) dst[d0 + i] = (HALF + m[p0 + i] * c0 + m[p1 + i] * c1 + m[p2 + i] * c2 + m[p3 + i] * c3) >> PRECISION_BITS;
  } else {
    for (let i = 0; i < len; i++) {
      let s = HALF;
      for (let y = 0, p = p0 + i; y < n; y++, p += stride) s += m[p] * k[kb + y];
      dst[d0 + i] = s >> PRECISION_BITS;
    }
  }
}

// One RGB row (bytes) into the three planes of a CHW float tensor through the channel tables.
function rowToTensor(row: Uint8ClampedArray, W: number, out: Float32Array, o: number, plane: number, l0: Float32Array, l1: Float32Array, l2: Float32Array, flip: boolean): void {
  const o1 = o + plane, o2 = o1 + plane;
  if (flip) {
    for (let x = 0, p = 0, xo = W - 1; x < W; x++, p += 3, xo--) { out[o + xo] = l0[row[p]]; out[o1 + xo] = l1[row[p + 1]]; out[o2 + xo] = l2[row[p + 2]]; }
  } else {
    for (let x = 0, p = 0; x < W; x++, p += 3) { out[o + x] = l0[row[p]]; out[o1 + x] = l1[row[p + 1]]; out[o2 + x] = l2[row[p + 2]]; }
  }
}

/** Copies the box (top, left, h, w); the box must lie inside the image. */
export function crop(img: RawImage, top: number, left: number, h: number, w: number): RawImage {
  if (top === 0 && left === 0 && w === img.width && h === img.height) return img;
  const out = new Uint8Array(w * h * 3), W = img.width;
  for (let y = 0; y < h; y++) out.set(img.data.subarray(((top + y) * W + left) * 3, ((top + y) * W + left + w) * 3), y * w * 3);
  return new RawImage(out, w, h, img.source);
}

/** The box (top, left, h, w), zero-filled where it falls outside the image (PIL's crop semantics). */
export function padTo(img: RawImage, top: number, left: number, h: number, w: number): RawImage {
  const out = new Uint8Array(w * h * 3), W = img.width;
  for (let y = 0; y < h; y++) {
    const sy = top + y;
    if (sy < 0 || sy >= img.height) continue;
    const x0 = Math.max(0, -left), x1 = Math.min(w, img.width - left);
    if (x1 > x0) out.set(img.data.subarray((sy * W + left + x0) * 3, (sy * W + left + x1) * 3), (y * w + x0) * 3);
  }
  return new RawImage(out, w, h, img.source);
}

/** Mirrors left-right. */
export function hflip(img: RawImage): RawImage {
  const { width: W, height: H, data } = img, out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    const row = y * W * 3;
    for (let x = 0; x < W; x++) {
      const s = row + x * 3, d = row + (W - 1 - x) * 3;
      out[d] = data[s]; out[d + 1] = data[s + 1]; out[d + 2] = data[s + 2];
    }
  }
  return new RawImage(out, W, H, img.source);
}
