/**
 * ImageFolder (torchvision.datasets.ImageFolder): `root/<class>/.../<image>` (any depth), classes sorted by name (Python's
 * code-point order), files found by a sorted recursive walk, filtered by extension (case-insensitive).
 */
import * as fs from "fs";
import * as path from "path";
import { Dataset, WorkerRecipe } from "../../data/dataset";
import type { Generator } from "../../data/random";
import { checkJpegDecoder, decodeImage, JpegDecoder, RawImage } from "../transforms/image";
import { Transform, TransformSpec, fromSpec, specOf } from "../transforms/transforms";

/** torchvision's IMG_EXTENSIONS. */
export const IMG_EXTENSIONS = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"];

/** Python's str ordering: by code point (JS sorts by UTF-16 unit, which differs above U+FFFF). */
export function pyCompare(a: string, b: string): number {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}
/** Sorts in place in Python's order. */
export function pySort(names: string[]): string[] { return names.sort(pyCompare); }

/** Options of ImageFolder. */
export interface ImageFolderOptions {
  /** Applied to the decoded RGB image (e.g. T.Compose([...])). */
  transform?: Transform | TransformSpec;
  /** Applied to the class index. */
  targetTransform?: Transform | TransformSpec;
  /** File extensions to include (default IMG_EXTENSIONS). */
  extensions?: string[];
  /**
   * JPEG decoder: "exact" (default: PIL's pixels, as torchvision's ImageFolder gives them) or "fast"
   * (libjpeg-turbo's fast IDCT, about 4x cheaper, pixels within 8/255 of PIL's); see JpegDecoder.
   */
  jpegDecoder?: JpegDecoder;
}

// torchvision walks `sorted(os.walk(dir, followlinks=True))` and `sorted(fnames)`: directories in path order.
function walk(dir: string, out: string[][]): void {
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  const files: string[] = [], dirs: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && fs.statSync(p, { throwIfNoEntry: false })?.isDirectory());
    (isDir ? dirs : files).push(e.name);
  }
  out.push([dir, ...pySort(files)]);
  for (const d of dirs) walk(path.join(dir, d), out);
}

/** Finds classes and samples like torchvision's find_classes + make_dataset. */
export function scanFolder(root: string, extensions = IMG_EXTENSIONS): { classes: string[]; samples: [string, number][] } {
  if (!fs.existsSync(root)) throw new Error(`ImageFolder: Couldn't find any class folder in ${root} (it does not exist)`);
  const classes = pySort(fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() || (e.isSymbolicLink() && fs.statSync(path.join(root, e.name)).isDirectory())).map((e) => e.name));
  if (!classes.length) throw new Error(`ImageFolder: Couldn't find any class folder in ${root}.`);
  const exts = extensions.map((e) => e.toLowerCase());
  const samples: [string, number][] = [];
  const empty: string[] = [];
  classes.forEach((c, idx) => {
    const dirs: string[][] = [];
    walk(path.join(root, c), dirs);
    dirs.sort((a, b) => pyCompare(a[0], b[0])); // sorted((root, dirs, files) tuples) = by root path
    const before = samples.length;
    for (const [dir, ...files] of dirs) for (const f of files) if (exts.some((e) => f.toLowerCase().endsWith(e))) samples.push([path.join(dir, f), idx]);
    if (samples.length === before) empty.push(c);
  });
  if (empty.length) throw new Error(`ImageFolder: Found no valid file for the classes ${pySort(empty).join(", ")}. Supported extensions are: ${extensions.join(", ")}`);
  return { classes, samples };
}

/** A dataset of images in class sub-directories; items are [transform(image), transform(classIndex)]. */
export class ImageFolder extends Dataset<[unknown, unknown]> {
  readonly root: string;
  readonly classes: string[];
  readonly classToIdx: Record<string, number>;
  /** [path, class index] per sample, in torchvision's order. */
  readonly samples: [string, number][];
  /** Class index per sample. */
  readonly targets: number[];
  private readonly transform?: Transform;
  private readonly targetTransform?: Transform;
  private readonly opts: ImageFolderOptions;

  constructor(root: string, opts: ImageFolderOptions = {}, scanned?: { classes: string[]; samples: [string, number][] }) {
    super();
    this.root = root;
    this.opts = opts;
    checkJpegDecoder(opts.jpegDecoder, "ImageFolder: jpegDecoder");
    const s = scanned ?? scanFolder(root, opts.extensions);
    this.classes = s.classes;
    this.samples = s.samples;
    this.classToIdx = Object.fromEntries(this.classes.map((c, i) => [c, i]));
    this.targets = this.samples.map((x) => x[1]);
    this.transform = opts.transform && fromSpec(opts.transform);
    this.targetTransform = opts.targetTransform && fromSpec(opts.targetTransform);
  }

  get length(): number { return this.samples.length; }

  describeItem(i: number): string { return this.samples[i]?.[0] ?? `sample ${i}`; }

  /** The decoded (untransformed) image at `i`. */
  async loadImage(i: number): Promise<RawImage> {
    const [p] = this.samples[i];
    let bytes: Buffer;
    try { bytes = fs.readFileSync(p); } catch (e) { throw new Error(`${p}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
    return decodeImage(bytes, p, { jpeg: this.opts.jpegDecoder ?? "exact" });
  }

  async getItem(i: number, gen?: Generator): Promise<[unknown, unknown]> {
    if (!(i >= 0 && i < this.samples.length)) throw new RangeError(`ImageFolder: index ${i} out of range for ${this.samples.length} samples`);
    const img = await this.loadImage(i);
    const x = this.transform ? await this.transform(img, gen) : img;
    const y = this.targetTransform ? await this.targetTransform(this.samples[i][1], gen) : this.samples[i][1];
    return [x, y];
  }

  workerRecipe(): WorkerRecipe {
    const spec = (t?: Transform) => (t ? specOf(t) : undefined);
    return { module: __filename, exportName: "ImageFolder", args: [this.root, { extensions: this.opts.extensions, jpegDecoder: this.opts.jpegDecoder, transform: spec(this.transform), targetTransform: spec(this.targetTransform) }, { classes: this.classes, samples: this.samples }] };
  }

  static fromRecipe(root: string, opts: ImageFolderOptions, scanned: { classes: string[]; samples: [string, number][] }): ImageFolder {
    return new ImageFolder(root, opts, scanned);
  }

  toString(): string { return `ImageFolder(${this.root}: ${this.samples.length} images, ${this.classes.length} classes)`; }
}
