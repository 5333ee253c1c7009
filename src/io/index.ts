/**
 * `flow.save` / `flow.load`, dispatching on the target through a small registry of formats, so that other
 * parts of flowbook add theirs (nn.Graph registers a saver for a directory) without editing this file:
 *
 *   registerFormat({ name: "graph", canSave: (obj, path) => obj instanceof Graph, save, canLoad, load });
 *
 * Formats are tried most recently registered first; the built-in ones are safetensors and PyTorch .pth/.pt.
 */
import * as fs from "fs";
import { Tensor } from "../tensor/tensor";
import { Loaded, loadTorch } from "./torch_load";
import { bufferSource, fileSource } from "./zip";
import { saveTorch } from "./torch_save";
import { readSafetensors, writeSafetensors } from "./safetensors";

export { renameKeys } from "./rename";
export type { RenameRule } from "./rename";
export type { Loaded } from "./torch_load";
export { readSafetensors, writeSafetensors, parseSafetensors, encodeSafetensors } from "./safetensors";
export type { SafetensorsFile } from "./safetensors";

/** Options of flow.save / flow.load (each format reads the ones it knows). */
export interface IOOptions {
  /** safetensors: string metadata stored in the header. */
  metadata?: Record<string, string>;
  /** Force a format by name instead of dispatching on the path. */
  format?: string;
  [key: string]: unknown;
}

/** A file format flow.save / flow.load can dispatch to. */
export interface Format {
  name: string;
  /** True when this format should write `obj` to `path`. */
  canSave?(obj: unknown, path: string, opts: IOOptions): boolean;
  save?(obj: unknown, path: string, opts: IOOptions): void;
  /** True when this format reads `path` (decide from the name, or peek at the file). */
  canLoad?(path: string, opts: IOOptions): boolean;
  load?(path: string, opts: IOOptions): unknown;
}

const formats: Format[] = [];

/** Adds a format; later registrations are tried first. */
export function registerFormat(f: Format): void {
  const i = formats.findIndex((x) => x.name === f.name);
  if (i >= 0) formats.splice(i, 1);
  formats.unshift(f);
}

/** The registered formats, in the order they are tried. */
export function listFormats(): string[] { return formats.map((f) => f.name); }

const hasExt = (path: string, ...exts: string[]) => exts.some((e) => path.toLowerCase().endsWith(e));

function tensorsOnly(obj: unknown, what: string): Record<string, Tensor> {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj) || obj instanceof Tensor) {
    throw new TypeError(`${what}: safetensors holds a flat record of tensors (a state dict); got ${obj instanceof Tensor ? "a Tensor" : Array.isArray(obj) ? "an array" : typeof obj}`);
  }
  return obj as Record<string, Tensor>;
}

registerFormat({
  name: "pth",
  canSave: (_o, p) => hasExt(p, ".pth", ".pt", ".bin", ".ckpt"),
  save: (o, p) => saveTorch(o as Loaded, p),
  canLoad: (p) => hasExt(p, ".pth", ".pt", ".bin", ".ckpt", ".pth.tar"),
  load: (p) => {
    const src = fileSource(p);
    try { return loadTorch(src, p); } finally { src.close(); }
  },
});
registerFormat({
  name: "safetensors",
  canSave: (_o, p) => hasExt(p, ".safetensors"),
  save: (o, p, opts) => writeSafetensors(p, tensorsOnly(o, `flow.save(${p})`), opts.metadata),
  canLoad: (p) => hasExt(p, ".safetensors"),
  load: (p) => readSafetensors(p).tensors,
});

function pick(kind: "save" | "load", path: string, opts: IOOptions, obj?: unknown): Format {
  if (opts.format) {
    const f = formats.find((x) => x.name === opts.format && x[kind]);
    if (!f) throw new Error(`flow.${kind}: no format '${opts.format}' that can ${kind} (known: ${listFormats().join(", ")})`);
    return f;
  }
  const f = formats.find((x) => (kind === "save" ? x.canSave?.(obj, path, opts) : x.canLoad?.(path, opts)) && x[kind]);
  if (!f) {
    throw new Error(`flow.${kind}(${JSON.stringify(path)}): cannot tell the format from the name; use a .safetensors or .pth/.pt path, or pass {format: ${listFormats().map((n) => JSON.stringify(n)).join(" | ")}}`);
  }
  return f;
}

/**
 * Saves a state dict (or checkpoint) to `path`; the format follows the extension: `.safetensors`
 * (tensors only, with optional string `metadata`) or `.pth`/`.pt` (PyTorch's zip format; torch.load reads it).
 * @example flow.save(model.stateDict(), "weights.safetensors", {metadata: {epoch: "3"}})
 */
export function save(obj: unknown, path: string, opts: IOOptions = {}): void {
  pick("save", path, opts, obj).save!(obj, path, opts);
}

/**
 * Loads a file saved by flow.save or by PyTorch (`torch.save`: zip or legacy format; safetensors). A .pth is
 * never executed: only tensors, dicts, lists and numbers are rebuilt, and any other global is refused.
 * Returns a record of tensors (order kept) or, for a checkpoint, nested records.
 * @example const sd = flow.load("resnet50.pth"); sd["conv1.weight"].shape  // [64, 3, 7, 7]
 */
export function load(path: string | Uint8Array, opts: IOOptions = {}): any {
  if (typeof path !== "string") return loadTorch(bufferSource(path), "flow.load(bytes)");
  if (!fs.existsSync(path)) throw new Error(`flow.load: no such file: ${path}`);
  if (!opts.format && !formats.some((f) => f.canLoad?.(path, opts) && f.load)) {
    // An unknown extension: sniff. A zip or pickle is a torch.save file, else try safetensors.
    const src = fileSource(path);
    const head = src.read(0, Math.min(8, src.size));
    src.close();
    return head[0] === 0x50 || head[0] === 0x80 ? formats.find((f) => f.name === "pth")!.load!(path, opts) : readSafetensors(path).tensors;
  }
  return pick("load", path, opts).load!(path, opts);
}
