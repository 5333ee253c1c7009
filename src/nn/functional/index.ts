/**
 * `flow.nn.functional` (imported as `const F = flow.nn.functional`): PyTorch's functional API in camelCase,
 * required arguments in PyTorch's order, optional ones positionally or as one trailing options object.
 * @example const y = F.conv2d(x, w, b, { stride: 2, padding: 1 })
 * @packageDocumentation
 */
export { conv1d, conv2d, convTranspose1d, convTranspose2d } from "./conv";
export { pad } from "./padding";
export type { PadMode } from "./padding";
export { maxPool1d, maxPool2d, maxPool2dWithIndices, avgPool1d, avgPool2d, adaptiveAvgPool2d } from "./pooling";
export { softmax, logSoftmax, relu, sigmoid, tanh, gelu, silu, softplus } from "./activation";
export { linear } from "../../ops/linalg";
export { batchNorm, layerNorm, groupNorm } from "./normalization";
export { embedding, oneHot } from "./embedding";
export { interpolate } from "./resize";
export { crossEntropy, nllLoss, mseLoss, l1Loss, smoothL1Loss, binaryCrossEntropy, binaryCrossEntropyWithLogits } from "./loss";
export type { Reduction } from "./loss";
export { dropout, dropout2d } from "./dropout";
