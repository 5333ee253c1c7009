/**
 * flowbook: a PyTorch-style deep-learning framework on ONNX Runtime, imported as `flow`.
 * @example
 * const x = flow.randn(4, 3, { requiresGrad: true });
 * const y = x.matmul(flow.ones(3, 2)).relu().sum();
 * y.backward();
 * @packageDocumentation
 */
// Op families register themselves in the op table on import.
import "./ops/elementwise";
import "./ops/shape";
import "./ops/reduce";
import "./ops/linalg";
import "./ops/slicing";
import "./ops/indexing";
import "./ops/inplace";
import "./ops/transfer";
import "./tensor/display";
import * as autograd from "./autograd/index";

/** flowbook's version. */
export const version = "0.1.0";

// ---- tensors ------------------------------------------------------------------------------------
export { Tensor } from "./tensor/tensor";
export type { DType, TypedArray } from "./tensor/dtype";
export { float32, float, float64, double, float16, half, bfloat16, int64, long, int32, int8, uint8, bool } from "./tensor/dtype";
export { tensor, zeros, ones, full, empty, zerosLike, onesLike, fullLike, emptyLike, arange, linspace, eye } from "./tensor/creation";
export type { TensorOptions, TensorData } from "./tensor/creation";
export { Generator, defaultGenerator, manualSeed, seed, initialSeed, getRngState, setRngState, rand, randn, randint, randperm, normal, randLike, randnLike, randintLike, bernoulli } from "./tensor/random";
export type { RandomOptions } from "./tensor/random";
export { memory, setMemoryTracking } from "./tensor/memory";
export type { MemoryInfo } from "./tensor/memory";
export { setPrintOptions } from "./tensor/print";
export type { PrintOptions } from "./tensor/print";

// ---- ops ----------------------------------------------------------------------------------------
export * from "./ops/elementwise";
export { sum, mean, prod, amax, amin, max, min, argmax, argmin, var_, var_ as var, std, norm, logsumexp, cumsum, topk, sort } from "./ops/reduce";
export type { ValuesIndices, ReduceOptions } from "./ops/reduce";
export { matmul, mm, bmm, dot, outer, linear, einsum } from "./ops/linalg";
export { reshape, expand, permute, transpose, flatten, unflatten, t, squeeze, unsqueeze, expandAs, repeat, cat, concat, stack, split, chunk, unbind, narrow, flip, roll, contiguous, movedim } from "./ops/shape";
export { index, indexPut, select, slice, sliceIndices } from "./ops/slicing";
export type { IndexItem, NestedIndex } from "./ops/slicing";
export { gather, scatter, scatterAdd, indexSelect, indexAdd, takeAlongDim, maskedFill, maskedSelect, nonzero } from "./ops/indexing";
export { clone, to } from "./ops/transfer";
export type { ToOptions } from "./ops/transfer";

// ---- autograd -----------------------------------------------------------------------------------
export { noGrad, enableGrad, isGradEnabled } from "./autograd/mode";
export { autograd };

// ---- devices ------------------------------------------------------------------------------------
export { setDefaultDevice, getDefaultDevice, device } from "./backend/device";
export { setNumThreads, getNumThreads } from "./backend/eager";
export { devices } from "./backend/gpu";
export type { DeviceInfo } from "./backend/gpu";
export { cuda, webgpu } from "./backend/namespaces";

// ---- modules, optimisers, graphs ----------------------------------------------------------------
export * as nn from "./nn/index";
export * as optim from "./optim";
export * as graph from "./graph/index";

// ---- data, models, io, display, profiling, serving ----------------------------------------------
export { save, load } from "./io/index";
export * as io from "./io/index";
export * as onnx from "./io/onnx_import";
export * as vision from "./vision/index";
export * as utils from "./utils/index";
export * as display from "./display/index";
export * as profiler from "./profiler";
export * as serving from "./serving/index";
export { softmax, logSoftmax } from "./nn/functional/activation";
