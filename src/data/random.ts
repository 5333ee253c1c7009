/**
 * Seeded random numbers for data loading. Every sample gets its own generator seeded from (loader seed,
 * epoch, sample index), so augmentations are the same whichever worker handles the sample and however
 * many workers there are.
 */

/** splitmix32 step: a well-mixed 32-bit hash of a 32-bit state. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Mixes integers (seed, epoch, index, ...) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    const lo = p >>> 0, hi = Math.floor(p / 2 ** 32) >>> 0;
    h = splitmix32(h ^ lo);
    h = splitmix32(h ^ hi);
  }
  return h;
}

/** A seeded generator (xoshiro128**). */
export class Generator {
  private s = new Uint32Array(4);
  /**
   * @internal Set by the DataLoader for a sample of a batch that the default collate will stack: a transform
   * producing a float32 tensor may write it into `take(numel)` (its slot of the batch's buffer) instead of a new
   * array, so that stacking is free. null elsewhere. Such a sample tensor is a view of the batch: a dataset that
   * keeps the tensors it returns (a cache of augmented samples) shares their memory with the batch, which a
   * worker transfers to the main thread (its views in the worker are then empty).
   */
  sink: { take(numel: number): Float32Array | null } | null = null;

  constructor(seed: number = (Math.random() * 2 ** 32) >>> 0) { this.manualSeed(seed); }

  /** Re-seeds the generator, like torch.Generator.manual_seed. */
  manualSeed(seed: number): this {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) { x = splitmix32(x + i); this.s[i] = x; }
    if (!(this.s[0] | this.s[1] | this.s[2] | this.s[3])) this.s[0] = 1;
    return this;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
    return result;
  }

  /** A float in [0, 1) with 53 random bits. */
  random(): number { return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992; }

  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.random(); }

  /** An integer in [lo, hi) (hi exclusive, as torch.randint). */
  randint(lo: number, hi: number): number {
    if (!(hi > lo)) throw new RangeError(`randint: empty range [${lo}, ${hi})`);
    return lo + Math.floor(this.random() * (hi - lo));
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  randperm(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(this.random() * (i + 1)); const t = p[i]; p[i] = p[j]; p[j] = t; }
    return p;
  }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }
