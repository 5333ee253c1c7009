/**
 * DataLoader: batches of a dataset as an async iterator, read ahead by worker threads while the model runs.
 *
 *   for await (const [x, y] of new DataLoader(ds, {batchSize: 64, shuffle: true, numWorkers: 2, seed: 0})) {...}
 *
 * Order and augmentation are reproducible: the sampler's order comes from (seed, epoch), and each sample's
 * random transforms from (seed, epoch, index), whichever worker reads it. Batch b goes to worker b % n; at
 * most numWorkers × prefetchFactor batches are in flight; batches come back in order. Leaving the loop
 * (break, an exception, an error in a worker) ends the workers (asked to exit, which they do from JS between
 * batches, and terminated if they have not within 2 s); while nobody waits on the loader its workers are
 * unref'd, so an abandoned iterator never keeps the process alive.
 *
 * Workers rebuild the dataset from a recipe: the dataset's `workerRecipe()`, the `workerRecipe` option, or
 * one found from its class (exported by a module file) and its properties (recipe.ts). A dataset no worker
 * can rebuild (a class defined in a notebook cell or the main script, a property holding a closure) is read
 * in the main thread, with one warning per loader saying why and how to enable workers.
 */
import * as path from "path";
import { Worker } from "worker_threads";
import { Dataset, IterableDataset, WorkerRecipe } from "./dataset";
import { BatchSamplerLike, batchesOf, batchIndices, RandomSampler, Sampler, SequentialSampler, toSampler } from "./sampler";
import { defaultCollate, unpack } from "./collate";
import { fetchSamples, OnError, Skipped, SampleError } from "./fetch";
import { getProgressHook } from "./progress";
import { resolveRecipe } from "./recipe";
import type { Generator } from "./random";
import type { BatchTask, WorkerStart } from "./worker";

/** DataLoader options (PyTorch's names in camelCase). */
export interface DataLoaderOptions {
  /** Samples per batch (1); null: no batching, yield samples one by one. */
  batchSize?: number | null;
  /** A new random order every epoch (seeded by `seed`). */
  shuffle?: boolean;
  /** Explicit order: a Sampler, an array of indices or any iterable of indices (excludes shuffle). */
  sampler?: Sampler | Iterable<number>;
  /** Explicit batches: a BatchSampler or any iterable of index lists (excludes batchSize, shuffle, sampler, dropLast). */
  batchSampler?: BatchSamplerLike;
  /** Drop the last incomplete batch. */
  dropLast?: boolean;
  /** Turns a list of samples into a batch (default: stack tensors, numbers → tensors, recurse into arrays/records). A custom one runs in the main thread. */
  collateFn?: (samples: any[]) => unknown;
  /** Alias of `collateFn` (the issue's and torchdata's name). */
  collate?: (samples: any[]) => unknown;
  /** Worker threads that read and transform samples (0: read in the main thread). */
  numWorkers?: number;
  /** Batches read ahead per worker (2). */
  prefetchFactor?: number;
  /** A sample that fails: "raise" (default) an error naming it, or "skip" it and count it in `stats`. */
  onError?: OnError;
  /** Seed for shuffling and random transforms (default: drawn from `generator`, else random per loader). */
  seed?: number;
  /** Where the default seed is drawn from (PyTorch's generator). */
  generator?: Generator;
  /** Progress bar in a notebook: true (default when a display hook is installed), false, or a description. */
  progress?: boolean | string;
  /** Milliseconds to wait for a batch from the workers before failing (0: wait forever). */
  timeout?: number;
  /** Keep the worker threads (and their datasets) between epochs instead of starting new ones each epoch (false, as PyTorch). */
  persistentWorkers?: boolean;
  /** How workers rebuild the dataset, for a dataset without `workerRecipe()`: `{module, exportName, args}` (see WorkerRecipe). */
  workerRecipe?: WorkerRecipe;
}

