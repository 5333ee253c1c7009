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
 * three equal channels, alpha is dropped (not composited), CMYK is converted to sRGB (by libvips through its
 * CMYK profile; PIL uses a naive formula, so CMYK colours differ from PIL's). EXIF orientation is not
 * applied (neither PIL nor torchvision applies it). Errors name `source`.
 */
export async function decodeImage(bytes: Uint8Array, source: string): Promise<RawImage> {
  if (bytes.length === 0) throw new Error(`${source}: empty file (0 bytes), not an image`);
  let out: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    out = await sharp(bytes).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new Error(`${source}: cannot decode image: ${(e as Error).message}`);
  }
  const { data, info } = out;
  if (info.channels !== 3) throw new Error(`${source}: decoded to ${info.channels} channels, expected RGB`);
  return new RawImage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, source);
}
