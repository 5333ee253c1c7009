/**
 * Live-tensor accounting for `flow.memory()`. Tensors whose host buffer holds at least `TRACK_MIN_BYTES` are
 * registered with a FinalizationRegistry at construction; a buffer is counted once (views share it) and
 * uncounted when the garbage collector frees it.
 *
 * Why a size floor: V8 keeps every registration cell until its cleanup task runs, and cleanup tasks only run
 * when the event loop turns — never inside one synchronous training loop. Registering every 16-float tensor
 * made an eager add of 16 floats 4x slower and grew the heap by ~110 bytes per op until the loop ended. Large buffers are
 * still freed during the loop (only the bookkeeping waits), so tracking them costs little; small tensors show
 * up in `heapUsed`/`arrayBuffers` instead.
 */
import type { Tensor } from "./tensor";

/** Buffers at least this large are tracked one by one (by default). */
export const TRACK_MIN_BYTES = 65536;
let minBytes = TRACK_MIN_BYTES;

/**
 * Sets the size floor of per-tensor tracking: `0` tracks every tensor (exact counts, slower ops, and memory
 * that grows inside one synchronous loop until it ends), `null` turns tracking off.
 */
export function setMemoryTracking(floorBytes: number | null): void { minBytes = floorBytes ?? Infinity; }

const live = { tensors: 0, buffers: 0, bytes: 0 };
const tensorRegistry = new FinalizationRegistry<null>(() => { live.tensors--; });
const bufferRegistry = new FinalizationRegistry<number>((bytes) => { live.buffers--; live.bytes -= bytes; });
const counted = new WeakSet<ArrayBufferLike>();

/** @internal Called by the Tensor constructor; a property read and a compare for small tensors. */
export function trackTensor(t: Tensor): void {
  const data = t._storage?.data;
  if (!data || data.byteLength < minBytes) return;
  live.tensors++;
  tensorRegistry.register(t, null);
  const buf = data.buffer;
  if (counted.has(buf)) return;
  counted.add(buf);
  live.buffers++;
  live.bytes += data.byteLength;
  bufferRegistry.register(buf, data.byteLength);
}

/** What `flow.memory()` reports. */
export interface MemoryInfo {
  /** Live tensors with a buffer of at least `trackMinBytes` (views included). */
  tensors: number;
  /** Distinct host buffers behind them. */
  buffers: number;
  /** Bytes of those buffers. */
  bytes: number;
  /** The size floor of per-tensor tracking; smaller tensors are counted in `arrayBuffers` only. */
  trackMinBytes: number;
  /** Resident set size of the process (bytes). */
  rss: number;
  /** V8 heap in use (bytes). */
  heapUsed: number;
  /** All ArrayBuffer memory, small tensors included (bytes). */
  arrayBuffers: number;
}

/**
 * Live tensors and their bytes, plus the process's RSS, heap and ArrayBuffer totals. Counts drop when the
 * garbage collector has freed a tensor and the event loop has turned; `{gc: true}` collects first when node
 * runs with `--expose-gc` (otherwise it is ignored).
 * @example flow.memory() // { tensors: 12, buffers: 10, bytes: 1310720, trackMinBytes: 16384, rss: ..., ... }
 */
export function memory(opts: { gc?: boolean } = {}): MemoryInfo {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (opts.gc && gc) gc();
  const m = process.memoryUsage();
  return { ...live, trackMinBytes: minBytes, rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}
