/** `image(bufferOrPath)`: PNG/JPEG shown as is; other formats sharp can read are converted to PNG. */
import * as fs from "fs";
import { DISPLAY_SYMBOL, Displayable, MimeBundle } from "./bundle";
import { sniffImage } from "./format";

/** Options of {@link image}. */
export interface ImageOptions {
  /** Displayed width in pixels (display metadata; the pixels are not resampled). */
  width?: number;
  /** Displayed height in pixels. */
  height?: number;
}

/** An image ready for display; PNG/JPEG display synchronously, other formats after sharp converts them. */
export class ImageOutput implements Displayable {
  constructor(readonly bytes: Buffer, readonly options: ImageOptions = {}) {}

  [DISPLAY_SYMBOL](): MimeBundle | Promise<MimeBundle> {
    const mime = sniffImage(this.bytes);
    if (mime) return this.bundle(mime, this.bytes);
    return toPng(this.bytes).then((png) => this.bundle("image/png", png));
  }

  private bundle(mime: string, bytes: Buffer): MimeBundle {
    return { [mime]: bytes.toString("base64"), "text/plain": `<image ${mime}, ${bytes.length} bytes>` };
  }
}

/**
 * An image from a Buffer or a file path (PNG, JPEG, or anything sharp decodes: WebP, GIF, TIFF, AVIF, SVG).
 * @example image("notebooks/cat.jpg")
 */
export function image(source: Buffer | Uint8Array | string, options: ImageOptions = {}): ImageOutput {
  const bytes = typeof source === "string" ? readImage(source) : Buffer.from(source);
  return new ImageOutput(bytes, options);
}

function readImage(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`image(): cannot read ${file}: ${(err as Error).message}`);
  }
}

async function toPng(bytes: Buffer): Promise<Buffer> {
  const sharp = require("sharp") as typeof import("sharp").default;
  try {
    return await sharp(bytes).png().toBuffer();
  } catch (err) {
    throw new Error(`image(): the bytes are not an image sharp can decode (${(err as Error).message}); pass PNG, JPEG, WebP, GIF, TIFF or AVIF`);
  }
}
