/**
 * Datasets: map-style (`getItem(i)` + `length`, as torch.utils.data.Dataset) and iterable
 * (`[Symbol.asyncIterator]()`, `[Symbol.iterator]()` or `iter(info)`, as IterableDataset). A dataset that can
 * be rebuilt in a worker thread says how with `workerRecipe()`: the module file to require, the exported
 * class, and structured-cloneable arguments handed to its static `fromRecipe(...args)` (or its constructor).
 * ImageFolder and ImageDB implement it; a dataset without one gets a recipe found for it (see recipe.ts).
 */
import { Tensor } from "../tensor/tensor";
import type { Generator } from "./random";

/**
 * How a worker thread rebuilds a dataset: `require(module)[exportName].fromRecipe(...args)` (or `new`); with
 * `state` (recipes found automatically), an instance of the class without calling its constructor whose own
 * properties are the decoded state, as pickle does.
 */
export interface WorkerRecipe {
  /** Absolute path of a CommonJS module (for a compiled class: its `__filename`). */
  module: string;
  /** The export that is the class ("" when the module's exports is the class itself). */
  exportName: string;
  /** Structured-cloneable arguments (no functions, no class instances other than plain data). */
  args?: unknown[];
  /** Encoded own properties (recipe.ts); replaces the constructor call. */
  state?: unknown;
  /** Modules to require first (e.g. one that registers custom transforms). */
  preload?: string[];
}

/**
 * A map-style dataset. Subclasses implement `getItem` and `length`. With `numWorkers > 0`, workers rebuild it:
 * from `workerRecipe()` when it returns one; otherwise, when its class is exported from a module file the worker
 * can require, from that class and a copy of its own properties (as PyTorch pickles a dataset into its workers);
 * otherwise (a class defined in a notebook cell or the main script, a property holding a closure) the loader reads
 * it in the main thread and warns once, saying why.
 * @example
 * // datasets.ts — exported, so DataLoader workers can load it:
 * export class Squares extends flow.utils.data.Dataset<number> {
 *   get length() { return 100; }
 *   getItem(i: number) { return i * i; }
 * }
 */
export abstract class Dataset<T = unknown> {
  /** The sample at `index`; `gen` is this sample's generator for random transforms (seeded by the DataLoader). */
  abstract getItem(index: number, gen?: Generator): T | Promise<T>;
  /** Number of samples. */
  abstract get length(): number;
  /** How a worker thread rebuilds this dataset; null: the loader finds a recipe from the class (see above) or reads it in the main thread. */
  workerRecipe(): WorkerRecipe | null { return null; }
  /** Names sample `index` in error messages (a file path, a database row). */
  describeItem(index: number): string { return `sample ${index}`; }
}

/** Which worker is running, for IterableDataset sharding (as torch.utils.data.get_worker_info()). */
export interface WorkerInfo { id: number; numWorkers: number; seed: number }

let currentWorkerInfo: WorkerInfo | null = null;
/** In a DataLoader worker thread: which worker this is; null in the main thread (torch.utils.data.get_worker_info()). */
export function getWorkerInfo(): WorkerInfo | null { return currentWorkerInfo; }
/** @internal Set by the worker thread at start. */
export function setWorkerInfo(info: WorkerInfo | null): void { currentWorkerInfo = info; }

/**
 * An iterable dataset: a stream of samples. Implement `async *[Symbol.asyncIterator]()` or `*[Symbol.iterator]()`
 * (the JS forms of PyTorch's `__iter__`; shard with {@link getWorkerInfo}), or override `iter(info)`.
 * @example
 * class Lines extends flow.utils.data.IterableDataset<string> {
 *   async *[Symbol.asyncIterator]() { for await (const l of readLines("big.txt")) yield l; }
 * }
 */
