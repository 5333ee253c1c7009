/**
 * torchvision 0.14's transforms with the same semantics and defaults, on RawImage (decoded RGB bytes) and
 * Tensors. A transform is a function `(x, gen?) => y` carrying a `spec` ({name, args}) so that a worker
 * thread can rebuild it (functions cannot cross threads); random transforms draw from `gen`, which the
 * DataLoader seeds per sample. Geometric and colour transforms are synchronous; only decoding is async.
 */
import { Tensor } from "../../tensor/tensor";
import { Generator } from "../../data/random";
import { RawImage } from "./image";
import { Interpolation, crop, hflip, padTo, resizedCrop, resizedCropInto } from "./resample";

/** A serialisable description of a transform, from which {@link fromSpec} rebuilds it. */
export interface TransformSpec { name: string; args: unknown[] }

/** A transform: call it on an image (or tensor) with an optional generator. */
export interface Transform<I = any, O = any> {
  (x: I, gen?: Generator): O;
  readonly spec: TransformSpec;
}

type Factory = (...args: any[]) => Transform;
const registry = new Map<string, Factory>();

function define<I, O>(name: string, args: unknown[], fn: (x: I, gen: Generator) => O): Transform<I, O> {
  const t = ((x: I, gen?: Generator) => fn(x, gen ?? defaultGenerator)) as Transform<I, O>;
  Object.defineProperty(t, "spec", { value: { name, args } });
  Object.defineProperty(t, "toString", { value: () => `${name}(${args.map((a) => JSON.stringify(a)).join(", ")})` });
  Object.defineProperty(t, Symbol.for("nodejs.util.inspect.custom"), { value: () => t.toString() });
  return t;
}

/** Makes a user transform usable in workers: `register("MyCrop", MyCrop)` in a module the worker loads. */
export function registerTransform(name: string, factory: Factory): void { registry.set(name, factory); }

/** Rebuilds a transform from its spec (in a worker thread). */
export function fromSpec(spec: TransformSpec | Transform): Transform {
  if (typeof spec === "function") return spec;
  const f = registry.get(spec.name);
  if (!f) throw new Error(`transform '${spec.name}' is not registered; call registerTransform("${spec.name}", factory) in a module the worker loads`);
  return spec.name === "Compose" ? f((spec.args[0] as TransformSpec[]).map(fromSpec)) : f(...spec.args);
}

/** The spec of a transform, or an error saying why it cannot go to a worker. */
export function specOf(t: Transform | ((...a: any[]) => any)): TransformSpec {
  const s = (t as Transform).spec;
  if (!s) throw new Error(`a plain function transform (${t.name || "anonymous"}) cannot be sent to a worker thread; use flowbook transforms, or wrap yours with registerTransform`);
  if (!registry.has(s.name)) throw new Error(`transform '${s.name}' is not registered with registerTransform`);
  return s;
}

/** Used when a random transform is called without a generator. */
let defaultGenerator = new Generator();
/** Seeds the generator used when a random transform is called directly (outside a DataLoader). */
export function manualSeed(seed: number): void { defaultGenerator = new Generator(seed); }

function imageOf(x: unknown, what: string): RawImage {
  if (x instanceof RawImage) return x;
  throw new TypeError(`${what}: expected a RawImage (a decoded RGB image), got ${x instanceof Tensor ? "a Tensor (put image transforms before ToTensor)" : typeof x}`);
}

// Python's round(): half to even (torchvision's crop arithmetic relies on it).
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

type Size = number | [number, number];
const pair = (s: Size): [number, number] => (typeof s === "number" ? [s, s] : [s[0], s[1]]);

/** The output [h, w] of Resize for an image of [h, w] (torchvision's _compute_resized_output_size). */
export function resizedSize(h: number, w: number, size: Size, maxSize?: number): [number, number] {
  if (Array.isArray(size)) return [size[0], size[1]];
  const [short, long] = w <= h ? [w, h] : [h, w];
  let newShort = size, newLong = Math.trunc((size * long) / short);
  if (maxSize !== undefined) {
    if (maxSize <= size) throw new RangeError(`Resize: max_size = ${maxSize} must be strictly greater than the requested size for the smaller edge size = ${size}`);
    if (newLong > maxSize) { newShort = Math.trunc((maxSize * newShort) / newLong); newLong = maxSize; }
  }
  return w <= h ? [newLong, newShort] : [newShort, newLong];
}

/**
 * Resize: an int resizes the shorter side to it (keeping the aspect ratio, the longer side truncated);
 * [h, w] resizes exactly. Bilinear with PIL's antialiasing by default.
 * @example T.Resize(256)
 */
