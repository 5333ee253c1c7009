/**
 * Images between transforms: raw interleaved RGB bytes (HWC, uint8), as PIL holds an "RGB" image. JPEGs are
 * decoded by flowbook's native addon on the system libjpeg (native/jpeg: the library and settings Pillow uses),
 * everything else (and JPEGs it declines) by sharp (libvips); resampling is PIL's algorithm (./resample), so
 * torchvision's PIL-based transforms are matched exactly.
 */
import * as path from "path";
import type SharpFn from "sharp";

// sharp (libvips) is loaded on first use: a DataLoader worker that decodes only JPEGs never needs it, and loading it costs each new worker thread ~60 ms of CPU.
let sharpLib: typeof SharpFn | undefined;
const sharp: typeof SharpFn = ((...a: Parameters<typeof SharpFn>) => (sharpLib ??= require("sharp") as typeof SharpFn)(...a)) as typeof SharpFn;

/** A decoded RGB image: `data` is height × width × 3 bytes, row-major. */
export class RawImage {
  constructor(readonly data: Uint8Array, readonly width: number, readonly height: number, readonly source = "") {
    if (data.length !== width * height * 3) throw new RangeError(`RawImage: ${data.length} bytes for ${width}x${height} RGB (needs ${width * height * 3})`);
  }
  /** [width, height], as PIL's `img.size`. */
  get size(): [number, number] { return [this.width, this.height]; }
  toString(): string { return `RawImage(${this.width}x${this.height} RGB${this.source ? `, ${this.source}` : ""})`; }
  [Symbol.for("nodejs.util.inspect.custom")](): string { return this.toString(); }
  /** Shows the image in a notebook (PNG). */
  async [Symbol.for("Jupyter.display")](): Promise<Record<string, string>> {
    return { "image/png": (await encodePNG(this)).toString("base64"), "text/plain": this.toString() };
  }
}

/** Encodes an image as PNG bytes. */
export function encodePNG(img: RawImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}

/** Encodes an image as JPEG bytes. */
export function encodeJPEG(img: RawImage, quality = 90): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

/**
 * Decodes JPEG/PNG/WebP/TIFF/... bytes to RGB like PIL's `Image.open(f).convert("RGB")`: greyscale becomes
 * three equal channels, alpha is dropped (not composited), and a CMYK JPEG is converted with PIL's own
 * formula (R = (255-K) - C(255-K)/255, ...) rather than a colour profile, so colours match torchvision's.
 * EXIF orientation is not applied (neither PIL nor torchvision applies it). Errors name `source`.
 */
export async function decodeImage(bytes: Uint8Array, source: string, opts: DecodeOptions = {}): Promise<RawImage> {
  if (bytes.length === 0) throw new Error(`${source}: empty file (0 bytes), not an image`);
  if (bytes[0] === 0x42 && bytes[1] === 0x4d) return decodeBMP(bytes, source); // "BM": libvips has no BMP loader
  if (bytes[0] === 0x50 && (bytes[1] === 0x35 || bytes[1] === 0x36)) return decodePNM(bytes, source); // "P5"/"P6": nor PNM in sharp
  const components = jpegComponents(bytes), cmyk = components === 4;
  const jpeg = checkJpegDecoder(opts.jpeg, "decodeImage: jpeg") ?? "exact";
  if (components === 1 || components === 3) {
    const img = decodeJpegNative(bytes, source, jpeg === "fast");
    if (img) return img;
  }
  let out: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    // No colourspace operation for the common case (libvips emits 8-bit sRGB/grey as stored); channels fixed below.
    const s = cmyk ? sharp(bytes).pipelineColourspace("cmyk").toColourspace("cmyk") : sharp(bytes);
    out = await s.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new Error(`${source}: cannot decode image: ${(e as Error).message}`);
  }
  if (cmyk) return cmykToRgb(out.data, out.info.width, out.info.height, out.info.channels, source);
  const { data, info } = out;
  const px = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (info.channels === 3) return new RawImage(px, info.width, info.height, source);
  return new RawImage(toRGB(px, info.width * info.height, info.channels, source), info.width, info.height, source);
}

