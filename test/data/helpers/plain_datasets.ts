/**
 * Datasets written as a PyTorch user would port them: no workerRecipe(). The DataLoader must still run them
 * in worker threads (their classes are exported from this module file), or fall back with a warning.
 */
import * as flow from "../../../src/index";

/** Sample i: [row i of a tensor + table lookup, i, the worker that read it (-1: main thread)]. */
export class PlainDataset extends flow.utils.data.Dataset<[flow.Tensor, number, number]> {
  table = new Map<number, number>([[0, 100]]);
  meta = { name: "plain", tags: new Set(["a"]) };
  inner = new Offset(1000);
  constructor(readonly data: flow.Tensor) { super(); }
  get length(): number { return this.data.shape[0]; }
  async getItem(i: number): Promise<[flow.Tensor, number, number]> {
    const row = this.data.select(0, i).add(this.table.get(0)! + this.inner.k);
    return [row, i, flow.utils.data.getWorkerInfo()?.id ?? -1];
  }
}

/** A plain helper object held by PlainDataset (rebuilt with its class in the worker). */
export class Offset { constructor(readonly k: number) {} }

/** Holds a closure: no worker can rebuild it. */
export class ClosureDataset extends flow.utils.data.Dataset<number> {
  fn = (i: number) => i * 2;
  get length(): number { return 7; }
  getItem(i: number): number { return this.fn(i); }
}

/** Built from constructor arguments through the loader's `workerRecipe` option. */
export class ArgsDataset extends flow.utils.data.Dataset<[number, number]> {
  private readonly cache: () => number;
  constructor(readonly n: number) { super(); this.cache = () => n; }
  get length(): number { return this.n; }
  getItem(i: number): [number, number] { return [i + this.cache(), flow.utils.data.getWorkerInfo()?.id ?? -1]; }
}

/** An IterableDataset in its natural JS forms. */
export class AsyncRange extends flow.utils.data.IterableDataset<number> {
  constructor(readonly n: number) { super(); }
  async *[Symbol.asyncIterator]() { for (let i = 0; i < this.n; i++) yield i; }
}
export class SyncRange extends flow.utils.data.IterableDataset<number> {
  constructor(readonly n: number) { super(); }
  *[Symbol.iterator]() { for (let i = 0; i < this.n; i++) yield i; }
}
/** Shards itself across DataLoader workers with getWorkerInfo(), as a PyTorch IterableDataset does. */
export class ShardedRange extends flow.utils.data.IterableDataset<[number, number]> {
  constructor(readonly n: number) { super(); }
  *[Symbol.iterator]() {
    const info = flow.utils.data.getWorkerInfo();
    const id = info?.id ?? 0, k = info?.numWorkers ?? 1;
    for (let i = id; i < this.n; i += k) yield [i, id] as [number, number];
  }
}
/** Fails after two samples. */
export class FailingRange extends flow.utils.data.IterableDataset<number> {
  *[Symbol.iterator]() { yield 0; yield 1; throw new Error("stream broke at 2"); }
}
