/** Conv1d, Conv2d, ConvTranspose2d (torch/nn/modules/conv.py). */
import { Tensor } from "../../tensor/tensor";
import { Module } from "../module";
import { Parameter } from "../parameter";
import { pyRepr } from "../pyrepr";
import { FactoryOptions, layerArgs, newParameter, resetWeightAndBias, ntuple } from "./common";
import * as F from "../functional";

/** How a convolution pads: PyTorch's padding_mode. */
export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";
/** Options of Conv1d/Conv2d. */
export interface ConvOptions extends FactoryOptions {
  stride?: number | number[]; padding?: number | number[] | "same" | "valid"; dilation?: number | number[];
  groups?: number; bias?: boolean; paddingMode?: PaddingMode;
}
/** Options of ConvTranspose2d. */
export interface ConvTransposeOptions extends FactoryOptions {
  stride?: number | number[]; padding?: number | number[]; outputPadding?: number | number[];
  groups?: number; bias?: boolean; dilation?: number | number[]; paddingMode?: "zeros";
}

type ConvConfig = {
  stride: number | number[]; padding: number | number[] | "same" | "valid"; dilation: number | number[]; groups: number;
  bias: boolean; paddingMode: PaddingMode; outputPadding: number | number[];
};

/** What Conv1d, Conv2d and ConvTranspose2d share (PyTorch's _ConvNd): parameters, initialisation, repr. */
export abstract class ConvNd extends Module<[Tensor], Tensor> {
  /** Channels of the input. */
  declare inChannels: number;
  /** Channels produced by the convolution. */
  declare outChannels: number;
  /** Size of the window. */
  declare kernelSize: number[];
  /** Stride of the window. */
  declare stride: number[];
  /** Implicit padding. */
  declare padding: number[] | "same" | "valid";
  /** Spacing between window elements. */
  declare dilation: number[];
  /** True for transposed convolutions. */
  declare transposed: boolean;
  /** Extra size added to one side of a transposed convolution's output. */
  declare outputPadding: number[];
  /** Number of blocked connections from input to output channels. */
  declare groups: number;
  /** How padding is filled: 'zeros', 'reflect' or 'replicate'. */
  declare paddingMode: PaddingMode;
  /** Learnable weight: [out, in/groups, ...kernel] ([in, out/groups, ...kernel] when transposed). */
  declare weight: Parameter;
  /** Learnable bias, or null when created with `bias: false`. */
  declare bias: Parameter | null;