/**
 * How JPEGs are decoded. "exact" (the default everywhere: a migrated model sees the pixels it was trained on):
 * libjpeg's accurate integer IDCT, the same pixels as PIL, so torchvision's results are matched exactly
 * (~0.9 CPU-ms for a 500x375 image). "fast": libjpeg-turbo's fast integer IDCT (TensorFlow's default), ~30%
 * cheaper; pixels differ from PIL's by small rounding amounts (measured on photo-like JPEGs of quality 80-94: at
 * most 8/255 after decoding, mean 1.0/255; after RandomResizedCrop(224) at most 6/255; test/data/transforms.test.ts
 * states the tolerance per transform). A JPEG the native decoder declines (CMYK, truncated, corrupt: any libjpeg
 * warning) is decoded by sharp, with its errors. Pass `jpegDecoder: "fast"` to ImageFolder or ImageDB (or
 * `{jpeg: "fast"}` to decodeImage) to choose the fast IDCT.
 */
export type JpegDecoder = "exact" | "fast";

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /** JPEG decoder: "exact" (default: PIL's pixels) or "fast" (see {@link JpegDecoder}). */
  jpeg?: JpegDecoder;
}

/** Checks a JpegDecoder option (`what` names it in the error). */
export function checkJpegDecoder(d: unknown, what: string): JpegDecoder | undefined {
  if (d !== undefined && d !== "exact" && d !== "fast") throw new TypeError(`${what} must be "exact" or "fast", got ${JSON.stringify(d)}`);
  return d;
}

interface NativeJpeg { decode(b: Uint8Array, fast: boolean): { data: Buffer; width: number; height: number } | null; jpegLibVersion: number }
let nativeJpeg: NativeJpeg | null | undefined;
let nativeWhy = "";
// dist/src/vision/transforms -> the package root.
const NATIVE_JPEG = path.resolve(__dirname, "..", "..", "..", "..", "native", "jpeg", "build", "Release", "flowbook_jpeg.node");
/** flowbook's JPEG addon (native/jpeg, built at install on the system libjpeg), or null where it was not built. */
function nativeDecoder(): NativeJpeg | null {
  if (nativeJpeg === undefined) {
    try { nativeJpeg = require(NATIVE_JPEG) as NativeJpeg; } catch (e) {
      nativeJpeg = null;
      nativeWhy = (e as Error).message.split("\n")[0];
      process.emitWarning(`decodeImage: flowbook's native JPEG decoder is not built (${nativeWhy}); decoding JPEGs through sharp (same pixels, ~2.5x the CPU time). Build it with \`node native/build.js\` (needs build-essential and libjpeg62-turbo-dev).`, { code: "FLOWBOOK_JPEG_NATIVE_UNAVAILABLE" });
    }
  }
  return nativeJpeg;
}

/** Which JPEG decoder decodeImage uses here: the native libjpeg addon, or sharp (with the reason). */
export function jpegBackend(): { native: boolean; reason?: string } {
  return nativeDecoder() ? { native: true } : { native: false, reason: nativeWhy };
}

// libjpeg decode to RGB; null when it fails, warns or meets a colour space it leaves to the general path.
function decodeJpegNative(bytes: Uint8Array, source: string, fast: boolean): RawImage | null {
  const n = nativeDecoder();
  if (!n) return null;
  const r = n.decode(bytes, fast);
  if (!r) return null;
  const px = new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  return new RawImage(px, r.width, r.height, source);
}

/** The component count of a baseline/progressive JPEG's frame header (4 = CMYK/YCCK), or 0. */
export function jpegComponents(b: Uint8Array): number {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return 0;
  let p = 2;
  while (p + 9 < b.length) {
    if (b[p] !== 0xff) return 0;
    const m = b[p + 1];
    if (m === 0xff) { p++; continue; }
    const len = (b[p + 2] << 8) | b[p + 3];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return b[p + 9];
    p += 2 + len;
  }
  return 0;
}

// Pillow's cmyk2rgb (Convert.c), with MULDIV255.
function cmykToRgb(d: Uint8Array, w: number, h: number, ch: number, source: string): RawImage {
  if (ch !== 4) throw new Error(`${source}: CMYK JPEG decoded to ${ch} channels`);
  const out = new Uint8Array(w * h * 3);
  const muldiv = (a: number, b: number) => { const t = a * b + 128; return ((t >> 8) + t) >> 8; };
  for (let i = 0, o = 0; i < d.length; i += 4, o += 3) {
    const nk = 255 - d[i + 3];
    for (let c = 0; c < 3; c++) { const v = nk - muldiv(d[i + c], nk); out[o + c] = v < 0 ? 0 : v > 255 ? 255 : v; }
  }
  return new RawImage(out, w, h, source);
}