export function Resize(size: Size, opts: { interpolation?: Interpolation; maxSize?: number } = {}): Transform<RawImage, RawImage> {
  return define("Resize", [size, opts], (x) => {
    const img = imageOf(x, "Resize");
    const [h, w] = resizedSize(img.height, img.width, size, opts.maxSize);
    return resizedCrop(img, 0, 0, img.height, img.width, h, w, opts.interpolation ?? "bilinear");
  });
}

/** CenterCrop: the central [h, w] box (rounded as torchvision does), zero-padded if the image is smaller. */
export function CenterCrop(size: Size): Transform<RawImage, RawImage> {
  const [ch, cw] = pair(size);
  return define("CenterCrop", [size], (x) => {
    let img = imageOf(x, "CenterCrop");
    if (cw > img.width || ch > img.height) {
      const l = cw > img.width ? Math.floor((cw - img.width) / 2) : 0, t = ch > img.height ? Math.floor((ch - img.height) / 2) : 0;
      const r = cw > img.width ? Math.floor((cw - img.width + 1) / 2) : 0, b = ch > img.height ? Math.floor((ch - img.height + 1) / 2) : 0;
      img = padTo(img, -t, -l, img.height + t + b, img.width + l + r);
      if (img.width === cw && img.height === ch) return img;
    }
    const top = pyRound((img.height - ch) / 2), left = pyRound((img.width - cw) / 2);
    return crop(img, top, left, ch, cw);
  });
}

/** torchvision's RandomResizedCrop.get_params: 10 tries at a random area and log-uniform aspect ratio, then a center-crop fallback. */
export function randomResizedCropParams(width: number, height: number, scale: [number, number], ratio: [number, number], gen: Generator): [number, number, number, number] {
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * gen.uniform(scale[0], scale[1]);
    const aspect = Math.exp(gen.uniform(logRatio[0], logRatio[1]));
    const w = pyRound(Math.sqrt(targetArea * aspect)), h = pyRound(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) return [gen.randint(0, height - h + 1), gen.randint(0, width - w + 1), h, w];
  }
  const inRatio = width / height;
  let w: number, h: number;
  if (inRatio < Math.min(...ratio)) { w = width; h = pyRound(w / Math.min(...ratio)); }
  else if (inRatio > Math.max(...ratio)) { h = height; w = pyRound(h * Math.max(...ratio)); }
  else { w = width; h = height; }
  return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
}

/**
 * RandomResizedCrop: a random box of scale (0.08, 1) of the area and aspect ratio (3/4, 4/3), resized to size.
 * @example T.RandomResizedCrop(224)
 */
export function RandomResizedCrop(size: Size, opts: { scale?: [number, number]; ratio?: [number, number]; interpolation?: Interpolation } = {}): Transform<RawImage, RawImage> {
  const [oh, ow] = pair(size), scale = opts.scale ?? [0.08, 1], ratio = opts.ratio ?? [3 / 4, 4 / 3];
  if (scale[0] > scale[1] || ratio[0] > ratio[1]) throw new RangeError("RandomResizedCrop: scale and ratio should be of kind (min, max)");
  return define("RandomResizedCrop", [size, opts], (x, gen) => {
    const img = imageOf(x, "RandomResizedCrop");
    const [i, j, h, w] = randomResizedCropParams(img.width, img.height, scale, ratio, gen);
    return resizedCrop(img, i, j, h, w, oh, ow, opts.interpolation ?? "bilinear");
  });
}

/** RandomHorizontalFlip: mirrors with probability p (0.5). Works on RawImage and on [..., H, W] tensors. */
export function RandomHorizontalFlip(p = 0.5): Transform {
  return define("RandomHorizontalFlip", [p], (x: RawImage | Tensor, gen) => {
    if (!(gen.random() < p)) return x;
    return x instanceof Tensor ? flipTensor(x) : hflip(imageOf(x, "RandomHorizontalFlip"));
  });
}

function flipTensor(t: Tensor): Tensor {
  const W = t.shape[t.ndim - 1], src = t.toTypedArray() as Float32Array;
  const out = new (src.constructor as Float32ArrayConstructor)(src.length);
  for (let r = 0; r < src.length; r += W) for (let x = 0; x < W; x++) out[r + x] = src[r + W - 1 - x];
  return Tensor._fromArray(out, [...t.shape], t.dtype);
}

// ---- colour (PIL ImageEnhance semantics: blend with a degenerate image, float math, truncation) ----------

