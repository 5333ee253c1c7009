/** MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (torch/nn/modules/pooling.py). Sizes are kept as given (int or list), as PyTorch's repr shows them. */
import { Tensor } from "../../tensor/tensor";
import { parseArgs } from "../../ops/args";
import { Module } from "../module";
import { pyRepr } from "../pyrepr";
import * as F from "../functional";

type Size = number | number[];

/** Options of MaxPool2d. */
export interface MaxPool2dOptions { stride?: Size | null; padding?: Size; dilation?: Size; returnIndices?: boolean; ceilMode?: boolean }

/**
 * 2-D max pooling; `stride` defaults to `kernelSize`. With `returnIndices: true` forward returns
 * `[values, indices]` (indices flat within each H×W plane, as PyTorch's); TypeScript learns that from the type
 * argument: `new nn.MaxPool2d<[Tensor, Tensor]>(2, { returnIndices: true })`.
 */
export class MaxPool2d<Out extends Tensor | [Tensor, Tensor] = Tensor> extends Module<[Tensor], Out> {
  /** Size of the window. */
  declare kernelSize: Size;
  /** Stride of the window. */
  declare stride: Size;
  /** Implicit padding. */
  declare padding: Size;
  /** Spacing between window elements. */
  declare dilation: Size;
  /** Use ceil instead of floor for the output size. */
  declare ceilMode: boolean;
  /** Whether forward also returns the argmax indices. */
  declare returnIndices: boolean;

  constructor(kernelSize: Size | (MaxPool2dOptions & { kernelSize: Size }), stride?: Size | null | MaxPool2dOptions, padding?: Size, dilation?: Size, returnIndices?: boolean, ceilMode?: boolean);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs<Required<MaxPool2dOptions> & { kernelSize: Size }>("MaxPool2d", args, ["kernelSize", "stride", "padding", "dilation", "returnIndices", "ceilMode"], { stride: null, padding: 0, dilation: 1, returnIndices: false, ceilMode: false }, { required: 1 });
    Object.assign(this, { kernelSize: o.kernelSize, stride: o.stride ?? o.kernelSize, padding: o.padding, dilation: o.dilation, ceilMode: o.ceilMode, returnIndices: !!o.returnIndices });
  }
  forward(x: Tensor): Out {
    return F.maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode, returnIndices: this.returnIndices }) as Out;
  }
  extraRepr(): string {
    return `kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}, padding=${pyRepr(this.padding)}, dilation=${pyRepr(this.dilation)}, ceil_mode=${pyRepr(this.ceilMode)}`;
  }
}

/** Options of AvgPool2d. */
export interface AvgPool2dOptions { stride?: Size | null; padding?: Size; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }

/** 2-D average pooling; `stride` defaults to `kernelSize`. */
export class AvgPool2d extends Module<[Tensor], Tensor> {
  /** Size of the window. */
  declare kernelSize: Size;
  /** Stride of the window. */
  declare stride: Size;
  /** Implicit padding. */
  declare padding: Size;
  /** Use ceil instead of floor for the output size. */
  declare ceilMode: boolean;
  /** Whether zero padding counts in the average. */
  declare countIncludePad: boolean;
  /** Divisor used instead of the window size, or null. */
  declare divisorOverride: number | null;

  constructor(kernelSize: Size | (AvgPool2dOptions & { kernelSize: Size }), stride?: Size | null | AvgPool2dOptions, padding?: Size, ceilMode?: boolean, countIncludePad?: boolean, divisorOverride?: number | null);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs<Required<AvgPool2dOptions> & { kernelSize: Size }>("AvgPool2d", args, ["kernelSize", "stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"], { stride: null, padding: 0, ceilMode: false, countIncludePad: true, divisorOverride: null }, { required: 1 });
    const kernelSize = o.kernelSize;
    Object.assign(this, { kernelSize, stride: o.stride ?? kernelSize, padding: o.padding, ceilMode: o.ceilMode, countIncludePad: o.countIncludePad, divisorOverride: o.divisorOverride });
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride });
  }
  extraRepr(): string { return `kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}, padding=${pyRepr(this.padding)}`; }
}

/** Average pooling to a fixed output size (an int, or [H, W] where null keeps the input size). */
export class AdaptiveAvgPool2d extends Module<[Tensor], Tensor> {
  /** Target output size [H, W] (null keeps the input's). */
  declare outputSize: number | (number | null)[];
  constructor(outputSize: number | (number | null)[] | { outputSize: number | (number | null)[] }) {
    super();
    this.outputSize = Array.isArray(outputSize) || typeof outputSize === "number" ? outputSize : parseArgs<{ outputSize: number | (number | null)[] }>("AdaptiveAvgPool2d", [outputSize], ["outputSize"], {}, { required: 1 }).outputSize;
  }
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool2d(x, this.outputSize); }
  extraRepr(): string { return `output_size=${pyRepr(this.outputSize)}`; }
}
