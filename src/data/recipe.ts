/**
 * Recipes found for datasets that do not write one: PyTorch forks (or pickles) a dataset into its workers, so
 * any dataset works there. A JS worker thread shares nothing with the main thread, so the dataset is rebuilt
 * the way pickle does it: its class is located as an export of a loaded CommonJS module file, and its own
 * properties are encoded as structured-cloneable state (tensors, transforms with a spec, nested datasets and
 * instances of other exported classes included). When that is impossible (a class defined in the main script
 * or a notebook cell, a property holding a closure), `resolveRecipe` says why, and the loader reads the
 * dataset in the main thread instead.
 */
import * as path from "path";
import { Tensor } from "../tensor/tensor";
import { recipeClass, WorkerRecipe } from "./dataset";

/** A recipe, or why none could be made. */
export type RecipeResult = { recipe: WorkerRecipe; found: boolean } | { reason: string };

/** Where a class is exported from: a module file other than the main script, or why not. */
export function findExport(cls: Function): { module: string; exportName: string } | { reason: string } {
  let inMain: string | undefined;
  for (const m of Object.values(require.cache)) {
    if (!m) continue;
    const name = exportNameIn(m.exports, cls);
    if (name === undefined) continue;
    if (m === require.main) { inMain = m.filename; continue; }
    // A package's class may wrap native handles that copying properties cannot rebuild.
    if (m.filename.split(path.sep).includes("node_modules")) return { reason: `class ${cls.name} comes from the package file ${m.filename}, whose instances cannot be rebuilt by copying their properties; give it a workerRecipe()` };
    return { module: m.filename, exportName: name };
  }
  const n = cls.name || "an anonymous class";
  if (inMain) return { reason: `class ${n} is defined in the main script ${inMain}, which a worker thread cannot load without running the whole script again` };
  return { reason: `class ${n} is not exported by any loaded CommonJS module file (a class defined in a notebook cell, a script or an ES module cannot be loaded by a worker thread)` };
}

function exportNameIn(exports: unknown, cls: Function): string | undefined {
  if (exports === cls) return "";
  if (exports === null || (typeof exports !== "object" && typeof exports !== "function")) return undefined;
  for (const k of Object.keys(exports)) {
    try { if ((exports as Record<string, unknown>)[k] === cls) return k; } catch { /* a throwing getter is not our class */ }
  }
  return undefined;
}

/** Thrown by the encoder: says which property cannot go to a worker. */
class Unencodable extends Error {}

const TRANSFORMS = () => require(path.join(__dirname, "..", "vision", "transforms", "transforms")) as { specOf(t: Function): unknown; fromSpec(s: unknown): unknown };

/** Encodes a value as structured-cloneable data that {@link decodeState} turns back into an equal value. */
export function encodeState(v: unknown, where: string, seen = new Set<object>()): unknown {
  if (v === null || v === undefined || ["number", "string", "boolean", "bigint"].includes(typeof v)) return v;
  if (typeof v === "symbol") throw new Unencodable(`${where} is a symbol`);
  if (seen.has(v as object)) throw new Unencodable(`${where} is a cyclic reference`);
  seen.add(v as object);
  try { return encodeObject(v as object, where, seen); } finally { seen.delete(v as object); }
}

function encodeObject(v: object, where: string, seen: Set<object>): unknown {
  if (typeof v === "function") return encodeFunction(v, where);
  if (v instanceof Tensor) return { $fb: "tensor", dtype: v.dtype, shape: v.shape, data: v.toTypedArray() };
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return v;
  if (Array.isArray(v)) return v.map((x, i) => encodeState(x, `${where}[${i}]`, seen));
  if (v instanceof Map) return { $fb: "map", entries: [...v].map(([k, x], i) => [encodeState(k, `${where} key ${i}`, seen), encodeState(x, `${where}.get(${String(k)})`, seen)]) };
  if (v instanceof Set) return { $fb: "set", items: [...v].map((x, i) => encodeState(x, `${where} item ${i}`, seen)) };
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return { $fb: "plain", state: ownState(v, where, seen) };
  const recipe = typeof (v as { workerRecipe?: unknown }).workerRecipe === "function" ? (v as { workerRecipe(): WorkerRecipe | null }).workerRecipe() : null;
  if (recipe) return { $fb: "recipe", recipe };
  const at = findExport(v.constructor);
  if ("reason" in at) throw new Unencodable(`${where} is a ${v.constructor.name}: ${at.reason}`);
  return { $fb: "object", ...at, state: ownState(v, where, seen) };
}

