/** A test dataset whose sample i is [tensor([i, r]), i] with r drawn from the sample's generator; can fail or crash on chosen indices. */
import * as flow from "../../../src/index";
import type { Generator } from "../../../src/data/random";

export interface IndexOpts { failAt?: number[]; crashAt?: number; delayMs?: number }

export class IndexDataset extends flow.utils.data.Dataset<[flow.Tensor, number]> {
  constructor(readonly n: number, readonly opts: IndexOpts = {}) { super(); }
  get length(): number { return this.n; }
  describeItem(i: number): string { return `index-sample #${i}`; }
  async getItem(i: number, gen?: Generator): Promise<[flow.Tensor, number]> {
    if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
    if (this.opts.failAt?.includes(i)) throw new Error(`bad sample ${i}`);
    if (this.opts.crashAt === i) process.exit(3);
    return [flow.tensor([i, gen ? gen.random() : -1], { dtype: "float64" }), i];
  }
  workerRecipe() { return { module: __filename, exportName: "IndexDataset", args: [this.n, this.opts] }; }
}
