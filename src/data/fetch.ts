/**
 * Reading the samples of one batch, shared by the main thread (numWorkers: 0) and the workers: each sample
 * gets its generator from (seed, epoch, index); a failing sample raises an error naming it, or is skipped
 * and reported when onError is "skip". Samples are read concurrently, so image decoding (sharp, on libuv's
 * thread pool) overlaps the synchronous transforms of samples already decoded.
 */
import type { Dataset } from "./dataset";
import { Generator, mixSeed } from "./random";

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

/** Reads `indices` from `ds`; returns the samples in order and the skipped ones. */
export async function fetchSamples(ds: Dataset, indices: number[], seed: number, epoch: number, onError: OnError): Promise<{ samples: unknown[]; skipped: Skipped[] }> {
  const results = await Promise.all(indices.map(async (i) => {
    try {
      return { ok: true as const, v: await ds.getItem(i, new Generator(mixSeed(seed, epoch, i))) };
    } catch (e) {
      return { ok: false as const, i, message: (e as Error)?.message ?? String(e) };
    }
  }));
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
