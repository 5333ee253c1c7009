/**
 * Device-resident tensors for the GPU execution providers (webgpu; cuda where its libraries are present).
 * A GPU tensor holds an onnxruntime tensor whose data stays in a GPU buffer (IO binding through
 * `preferredOutputLocation: "gpu-buffer"`), so a chain of eager ops never visits the host. Crossing to and from
 * the host goes through tiny Identity sessions, run synchronously; every crossing is counted.
 */
import * as fs from "fs";
import { Tensor } from "../tensor/tensor";
import { DType, TypedArray, ortTypeOf } from "../tensor/dtype";
import { Device, registerUsabilityCheck, executionProviders, device as parseDevice } from "./device";
import { createSession, NativeSession, ort, supportedBackends } from "./ort";
import { encodeModel } from "../onnx/proto";
import { IR_VERSION, OPSET } from "../onnx/opset";

/** Host↔device copies since start (the profiler shows them). */
export const copyStats = { hostToDevice: 0, deviceToHost: 0, bytesHostToDevice: 0, bytesDeviceToHost: 0 };

// Dtypes onnxruntime can hold in a GPU buffer; the others (float64, int8) stay on the host and the provider
// copies them itself (ORT runs such nodes on its CPU provider).
const RESIDENT = new Set<DType>(["float32", "float16", "int32", "int64", "uint8", "bool"]);
/** Whether a tensor of `dtype` can stay in a GPU buffer. */
export const canReside = (dtype: DType): boolean => RESIDENT.has(dtype);

interface OrtValue { location: string; type: string; dims: readonly number[]; data?: TypedArray; dispose(): void }

// GPU buffers are released when their tensor is garbage-collected.
const release = new FinalizationRegistry<OrtValue>((v) => { try { v.dispose(); } catch { /* already gone */ } });

/** Wraps a device-resident onnxruntime value as a tensor. */
export function deviceTensor(value: OrtValue, shape: number[], dtype: DType, dev: Device): Tensor {
  const t = new Tensor(shape, dtype, dev, null);
  t._deviceValue = value;
  release.register(t, value);
  return t;
}

const identitySessions = new Map<string, NativeSession>();
function identity(dev: Device, dtype: DType, rank: number, toDevice: boolean): NativeSession {
  const key = `${dev.name}|${dtype}|${rank}|${toDevice}`;
  let s = identitySessions.get(key);
  if (s) return s;
  const dims = Array.from({ length: rank }, (_, i) => `d${i}`);
  const bytes = encodeModel({
    irVersion: IR_VERSION, opsets: [{ domain: "", version: OPSET }], producerName: "flowbook",
    graph: {
      name: "copy", initializers: [],
      nodes: [{ opType: "Identity", inputs: ["x"], outputs: ["y"] }],
      inputs: [{ name: "x", dtype, dims }], outputs: [{ name: "y", dtype, dims }],
    },
  });
  s = createSession(bytes, {
    executionProviders: executionProviders(dev) as never,
    ...(toDevice ? { preferredOutputLocation: "gpu-buffer" } : {}),
  }, `the ${toDevice ? "upload to" : "download from"} ${dev.name} copy`);
  identitySessions.set(key, s);
  return s;
}

/** Copies a CPU tensor's data to `dev`, returning a device-resident tensor. */
export function upload(t: Tensor, dev: Device): Tensor {
  if (!canReside(t.dtype)) return Tensor._fromArray(t._host().slice(), [...t.shape], t.dtype, dev);
  const s = identity(dev, t.dtype, t.ndim, true);
  const { Tensor: OrtTensor } = ort();
  const out = s.run({ x: new OrtTensor(ortTypeOf(t.dtype), t._host(), t.shape) }, { y: null }, {}).y as unknown as OrtValue;
  copyStats.hostToDevice++;
  copyStats.bytesHostToDevice += t._host().byteLength;
  return deviceTensor(out, [...t.shape], t.dtype, dev);
}

/** Copies a device-resident tensor's data to the host. */
export function download(t: Tensor): TypedArray {
  const s = identity(t.device, t.dtype, t.ndim, false);
  const out = s.run({ x: t._deviceValue as never }, { y: null }, {}).y as unknown as OrtValue;
  copyStats.deviceToHost++;
  copyStats.bytesDeviceToHost += out.data!.byteLength;
  return out.data!;
}

/** The ORT value to feed for `t` on a session of device `dev` (uploading when only host data is current). */
export function feedValue(t: Tensor): unknown {
  if (t._deviceValue) return t._deviceValue;
  if (!canReside(t.dtype)) return new (ort().Tensor)(ortTypeOf(t.dtype), t._host(), t.shape);
  const up = upload(t, t.device);
  t._deviceValue = up._deviceValue;
  release.register(t, up._deviceValue as OrtValue);
  return t._deviceValue;
}

