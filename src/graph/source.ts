/**
 * Where a function was defined, as `file:line:column`, for errors that must name the user's code when no
 * stack frame of it is live any more (a build() that returned a non-Tensor has already returned). V8 knows a
 * function's location ([[FunctionLocation]]); Node's inspector protocol reads it synchronously in-process. Used
 * on error paths only (it costs tens of milliseconds).
 */
import * as inspector from "inspector";

/** `url:line:column` of `fn`'s definition, or null when it cannot be found. */
export function functionLocation(fn: Function): string | null {
  const session = new inspector.Session();
  const key = `__flowbookFnLocation_${process.pid}_${Date.now()}`;
  let out: string | null = null;
  try {
    session.connect();
    (globalThis as Record<string, unknown>)[key] = fn;
    let objectId: string | undefined;
    let loc: { scriptId: string; lineNumber: number; columnNumber: number } | undefined;
    session.post("Runtime.evaluate", { expression: `globalThis[${JSON.stringify(key)}]` }, (_e, r) => { objectId = r?.result?.objectId; });
    if (!objectId) return null;
    session.post("Runtime.getProperties", { objectId, ownProperties: true }, (_e, r) => {
      const p = r?.internalProperties?.find((q) => q.name === "[[FunctionLocation]]");
      loc = p?.value?.value as typeof loc;
    });
    if (!loc) return null;
    const where = loc;
    session.on("Debugger.scriptParsed", (m) => {
      if (m.params.scriptId === where.scriptId) out = `${(m.params.url || "<anonymous>").replace(/^file:\/\//, "")}:${where.lineNumber + 1}:${where.columnNumber + 1}`;
    });
    session.post("Debugger.enable", () => {});
    session.post("Debugger.disable", () => {});
  } catch {
    return null;
  } finally {
    delete (globalThis as Record<string, unknown>)[key];
    try { session.disconnect(); } catch { /* already closed */ }
  }
  return out;
}
