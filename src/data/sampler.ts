/**
 * Samplers: the order in which a map-style dataset is read, per epoch (torch.utils.data.Sampler). Built
 * from PyTorch's arguments: `new RandomSampler(dataset)` (or a sample count), `new BatchSampler(sampler,
 * batchSize, dropLast)`. Random orders come from a generator seeded by (seed, epoch), so an epoch's order is
 * reproducible and differs from the next epoch's; with an explicit `generator`, that generator is drawn from
 * (and advances), as in PyTorch.
 */
import { Generator, mixSeed } from "./random";

/** Yields dataset indices for an epoch. Samplers are also iterable (each iteration is a new epoch), as PyTorch's. */
export interface Sampler { readonly length: number; indices(epoch: number): Iterable<number> }

/** What a sampler can be built over: a dataset (anything with `length` or `len()`) or a number of samples. */
export type DataSource = number | { readonly length: number } | { len(): number };

/** The number of samples of a data source; a TypeError names what was given otherwise. */
export function sourceLength(src: DataSource, who: string): number {
  const s = src as { length?: unknown; len?: unknown };
  const n = typeof src === "number" ? src : typeof s?.len === "function" ? (s.len as () => unknown)() : s?.length;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    throw new TypeError(`${who}: data_source must be a dataset (with a length or len()) or a number of samples, got ${describe(src)}`);
  }
  return n;
}

function describe(v: unknown): string {
  if (v === null || typeof v !== "object") return String(v);
  return `${v.constructor?.name ?? "object"} with length ${String((v as { length?: unknown }).length)}`;
}

/** Base class: subclasses give `length` and `indices(epoch)`; iterating runs epoch 0, 1, 2, ... */
abstract class IterableSamplerBase implements Sampler, Iterable<number> {
  private iterations = 0;
  abstract get length(): number;
  abstract indices(epoch: number): Iterable<number>;
  [Symbol.iterator](): Iterator<number> { return this.indices(this.iterations++)[Symbol.iterator](); }
}

/** 0, 1, ..., n-1 (torch.utils.data.SequentialSampler(data_source)). */
export class SequentialSampler extends IterableSamplerBase {
  constructor(readonly dataSource: DataSource) { super(); sourceLength(dataSource, "SequentialSampler"); }
  get length(): number { return sourceLength(this.dataSource, "SequentialSampler"); }
  indices(): Iterable<number> { return Array.from({ length: this.length }, (_, i) => i); }
}

/** Options of {@link RandomSampler} (PyTorch's replacement, num_samples, generator; plus a seed). */
export interface RandomSamplerOptions {
  /** Draw with replacement (false). */
  replacement?: boolean;
  /** Samples per epoch (default: the dataset's length). */
  numSamples?: number;
  /** Draw from this generator (it advances); default: a generator seeded by (seed, epoch). */
  generator?: Generator;
  /** Seed of the per-epoch generators when no `generator` is given (default: random). */
  seed?: number;
}

/** A random permutation per epoch (or, with replacement, `numSamples` draws) (torch.utils.data.RandomSampler). */
export class RandomSampler extends IterableSamplerBase {
  private readonly seed: number;
  constructor(readonly dataSource: DataSource, readonly opts: RandomSamplerOptions = {}) {
    super();
    sourceLength(dataSource, "RandomSampler");
    if (opts.replacement !== undefined && typeof opts.replacement !== "boolean") throw new TypeError(`RandomSampler: replacement should be a boolean value, but got replacement=${String(opts.replacement)}`);
    if (opts.numSamples !== undefined && !(Number.isInteger(opts.numSamples) && opts.numSamples > 0)) throw new RangeError(`RandomSampler: num_samples should be a positive integer value, but got num_samples=${opts.numSamples}`);
    if (opts.generator !== undefined && typeof (opts.generator as Generator)?.random !== "function") throw new TypeError("RandomSampler: generator must be a flow.utils.data.Generator");
    this.seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
  }
  /** Number of samples in the data source. */
  get n(): number { return sourceLength(this.dataSource, "RandomSampler"); }
  get length(): number { return this.opts.numSamples ?? this.n; }
  indices(epoch: number): Iterable<number> {
    const g = this.opts.generator ?? new Generator(mixSeed(this.seed, epoch, 0x5eed));
    const n = this.n, total = this.length;
    if (this.opts.replacement) return Array.from({ length: total }, () => g.randint(0, n));
    // Without replacement, numSamples > n concatenates permutations (as PyTorch does).
    const out: number[] = [];
    while (out.length < total) out.push(...Array.from(g.randperm(n)).slice(0, total - out.length));
    return out;
  }
}

