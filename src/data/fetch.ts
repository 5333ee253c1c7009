/**
 * Reading the samples of one batch, shared by the main thread (numWorkers: 0) and the workers: each sample
 * gets its generator from (seed, epoch, index); a failing sample raises an error naming it, or is skipped
 * and reported when onError is "skip". A few samples are read at a time (`concurrency`), so image decoding (sharp,
 * on libuv's thread pool) overlaps the synchronous transforms of samples already decoded, without holding a
 * whole batch of decoded images in memory at once (which costs cache misses and garbage collection). With
 * `stacked` (the default collate will stack the batch), each sample's generator carries its slot of one batch
 * buffer (Generator.sink), which the fused image-to-tensor transform writes into, so stacking copies nothing.
 */
import type { Dataset } from "./dataset";
import { Generator, mixSeed } from "./random";
import { BatchArena } from "./collate";

/** What to do with a sample that cannot be read. */
export type OnError = "raise" | "skip";

/** A sample that was skipped, and why. */
export interface Skipped { index: number; item: string; message: string }

/** Thrown (and sent across threads as its message) when a sample fails with onError "raise". */
export class SampleError extends Error {
  constructor(readonly index: number, readonly item: string, cause: string) {
    super(`DataLoader: ${item} failed: ${cause}`);
    this.name = "SampleError";
  }
}

/** Samples of one batch in flight at once in a reader (main thread or worker). */
export const FETCH_CONCURRENCY = 8;

type Result = { ok: true; v: unknown } | { ok: false; i: number; message: string };

/** Reads `indices` from `ds`; returns the samples in order and the skipped ones. */
export async function fetchSamples(ds: Dataset, indices: number[], seed: number, epoch: number, onError: OnError, concurrency = FETCH_CONCURRENCY, stacked = false): Promise<{ samples: unknown[]; skipped: Skipped[] }> {
  const results: Result[] = new Array(indices.length);
  // Samples the default collate will stack may write their float tensors straight into the batch's buffer.
  const arena = stacked && indices.length > 1 ? new BatchArena(indices.length) : null;
  let next = 0;
  const lane = async () => {
    while (next < indices.length) {
      const k = next++, i = indices[k];
      try {
        const gen = new Generator(mixSeed(seed, epoch, i));
        if (arena) gen.sink = arena.sinkFor(k);
        results[k] = { ok: true, v: await ds.getItem(i, gen) };
      } catch (e) {
        results[k] = { ok: false, i, message: (e as Error)?.message ?? String(e) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, indices.length)) }, lane));
  const samples: unknown[] = [], skipped: Skipped[] = [];
  for (const r of results) {
    if (r.ok) { samples.push(r.v); continue; }
    const item = safeDescribe(ds, r.i);
    if (onError === "raise") throw new SampleError(r.i, item, r.message);
    skipped.push({ index: r.i, item, message: r.message });
  }
  return { samples, skipped };
}

function safeDescribe(ds: Dataset, i: number): string {
  try { return ds.describeItem(i); } catch { return `sample ${i}`; }
}
