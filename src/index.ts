/**
 * flowbook: a PyTorch-style deep-learning framework on ONNX Runtime, imported as `flow`.
 * @packageDocumentation
 */
export const version = "0.1.0";
