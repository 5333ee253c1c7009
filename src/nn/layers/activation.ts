/** Activation modules (torch/nn/modules/activation.py): each calls its flow.nn.functional counterpart. */
import { Tensor } from "../../tensor/tensor";
import { gelu, relu, sigmoid, silu, tanh } from "../../ops/elementwise";
import { parseArgs } from "../../ops/args";
import { Module } from "../module";
import { pyRepr } from "../pyrepr";
import * as F from "../functional";

/**
 * max(x, 0). `inplace` is accepted for PyTorch compatibility and shown in the repr; flowbook computes the
 * result out of place (the returned values are the same).
 */
export class ReLU extends Module<[Tensor], Tensor> {
  /** PyTorch's inplace flag (kept for the repr; results are computed out of place). */
  declare inplace: boolean;
  constructor(inplace?: boolean | { inplace?: boolean });
  constructor(...args: unknown[]) { super(); this.inplace = parseArgs<{ inplace: boolean }>("ReLU", args, ["inplace"], { inplace: false }).inplace; }
  forward(x: Tensor): Tensor { return relu(x); }
  extraRepr(): string { return this.inplace ? "inplace=True" : ""; }
}

/** Gaussian error linear unit; `approximate: "tanh"` selects the tanh approximation. */
export class GELU extends Module<[Tensor], Tensor> {
  /** 'none' (exact erf) or 'tanh'. */
  declare approximate: "none" | "tanh";
  constructor(approximate?: "none" | "tanh" | { approximate?: "none" | "tanh" });
  constructor(...args: unknown[]) {
    super();
    this.approximate = parseArgs<{ approximate: "none" | "tanh" }>("GELU", args, ["approximate"], { approximate: "none" }).approximate;
    if (this.approximate !== "none" && this.approximate !== "tanh") throw new Error(`GELU: approximate must be 'none' or 'tanh', got ${pyRepr(this.approximate)}`);
  }
  forward(x: Tensor): Tensor { return gelu(x, { approximate: this.approximate }); }
  extraRepr(): string { return `approximate=${pyRepr(this.approximate)}`; }
}

/** x · sigmoid(x). `inplace` as in ReLU. */
export class SiLU extends Module<[Tensor], Tensor> {
  /** PyTorch's inplace flag (kept for the repr; results are computed out of place). */
  declare inplace: boolean;
  constructor(inplace?: boolean | { inplace?: boolean });
  constructor(...args: unknown[]) { super(); this.inplace = parseArgs<{ inplace: boolean }>("SiLU", args, ["inplace"], { inplace: false }).inplace; }
  forward(x: Tensor): Tensor { return silu(x); }
  extraRepr(): string { return this.inplace ? "inplace=True" : ""; }
}

/** 1 / (1 + e^-x). */
export class Sigmoid extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor { return sigmoid(x); }
}

/** Hyperbolic tangent. */
export class Tanh extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor { return tanh(x); }
}

/** Softmax over `dim`. */
export class Softmax extends Module<[Tensor], Tensor> {
  /** Dimension the softmax runs over. */
  declare dim: number | null;
  constructor(dim?: number | null | { dim?: number | null });
  constructor(...args: unknown[]) { super(); this.dim = parseArgs<{ dim: number | null }>("Softmax", args, ["dim"], { dim: null }).dim; }
  forward(x: Tensor): Tensor { return F.softmax(x, { dim: this.dim }); }
  extraRepr(): string { return `dim=${pyRepr(this.dim)}`; }
}
