/**
 * How op families attach methods to Tensor: each family file declares the methods (TypeScript module
 * augmentation of `Tensor`) and installs them here, next to the ops they call.
 */
import { Tensor } from "../tensor/tensor";

/** Installs tensor methods; a name installed twice is a bug and throws. */
export function addTensorMethods(methods: Record<string, (this: Tensor, ...args: any[]) => unknown>): void {
  for (const [name, fn] of Object.entries(methods)) {
    if (Object.prototype.hasOwnProperty.call(Tensor.prototype, name)) throw new Error(`Tensor.${name} is defined twice`);
    Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}
