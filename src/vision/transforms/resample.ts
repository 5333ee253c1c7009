/**
 * PIL's resampling (Pillow `libImaging/Resample.c`), so that Resize and RandomResizedCrop agree with
 * torchvision's PIL path: a separable convolution whose filter support grows with the downscale factor
 * (antialiasing), horizontal pass then vertical pass, 8-bit fixed-point coefficients (22 fractional bits)
 * and an 8-bit intermediate image, exactly as Pillow does. libvips' own resize differs by up to 24/255
 * when upsampling (another pixel-centre convention), so it is not used here.
 */
import { RawImage } from "./image";

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

interface Coeffs { ksize: number; bounds: Int32Array; k: Int32Array }

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the source range [in0, in1) of a line. */
function coeffs(in0: number, in1: number, outSize: number, mode: Interpolation): Coeffs {
  const filter = FILTERS[mode];
  const scale = (in1 - in0) / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2), k = new Int32Array(outSize * ksize), w = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    // The crop is a separate image in torchvision (crop, then resize): taps stay inside [in0, in1).
    const xmin = Math.max(Math.trunc(center - support + 0.5), in0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), in1) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) { w[x] = filter.f((x + xmin - center + 0.5) * ss); ww += w[x]; }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin; bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, k };
}

const clip8 = (v: number) => { const x = v >> PRECISION_BITS; return x < 0 ? 0 : x > 255 ? 255 : x; };

/**
 * Crops the box (left, top, width, height) out of `img` and resizes it to outW × outH, as torchvision's
 * `F.resized_crop` (= PIL crop then resize) does. With the full box it is `F.resize`.
 */
export function resizedCrop(img: RawImage, top: number, left: number, h: number, w: number, outH: number, outW: number, mode: Interpolation = "bilinear"): RawImage {
  if (!FILTERS[mode]) throw new TypeError(`resize: interpolation '${mode}' is not supported (use "bilinear" or "bicubic")`);
  if (outW <= 0 || outH <= 0) throw new RangeError(`resize: output size must be positive, got ${outW}x${outH}`);
  if (left < 0 || top < 0 || left + w > img.width || top + h > img.height) return resizedCrop(padTo(img, top, left, h, w), 0, 0, h, w, outH, outW, mode);
  if (w === outW && h === outH) return crop(img, top, left, h, w);
  const src = img.data, W = img.width;
  const needH = w !== outW, needV = h !== outH;
  // Horizontal pass over only the rows the vertical pass reads (Pillow's ybox_first/ybox_last).
  const cv = needV ? coeffs(top, top + h, outH, mode) : null;
  const y0 = cv ? cv.bounds[0] : top;
  const y1 = cv ? cv.bounds[(outH - 1) * 2] + cv.bounds[(outH - 1) * 2 + 1] : top + h;
  const midW = needH ? outW : w;
  let mid: Uint8Array;
  if (needH) {
    const ch = coeffs(left, left + w, outW, mode);
    mid = new Uint8Array((y1 - y0) * outW * 3);
    horizontalPass(src, W * 3, y0, y1, ch.bounds, ch.k, ch.ksize, outW, mid);
  } else {
    mid = crop(img, y0, left, y1 - y0, w).data;
  }
  if (!cv) return new RawImage(mid, outW, outH, img.source);
  // Vertical pass row by row with one accumulator per output byte: sequential memory access.
  const out = new Uint8Array(outW * outH * 3), stride = midW * 3, acc = new Int32Array(stride);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = cv.bounds[yy * 2] - y0, ymax = cv.bounds[yy * 2 + 1], kb = yy * cv.ksize, orow = yy * stride;
    acc.fill(1 << (PRECISION_BITS - 1));
    for (let y = 0; y < ymax; y++) {
      const c = cv.k[kb + y], row = (y + ymin) * stride;
      for (let xc = 0; xc < stride; xc++) acc[xc] += mid[row + xc] * c;
    }
    for (let xc = 0; xc < stride; xc++) out[orow + xc] = clip8(acc[xc]);
  }
  return new RawImage(out, outW, outH, img.source);
}

// Kept monomorphic and free of property loads in the loops: this is the hot loop of the data pipeline.
function horizontalPass(src: Uint8Array, rowStride: number, y0: number, y1: number, bounds: Int32Array, k: Int32Array, ksize: number, outW: number, mid: Uint8Array): void {
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = y0; y < y1; y++) {
    const row = y * rowStride;
    let o = (y - y0) * outW * 3;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2], xmax = bounds[xx * 2 + 1], kb = xx * ksize;
      let r = half, g = half, b = half, p = row + xmin * 3;
      for (let x = 0; x < xmax; x++, p += 3) {
        const c = k[kb + x];
        r += src[p] * c; g += src[p + 1] * c; b += src[p + 2] * c;
      }
      r >>= PRECISION_BITS; g >>= PRECISION_BITS; b >>= PRECISION_BITS;
      mid[o++] = r < 0 ? 0 : r > 255 ? 255 : r;
      mid[o++] = g < 0 ? 0 : g > 255 ? 255 : g;
      mid[o++] = b < 0 ? 0 : b > 255 ? 255 : b;
    }
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
