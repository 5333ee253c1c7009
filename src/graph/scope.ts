/**
 * The module scope stack: which submodule's forward is running while nn.Graph traces. Module's call path
 * brackets `forward` with `enterModule(this)` / `exitModule()`; the tracer stamps every recorded op with
 * `currentScope()`, so the graph's text form and picture group ops by module (OneFlow's MODULE blocks).
 * Outside tracing `enterModule` is one null check and pushes nothing.
 *
 * Module wiring (src/nn/module.ts, in the call path):
 *   const scoped = enterModule(this);
 *   try { return this.forward(...args); } finally { if (scoped) exitModule(); }
 */

const stack: string[] = [];
// Module → dotted path, filled by nn.Graph from its attributes before it traces; null when not tracing.
let moduleNames: WeakMap<object, string> | null = null;

/** The dotted path of the innermost running module ("" outside any module), e.g. `"model.layer1.0.conv1"`. */
export function currentScope(): string { return stack.length ? stack[stack.length - 1] : ""; }

/** Enters a scope named `name` relative to the current one (or absolute when `absolute`); returns the full path. */
export function pushScope(name: string, absolute = false): string {
  const parent = currentScope();
  const full = absolute ? name : parent && name ? `${parent}.${name}` : parent || name;
  stack.push(full);
  return full;
}

/** Leaves the innermost scope. */
export function popScope(): void { stack.pop(); }

/** Runs `fn` inside scope `name` (popped even when `fn` throws). */
export function withScope<T>(name: string, fn: () => T): T {
  pushScope(name);
  try { return fn(); } finally { popScope(); }
}

/**
 * Called by Module before its forward: while a graph traces, pushes the module's path and returns true (the
 * caller then calls `exitModule()`); otherwise returns false and does nothing. A module the graph does not
 * know by name (created inside build) is named by its class, under the current scope.
 */
export function enterModule(module: object): boolean {
  if (!moduleNames) return false;
  const name = moduleNames.get(module);
  if (name !== undefined) pushScope(name, true);
  else pushScope(module.constructor?.name ?? "module");
  return true;
}

/** Called by Module after its forward when `enterModule` returned true. */
export function exitModule(): void { popScope(); }

/** @internal nn.Graph installs the module names while tracing (null removes them); returns the previous map. */
export function setModuleNames(names: WeakMap<object, string> | null): WeakMap<object, string> | null {
  const prev = moduleNames;
  moduleNames = names;
  return prev;
}

/** @internal Current depth, so a tracer can restore the stack after a build that threw. */
export function scopeDepth(): number { return stack.length; }
/** @internal Restores the stack to `depth`. */
export function resetScopes(depth: number): void { stack.length = depth; }
