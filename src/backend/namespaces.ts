/** `flow.cuda` and `flow.webgpu`: availability of the GPU devices, as `torch.cuda.is_available()`. */
import { cudaUnusableReason, webgpuUnusableReason } from "./gpu";

/** The CUDA device (NVIDIA; needs the provider libraries from `node install.js --cuda`). */
export const cuda = {
  /** True when a tensor can be placed on "cuda" here. */
  isAvailable: (): boolean => cudaUnusableReason() === null,
  /** Why "cuda" cannot be used here, with the fix; null when it can. */
  unavailableReason: (): string | null => cudaUnusableReason(),
};

/** The WebGPU device (any Vulkan GPU, or Mesa's lavapipe on a CPU). */
export const webgpu = {
  /** True when a tensor can be placed on "webgpu" here. */
  isAvailable: (): boolean => webgpuUnusableReason() === null,
  /** Why "webgpu" cannot be used here, with the fix; null when it can. */
  unavailableReason: (): string | null => webgpuUnusableReason(),
};