function encodeFunction(f: Function, where: string): unknown {
  if ((f as { spec?: unknown }).spec !== undefined) {
    try { return { $fb: "transform", spec: TRANSFORMS().specOf(f) }; } catch (e) { throw new Unencodable(`${where}: ${(e as Error).message}`); }
  }
  throw new Unencodable(`${where} is a function (${f.name || "anonymous"}), which cannot be sent to a worker thread`);
}

function ownState(v: object, where: string, seen: Set<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = encodeState((v as Record<string, unknown>)[k], `${where}.${k}`, seen);
  return out;
}

/** Rebuilds a value encoded by {@link encodeState} (in a worker thread). */
export function decodeState(v: unknown): unknown {
  if (v === null || typeof v !== "object" || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return v;
  if (Array.isArray(v)) return v.map(decodeState);
  const e = v as { $fb: string; [k: string]: any };
  switch (e.$fb) {
    case "tensor": return Tensor._fromArray(e.data, e.shape, e.dtype);
    case "map": return new Map((e.entries as [unknown, unknown][]).map(([k, x]) => [decodeState(k), decodeState(x)]));
    case "set": return new Set((e.items as unknown[]).map(decodeState));
    case "plain": return assignState({}, e.state);
    case "transform": return TRANSFORMS().fromSpec(e.spec);
    case "recipe": return (require("./dataset") as typeof import("./dataset")).buildFromRecipe(e.recipe);
    case "object": return assignState(Object.create(recipeClass({ module: e.module, exportName: e.exportName }).prototype), e.state);
    default: throw new Error(`worker: cannot decode dataset state tagged ${JSON.stringify(e.$fb)}`);
  }
}

function assignState(target: object, state: Record<string, unknown>): object {
  for (const k of Object.keys(state)) (target as Record<string, unknown>)[k] = decodeState(state[k]);
  return target;
}

/**
 * The recipe a worker rebuilds `ds` from: an explicit one (the loader's `workerRecipe` option, then the
 * dataset's own `workerRecipe()`), else one found from its class and state, else the reason there is none.
 */
export function resolveRecipe(ds: object, explicit?: WorkerRecipe): RecipeResult {
  if (explicit) return { recipe: checkRecipe(explicit), found: false };
  const own = typeof (ds as { workerRecipe?: unknown }).workerRecipe === "function" ? (ds as { workerRecipe(): WorkerRecipe | null }).workerRecipe() : null;
  if (own) return { recipe: own, found: false };
  const at = findExport(ds.constructor);
  if ("reason" in at) return { reason: at.reason };
  try {
    return { recipe: { ...at, state: ownState(ds, ds.constructor.name, new Set([ds])) }, found: true };
  } catch (e) {
    if (e instanceof Unencodable) return { reason: e.message };
    throw e;
  }
}

/** Validates a user-given recipe's fields (the rest is checked when the worker requires the module). */
export function checkRecipe(r: WorkerRecipe): WorkerRecipe {
  if (typeof r?.module !== "string" || !path.isAbsolute(r.module)) throw new TypeError(`DataLoader: workerRecipe.module must be an absolute path to a CommonJS module, got ${JSON.stringify(r?.module)}`);
  if (typeof r.exportName !== "string") throw new TypeError(`DataLoader: workerRecipe.exportName must be a string (the exported class; "" for module.exports itself), got ${JSON.stringify(r.exportName)}`);
  if (r.args !== undefined && !Array.isArray(r.args)) throw new TypeError("DataLoader: workerRecipe.args must be an array of structured-cloneable values");
  return r;
}
