/**
 * DataLoader conventions a PyTorch script brings along: any valid dataset works with numWorkers (rebuilt in
 * the workers from its exported class and properties, or read in the main thread with one warning),
 * samplers built from a dataset, BatchSampler, iterables as samplers, IterableDataset in its JS forms,
 * `collate` as an alias and unknown options refused.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { ArgsDataset, AsyncRange, ClosureDataset, FailingRange, PlainDataset, ShardedRange, SyncRange } from "./helpers/plain_datasets";
import { MainOnlyDataset } from "./helpers/throws_in_worker";

const U = flow.utils.data;
const { DataLoader, RandomSampler, SequentialSampler, BatchSampler, Generator } = U;

const warnings: string[] = [];
process.on("warning", (w) => { if (w.name === "DataLoaderWarning") warnings.push(w.message); });
const tick = () => new Promise((r) => setImmediate(r));

async function collect(dl: AsyncIterable<any>): Promise<any[]> { const out = []; for await (const b of dl) out.push(b); return out; }
const flat = async (dl: AsyncIterable<flow.Tensor>) => (await Promise.all((await collect(dl)).map((b) => b.tolist()))).flat() as number[];

test("a dataset without workerRecipe() whose class is exported runs in the workers (state copied: tensor, Map, Set, nested object)", async () => {
  warnings.length = 0;
  const data = flow.arange(12).reshape([6, 2]);
  const dl = new DataLoader(new PlainDataset(data), { batchSize: 2, numWorkers: 2, shuffle: true, seed: 4 });
  const main = new DataLoader(new PlainDataset(data), { batchSize: 2, numWorkers: 0, shuffle: true, seed: 4 });
  const got = await collect(dl), ref = await collect(main);
  await tick();
  assert.equal(dl.mainThreadFallback, null);
  assert.deepEqual(warnings, []);
  const workers = new Set((await Promise.all(got.map((b) => b[2].tolist()))).flat());
  assert.deepEqual([...workers].sort(), [0, 1], "samples were read by worker threads 0 and 1");
  assert.deepEqual(await Promise.all(got.map((b) => b[0].tolist())), await Promise.all(ref.map((b) => b[0].tolist())));
  assert.deepEqual((await Promise.all(got.map((b) => b[1].tolist()))).flat().sort((a: number, b: number) => a - b), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(await got[0][0].tolist(), (await ref[0][0].tolist()));
  assert.equal(U.activeWorkerCount(), 0);
});

test("a dataset class defined in the main script is read in the main thread with exactly one warning per loader", async () => {
  warnings.length = 0;
  class Idx extends U.Dataset<number> { get length() { return 23; } async getItem(i: number) { return i; } }
  const dl = new DataLoader(new Idx(), { batchSize: 5, numWorkers: 2, shuffle: true, seed: 3 });
  const e1 = await flat(dl), e2 = await flat(dl);
  await tick();
  assert.deepEqual([...e1].sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i));
  assert.equal(e2.length, 23);
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], /Idx is read in the main thread: class Idx is not exported by any loaded CommonJS module file/);
  assert.match(warnings[0], /export the class from a module file.*workerRecipe/);
  assert.ok(dl.mainThreadFallback);
});

test("a property holding a closure falls back with the property named; the workerRecipe option rebuilds from constructor args", async () => {
  warnings.length = 0;
  const dl = new DataLoader(new ClosureDataset(), { batchSize: 3, numWorkers: 2 });
  assert.deepEqual(await flat(dl), [0, 2, 4, 6, 8, 10, 12]);
  await tick();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /ClosureDataset\.fn is a function/);

  warnings.length = 0;
  const file = require.resolve("./helpers/plain_datasets");
  const withRecipe = new DataLoader(new ArgsDataset(5), { batchSize: 5, numWorkers: 1, workerRecipe: { module: file, exportName: "ArgsDataset", args: [5] } });
  const [[x, worker]] = await collect(withRecipe);
  assert.deepEqual(await x.tolist(), [5, 6, 7, 8, 9]);
  assert.deepEqual(await worker.tolist(), [0, 0, 0, 0, 0]);
  await tick();
  assert.deepEqual(warnings, []);
  assert.throws(() => new DataLoader(new ArgsDataset(5), { numWorkers: 1, workerRecipe: { module: "rel.js", exportName: "X", args: [] } }).iterate(), /workerRecipe.module must be an absolute path/);
});

test("a module that cannot load in a worker: the loader falls back to the main thread for the rest of the epoch", async () => {
  warnings.length = 0;
  const dl = new DataLoader(new MainOnlyDataset(), { batchSize: 2, numWorkers: 2 });
  assert.deepEqual(await flat(dl), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(await flat(dl), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  await tick();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /could not rebuild it .*only loads in the main thread/);
  assert.equal(U.activeWorkerCount(), 0);
});

test("samplers take PyTorch's arguments: a dataset or a count, replacement, numSamples, generator", async () => {
  const ds = new U.TensorDataset(flow.arange(6));
  const order = async (sampler: unknown) => (await Promise.all((await collect(new DataLoader(ds, { batchSize: 2, sampler: sampler as never }))).map((b) => b[0].tolist()))).flat();
  assert.deepEqual(await order(new SequentialSampler(ds)), [0, 1, 2, 3, 4, 5]);
  const r = await order(new RandomSampler(ds, { seed: 1 }));
  assert.deepEqual([...r].sort(), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(await order(new RandomSampler(ds, { seed: 1 })), r, "seeded");
  assert.deepEqual(await order(new RandomSampler(6, { seed: 1 })), r, "a count works like the dataset");
  const g1 = await order(new RandomSampler(ds, { generator: new Generator(3) })), g2 = await order(new RandomSampler(ds, { generator: new Generator(3) }));
  assert.deepEqual(g1, g2);
  const rep = new RandomSampler(ds, { replacement: true, numSamples: 10, seed: 2 });
  const drawn = await order(rep);
  assert.equal(drawn.length, 10);
  assert.ok(drawn.every((i: number) => i >= 0 && i < 6));
  assert.equal(new RandomSampler(ds, { numSamples: 8, seed: 0 }).length, 8);
  assert.equal([...new RandomSampler(ds, { numSamples: 8, seed: 0 })].length, 8, "samplers are iterable");
  assert.throws(() => new RandomSampler({} as never), /data_source must be a dataset .* got Object with length undefined/);
  assert.throws(() => new RandomSampler(ds, { numSamples: 0 }), /num_samples should be a positive integer value, but got num_samples=0/);
  assert.throws(() => new SequentialSampler(null as never), /data_source must be/);
});

test("iterables as samplers, BatchSampler, and the batchSampler option", async () => {
  const ds = new U.TensorDataset(flow.arange(10));
  const values = async (opts: object) => (await Promise.all((await collect(new DataLoader(ds, opts))).map((b) => b[0].tolist())));
  assert.deepEqual((await values({ batchSize: 2, sampler: { *[Symbol.iterator]() { yield 5; yield 1; }, length: 2 } })).flat(), [5, 1]);
  assert.deepEqual((await values({ batchSize: 2, sampler: new Set([9, 0, 5]) })).flat(), [9, 0, 5]);
  function* gen() { yield 3; yield 4; }
  assert.deepEqual((await values({ batchSize: 5, sampler: gen() })).flat(), [3, 4]);
  assert.throws(() => new DataLoader(ds, { sampler: 5 as never }), /sampler must be a Sampler, an array of indices or an iterable of indices, got 5/);

  const bs = new BatchSampler(new SequentialSampler(ds), 3, true);
  assert.deepEqual([...bs], [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  assert.equal(bs.length, 3);
  assert.deepEqual([...new BatchSampler([4, 3, 2, 1, 0], 2, false)], [[4, 3], [2, 1], [0]]);
  const dl = new DataLoader(ds, { batchSampler: bs });
  assert.equal(dl.length, 3);
  assert.deepEqual(await values({ batchSampler: bs }), [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  assert.deepEqual(await values({ batchSampler: [[7, 1], [2]] }), [[7, 1], [2]]);
  assert.throws(() => new DataLoader(ds, { batchSampler: bs, batchSize: 4 }), /batch_sampler option is mutually exclusive with batch_size/);
  assert.throws(() => new BatchSampler(new SequentialSampler(ds), 0), /batch_size should be a positive integer value, but got batch_size=0/);
});

test("IterableDataset with [Symbol.asyncIterator] or [Symbol.iterator], in the main thread or in workers (sharded as in PyTorch)", async () => {
  warnings.length = 0;
  assert.deepEqual(await flat(new DataLoader(new AsyncRange(5), { batchSize: 2 })), [0, 1, 2, 3, 4]);
  assert.deepEqual((await collect(new DataLoader(new SyncRange(5), { batchSize: 2 }))).length, 3);
  assert.deepEqual(await flat(new DataLoader(new SyncRange(5), { batchSize: 2, dropLast: true })), [0, 1, 2, 3]);
  // Workers: each iterates its own stream; batches come from the workers in turn.
  const sharded = await collect(new DataLoader(new ShardedRange(11), { batchSize: 2, numWorkers: 2 }));
  assert.deepEqual((await Promise.all(sharded.map((b) => b[0].tolist()))).flat().sort((a: number, b: number) => a - b), Array.from({ length: 11 }, (_, i) => i), "each sample once");
  assert.deepEqual(await Promise.all(sharded.slice(0, 4).map((b) => b[1].tolist())), [[0, 0], [1, 1], [0, 0], [1, 1]], "round robin over the workers");
  // Unsharded: every worker yields the whole stream (PyTorch's behaviour too).
  assert.deepEqual(await flat(new DataLoader(new AsyncRange(3), { batchSize: 3, numWorkers: 2 })), [0, 1, 2, 0, 1, 2]);
  await assert.rejects(collect(new DataLoader(new FailingRange(), { batchSize: 1, numWorkers: 2 })), /stream broke at 2/);
  assert.equal(U.activeWorkerCount(), 0);
  await tick();
  assert.deepEqual(warnings, []);
  // A class no worker can load: main thread, one warning per loader; iter(info) gets the main-thread info.
  class Sharded extends U.IterableDataset<number> { *iter(info: { id: number; numWorkers: number }) { for (let i = info.id; i < 4; i += info.numWorkers) yield i; } }
  const local = new DataLoader(new Sharded(), { batchSize: 4, numWorkers: 2 });
  assert.deepEqual(await flat(local), [0, 1, 2, 3]);
  assert.deepEqual(await flat(local), [0, 1, 2, 3]);
  await tick();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /Sharded is read in the main thread/);
  class Empty extends U.IterableDataset<number> {}
  await assert.rejects(collect(new DataLoader(new Empty())), /Empty: an IterableDataset implements \[Symbol.asyncIterator\]\(\), \[Symbol.iterator\]\(\) or iter\(info\)/);
  assert.equal(U.getWorkerInfo(), null);
});

test("collate is an alias of collateFn; an unknown option is an error naming the valid ones", async () => {
  const ds = new U.TensorDataset(flow.arange(10));
  assert.deepEqual(await collect(new DataLoader(ds, { batchSize: 4, collate: (s) => s.length })), [4, 4, 2]);
  assert.deepEqual(await collect(new DataLoader(ds, { batchSize: 4, collateFn: (s) => s.length, numWorkers: 1 })), [4, 4, 2]);
  assert.throws(() => new DataLoader(ds, { bogusOption: 1 } as never), /unknown option 'bogusOption'; valid options are batchSize, shuffle, sampler, batchSampler, dropLast, collateFn, collate, numWorkers/);
  assert.throws(() => new DataLoader(ds, { collate_fn: (s: unknown[]) => s } as never), /unknown option 'collate_fn' \(did you mean 'collateFn'\? options are camelCase\)/);
  assert.throws(() => new DataLoader(ds, { collate: (s) => s, collateFn: (s) => s.length }), /give collateFn or its alias collate, not both/);
});