const OPTION_NAMES = ["batchSize", "shuffle", "sampler", "batchSampler", "dropLast", "collateFn", "collate", "numWorkers", "prefetchFactor", "onError", "seed", "generator", "progress", "timeout", "persistentWorkers", "workerRecipe"];
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Refuses option names the loader does not know (a typo would otherwise be ignored silently). */
function checkOptionNames(opts: object): void {
  for (const k of Object.keys(opts)) {
    if (OPTION_NAMES.includes(k)) continue;
    const hint = OPTION_NAMES.includes(camel(k)) ? ` (did you mean '${camel(k)}'? options are camelCase)` : "";
    throw new TypeError(`DataLoader: unknown option '${k}'${hint}; valid options are ${OPTION_NAMES.join(", ")}`);
  }
}

/** Counters of what a loader skipped (onError: "skip"). */
export interface LoaderStats { skipped: number; errors: Skipped[] }

const WORKER = path.join(__dirname, "worker.js");
let liveWorkers = 0;
/** Worker threads started by DataLoaders and not yet exited (for diagnostics and leak tests). */
export function activeWorkerCount(): number { return liveWorkers; }

/** A map-style dataset: `getItem(i)` and `length` (a Dataset subclass or any object with both). */
const isMapStyle = (d: unknown): d is Dataset => typeof (d as Dataset)?.getItem === "function";
/** An iterable-style dataset: an IterableDataset, or any object with an async/sync iterator and no getItem. */
const isIterableStyle = (d: unknown): d is IterableDataset =>
  d instanceof IterableDataset || (!isMapStyle(d) && d !== null && typeof d === "object" && (Symbol.asyncIterator in d || Symbol.iterator in d));

/** Iterates a dataset in batches. */
export class DataLoader<B = any> implements AsyncIterable<B> {
  readonly batchSize: number | null;
  readonly numWorkers: number;
  readonly prefetchFactor: number;
  readonly onError: OnError;
  readonly seed: number;
  readonly sampler: Sampler | null;
  readonly batchSampler: BatchSamplerLike | null;
  /** What was skipped so far (onError: "skip"). */
  readonly stats: LoaderStats = { skipped: 0, errors: [] };
  /** The epoch the next iteration reads (incremented at the start of each iteration). */
  epoch = 0;
  private keptPool: WorkerPool | null = null;
  private readonly collateFn: ((samples: any[]) => unknown) | undefined;
  /** Set once workers are known not to be usable for this dataset (the warning was given). */
  private mainThreadReason: string | null = null;

