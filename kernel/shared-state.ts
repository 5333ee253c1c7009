/**
 * Memory shared between the main thread and the transport worker, so that the worker can signal an interrupt
 * and hand over an input_reply while the main thread is blocked (a busy loop or a synchronous `prompt()`).
 */

/** Int32 slots of the shared buffer. */
export const Slot = {
  /** Incremented by the worker on every interrupt; the main thread compares against the value it last saw. */
  interruptCount: 0,
  /** Stdin hand-over: 0 = nobody waits, 1 = the main thread waits for input_reply, 2 = a reply is ready. */
  stdinState: 1,
  /** Byte length of the reply JSON stored after the header. */
  stdinLength: 2,
} as const;

/** Bytes before the stdin reply payload. */
export const HEADER_BYTES = 16;
/** Largest input_reply value accepted (utf-8 bytes of its JSON). */
export const MAX_STDIN_BYTES = 1 << 20;

/** Allocates the shared buffer used by both threads. */
export function createSharedState(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + MAX_STDIN_BYTES);
}
