/** Linear and Identity (torch/nn/modules/linear.py). */
import { Tensor } from "../../tensor/tensor";
import { linear } from "../../ops/linalg";
import { Module } from "../module";
import { Parameter } from "../parameter";
import { pyRepr } from "../pyrepr";
import { FactoryOptions, layerArgs, newParameter, resetWeightAndBias } from "./common";

/** Options of nn.Linear. */
export interface LinearOptions extends FactoryOptions { bias?: boolean }

/**
 * y = x Wᵀ + b. weight [outFeatures, inFeatures] and bias [outFeatures], initialised as PyTorch does
 * (kaiming-uniform with a = √5, bias U(-1/√fan_in, 1/√fan_in)).
 * @example const fc = new nn.Linear(4, 8, { bias: false })
 */
export class Linear extends Module<[Tensor], Tensor> {
  /** Size of each input sample. */
  declare inFeatures: number;
  /** Size of each output sample. */
  declare outFeatures: number;
  /** Learnable weight [outFeatures, inFeatures]. */
  declare weight: Parameter;
  /** Learnable bias, or null when created with `bias: false`. */
  declare bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, bias?: boolean | LinearOptions, opts?: FactoryOptions);
  constructor(inFeatures: number, outFeatures: number, ...rest: unknown[]) {
    super();
    const o = layerArgs<{ bias: boolean }>("Linear", rest, ["bias"], { bias: true });
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = newParameter([outFeatures, inFeatures], o);
    if (o.bias) this.bias = newParameter([outFeatures], o);
    else this.registerParameter("bias", null);
    this.resetParameters();
  }

  /** PyTorch's default: kaiming-uniform with a = √5 for the weight, U(-1/√fan_in, 1/√fan_in) for the bias. */
  resetParameters(): void { resetWeightAndBias(this.weight, this.bias); }

  forward(x: Tensor): Tensor { return linear(x, this.weight, this.bias); }

  extraRepr(): string { return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyRepr(this.bias !== null)}`; }
}

/** Returns its input unchanged (arguments are accepted and ignored, as in PyTorch). */
export class Identity extends Module<[Tensor], Tensor> {
  constructor(..._args: unknown[]) { super(); }
  forward(x: Tensor): Tensor { return x; }
}

