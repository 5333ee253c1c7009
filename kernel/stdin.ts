/**
 * Blocking input from the frontend: the main thread sends input_request and sleeps on the shared buffer until the
 * transport worker stores the input_reply (or an interrupt arrives). Blocking keeps `prompt()` synchronous.
 */
import { HEADER_BYTES, Slot } from "./shared-state";

/** Error thrown when input is interrupted. */
export class InputInterrupted extends Error {
  constructor() { super("input interrupted"); this.name = "KeyboardInterrupt"; }
}

/** Waits for an input_reply; `send` must emit the input_request. */
export function waitForInput(shared: SharedArrayBuffer, send: () => void): string {
  const flags = new Int32Array(shared, 0, HEADER_BYTES / 4);
  const interruptsBefore = Atomics.load(flags, Slot.interruptCount);
  Atomics.store(flags, Slot.stdinState, 1);
  send();
  while (Atomics.load(flags, Slot.stdinState) !== 2) {
    Atomics.wait(flags, Slot.stdinState, 1, 50);
    if (Atomics.load(flags, Slot.interruptCount) !== interruptsBefore) {
      Atomics.store(flags, Slot.stdinState, 0);
      throw new InputInterrupted();
    }
  }
  const length = Atomics.load(flags, Slot.stdinLength);
  const json = Buffer.from(new Uint8Array(shared, HEADER_BYTES, length)).toString("utf8");
  Atomics.store(flags, Slot.stdinState, 0);
  return JSON.parse(json);
}