  constructor(readonly dataset: Dataset<any> | IterableDataset<any>, readonly opts: DataLoaderOptions = {}) {
    checkOptionNames(opts);
    if (opts.collate && opts.collateFn && opts.collate !== opts.collateFn) throw new TypeError("DataLoader: give collateFn or its alias collate, not both");
    this.collateFn = opts.collateFn ?? opts.collate;
    if (this.collateFn !== undefined && typeof this.collateFn !== "function") throw new TypeError(`DataLoader: collateFn must be a function, got ${typeof this.collateFn}`);
    this.batchSize = opts.batchSize === undefined ? 1 : opts.batchSize;
    if (this.batchSize !== null && !(Number.isInteger(this.batchSize) && this.batchSize > 0)) throw new RangeError(`DataLoader: batch_size should be a positive integer value, but got batch_size=${this.batchSize}`);
    this.numWorkers = opts.numWorkers ?? 0;
    if (!(Number.isInteger(this.numWorkers) && this.numWorkers >= 0)) throw new RangeError(`DataLoader: num_workers option should be non-negative; got ${this.numWorkers}`);
    this.prefetchFactor = opts.prefetchFactor ?? 2;
    this.onError = opts.onError ?? "raise";
    if (this.onError !== "raise" && this.onError !== "skip") throw new TypeError(`DataLoader: onError must be "raise" or "skip", got ${JSON.stringify(this.onError)}`);
    this.seed = opts.seed ?? (opts.generator ? opts.generator.nextU32() : Math.floor(Math.random() * 2 ** 32));
    if (opts.sampler && opts.shuffle) throw new TypeError("DataLoader: sampler option is mutually exclusive with shuffle");
    this.batchSampler = opts.batchSampler ?? null;
    if (this.batchSampler) {
      if ((opts.batchSize !== undefined && opts.batchSize !== 1) || opts.shuffle || opts.sampler || opts.dropLast) throw new TypeError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last");
      if (typeof (this.batchSampler as Iterable<number[]>)[Symbol.iterator] !== "function") throw new TypeError("DataLoader: batchSampler must be a BatchSampler or an iterable of index lists");
    }
    if (isIterableStyle(dataset)) {
      if (opts.sampler || opts.shuffle || opts.batchSampler) throw new TypeError("DataLoader with IterableDataset: expected unspecified sampler and shuffle options");
      this.sampler = null;
    } else if (isMapStyle(dataset)) {
      this.sampler = opts.sampler !== undefined && opts.sampler !== null ? toSampler(opts.sampler) : opts.shuffle ? new RandomSampler(dataset, { seed: this.seed }) : new SequentialSampler(dataset);
    } else {
      throw new TypeError(`DataLoader: the dataset must be map-style (getItem(i) and length, e.g. a flow.utils.data.Dataset) or iterable (a flow.utils.data.IterableDataset), got ${(dataset as object)?.constructor?.name ?? String(dataset)}`);
    }
  }

