/**
 * The bridge between library code and whatever shows output. The kernel registers a host under a global symbol;
 * outside a kernel there is none and `currentDisplay()` returns null, so library code (a DataLoader's progress
 * bar, say) falls back to plain text. Nothing here depends on the kernel.
 */
import type { MimeBundle } from "./bundle";

/** Options of a display call. */
export interface DisplayOptions {
  /** Id to update this output later with `updateDisplay`. */
  displayId?: string;
  /** display_data metadata (e.g. `{"image/png": {width: 200}}`). */
  metadata?: Record<string, unknown>;
}

/** Where display messages go: the notebook output of the cell that is running (or that started this code). */
export interface DisplayTarget {
  /** Shows a bundle as a new output. */
  display(bundle: MimeBundle, options?: DisplayOptions): void;
  /** Replaces every output shown with `displayId`. */
  updateDisplay(displayId: string, bundle: MimeBundle, options?: { metadata?: Record<string, unknown> }): void;
  /** Clears the cell's output; with `wait`, only when the next output arrives (no flicker). */
  clearOutput(wait?: boolean): void;
}

/** What the kernel registers: a function that finds the target for the code running now. */
export interface DisplayHost {
  current(): DisplayTarget | null;
}

/** The global key a kernel registers its host under. */
export const DISPLAY_HOST_KEY: unique symbol = Symbol.for("flowbook.display.host") as any;

/** Registers (or with null removes) the display host; called by the kernel at start. */
export function registerDisplayHost(host: DisplayHost | null): void {
  (globalThis as any)[DISPLAY_HOST_KEY] = host ?? undefined;
}

/** The display target of the running cell, or null outside a notebook kernel. */
export function currentDisplay(): DisplayTarget | null {
  const host = (globalThis as any)[DISPLAY_HOST_KEY] as DisplayHost | undefined;
  return host ? host.current() : null;
}

let nextId = 0;
/** A fresh display id, unique within this process. */
export function newDisplayId(): string {
  return `flowbook-${process.pid}-${++nextId}-${Date.now().toString(36)}`;
}
