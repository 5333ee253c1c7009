/** Dropout (torch/nn/modules/dropout.py). */
import { Tensor } from "../../tensor/tensor";
import { parseArgs } from "../../ops/args";
import { Module } from "../module";
import { pyFloat, pyRepr } from "../pyrepr";
import * as F from "../functional";

/** Zeroes each element with probability `p` in training mode and scales the rest by 1/(1-p); identity in eval mode. */
export class Dropout extends Module<[Tensor], Tensor> {
  /** Probability of zeroing an element. */
  declare p: number;
  /** PyTorch's inplace flag (kept for the repr; results are computed out of place). */
  declare inplace: boolean;
  constructor(p?: number | { p?: number; inplace?: boolean }, inplace?: boolean);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs<{ p: number; inplace: boolean }>("Dropout", args, ["p", "inplace"], { p: 0.5, inplace: false });
    if (!(o.p >= 0 && o.p <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${o.p}`);
    this.p = o.p;
    this.inplace = o.inplace;
  }
  forward(x: Tensor): Tensor { return F.dropout(x, { p: this.p, training: this.training }); }
  extraRepr(): string { return `p=${pyFloat(this.p)}, inplace=${pyRepr(this.inplace)}`; }
}
