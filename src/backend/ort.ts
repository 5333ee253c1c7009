/**
 * ONNX Runtime, through onnxruntime-node's synchronous native binding: the public `run()` only wraps the same
 * call in a Promise, and the eager API must be synchronous like PyTorch's. onnxruntime-node is pinned
 * (1.30.0) because this binding is not part of its public API.
 */
import type { Tensor as OrtTensor, InferenceSession as OrtSessionTypes } from "onnxruntime-common";

/** The native session object of onnxruntime-node's binding. */
export interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: OrtSessionTypes.SessionOptions): void;
  readonly inputMetadata: { name: string; shape: number[]; type: number; symbolicDimensions: string[] }[];
  readonly outputMetadata: { name: string; shape: number[]; type: number; symbolicDimensions: string[] }[];
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>, options: object): Record<string, OrtTensor>;
  endProfiling(): void;
  dispose(): void;
}

interface Binding {
  InferenceSession: new () => NativeSession;
  listSupportedBackends(): { name: string; bundled: boolean }[];
}

let binding: Binding | undefined;
let TensorCtor: (new (type: string, data: unknown, dims: readonly number[]) => OrtTensor) | undefined;

/** Loads and initialises ONNX Runtime once (lazily: it costs ~100 ms and most kernel cells never need it). */
export function ort(): { binding: Binding; Tensor: NonNullable<typeof TensorCtor> } {
  if (!binding) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require("onnxruntime-node/dist/binding");
    mod.initOrt();
    binding = mod.binding as Binding;
    TensorCtor = require("onnxruntime-common").Tensor;
  }
  return { binding, Tensor: TensorCtor! };
}

/** Creates a native session from ONNX bytes. Errors from ORT are rethrown with `what` to say which model. */
export function createSession(bytes: Uint8Array, options: OrtSessionTypes.SessionOptions, what: string): NativeSession {
  const s = new (ort().binding.InferenceSession)();
  try {
    s.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options);
  } catch (e) {
    throw new Error(`ONNX Runtime could not load ${what}: ${(e as Error).message}`);
  }
  return s;
}

/** Execution providers onnxruntime-node was built with, and whether their libraries are bundled. */
export function supportedBackends(): { name: string; bundled: boolean }[] {
  return ort().binding.listSupportedBackends();
}
