/**
 * Devices. A tensor lives on one device; every op's inputs must share it. The execution provider that runs a
 * device's sessions is chosen here, in one place, for eager ops and compiled graphs alike.
 */

/** A device a tensor can live on. `cuda:1` selects a GPU by index. */
export type DeviceName = "cpu" | "webgpu" | "cuda" | `cuda:${number}`;

/** A parsed device. */
export interface Device { readonly type: "cpu" | "webgpu" | "cuda"; readonly index: number; readonly name: string }

const cache = new Map<string, Device>();

/** Parses `"cpu"`, `"webgpu"`, `"cuda"` or `"cuda:N"`, throwing an error that lists the valid names. */
export function device(name: string | Device): Device {
  if (typeof name !== "string") return name;
  let d = cache.get(name);
  if (d) return d;
  const m = /^(cpu|webgpu|cuda)(?::(\d+))?$/.exec(name);
  if (!m) throw new TypeError(`unknown device '${name}': use "cpu", "webgpu", "cuda" or "cuda:N"`);
  const type = m[1] as Device["type"];
  const index = m[2] === undefined ? 0 : Number(m[2]);
  d = Object.freeze({ type, index, name: type === "cuda" && m[2] !== undefined ? `cuda:${index}` : type });
  cache.set(name, d);
  return d;
}

let defaultDevice: Device = device("cpu");
/** The device new tensors are created on unless told otherwise. */
export function getDefaultDevice(): Device { return defaultDevice; }
/** Sets the device new tensors are created on (`flow.setDefaultDevice("webgpu")`). */
export function setDefaultDevice(name: string): void { defaultDevice = checkUsable(device(name)); }

/** Device availability checks are registered by the GPU backends; cpu is always usable. */
const usability = new Map<string, (d: Device) => string | null>();
/** Registers a check that returns null when usable, else the reason and fix. */
export function registerUsabilityCheck(type: Device["type"], check: (d: Device) => string | null): void { usability.set(type, check); }
/** Returns `d` if it can run ops, else throws why not and how to fix it. */
export function checkUsable(d: Device): Device {
  if (d.type === "cpu") return d;
  const check = usability.get(d.type);
  const why = check ? check(d) : `the ${d.type} backend is not available in this build`;
  if (why) throw new Error(`device '${d.name}' cannot be used: ${why}`);
  return d;
}

/** onnxruntime-node session options that select the execution provider for a device. */
export function executionProviders(d: Device): unknown[] {
  switch (d.type) {
    case "cpu": return ["cpu"];
    case "webgpu": return ["webgpu"];
    case "cuda": return [{ name: "cuda", deviceId: d.index }];
  }
}