/**
 * BMP (Windows bitmap), which libvips cannot read: uncompressed 24- and 32-bit (BI_RGB, BI_BITFIELDS with the
 * usual masks) and 1/4/8-bit paletted images, bottom-up or top-down, as PIL writes and reads them.
 */
export function decodeBMP(b: Uint8Array, source: string): RawImage {
  const fail = (why: string) => new Error(`${source}: cannot decode image: ${why}`);
  if (b.length < 54) throw fail("BMP file is truncated");
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOff = d.getUint32(10, true), hdr = d.getUint32(14, true);
  const w = d.getInt32(18, true), hRaw = d.getInt32(22, true), bpp = d.getUint16(28, true), comp = d.getUint32(30, true);
  const h = Math.abs(hRaw), topDown = hRaw < 0;
  if (w <= 0 || h === 0) throw fail(`BMP has size ${w}x${hRaw}`);
  if (!(comp === 0 || (comp === 3 && bpp === 32))) throw fail(`BMP compression ${comp} is not supported`);
  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const n = d.getUint32(46, true) || 1 << bpp;
    palette = b.subarray(14 + hdr, 14 + hdr + n * 4);
  } else if (bpp !== 24 && bpp !== 32) throw fail(`BMP with ${bpp} bits per pixel is not supported`);
  const rowBytes = Math.ceil((w * bpp) / 32) * 4;
  if (dataOff + rowBytes * h > b.length) throw fail("BMP pixel data is truncated");
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const row = dataOff + (topDown ? y : h - 1 - y) * rowBytes;
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      if (palette) {
        const bit = x * bpp, idx = (b[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        out[o] = palette[idx * 4 + 2]; out[o + 1] = palette[idx * 4 + 1]; out[o + 2] = palette[idx * 4];
      } else {
        const p = row + x * (bpp >> 3);
        out[o] = b[p + 2]; out[o + 1] = b[p + 1]; out[o + 2] = b[p];
      }
    }
  }
  return new RawImage(out, w, h, source);
}

/** Binary PGM (P5) and PPM (P6) with maxval <= 255, which sharp's libvips build does not read. */
export function decodePNM(b: Uint8Array, source: string): RawImage {
  const fields: number[] = [];
  let p = 2;
  while (fields.length < 3) {
    while (p < b.length && (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x09)) p++;
    if (b[p] === 0x23) { while (p < b.length && b[p] !== 0x0a) p++; continue; } // comment
    let v = 0, digits = 0;
    while (p < b.length && b[p] >= 0x30 && b[p] <= 0x39) { v = v * 10 + b[p++] - 0x30; digits++; }
    if (!digits) throw new Error(`${source}: cannot decode image: bad PNM header`);
    fields.push(v);
  }
  p++; // one whitespace byte ends the header
  const [w, h, maxval] = fields, ch = b[1] === 0x36 ? 3 : 1;
  if (maxval > 255 || maxval === 0) throw new Error(`${source}: cannot decode image: PNM maxval ${maxval} is not supported`);
  if (p + w * h * ch > b.length) throw new Error(`${source}: cannot decode image: PNM pixel data is truncated`);
  const out = new Uint8Array(w * h * 3), scale = 255 / maxval;
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = maxval === 255 ? b[p + i * ch + (ch === 3 ? c : 0)] : Math.round(b[p + i * ch + (ch === 3 ? c : 0)] * scale);
  }
  return new RawImage(out, w, h, source);
}

// grey → RGB (three equal channels), grey+alpha / RGBA → drop alpha, as PIL's convert("RGB").
function toRGB(d: Uint8Array, n: number, ch: number, source: string): Uint8Array {
  if (ch < 1 || ch > 4) throw new Error(`${source}: decoded to ${ch} channels, expected grey, grey+alpha, RGB or RGBA`);
  const out = new Uint8Array(n * 3);
  if (ch <= 2) for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = d[i * ch];
  else for (let i = 0; i < n; i++) { out[i * 3] = d[i * 4]; out[i * 3 + 1] = d[i * 4 + 1]; out[i * 3 + 2] = d[i * 4 + 2]; }
  return out;
}