// PIL's Image.blend: in1 + alpha * (in2 - in1), truncated, clipped when extrapolating.
function blend(degenerate: Uint8Array | number, img: Uint8Array, alpha: number): Uint8Array {
  const out = new Uint8Array(img.length), a = Math.fround(alpha);
  for (let i = 0; i < img.length; i++) {
    const d = typeof degenerate === "number" ? degenerate : degenerate[i];
    const v = Math.fround(d + Math.fround(a * (img[i] - d)));
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return out;
}
// PIL's RGB → L (ITU-R 601-2 luma in 16-bit fixed point).
const luma = (d: Uint8Array, p: number) => (d[p] * 19595 + d[p + 1] * 38470 + d[p + 2] * 7471 + 0x8000) >> 16;

/** F.adjust_brightness on a PIL image. */
export function adjustBrightness(img: RawImage, f: number): RawImage {
  return new RawImage(blend(0, img.data, f), img.width, img.height, img.source);
}
/** F.adjust_contrast on a PIL image: blend with the mean grey level (rounded). */
export function adjustContrast(img: RawImage, f: number): RawImage {
  let sum = 0;
  for (let p = 0; p < img.data.length; p += 3) sum += luma(img.data, p);
  const mean = Math.trunc(sum / (img.width * img.height) + 0.5);
  return new RawImage(blend(mean, img.data, f), img.width, img.height, img.source);
}
/** F.adjust_saturation on a PIL image: blend with the greyscale image. */
export function adjustSaturation(img: RawImage, f: number): RawImage {
  const grey = new Uint8Array(img.data.length);
  for (let p = 0; p < grey.length; p += 3) grey[p] = grey[p + 1] = grey[p + 2] = luma(img.data, p);
  return new RawImage(blend(grey, img.data, f), img.width, img.height, img.source);
}
/** F.adjust_hue on a PIL image: shift H in PIL's 8-bit HSV by hue*255 (mod 256). */
export function adjustHue(img: RawImage, hue: number): RawImage {
  if (!(hue >= -0.5 && hue <= 0.5)) throw new RangeError(`adjust_hue: hue_factor (${hue}) is not in [-0.5, 0.5].`);
  const d = img.data, out = new Uint8Array(d.length);
  const shift = ((Math.trunc(hue * 255) % 256) + 256) % 256;
  for (let p = 0; p < d.length; p += 3) {
    const [h, s, v] = rgbToHsvPil(d[p], d[p + 1], d[p + 2]);
    hsvToRgbPil((h + shift) & 255, s, v, out, p);
  }
  return new RawImage(out, img.width, img.height, img.source);
}
// Pillow's rgb2hsv_row / hsv2rgb (Convert.c): `float` variables (Math.fround at each store), double arithmetic.
function rgbToHsvPil(r: number, g: number, b: number): [number, number, number] {
  const f = Math.fround;
  const maxc = Math.max(r, g, b), minc = Math.min(r, g, b);
  if (minc === maxc) return [0, 0, maxc];
  const cr = f(maxc - minc), s = f(cr / maxc);
  const rc = f((maxc - r) / cr), gc = f((maxc - g) / cr), bc = f((maxc - b) / cr);
  let h = f(r === maxc ? bc - gc : g === maxc ? 2.0 + rc - bc : 4.0 + gc - rc);
  h = f((h / 6.0 + 1.0) % 1.0);
  const clip = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : x);
  return [clip(Math.trunc(h * 255.0)), clip(Math.trunc(s * 255.0)), maxc];
}
function hsvToRgbPil(h: number, s: number, v: number, out: Uint8Array, p: number): void {
  if (s === 0) { out[p] = out[p + 1] = out[p + 2] = v; return; }
  const F = Math.fround;
  const i = Math.floor((h * 6.0) / 255.0), f = F((h * 6.0) / 255.0 - i), fs = F(s / 255.0);
  const q = (x: number) => { const y = Math.round(x); return y < 0 ? 0 : y > 255 ? 255 : y; };
  const pp = q(v * (1.0 - fs)), qq = q(v * (1.0 - fs * f)), t = q(v * (1.0 - fs * (1.0 - f)));
  const rgb = [[v, t, pp], [qq, v, pp], [pp, v, t], [pp, qq, v], [t, pp, v], [v, pp, qq]][i % 6];
  out[p] = rgb[0]; out[p + 1] = rgb[1]; out[p + 2] = rgb[2];
}

