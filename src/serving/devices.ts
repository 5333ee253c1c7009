/**
 * Devices → ONNX Runtime execution providers, checked against what this onnxruntime-node build
 * carries, so that asking for a missing provider fails at start with the fix instead of at the
 * first request.
 */
import { servingError } from "./errors";

/** Devices a server can run models on. */
export type Device = "cpu" | "webgpu" | "cuda" | "tensorrt";

/** Device table: `device: [onnxruntime-node backend name, providers list]`. */
const DEVICES: Record<Device, [string, unknown[]]> = {
  cpu: ["cpu", ["cpu"]],
  webgpu: ["webgpu", ["webgpu"]],
  cuda: ["cuda", [{ name: "cuda", deviceId: 0 }, "cpu"]],
  tensorrt: ["tensorrt", [{ name: "tensorrt", deviceId: 0 }, { name: "cuda", deviceId: 0 }, "cpu"]],
};

/** True when `s` names a device. */
export function isDevice(s: string): s is Device {
  return s in DEVICES;
}

/** Throws `DEVICE_UNAVAILABLE` unless this onnxruntime-node build bundles the device's provider. */
export function checkDevice(device: Device): void {
  const ort = require("onnxruntime-node") as { listSupportedBackends?: () => { name: string; bundled: boolean }[] };
  const backends = ort.listSupportedBackends?.() ?? [{ name: "cpu", bundled: true }];
  const b = backends.find((x) => x.name === DEVICES[device][0]);
  if (!b || !b.bundled) {
    const have = backends.filter((x) => x.bundled).map((x) => x.name).join(", ");
    const fix = device === "cuda" || device === "tensorrt" ? "install the NVIDIA providers with `node install.js --cuda` on a machine with a GPU, or" : "";
    throw servingError("DEVICE_UNAVAILABLE", { device, detail: `this onnxruntime-node build has providers: ${have}; ${fix} use --device cpu` });
  }
}

/** The executionProviders list for a device. */
export function providersFor(device: Device): unknown[] {
  return DEVICES[device][1];
}