export abstract class IterableDataset<T = unknown> {
  /** The samples for the reader described by `info`; by default this dataset's own async or sync iterator. */
  iter(info: WorkerInfo): AsyncIterable<T> | Iterable<T> {
    void info;
    const self = this as unknown as Partial<AsyncIterable<T> & Iterable<T>>;
    if (typeof self[Symbol.asyncIterator] === "function") return { [Symbol.asyncIterator]: () => self[Symbol.asyncIterator]!.call(this) };
    if (typeof self[Symbol.iterator] === "function") return { [Symbol.iterator]: () => self[Symbol.iterator]!.call(this) };
    throw new TypeError(`${this.constructor.name}: an IterableDataset implements [Symbol.asyncIterator](), [Symbol.iterator]() or iter(info)`);
  }
  workerRecipe(): WorkerRecipe | null { return null; }
}

/** Samples are the i-th rows of each tensor (as torch.utils.data.TensorDataset). */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: Tensor[];
  constructor(...tensors: Tensor[]) {
    super();
    if (!tensors.length) throw new TypeError("TensorDataset: needs at least one tensor");
    if (tensors.some((t) => t.shape[0] !== tensors[0].shape[0])) throw new RangeError(`TensorDataset: Size mismatch between tensors (${tensors.map((t) => t.shape[0]).join(" vs ")})`);
    this.tensors = tensors;
  }
  get length(): number { return this.tensors[0].shape[0]; }
  getItem(i: number): Tensor[] {
    return this.tensors.map((t) => {
      const row = t.shape.slice(1), n = row.reduce((a, b) => a * b, 1);
      return Tensor._fromArray(t.toTypedArray().slice(i * n, (i + 1) * n) as never, row, t.dtype);
    });
  }
  workerRecipe(): WorkerRecipe {
    return { module: __filename, exportName: "TensorDataset", args: this.tensors.map((t) => ({ dtype: t.dtype, shape: t.shape, data: t.toTypedArray() })) };
  }
  static fromRecipe(...ts: { dtype: Tensor["dtype"]; shape: number[]; data: never }[]): TensorDataset {
    return new TensorDataset(...ts.map((t) => Tensor._fromArray(t.data, t.shape, t.dtype)));
  }
}

/** A subset of a dataset at the given indices (as torch.utils.data.Subset). */
export class Subset<T> extends Dataset<T> {
  constructor(readonly dataset: Dataset<T>, readonly indices: number[]) { super(); }
  get length(): number { return this.indices.length; }
  getItem(i: number, gen?: Generator): T | Promise<T> { return this.dataset.getItem(this.indices[i], gen); }
  describeItem(i: number): string { return this.dataset.describeItem(this.indices[i]); }
  workerRecipe(): WorkerRecipe | null {
    const inner = this.dataset.workerRecipe();
    return inner && { module: __filename, exportName: "Subset", args: [inner, this.indices] };
  }
  static fromRecipe(inner: WorkerRecipe, indices: number[]): Subset<unknown> { return new Subset(buildFromRecipe(inner) as Dataset, indices); }
}

/** The class a recipe names. */
export function recipeClass(r: Pick<WorkerRecipe, "module" | "exportName">): any {
  const mod = require(r.module);
  const cls = r.exportName === "" ? mod : mod[r.exportName];
  if (typeof cls !== "function") throw new Error(`worker: ${r.module} has no export '${r.exportName}'`);
  return cls;
}

/** Rebuilds a dataset from its recipe (in a worker thread). */
export function buildFromRecipe(r: WorkerRecipe): Dataset | IterableDataset {
  for (const m of r.preload ?? []) require(m);
  if (r.state !== undefined) return (require("./recipe") as typeof import("./recipe")).decodeState({ $fb: "object", module: r.module, exportName: r.exportName, state: r.state }) as Dataset;
  const cls = recipeClass(r);
  const args = r.args ?? [];
  return typeof cls.fromRecipe === "function" ? cls.fromRecipe(...args) : new cls(...args);
}