  /** Number of batches per epoch (map-style datasets). */
  get length(): number {
    if (this.batchSampler) {
      const n = (this.batchSampler as { length?: unknown }).length;
      if (typeof n !== "number") throw new TypeError("DataLoader: its batchSampler has no length");
      return n;
    }
    if (!this.sampler) throw new TypeError("DataLoader over an IterableDataset has no length");
    const n = this.sampler.length;
    if (this.batchSize === null) return n;
    return this.opts.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  [Symbol.asyncIterator](): AsyncIterator<B> {
    const it = this.iterate();
    const hook = getProgressHook();
    if (!hook || this.opts.progress === false) return it;
    const desc = typeof this.opts.progress === "string" ? this.opts.progress : undefined;
    let total: number | undefined;
    try { total = this.sampler || this.batchSampler ? this.length : undefined; } catch { total = undefined; }
    return hook(it, { total, desc })[Symbol.asyncIterator]();
  }

  /** True when batches are collated lists of samples (batchSize set, or a batchSampler). */
  private get batched(): boolean { return this.batchSampler !== null || this.batchSize !== null; }

  /** One epoch of batches, without the progress bar. */
  iterate(): AsyncGenerator<B> {
    const epoch = this.epoch++;
    if (isIterableStyle(this.dataset)) return this.iterateStream(this.dataset);
    const ds = this.dataset as Dataset;
    const batches = this.batchSampler ? batchesOf(this.batchSampler, epoch)
      : this.batchSize === null ? batchIndices(this.sampler!, epoch, 1, false) : batchIndices(this.sampler!, epoch, this.batchSize, !!this.opts.dropLast);
    if (this.numWorkers === 0 || this.mainThreadReason) return this.iterateMain(ds, batches, epoch);
    // Kept (persistent) workers already hold the dataset; otherwise the recipe is made afresh each epoch, as
    // PyTorch pickles the dataset again for each epoch's workers.
    if (this.keptPool) return this.iterateWorkers(ds, this.keptPool.recipe, this.keptPool.found, batches, epoch);
    const r = resolveRecipe(ds, this.opts.workerRecipe);
    if ("reason" in r) { this.fallBack(r.reason); return this.iterateMain(ds, batches, epoch); }
    return this.iterateWorkers(ds, r.recipe, r.found, batches, epoch);
  }

  /** Switches this loader to the main thread, with one warning saying why and how to get workers back. */
  private fallBack(reason: string): void {
    if (this.mainThreadReason) return;
    this.mainThreadReason = reason;
    const name = this.dataset.constructor.name;
    process.emitWarning(`DataLoader: numWorkers: ${this.numWorkers} ignored, ${name} is read in the main thread: ${reason}. ` +
      `To decode in worker threads, export the class from a module file (module.exports / export class) and load it with require or import, ` +
      `implement workerRecipe() on it, or pass the loader option workerRecipe: {module, exportName, args}; or set numWorkers: 0 to silence this.`,
      { type: "DataLoaderWarning", code: "FLOWBOOK_DATALOADER_MAIN_THREAD" });
  }

  /** Why this loader reads in the main thread despite numWorkers > 0 (null when it uses workers). */
  get mainThreadFallback(): string | null { return this.mainThreadReason; }

  private finishBatch(samples: unknown[], skipped: Skipped[]): { keep: boolean; value: unknown } {
    this.noteSkipped(skipped);
    if (!samples.length) return { keep: false, value: null };
    if (!this.batched) return { keep: true, value: samples[0] };
    return { keep: true, value: (this.collateFn ?? defaultCollate)(samples) };
  }

  private noteSkipped(skipped: Skipped[]): void {
    this.stats.skipped += skipped.length;
    for (const s of skipped) if (this.stats.errors.length < 100) this.stats.errors.push(s);
  }

  private async *iterateMain(ds: Dataset, batches: number[][], epoch: number): AsyncGenerator<B> {
    for (const b of batches) {
      const { samples, skipped } = await fetchSamples(ds, b, this.seed, epoch, this.onError, undefined, this.batched && !this.collateFn);
      const r = this.finishBatch(samples, skipped);
      if (r.keep) yield r.value as B;
    }
  }

  private async *iterateStream(ds: IterableDataset): AsyncGenerator<B> {
    if (this.numWorkers > 0 && !this.mainThreadReason) {
      const r = resolveRecipe(ds, this.opts.workerRecipe);
      if ("reason" in r) this.fallBack(r.reason);
      else { yield* this.iterateStreamWorkers(r.recipe); return; }
    }
    const collate = this.collateFn ?? defaultCollate;
    let cur: unknown[] = [];
    const source = typeof ds.iter === "function" ? ds.iter({ id: 0, numWorkers: 1, seed: this.seed }) : ds as unknown as AsyncIterable<unknown>;
    for await (const s of source) {
      if (this.batchSize === null) { yield s as B; continue; }
      cur.push(s);
      if (cur.length === this.batchSize) { yield collate(cur) as B; cur = []; }
    }
    if (cur.length && !this.opts.dropLast) yield collate(cur) as B;
  }

  private async *iterateWorkers(ds: Dataset, recipe: WorkerRecipe, found: boolean, batches: number[][], epoch: number): AsyncGenerator<B> {
    const start = (id: number): WorkerStart => ({ recipe, seed: this.seed, onError: this.onError, collate: !this.collateFn, batched: this.batched, workerId: id, numWorkers: this.numWorkers });
    const keep = !!this.opts.persistentWorkers;
    const pool = (keep && this.keptPool) || new WorkerPool(this.numWorkers, start, this.opts.timeout ?? 0, recipe, found);
    if (keep) this.keptPool = pool;
    const limit = this.numWorkers * this.prefetchFactor;
    let sent = 0, finished = false, k = 0;
    try {
      for (; k < batches.length; k++) {
        while (sent < batches.length && sent - k < limit) { pool.send(sent % this.numWorkers, { batchId: sent, epoch, indices: batches[sent] }); sent++; }
        let msg: BatchMessage;
        try {
          msg = await pool.result(k);
        } catch (e) {
          // A recipe found automatically may still fail to rebuild in a worker (the module throws when
          // required there, say): read this epoch's remaining batches in the main thread instead.
          if (!(found && e instanceof WorkerInitError)) throw e;
          this.fallBack(`a worker thread could not rebuild it (${e.message})`);
          break;
        }
        this.noteSkipped(msg.skipped);
        if (msg.empty) continue;
        const value = unpack(msg.value);
        if (!this.batched || !this.collateFn) yield value as B;
        else yield this.collateFn(value as unknown[]) as B;
      }
      finished = k === batches.length;
    } finally {
      // Persistent workers survive a completed epoch; an error or an early exit (break) still ends them.
      if (!keep || !finished) {
        if (this.keptPool === pool) this.keptPool = null;
        await pool.close();
      }
    }
    if (!finished) yield* this.iterateMain(ds, batches.slice(k), epoch);
  }

  /**
   * An IterableDataset with workers (as PyTorch): each worker iterates its own `iter(info)` (shard by
   * `info.id`/`info.numWorkers`, or getWorkerInfo()); batches are taken from the workers in turn, and a worker
   * whose stream ends leaves the rotation. Without sharding every worker yields the whole stream, as in PyTorch.
   */
  private async *iterateStreamWorkers(recipe: WorkerRecipe): AsyncGenerator<B> {
    const start = (id: number): WorkerStart => ({ recipe, seed: this.seed, onError: this.onError, collate: !this.collateFn, batched: this.batched, workerId: id, numWorkers: this.numWorkers, stream: { batchSize: this.batchSize, dropLast: !!this.opts.dropLast } });
    const pool = new WorkerPool(this.numWorkers, start, this.opts.timeout ?? 0, recipe, false);
    let nextId = 0;
    const outstanding: number[][] = Array.from({ length: this.numWorkers }, () => []);
    const ask = (w: number) => { const id = nextId++; outstanding[w].push(id); pool.send(w, { batchId: id, epoch: 0, indices: [] }); };
    try {
      for (let w = 0; w < this.numWorkers; w++) for (let k = 0; k < this.prefetchFactor; k++) ask(w);
      let alive = Array.from({ length: this.numWorkers }, (_, w) => w), turn = 0;
      while (alive.length) {
        const w = alive[turn % alive.length];
        const msg = await pool.result(outstanding[w].shift()!);
        if (msg.done) { alive = alive.filter((x) => x !== w); continue; }
        turn++;
        ask(w);
        const value = unpack(msg.value);
        yield (this.batched && this.collateFn ? this.collateFn(value as unknown[]) : value) as B;
      }
    } finally {
      await pool.close();
    }
  }

  /** Ends persistent worker threads now (they are also ended when the loader is garbage-collected). */
  async close(): Promise<void> {
    const pool = this.keptPool;
    this.keptPool = null;
    if (pool) await pool.close();
  }

  toString(): string {
    return `DataLoader(${this.dataset.constructor.name}, batchSize=${this.batchSize}, numWorkers=${this.numWorkers}${this.sampler ? `, ${this.length} batches` : ""})`;
  }
}

interface BatchMessage { type: "batch"; batchId: number; value: unknown; skipped: Skipped[]; empty: boolean; done?: boolean }
interface ErrorMessage { type: "error"; batchId: number; message: string; index?: number }
interface InitErrorMessage { type: "init-error"; message: string }

/** A worker could not rebuild the dataset from its recipe. */
class WorkerInitError extends Error {}

/** Worker threads with in-order results; any failure rejects every waiter, and close() always ends the workers. */
class WorkerPool {
  private workers: Worker[] = [];
  private done = new Map<number, BatchMessage | ErrorMessage>();
  private waiters = new Map<number, { resolve: (m: BatchMessage) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;
  private closing = false;

  constructor(n: number, start: (id: number) => WorkerStart, private readonly timeout: number, readonly recipe: WorkerRecipe, readonly found: boolean) {
    for (let i = 0; i < n; i++) {
      const w = new Worker(WORKER, { workerData: start(i) });
      liveWorkers++;
      let exited = false;
      w.once("exit", () => { if (!exited) { exited = true; liveWorkers--; } });
      w.on("message", (m: BatchMessage | ErrorMessage | InitErrorMessage) => {
        if (m.type === "init-error") this.fail(new WorkerInitError(`DataLoader worker ${i} could not rebuild the dataset: ${m.message}`));
        else this.onMessage(m);
      });
      w.on("error", (e) => this.fail(new Error(`DataLoader worker ${i} failed: ${e.message}`)));
      w.on("exit", (code) => { if (!this.closing) this.fail(new Error(`DataLoader worker ${i} exited unexpectedly (exit code ${code})`)); });
      w.unref();
      this.workers.push(w);
    }
    poolRegistry.register(this, this.workers);
  }

  send(worker: number, task: BatchTask): void { this.workers[worker].postMessage(task); }

  private onMessage(m: BatchMessage | ErrorMessage): void {
    const w = this.waiters.get(m.batchId);
    if (!w) { this.done.set(m.batchId, m); return; }
    this.waiters.delete(m.batchId);
    this.settle(m, w);
  }

  private settle(m: BatchMessage | ErrorMessage, w: { resolve: (m: BatchMessage) => void; reject: (e: Error) => void }): void {
    this.refWhileWaiting();
    if (m.type === "batch") w.resolve(m);
    else w.reject(m.index !== undefined ? Object.assign(new Error(m.message), { name: "SampleError", index: m.index }) : new Error(m.message));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiters.values()) w.reject(this.failure);
    this.waiters.clear();
    this.refWhileWaiting();
  }

