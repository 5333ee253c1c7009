/**
 * flowbook: a PyTorch-style deep-learning framework on ONNX Runtime, imported as `flow`.
 * @packageDocumentation
 */
// Op families register themselves on import; the order only matters for readability.
import "./ops/elementwise";
import "./ops/shape";
import "./ops/reduce";
import "./ops/linalg";
import "./tensor/display";
import * as autograd from "./autograd/index";

export const version = "0.1.0";
export { Tensor } from "./tensor/tensor";
export type { DType, TypedArray } from "./tensor/dtype";
export { tensor, zeros, ones, full, empty, zerosLike, onesLike, fullLike, emptyLike } from "./tensor/creation";
export type { TensorOptions, TensorData } from "./tensor/creation";
export { setDefaultDevice, getDefaultDevice, device } from "./backend/device";
export { noGrad, enableGrad, isGradEnabled } from "./autograd/mode";
export { autograd };
export * from "./ops/elementwise";
export { reshape, expand, permute, transpose } from "./ops/shape";
export { sum, mean, prod, amax, amin, max, min, argmax, argmin, var_, var_ as var, std, norm, logsumexp, cumsum, topk, sort } from "./ops/reduce";
export type { ValuesIndices, ReduceOptions } from "./ops/reduce";
export { matmul, mm, bmm, dot, outer, linear, einsum } from "./ops/linalg";
export { memory, setMemoryTracking } from "./tensor/memory";
export { setPrintOptions } from "./tensor/print";
export type { PrintOptions } from "./tensor/print";
export type { MemoryInfo } from "./tensor/memory";