  constructor(layer: string, n: number, transposed: boolean, inChannels: number, outChannels: number, kernelSize: number | number[], o: ConvConfig & FactoryOptions) {
    super();
    if (!Number.isInteger(o.groups) || o.groups <= 0) throw new Error("groups must be a positive integer");
    if (inChannels % o.groups !== 0) throw new Error("in_channels must be divisible by groups");
    if (outChannels % o.groups !== 0) throw new Error("out_channels must be divisible by groups");
    const validModes = ["zeros", "reflect", "replicate", "circular"];
    if (!validModes.includes(o.paddingMode)) throw new Error(`padding_mode must be one of ${JSON.stringify(validModes)}, but got padding_mode='${o.paddingMode}'`);
    if (o.paddingMode === "circular") throw new Error(`${layer}: padding_mode='circular' is not supported yet (flow.nn.functional.pad has no circular mode); use 'zeros', 'reflect' or 'replicate'`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = ntuple(layer, "kernel_size", kernelSize, n);
    this.stride = ntuple(layer, "stride", o.stride, n);
    if (typeof o.padding === "string") {
      if (o.padding !== "same" && o.padding !== "valid") throw new Error(`Invalid padding string '${o.padding}', should be one of ['valid', 'same']`);
      if (o.padding === "same" && this.stride.some((s) => s !== 1)) throw new Error("padding='same' is not supported for strided convolutions");
      this.padding = o.padding;
    } else this.padding = ntuple(layer, "padding", o.padding, n);
    this.dilation = ntuple(layer, "dilation", o.dilation, n);
    this.transposed = transposed;
    this.outputPadding = ntuple(layer, "output_padding", o.outputPadding, n);
    this.groups = o.groups;
    this.paddingMode = o.paddingMode;
    const wShape = transposed ? [inChannels, outChannels / o.groups, ...this.kernelSize] : [outChannels, inChannels / o.groups, ...this.kernelSize];
    this.weight = newParameter(wShape, o);
    if (o.bias) this.bias = newParameter([outChannels], o);
    else this.registerParameter("bias", null);
    this.resetParameters();
  }

  /** PyTorch's default: kaiming-uniform with a = √5 for the weight, U(-1/√fan_in, 1/√fan_in) for the bias. */
  resetParameters(): void { resetWeightAndBias(this.weight, this.bias); }

  /** @internal For padding modes other than zeros: the explicit padding F.pad takes (last dim first, each side). */
  _reversedPadding(): number[] {
    const p = this.padding;
    if (typeof p === "string") {
      if (p === "valid") return this.kernelSize.flatMap(() => [0, 0]);
      return this.kernelSize.map((k, i) => {
        const total = this.dilation[i] * (k - 1);
        const left = Math.floor(total / 2);
        return [left, total - left];
      }).reverse().flat();
    }
    return [...p].reverse().flatMap((v) => [v, v]);
  }

  extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}`;
    const p = this.padding;
    if (typeof p === "string") s += `, padding=${p}`;
    else if (p.some((v) => v !== 0)) s += `, padding=${pyRepr(p)}`;
    if (this.dilation.some((v) => v !== 1)) s += `, dilation=${pyRepr(this.dilation)}`;
    if (this.outputPadding.some((v) => v !== 0)) s += `, output_padding=${pyRepr(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    if (this.paddingMode !== "zeros") s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

const CONV_NAMES: (keyof ConvConfig)[] = ["stride", "padding", "dilation", "groups", "bias", "paddingMode"];
const CONV_DEFAULTS: Partial<ConvConfig> = { stride: 1, padding: 0, dilation: 1, groups: 1, bias: true, paddingMode: "zeros", outputPadding: 0 };

/** Shared forward of Conv1d/Conv2d: explicit F.pad for non-zero padding modes, then the convolution. */
function convForward(m: ConvNd, x: Tensor, conv: "conv1d" | "conv2d"): Tensor {
  if (m.paddingMode !== "zeros") {
    const padded = F.pad(x, m._reversedPadding(), { mode: m.paddingMode });
    return F[conv](padded, m.weight, m.bias, { stride: m.stride, padding: 0, dilation: m.dilation, groups: m.groups });
  }
  return F[conv](x, m.weight, m.bias, { stride: m.stride, padding: m.padding, dilation: m.dilation, groups: m.groups });
}

/**
 * 1-D convolution over (N, C_in, L). weight [C_out, C_in/groups, k].
 * @example new nn.Conv1d(16, 33, 3, { stride: 2 })
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], stride?: number | number[] | ConvOptions, padding?: number | number[] | "same" | "valid", dilation?: number | number[], groups?: number, bias?: boolean, paddingMode?: PaddingMode, opts?: FactoryOptions);
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], ...rest: unknown[]) {
    super("Conv1d", 1, false, inChannels, outChannels, kernelSize, layerArgs<ConvConfig>("Conv1d", rest, CONV_NAMES, CONV_DEFAULTS));
  }
  forward(x: Tensor): Tensor { return convForward(this, x, "conv1d"); }
}

/**
 * 2-D convolution over (N, C_in, H, W). weight [C_out, C_in/groups, kH, kW].
 * @example new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false })
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], stride?: number | number[] | ConvOptions, padding?: number | number[] | "same" | "valid", dilation?: number | number[], groups?: number, bias?: boolean, paddingMode?: PaddingMode, opts?: FactoryOptions);
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], ...rest: unknown[]) {
    super("Conv2d", 2, false, inChannels, outChannels, kernelSize, layerArgs<ConvConfig>("Conv2d", rest, CONV_NAMES, CONV_DEFAULTS));
  }
  forward(x: Tensor): Tensor { return convForward(this, x, "conv2d"); }
}

/**
 * 2-D transposed convolution. weight [C_in, C_out/groups, kH, kW]. `forward(x, outputSize)` picks the
 * output padding that yields `outputSize`, as in PyTorch.
 * @example new nn.ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 })
 */
export class ConvTranspose2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], stride?: number | number[] | ConvTransposeOptions, padding?: number | number[], outputPadding?: number | number[], groups?: number, bias?: boolean, dilation?: number | number[], paddingMode?: "zeros", opts?: FactoryOptions);
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], ...rest: unknown[]) {
    const o = layerArgs<ConvConfig>("ConvTranspose2d", rest, ["stride", "padding", "outputPadding", "groups", "bias", "dilation", "paddingMode"], CONV_DEFAULTS);
    if (o.paddingMode !== "zeros") throw new Error('Only "zeros" padding mode is supported for ConvTranspose2d');
    if (typeof o.padding === "string") throw new Error("ConvTranspose2d: padding must be an int or a list of 2 ints");
    super("ConvTranspose2d", 2, true, inChannels, outChannels, kernelSize, o);
  }

  forward(x: Tensor, outputSize?: number[]): Tensor {
    const outputPadding = outputSize ? this.outputPaddingFor(x, outputSize) : this.outputPadding;
    return F.convTranspose2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding as number[], outputPadding, groups: this.groups, dilation: this.dilation });
  }

  /** PyTorch's _output_padding: the padding that makes the output spatial size `outputSize`. */
  private outputPaddingFor(x: Tensor, outputSize: number[]): number[] {
    const size = outputSize.length > 2 ? outputSize.slice(-2) : outputSize;
    if (size.length !== 2) throw new Error(`ConvTranspose2d: output_size must have 2 or ${x.ndim} elements (got ${outputSize.length})`);
    const pad = this.padding as number[];
    return size.map((want, d) => {
      const minSize = (x.shape[x.ndim - 2 + d] - 1) * this.stride[d] - 2 * pad[d] + this.dilation[d] * (this.kernelSize[d] - 1) + 1;
      const maxSize = minSize + this.stride[d] - 1;
      if (want < minSize || want > maxSize) throw new RangeError(`requested an output size of [${size.join(", ")}], but valid sizes range from ${minSize} to ${maxSize} (for an input of [${x.shape.slice(-2).join(", ")}])`);
      return want - minSize;
    });
  }
}
