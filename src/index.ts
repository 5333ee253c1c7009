/**
 * flowbook: a PyTorch-style deep-learning framework on ONNX Runtime, imported as `flow`.
 * @packageDocumentation
 */
// Op families register themselves on import; the order only matters for readability.
import "./ops/elementwise";
import "./ops/shape";
import "./ops/reduce";
import "./ops/linalg";
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
export { sum } from "./ops/reduce";
export { matmul } from "./ops/linalg";
export { devices } from "./backend/gpu";
export type { DeviceInfo } from "./backend/gpu";
export { cuda, webgpu } from "./backend/namespaces";
export * as profiler from "./profiler";
export * as nn from "./nn/index";
export { softmax, logSoftmax } from "./nn/functional/activation";