type Range = number | [number, number];
function jitterRange(v: Range | undefined, name: string, center = 1, bound: [number, number] = [0, Infinity]): [number, number] | null {
  if (v === undefined) return null;
  const r: [number, number] = typeof v === "number" ? [center - v, center + v] : v;
  if (typeof v === "number") { if (v < 0) throw new RangeError(`ColorJitter: If ${name} is a single number, it must be non negative.`); r[0] = Math.max(r[0], bound[0]); }
  if (!(bound[0] <= r[0] && r[0] <= r[1] && r[1] <= bound[1])) throw new RangeError(`ColorJitter: ${name} values should be between [${bound}], but got [${r}].`);
  return r[0] === center && r[1] === center ? null : r;
}

/**
 * ColorJitter: random brightness, contrast, saturation (factors in [max(0, 1-v), 1+v]) and hue (in [-v, v],
 * v <= 0.5), applied in a random order, as torchvision does on PIL images.
 * @example T.ColorJitter({brightness: 0.4, contrast: 0.4, saturation: 0.4})
 */
export function ColorJitter(opts: { brightness?: Range; contrast?: Range; saturation?: Range; hue?: Range } = {}): Transform<RawImage, RawImage> {
  const b = jitterRange(opts.brightness, "brightness"), c = jitterRange(opts.contrast, "contrast");
  const s = jitterRange(opts.saturation, "saturation"), h = jitterRange(opts.hue, "hue", 0, [-0.5, 0.5]);
  return define("ColorJitter", [opts], (x, gen) => {
    let img = imageOf(x, "ColorJitter");
    const order = gen.randperm(4);
    const fb = b && gen.uniform(b[0], b[1]), fc = c && gen.uniform(c[0], c[1]);
    const fsat = s && gen.uniform(s[0], s[1]), fh = h && gen.uniform(h[0], h[1]);
    for (const k of order) {
      if (k === 0 && fb !== null) img = adjustBrightness(img, fb);
      else if (k === 1 && fc !== null) img = adjustContrast(img, fc);
      else if (k === 2 && fsat !== null) img = adjustSaturation(img, fsat);
      else if (k === 3 && fh !== null) img = adjustHue(img, fh);
    }
    return img;
  });
}

/** ToTensor: an RGB image (H×W×3 bytes) to a float32 [3, H, W] tensor in [0, 1]. */
export function ToTensor(): Transform<RawImage, Tensor> {
  return define("ToTensor", [], (x) => toTensorLUT(imageOf(x, "ToTensor"), IDENTITY_LUT));
}

// ToTensor (and ToTensor + Normalize, fused by Compose) as a per-channel table of the 256 float32 results,
// computed with PyTorch's float32 operation order, so the values are bit-identical to doing it in two steps.
function channelLUT(mean: number, std: number): Float32Array {
  const f = Math.fround, lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = f(f(f(v / 255) - f(mean)) / f(std));
  return lut;
}
const IDENTITY_LUT = (() => { const l = new Float32Array(256); for (let v = 0; v < 256; v++) l[v] = v / 255; return [l, l, l]; })();

function toTensorLUT(img: RawImage, lut: Float32Array[]): Tensor {
  const { width: W, height: H, data } = img, n = W * H, out = new Float32Array(3 * n);
  const [l0, l1, l2] = lut;
  for (let i = 0, p = 0; i < n; i++, p += 3) { out[i] = l0[data[p]]; out[n + i] = l1[data[p + 1]]; out[2 * n + i] = l2[data[p + 2]]; }
  return Tensor._fromArray(out, [3, H, W], "float32");
}

/** Normalize: (x - mean[c]) / std[c] per channel of a float [C, H, W] (or [..., C, H, W]) tensor. */
export function Normalize(mean: number[], std: number[]): Transform<Tensor, Tensor> {
  if (std.some((v) => v === 0)) throw new RangeError(`Normalize: std evaluated to zero after conversion to float32, leading to division by zero.`);
  return define("Normalize", [mean, std], (x) => {
    if (!(x instanceof Tensor) || x.dtype !== "float32" || x.ndim < 3) throw new TypeError(`Normalize: expected a float32 tensor of shape [..., C, H, W]; got ${x instanceof Tensor ? `${x.dtype} [${x.shape}]` : typeof x}`);
    const C = x.shape[x.ndim - 3], plane = x.shape[x.ndim - 1] * x.shape[x.ndim - 2];
    if (mean.length !== C && mean.length !== 1) throw new RangeError(`Normalize: ${mean.length} means for ${C} channels`);
    const src = x.toTypedArray() as Float32Array, out = new Float32Array(src.length);
    for (let base = 0, c = 0; base < src.length; base += plane, c = (c + 1) % C) {
      const m = Math.fround(mean.length === 1 ? mean[0] : mean[c]), sd = Math.fround(std.length === 1 ? std[0] : std[c]);
      for (let i = base; i < base + plane; i++) out[i] = Math.fround(src[i] - m) / sd;
    }
    return Tensor._fromArray(out, [...x.shape], "float32");
  });
}