/** A fixed list of indices, in order. */
export class ListSampler extends IterableSamplerBase {
  constructor(readonly list: number[]) { super(); }
  get length(): number { return this.list.length; }
  indices(): Iterable<number> { return this.list; }
}

/**
 * Any iterable of indices used as a sampler (an array, a Set, a generator function's object, an object with
 * `[Symbol.iterator]`). It is iterated once per epoch: a one-shot iterator (a generator object) gives one epoch.
 */
export class IterableSampler extends IterableSamplerBase {
  constructor(readonly source: Iterable<number>) { super(); }
  get length(): number {
    const s = this.source as { length?: unknown; size?: unknown; len?: unknown };
    const n = typeof s.len === "function" ? (s.len as () => unknown)() : s.length ?? s.size;
    if (typeof n !== "number") throw new TypeError("sampler has no length: give the iterable a `length` (or `len()`) to get the DataLoader's length");
    return n;
  }
  indices(): Iterable<number> { return Array.from(this.source); }
}

/** Turns the `sampler` option (a Sampler, an array or any iterable of indices) into a Sampler. */
export function toSampler(s: unknown, who = "DataLoader"): Sampler {
  if (typeof (s as Sampler)?.indices === "function") return s as Sampler;
  if (Array.isArray(s)) return new ListSampler(s);
  if (s !== null && typeof s === "object" && typeof (s as Iterable<number>)[Symbol.iterator] === "function") return new IterableSampler(s as Iterable<number>);
  throw new TypeError(`${who}: sampler must be a Sampler, an array of indices or an iterable of indices, got ${describe(s)}`);
}

/**
 * Groups a sampler's indices into batches of `batchSize` (torch.utils.data.BatchSampler(sampler, batch_size,
 * drop_last)); pass it to the DataLoader as `batchSampler`, or iterate it for lists of indices.
 */
export class BatchSampler implements Iterable<number[]> {
  readonly sampler: Sampler;
  private iterations = 0;
  constructor(sampler: Sampler | Iterable<number>, readonly batchSize: number, readonly dropLast: boolean = false) {
    if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`BatchSampler: batch_size should be a positive integer value, but got batch_size=${batchSize}`);
    if (typeof dropLast !== "boolean") throw new TypeError(`BatchSampler: drop_last should be a boolean value, but got drop_last=${String(dropLast)}`);
    this.sampler = toSampler(sampler, "BatchSampler");
  }
  get length(): number { const n = this.sampler.length; return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize); }
  /** The batches of an epoch. */
  batches(epoch: number): number[][] { return batchIndices(this.sampler, epoch, this.batchSize, this.dropLast); }
  [Symbol.iterator](): Iterator<number[]> { return this.batches(this.iterations++)[Symbol.iterator](); }
}

/** What the `batchSampler` option accepts: a BatchSampler, or any iterable of index lists (re-iterated each epoch). */
export type BatchSamplerLike = BatchSampler | Iterable<number[]>;

/** The batches of an epoch from a batchSampler option. */
export function batchesOf(bs: BatchSamplerLike, epoch: number): number[][] {
  if (bs instanceof BatchSampler) return bs.batches(epoch);
  return Array.from(bs, (b, k) => {
    if (!Array.isArray(b)) throw new TypeError(`DataLoader: batchSampler yielded ${describe(b)} for batch ${k}; it must yield arrays of indices`);
    return b as number[];
  });
}

/** Groups a sampler's indices into batches. */
export function batchIndices(s: Sampler, epoch: number, batchSize: number, dropLast: boolean): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (const i of s.indices(epoch)) { cur.push(i); if (cur.length === batchSize) { out.push(cur); cur = []; } }
  if (cur.length && !dropLast) out.push(cur);
  return out;
}
