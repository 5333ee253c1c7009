/**
 * `flow.utils.data`: datasets, samplers and the DataLoader (as torch.utils.data).
 * @example
 * const { DataLoader } = flow.utils.data;
 * const loader = new DataLoader(new flow.vision.datasets.ImageFolder("train/", {transform}), {batchSize: 64, shuffle: true, numWorkers: 2, seed: 0});
 * for await (const [x, y] of loader) { ... }
 */
export { Dataset, IterableDataset, TensorDataset, Subset, buildFromRecipe, getWorkerInfo } from "./dataset";
export type { WorkerRecipe, WorkerInfo } from "./dataset";
export { DataLoader, activeWorkerCount } from "./loader";
export type { DataLoaderOptions, LoaderStats } from "./loader";
export { SequentialSampler, RandomSampler, ListSampler, IterableSampler, BatchSampler, batchIndices } from "./sampler";
export type { Sampler, DataSource, RandomSamplerOptions, BatchSamplerLike } from "./sampler";
export { resolveRecipe } from "./recipe";
export { defaultCollate } from "./collate";
export { Generator, mixSeed } from "./random";
export { SampleError } from "./fetch";
export type { OnError, Skipped } from "./fetch";
export { setProgressHook, getProgressHook } from "./progress";
export type { ProgressHook } from "./progress";
