/** Helpers shared by layer constructors: PyTorch-order arguments with a trailing options object, parameter allocation. */
import type { DType } from "../../tensor/dtype";
import type { Device } from "../../backend/device";
import { empty } from "../../tensor/creation";
import { parseArgs, tuple } from "../../ops/args";
import { Parameter } from "../parameter";
import * as init from "../init";

/** Where and in which dtype a layer creates its parameters (PyTorch's factory kwargs). */
export interface FactoryOptions { device?: string | Device; dtype?: DType }

/**
 * Parses a layer constructor's optional arguments: positionally in PyTorch's order and/or as one trailing
 * options object, with `device` and `dtype` accepted in the options object.
 */
export function layerArgs<T extends Record<string, unknown>>(layer: string, args: unknown[], names: (keyof T & string)[], defaults: Partial<T>): T & FactoryOptions {
  return parseArgs<T & FactoryOptions>(layer, args, [...names, "device", "dtype"] as (keyof (T & FactoryOptions) & string)[], defaults as Partial<T & FactoryOptions>);
}

/** An uninitialised (zero) parameter of `shape`; layers fill it in resetParameters(). */
export function newParameter(shape: number[], f: FactoryOptions): Parameter {
  return new Parameter(empty(shape, { dtype: f.dtype ?? "float32", device: f.device }));
}

/** An int-or-list layer argument as a list of `n` ints (PyTorch's _pair/_single). */
export const ntuple = (layer: string, name: string, v: number | number[], n: number): number[] => tuple(layer, name, v, n);

/**
 * PyTorch's default initialisation of Linear and Conv layers: kaiming-uniform with a = √5 for the weight,
 * U(-1/√fan_in, 1/√fan_in) for the bias (zeros when fan_in is 0).
 */
export function resetWeightAndBias(weight: Parameter, bias: Parameter | null): void {
  init.kaimingUniform_(weight, Math.sqrt(5));
  if (!bias) return;
  const [fanIn] = init.calculateFanInAndFanOut(weight);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  init.uniform_(bias, -bound, bound);
}
