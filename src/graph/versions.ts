/**
 * Write stamps of tensors, for inference graphs that bake captured tensors: a baked tensor written since the
 * compile (on the host: its storage version moves; on a GPU device by a training graph: it then holds a new
 * GPU buffer and no host storage, so a graph-kept stamp moves) triggers a recompile.
 */
import type { Tensor } from "../tensor/tensor";

const deviceWrites = new WeakMap<Tensor, number>();
let stamp = 0;

/** Records that a graph wrote `t` on its device. */
export function markDeviceWrite(t: Tensor): void { deviceWrites.set(t, ++stamp); }

/** What changes whenever `t` is written, on the host or by a graph on the device. */
export function versionOf(t: Tensor): string {
  // A device tensor gets host storage (version 0) when first read, e.g. when a compile bakes it: not a write.
  return `${t._storage?.version ?? 0}|${deviceWrites.get(t) ?? 0}`;
}
