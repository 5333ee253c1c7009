/**
 * The progress-bar hook: src/display installs `progress(iterable, {total, desc})` here when flowbook runs in a
 * notebook kernel, and DataLoader iteration is wrapped by it (a DataLoader never imports display code).
 */

/** Wraps an async iterable so that consuming it draws a progress bar. */
export type ProgressHook = <T>(it: AsyncIterable<T>, opts: { total?: number; desc?: string }) => AsyncIterable<T>;

let hook: ProgressHook | null = null;
/** Installs (or, with null, removes) the progress-bar hook used by DataLoader. */
export function setProgressHook(h: ProgressHook | null): void { hook = h; }
/** The installed hook, if any. */
export function getProgressHook(): ProgressHook | null { return hook; }
