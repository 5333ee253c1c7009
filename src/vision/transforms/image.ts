/**
 * Images between transforms: raw interleaved RGB bytes (HWC, uint8), as PIL holds an "RGB" image. sharp
 * (libvips) decodes; resampling is PIL's algorithm (./resample), so torchvision's PIL-based transforms are
 * matched to within rounding.
 */
import sharp from "sharp";

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
export async function decodeImage(bytes: Uint8Array, source: string): Promise<RawImage> {
  if (bytes.length === 0) throw new Error(`${source}: empty file (0 bytes), not an image`);
  const cmyk = jpegComponents(bytes) === 4;
  let out: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    const s = cmyk ? sharp(bytes).pipelineColourspace("cmyk").toColourspace("cmyk") : sharp(bytes).removeAlpha().toColourspace("srgb");
    out = await s.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new Error(`${source}: cannot decode image: ${(e as Error).message}`);
  }
  if (cmyk) return cmykToRgb(out.data, out.info.width, out.info.height, out.info.channels, source);
  const { data, info } = out;
  if (info.channels !== 3) throw new Error(`${source}: decoded to ${info.channels} channels, expected RGB`);
  return new RawImage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, source);
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
