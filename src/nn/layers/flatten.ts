/** Flatten (torch/nn/modules/flatten.py). */
import { Tensor, normalizeDim } from "../../tensor/tensor";
import { reshape } from "../../ops/shape";
import { parseArgs } from "../../ops/args";
import { Module } from "../module";

/** Flattens dims startDim..endDim into one (default: all but the batch dim). */
export class Flatten extends Module<[Tensor], Tensor> {
  /** First dim to flatten. */
  declare startDim: number;
  /** Last dim to flatten. */
  declare endDim: number;
  constructor(startDim?: number | { startDim?: number; endDim?: number }, endDim?: number);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs<{ startDim: number; endDim: number }>("Flatten", args, ["startDim", "endDim"], { startDim: 1, endDim: -1 });
    this.startDim = o.startDim;
    this.endDim = o.endDim;
  }
  forward(x: Tensor): Tensor {
    if (x.ndim === 0) return reshape(x, [1]);
    const s = normalizeDim(this.startDim, x.ndim, "flatten"), e = normalizeDim(this.endDim, x.ndim, "flatten");
    if (s > e) throw new RangeError("flatten() has invalid args: start_dim cannot come after end_dim");
    const mid = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
  }
  extraRepr(): string { return `start_dim=${this.startDim}, end_dim=${this.endDim}`; }
}
