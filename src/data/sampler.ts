/**
 * Samplers: the order in which a map-style dataset is read, per epoch. Random orders come from a generator
 * seeded by (seed, epoch), so an epoch's order is reproducible and differs from the next epoch's.
 */
import { Generator, mixSeed } from "./random";

/** Yields dataset indices for an epoch. */
export interface Sampler { readonly length: number; indices(epoch: number): Iterable<number> }

/** 0, 1, ..., n-1. */
export class SequentialSampler implements Sampler {
  constructor(readonly length: number) {}
  indices(): Iterable<number> { return Array.from({ length: this.length }, (_, i) => i); }
}

/** A random permutation per epoch (or, with replacement, `numSamples` draws). */
export class RandomSampler implements Sampler {
  readonly length: number;
  constructor(readonly n: number, readonly opts: { seed?: number; replacement?: boolean; numSamples?: number } = {}) {
    this.length = opts.numSamples ?? n;
    this.seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
  }
  private seed: number;
  indices(epoch: number): Iterable<number> {
    const g = new Generator(mixSeed(this.seed, epoch, 0x5eed));
    if (this.opts.replacement) return Array.from({ length: this.length }, () => g.randint(0, this.n));
    const p = Array.from(g.randperm(this.n));
    return this.length <= this.n ? p.slice(0, this.length) : p;
  }
}

/** A fixed list of indices, in order. */
export class ListSampler implements Sampler {
  constructor(readonly list: number[]) {}
  get length(): number { return this.list.length; }
  indices(): Iterable<number> { return this.list; }
}

/** Groups a sampler's indices into batches. */
export function batchIndices(s: Sampler, epoch: number, batchSize: number, dropLast: boolean): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (const i of s.indices(epoch)) { cur.push(i); if (cur.length === batchSize) { out.push(cur); cur = []; } }
  if (cur.length && !dropLast) out.push(cur);
  return out;
}
