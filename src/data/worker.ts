/**
 * A DataLoader worker thread: rebuilds the dataset from its recipe, then reads the batches it is sent, one at
 * a time (the samples of a batch concurrently), collates them when the loader uses the default collate, and
 * posts them back with their tensor buffers transferred. Errors are posted per batch; the loader decides. A
 * dataset that cannot be rebuilt is reported once ("init-error") and the worker reads nothing.
 */
import { parentPort, workerData } from "worker_threads";
import { buildFromRecipe, Dataset, IterableDataset, setWorkerInfo, WorkerRecipe } from "./dataset";
import { defaultCollate, pack } from "./collate";
import { fetchSamples, OnError, SampleError } from "./fetch";

/** What the loader hands a worker at start. */
export interface WorkerStart {
  recipe: WorkerRecipe; seed: number; onError: OnError; collate: boolean; batched: boolean; workerId: number; numWorkers: number;
  /** An IterableDataset: this worker iterates its own `iter(info)` and answers "next batch" tasks (batchSize, dropLast). */
  stream?: { batchSize: number | null; dropLast: boolean };
}
/** A task: read these indices as batch `batchId` of `epoch` (a stream worker: the next batch of its iterator). */
export interface BatchTask { batchId: number; epoch: number; indices: number[] }

const start = workerData as WorkerStart;
setWorkerInfo({ id: start.workerId, numWorkers: start.numWorkers, seed: start.seed });
let ds: Dataset | undefined;
try {
  ds = buildFromRecipe(start.recipe) as Dataset;
} catch (e) {
  parentPort!.postMessage({ type: "init-error", message: `${(e as Error)?.message ?? String(e)}` });
}
const queue: BatchTask[] = [];
let busy = false;

let stream: AsyncIterator<unknown> | Iterator<unknown> | undefined;

/** The next batch of this worker's shard of an IterableDataset; done when it has no (complete enough) batch left. */
async function nextStreamBatch(task: BatchTask): Promise<void> {
  if (!stream) {
    const it = (ds as unknown as IterableDataset).iter({ id: start.workerId, numWorkers: start.numWorkers, seed: start.seed });
    stream = Symbol.asyncIterator in it ? (it as AsyncIterable<unknown>)[Symbol.asyncIterator]() : (it as Iterable<unknown>)[Symbol.iterator]();
  }
  const want = start.stream!.batchSize ?? 1, samples: unknown[] = [];
  while (samples.length < want) {
    const r = await stream.next();
    if (r.done) break;
    samples.push(r.value);
  }
  const done = samples.length === 0 || (start.stream!.batchSize !== null && samples.length < want && start.stream!.dropLast);
  if (done) { parentPort!.postMessage({ type: "batch", batchId: task.batchId, value: null, skipped: [], empty: true, done: true }); return; }
  const value = !start.batched ? samples[0] : start.collate ? defaultCollate(samples) : samples;
  const { value: packed, transfer } = pack(value);
  parentPort!.postMessage({ type: "batch", batchId: task.batchId, value: packed, skipped: [], empty: false }, transfer);
}

async function run(task: BatchTask): Promise<void> {
  try {
    if (start.stream) { await nextStreamBatch(task); return; }
    const { samples, skipped } = await fetchSamples(ds!, task.indices, start.seed, task.epoch, start.onError, undefined, start.batched && start.collate);
    const value = !start.batched ? samples[0] : start.collate && samples.length ? defaultCollate(samples) : samples;
    const { value: packed, transfer } = pack(value);
    parentPort!.postMessage({ type: "batch", batchId: task.batchId, value: packed, skipped, empty: samples.length === 0 }, transfer);
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({ type: "error", batchId: task.batchId, message: err?.message ?? String(e), index: e instanceof SampleError ? e.index : undefined });
  }
}

async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  // Back to the event loop between batches (a batch decoded synchronously never leaves the microtask queue), so
  // that an exit request is seen after the current batch rather than after everything queued.
  while (queue.length) { await run(queue.shift()!); if (queue.length) await new Promise(setImmediate); }
  busy = false;
}

// {type: "exit"}: the loader is done with this worker. Handled when the thread returns to its event loop (between
// batches, or while a batch waits for I/O), never inside a decoder's native call, where terminate() could abort
// the process; so the thread exits here rather than being terminated.
parentPort!.on("message", (m: BatchTask | { type: "exit" }) => {
  if ((m as { type?: string }).type === "exit") process.exit(0);
  if (ds) { queue.push(m as BatchTask); void drain(); }
});