/**
 * Applies transforms in order (async when any step returns a promise). Two runs of steps execute as one pass with
 * the same results, bit for bit, and the same random draws: ToTensor followed by Normalize, and RandomResizedCrop
 * [+ RandomHorizontalFlip] + ToTensor [+ Normalize], which resamples the crop straight into the normalised
 * (and mirrored) float tensor without intermediate images.
 */
export function Compose(ts: Transform[]): Transform {
  const steps = fuseSteps(ts);
  return define("Compose", [ts.map((t) => (t as Transform).spec ?? { name: `<function ${t.name || "anonymous"}>`, args: [] })], (x, gen) => {
    let v: unknown = x;
    for (let i = 0; i < steps.length; i++) {
      if (v instanceof Promise) return v.then(async (r) => { let y: unknown = r; for (const t of steps.slice(i)) y = await t(y, gen); return y; });
      v = steps[i](v, gen);
    }
    return v;
  });
}

type Step = (x: any, gen: Generator) => unknown;

/** The channel tables of ToTensor (spec a) [+ Normalize (spec b)], or null when b is a Normalize they cannot express. */
function tensorLUTs(b: TransformSpec | undefined): Float32Array[] | null {
  if (b?.name !== "Normalize") return IDENTITY_LUT;
  const [mean, std] = b.args as [number[], number[]];
  if (mean.length !== 3 || (std.length !== 3 && std.length !== 1)) return null;
  return [0, 1, 2].map((c) => channelLUT(mean[c], std.length === 1 ? std[0] : std[c]));
}

function fuseSteps(ts: Transform[]): Step[] {
  const out: Step[] = [];
  const name = (k: number) => ts[k]?.spec?.name;
  for (let i = 0; i < ts.length; i++) {
    if (name(i) === "RandomResizedCrop") {
      const flipAt = name(i + 1) === "RandomHorizontalFlip" ? i + 1 : -1;
      const tt = (flipAt < 0 ? i : flipAt) + 1;
      const luts = name(tt) === "ToTensor" ? tensorLUTs(ts[tt + 1]?.spec) : null;
      if (luts) {
        const last = luts === IDENTITY_LUT ? tt : tt + 1;
        out.push(fusedCropToTensor(ts[i].spec, flipAt < 0 ? null : (ts[flipAt].spec.args[0] as number), luts, ts.slice(i, last + 1)));
        i = last;
        continue;
      }
    }
    if (name(i) === "ToTensor" && name(i + 1) === "Normalize") {
      const luts = tensorLUTs(ts[i + 1].spec);
      if (luts) {
        const [a, b] = [ts[i], ts[i + 1]];
        out.push((x: unknown) => (x instanceof RawImage ? toTensorLUT(x, luts) : b(a(x))));
        i++;
        continue;
      }
    }
    out.push(ts[i]);
  }
  return out;
}

// RandomResizedCrop(size, opts) [+ RandomHorizontalFlip(p)] + ToTensor [+ Normalize]: draws the box, then the
// flip, from `gen` exactly as the separate transforms do, and resamples into the output tensor in one pass.
function fusedCropToTensor(rrc: TransformSpec, flipP: number | null, luts: Float32Array[], separate: Transform[]): Step {
  const [size, opts = {}] = rrc.args as [Size, { scale?: [number, number]; ratio?: [number, number]; interpolation?: Interpolation }];
  const [oh, ow] = pair(size), scale = opts.scale ?? [0.08, 1], ratio = opts.ratio ?? [3 / 4, 4 / 3], mode = opts.interpolation ?? "bilinear";
  return (x: unknown, gen: Generator) => {
    if (!(x instanceof RawImage)) { let v = x; for (const t of separate) v = t(v, gen); return v; } // the separate steps' errors
    const [i, j, h, w] = randomResizedCropParams(x.width, x.height, scale, ratio, gen);
    const flip = flipP !== null && gen.random() < flipP;
    const data = gen.sink?.take(3 * oh * ow) ?? new Float32Array(3 * oh * ow);
    resizedCropInto(x, i, j, h, w, oh, ow, mode, { data, offset: 0, luts, flip });
    return Tensor._fromArray(data, [3, oh, ow], "float32");
  };
}

for (const [name, f] of Object.entries({ Resize, CenterCrop, RandomResizedCrop, RandomHorizontalFlip, ColorJitter, ToTensor, Normalize, Compose })) registry.set(name, f as Factory);