// ---- availability ------------------------------------------------------------------------------

const VULKAN_LOADER = ["/usr/lib/x86_64-linux-gnu/libvulkan.so.1", "/usr/lib/aarch64-linux-gnu/libvulkan.so.1", "/usr/lib64/libvulkan.so.1", "/usr/lib/libvulkan.so.1"];
const VULKAN_ICD_DIRS = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d"];

let webgpuProbe: string | null | undefined;
/** Why webgpu cannot be used here (null when it can). Probed once by creating a tiny session. */
export function webgpuUnusableReason(): string | null {
  if (webgpuProbe !== undefined) return webgpuProbe;
  if (!supportedBackends().some((b) => b.name === "webgpu" && b.bundled)) return (webgpuProbe = "this onnxruntime-node build has no WebGPU provider");
  if (!VULKAN_LOADER.some((p) => fs.existsSync(p)) && !process.env.VK_ICD_FILENAMES) return (webgpuProbe = "no Vulkan loader: install it (Debian: apt-get install libvulkan1)");
  const icds = VULKAN_ICD_DIRS.filter((d) => fs.existsSync(d) && fs.readdirSync(d).some((f) => f.endsWith(".json")));
  if (!icds.length && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) return (webgpuProbe = "no Vulkan driver: install a GPU driver, or Mesa's lavapipe CPU driver (Debian 12: apt-get install -t bookworm-backports mesa-vulkan-drivers)");
  try {
    identity(parseDevice("webgpu"), "float32", 1, true);
    webgpuProbe = null;
  } catch (e) {
    webgpuProbe = `WebGPU could not start on this machine's Vulkan driver (${(e as Error).message.split("\n")[0]}); Debian 12's Mesa 22 is too old: install mesa-vulkan-drivers from bookworm-backports`;
  }
  return webgpuProbe;
}

/** Why cuda cannot be used here (null when it can). */
export function cudaUnusableReason(): string | null {
  const cuda = supportedBackends().find((b) => b.name === "cuda");
  if (!cuda) return "this onnxruntime-node build has no CUDA provider";
  const hasDriver = fs.existsSync("/dev/nvidiactl") || fs.existsSync("/proc/driver/nvidia/version");
  if (!hasDriver) return "no NVIDIA driver found (/dev/nvidiactl is missing): this machine has no usable NVIDIA GPU";
  const ortDir = require("path").dirname(require.resolve("onnxruntime-node/package.json"));
  const libDir = require("path").join(ortDir, "bin", "napi-v6", process.platform, process.arch);
  if (!fs.existsSync(require("path").join(libDir, "libonnxruntime_providers_cuda.so"))) {
    return "the CUDA provider libraries are missing: run `node install.js --cuda` (needs internet and CUDA 12 + cuDNN 9 on the machine)";
  }
  return null;
}

registerUsabilityCheck("webgpu", () => webgpuUnusableReason());
registerUsabilityCheck("cuda", () => cudaUnusableReason());

/** One usable or unusable device, as flow.devices() lists it. */
export interface DeviceInfo { name: string; type: Device["type"]; usable: boolean; details: string }

/** Lists the devices flowbook knows, whether each is usable here, and why not. */
export function devices(): DeviceInfo[] {
  const os = require("os");
  const cpu = os.cpus();
  const web = webgpuUnusableReason();
  const cuda = cudaUnusableReason();
  return [
    { name: "cpu", type: "cpu", usable: true, details: `${cpu.length} × ${cpu[0]?.model ?? "CPU"} (ONNX Runtime CPU provider)` },
    { name: "webgpu", type: "webgpu", usable: web === null, details: web ?? `ONNX Runtime WebGPU provider on Vulkan (${vulkanDrivers().join(", ") || "driver"})` },
    { name: "cuda", type: "cuda", usable: cuda === null, details: cuda ?? "ONNX Runtime CUDA provider" },
  ];
}

function vulkanDrivers(): string[] {
  return VULKAN_ICD_DIRS.filter((d) => fs.existsSync(d)).flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith(".json")).map((f) => f.replace(/_icd.*\.json$/, "")));
}

/** Copies `t` to device `dev` (no autograd recording; Tensor.to() wraps this). */
export function transferTo(t: Tensor, dev: Device): Tensor {
  if (t.device === dev) return t;
  if (dev.type === "cpu") return Tensor._fromArray(t._deviceValue ? download(t) : t._host().slice(), [...t.shape], t.dtype, dev);
  const host = t.device.type === "cpu" ? t : transferTo(t, parseDevice("cpu"));
  return upload(host, dev);
}