  // Workers keep the process alive only while the consumer waits for a batch.
  private refWhileWaiting(): void {
    for (const w of this.workers) (this.waiters.size ? w.ref() : w.unref());
  }

  result(batchId: number): Promise<BatchMessage> {
    const ready = this.done.get(batchId);
    if (ready) {
      this.done.delete(batchId);
      return new Promise((resolve, reject) => this.settle(ready, { resolve, reject }));
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      if (this.timeout > 0) {
        timer = setTimeout(() => { this.waiters.delete(batchId); this.refWhileWaiting(); reject(new Error(`DataLoader timed out after ${this.timeout} ms waiting for batch ${batchId}`)); }, this.timeout);
      }
      this.waiters.set(batchId, {
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.refWhileWaiting();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.waiters.clear();
    poolRegistry.unregister(this);
    await Promise.all(this.workers.map((w) => endWorker(w, true)));
  }
}

/** How long a worker asked to exit may take before it is terminated. */
const EXIT_GRACE_MS = 2000;

/**
 * Ends a worker: asks it to exit, which it does from JS when it next returns to its event loop (between batches,
 * or while a batch waits for I/O: worker.ts), and terminates it only if it has not exited after EXIT_GRACE_MS.
 * terminate() stops a thread wherever it is, also inside a native call, and a
 * native addon built on node-addon-api whose call then fails to return its result aborts the process (seen with
 * a TurboJPEG binding); asking first is cheap and keeps any addon safe.
 */
function endWorker(w: Worker, wait: boolean): Promise<void> {
  if (w.threadId < 0) return Promise.resolve(); // already exited
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => { clearTimeout(timer); resolve(); };
    w.once("exit", done);
    if (wait) w.ref();
    try { w.postMessage({ type: "exit" }); } catch { /* closed port: it is exiting */ }
    timer = setTimeout(() => { void w.terminate().then(done, done); }, EXIT_GRACE_MS);
    if (!wait) timer.unref();
  });
}

// An iterator dropped without finishing (no break, no return()) still frees its workers when collected.
const poolRegistry = new FinalizationRegistry<Worker[]>((ws) => { for (const w of ws) void endWorker(w, false); });
void SampleError;
