/** Gradient mode: whether ops are recorded on the tape (`flow.noGrad`, `flow.enableGrad`). */

let gradEnabled = true;

/** True while ops are being recorded for autograd. */
export function isGradEnabled(): boolean { return gradEnabled; }

/** Sets the grad mode and returns the previous one. */
export function setGradEnabled(on: boolean): boolean { const prev = gradEnabled; gradEnabled = on; return prev; }

function withMode<T>(on: boolean, fn: () => T): T {
  const prev = setGradEnabled(on);
  let restoreNow = true;
  try {
    const r = fn();
    if (r instanceof Promise) {
      restoreNow = false;
      return r.finally(() => setGradEnabled(prev)) as T;
    }
    return r;
  } finally {
    if (restoreNow) setGradEnabled(prev);
  }
}

/** Runs `fn` without recording gradients, like `with torch.no_grad():`. */
export function noGrad<T>(fn: () => T): T { return withMode(false, fn); }

/** Runs `fn` with gradient recording on, inside a noGrad region. */
export function enableGrad<T>(fn: () => T): T { return withMode(true, fn); }
