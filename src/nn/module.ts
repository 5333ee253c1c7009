/**
 * flow.nn.Module: the base class of layers and models, with PyTorch's registration rules.
 *
 * How registration by assignment works: the Module constructor returns a Proxy whose `defineProperty` trap
 * sees every assignment and class-field definition on the instance (`this.fc = new nn.Linear(4, 8)`), in
 * the order they happen, exactly where PyTorch's `__setattr__` sees them. A Parameter goes to the
 * parameter table, a Module to the child table, a Tensor assigned to a name registered with
 * `registerBuffer` updates that buffer; anything else is a plain attribute. The tables (ordered Maps, like
 * PyTorch's `_parameters`/`_buffers`/`_modules` dicts) decide `stateDict()` key order; the values are also
 * kept as ordinary own properties, so `this.fc` reads without a trap.
 *
 * How modules are callable: the Proxy's target is a function whose prototype chain is the subclass's, so
 * `model(x)` runs the forward pre-hooks, `forward(x)` and the forward hooks, while `instanceof` and
 * methods work as for any class instance. For typing, `Module<In, Out>` merges an interface with a call
 * signature `(...args: In) => Out` into the class; library layers pin it (`Linear extends
 * Module<[Tensor], Tensor>`), user modules default to `(...args: any[]) => any`.
 */
import { Tensor } from "../tensor/tensor";
import { DType, DTYPES, isFloating } from "../tensor/dtype";
import { Device, device as parseDevice } from "../backend/device";
import { noGrad } from "../autograd/mode";
import { cast } from "../ops/elementwise";
import { copy_, zero_ } from "../ops/inplace";
import { toDevice } from "../ops/transfer";
import { parseArgs, isOptions } from "../ops/args";
import { Parameter, replaceData } from "./parameter";
import { addIndent } from "./pyrepr";
import { enterModule, exitModule } from "../graph/scope";

/** A name → tensor mapping as `stateDict()` returns it (insertion-ordered, like PyTorch's OrderedDict). */
export type StateDict = Record<string, Tensor>;

/** What non-strict `loadStateDict` reports (PyTorch's `_IncompatibleKeys`). */
export interface IncompatibleKeys { missingKeys: string[]; unexpectedKeys: string[] }

/** Returned by hook registration; `remove()` unregisters the hook. */
export interface RemovableHandle { readonly id: number; remove(): void }

/** A forward pre-hook: may return replacement arguments (an array, or a single argument). */
export type ForwardPreHook<M> = (module: M, args: unknown[]) => unknown[] | unknown | void;
/** A forward hook: may return a replacement output. */
export type ForwardHook<M> = (module: M, args: unknown[], output: any) => unknown | void;

interface ModuleState {
  target: object;
  params: Map<string, Parameter | null>;
  buffers: Map<string, Tensor | null>;
  nonPersistent: Set<string>;
  modules: Map<string, Module | null>;
  preHooks: Map<number, ForwardPreHook<Module>>;
  hooks: Map<number, ForwardHook<Module>>;
}

/** @internal The registration tables of a module (symbol-keyed, so they never clash with user attributes). */
export const STATE = Symbol("flowbook.nn.Module.state");
let nextHookId = 1;

const typeName = (v: unknown) => (v === null ? "null" : typeof v === "object" || typeof v === "function" ? (v as object).constructor?.name ?? "object" : typeof v);

function checkName(kind: string, name: unknown, st: ModuleState, self: object): asserts name is string {
  if (typeof name !== "string") throw new TypeError(`${kind} name should be a string. Got ${typeName(name)}`);
  if (name === "") throw new Error(`${kind} name can't be empty string ""`);
  if (name.includes(".")) throw new Error(`${kind} name can't contain ".", got: ${name}`);
  const known = st.params.has(name) || st.buffers.has(name) || st.modules.has(name);
  if (!known && name in self) throw new Error(`attribute '${name}' already exists`);
}

/** The proxy trap that turns assignments into registrations (PyTorch's Module.__setattr__). */
function onDefine(target: object, key: string | symbol, desc: PropertyDescriptor): boolean {
  if (typeof key === "symbol" || !("value" in desc)) return Reflect.defineProperty(target, key, desc);
  const st = (target as { [STATE]: ModuleState })[STATE];
  const v = desc.value;
  // A class field redeclared without initializer in a subclass (`weight!: Parameter;` under ES2022 class
  // fields) defines `undefined` after the base constructor registered the value: keep the registration.
  // Removing a registered entry takes null (or delete), as in PyTorch.
  if (v === undefined && (st.params.has(key) || st.buffers.has(key) || st.modules.has(key))) return true;
  const forget = (...maps: Map<string, unknown>[]) => maps.forEach((m) => m.delete(key));
  if (v instanceof Parameter) { forget(st.buffers, st.modules); st.nonPersistent.delete(key); st.params.set(key, v); }
  else if (v instanceof Module) { forget(st.params, st.buffers); st.nonPersistent.delete(key); st.modules.set(key, v); }
  else if (st.params.has(key)) {
    if (v !== null) throw new TypeError(`cannot assign '${typeName(v)}' as parameter '${key}' (flow.nn.Parameter or null expected)`);
    st.params.set(key, null);
  } else if (st.modules.has(key)) {
    if (v !== null) throw new TypeError(`cannot assign '${typeName(v)}' as child module '${key}' (flow.nn.Module or null expected)`);
    st.modules.set(key, null);
  } else if (st.buffers.has(key)) {
    if (v !== null && !(v instanceof Tensor)) throw new TypeError(`cannot assign '${typeName(v)}' as buffer '${key}' (flow.Tensor or null expected)`);
    st.buffers.set(key, v);
  }
  return Reflect.defineProperty(target, key, desc);
}

function onDelete(target: object, key: string | symbol): boolean {
  if (typeof key === "string") {
    const st = (target as { [STATE]: ModuleState })[STATE];
    st.params.delete(key); st.buffers.delete(key); st.modules.delete(key); st.nonPersistent.delete(key);
  }
  return Reflect.deleteProperty(target, key);
}

/** Module<In, Out> instances can be called like functions: `model(x)` runs hooks and `forward(x)`. */
export interface Module<In extends unknown[] = any[], Out = any> {
  (...args: In): Out;
}

/**
 * Base class for all neural network modules. Subclasses assign parameters and submodules in their
 * constructor and implement `forward`.
 * @example
 * class MLP extends nn.Module<[flow.Tensor], flow.Tensor> {
 *   fc1 = new nn.Linear(4, 8);
 *   fc2 = new nn.Linear(8, 2);
 *   forward(x: flow.Tensor) { return this.fc2(this.fc1(x).relu()); }
 * }
 * const model = new MLP(); model(flow.randn(3, 4)); Object.keys(model.stateDict()) // fc1.weight, fc1.bias, ...
 */
export class Module<In extends unknown[] = any[], Out = any> {
  /** Whether the module is in training mode (`train()` / `eval()`). */
  declare training: boolean;
  /** @internal */
  declare [STATE]: ModuleState;

  constructor() {
    // The instance is a function (so that `model(x)` works) whose prototype chain is the subclass's.
    const fn = (...args: unknown[]): unknown => (proxy as Module)._callImpl(args);
    delete (fn as { name?: string }).name;
    delete (fn as { length?: number }).length;
    Object.setPrototypeOf(fn, new.target.prototype);
    const state: ModuleState = {
      target: fn, params: new Map(), buffers: new Map(), nonPersistent: new Set(), modules: new Map(), preHooks: new Map(), hooks: new Map(),
    };
    Object.defineProperty(fn, STATE, { value: state, enumerable: false });
    const proxy = new Proxy(fn, { defineProperty: onDefine, deleteProperty: onDelete });
    (proxy as Module).training = true;
    return proxy as Module;
  }

  /** The computation of this module. Subclasses override it; call the module itself (`model(x)`) to run hooks too. */
  forward(..._args: In): Out {
    throw new Error(`Module [${this.constructor.name}] is missing the required "forward" function`);
  }

  /** @internal What `model(...args)` does: pre-hooks, forward, hooks (PyTorch's `_call_impl`). */
  _callImpl(args: unknown[]): Out {
    const st = this[STATE];
    for (const hook of st.preHooks.values()) {
      const r = hook(this, args);
      if (r !== undefined) args = Array.isArray(r) ? r : [r];
    }
    // While nn.Graph traces, ops recorded inside forward are stamped with this module's path.
    const scoped = enterModule(this);
    let out: Out;
    try { out = this.forward(...(args as In)); } finally { if (scoped) exitModule(); }
    for (const hook of st.hooks.values()) {
      const r = hook(this, args, out);
      if (r !== undefined) out = r as Out;
    }
    return out;
  }

  // ---- registration ---------------------------------------------------------------------------

  /** Registers a parameter (or null, for an absent optional parameter such as `bias`) under `name`. */
  registerParameter(name: string, param: Parameter | null): void {
    const st = this[STATE];
    checkName("parameter", name, st, this);
    if (param !== null && !(param instanceof Parameter)) throw new TypeError(`cannot assign '${typeName(param)}' object to parameter '${name}' (flow.nn.Parameter or null required)`);
    if (param === null) { st.buffers.delete(name); st.modules.delete(name); st.params.set(name, null); }
    (this as Record<string, unknown>)[name] = param;
  }

  /**
   * Registers a tensor that is part of the module's state but not a parameter (BatchNorm's running_mean).
   * Persistent buffers are saved in `stateDict()`; non-persistent ones are not.
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    const st = this[STATE];
    checkName("buffer", name, st, this);
    if (st.params.has(name) || st.modules.has(name)) throw new Error(`attribute '${name}' already exists`);
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`cannot assign '${typeName(tensor)}' object to buffer '${name}' (flow.Tensor or null required)`);
    st.buffers.set(name, tensor);
    if (persistent) st.nonPersistent.delete(name); else st.nonPersistent.add(name);
    (this as Record<string, unknown>)[name] = tensor;
  }

  /** Registers a child module (or null) under `name`; the same as assigning it. */
  registerModule(name: string, module: Module | null): void {
    const st = this[STATE];
    checkName("module", name, st, this);
    if (module !== null && !(module instanceof Module)) throw new TypeError(`${typeName(module)} is not a Module subclass`);
    if (module === null) { st.params.delete(name); st.buffers.delete(name); st.modules.set(name, null); }
    (this as Record<string, unknown>)[name] = module;
  }
  /** Alias of registerModule (PyTorch's add_module). */
  addModule(name: string, module: Module | null): void { this.registerModule(name, module); }

  // ---- traversal ------------------------------------------------------------------------------

  /** Every module in the tree with its dotted name, this one first as `""` (each module once). */
  namedModules(prefix = "", removeDuplicate = true, memo: Set<Module> = new Set()): [string, Module][] {
    if (removeDuplicate && memo.has(this)) return [];
    if (removeDuplicate) memo.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this[STATE].modules) {
      if (m) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name, removeDuplicate, memo));
    }
    return out;
  }
  /** Every module in the tree, this one first. */
  modules(): Module[] { return this.namedModules().map(([, m]) => m); }
  /** Direct children with their names. */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    return [...this[STATE].modules].filter((e): e is [string, Module] => !!e[1] && !seen.has(e[1]) && !!seen.add(e[1]));
  }
  /** Direct children. */
  children(): Module[] { return this.namedChildren().map(([, m]) => m); }

  private namedMembers<T>(pick: (st: ModuleState) => Map<string, T | null>, prefix: string, recurse: boolean, removeDuplicate: boolean): [string, T][] {
    const mods: [string, Module][] = recurse ? this.namedModules(prefix, removeDuplicate) : [[prefix, this]];
    const seen = new Set<T>();
    const out: [string, T][] = [];
    for (const [mp, m] of mods) {
      for (const [k, v] of pick(m[STATE])) {
        if (v === null || (removeDuplicate && seen.has(v))) continue;
        seen.add(v);
        out.push([mp ? `${mp}.${k}` : k, v]);
      }
    }
    return out;
  }
  /** Parameters with dotted names (`fc1.weight`), each once, in registration order. */
  namedParameters(prefix = "", recurse = true, removeDuplicate = true): [string, Parameter][] {
    return this.namedMembers((st) => st.params, prefix, recurse, removeDuplicate);
  }
  /** Parameters, each once, in registration order (what optimizers take). */
  parameters(recurse = true): Parameter[] { return this.namedParameters("", recurse).map(([, p]) => p); }
  /** Buffers with dotted names (`bn.running_mean`). */
  namedBuffers(prefix = "", recurse = true, removeDuplicate = true): [string, Tensor][] {
    return this.namedMembers((st) => st.buffers, prefix, recurse, removeDuplicate);
  }
  /** Buffers. */
  buffers(recurse = true): Tensor[] { return this.namedBuffers("", recurse).map(([, b]) => b); }

  /** The submodule at a dotted path (`"layer1.0.conv1"`); `""` is this module. */
  getSubmodule(target: string): Module {
    if (target === "") return this;
    let mod: Module = this;
    for (const item of target.split(".")) {
      const next = mod[STATE].modules.get(item);
      if (!next) throw new Error(`${mod.constructor.name} has no attribute \`${item}\``);
      mod = next;
    }
    return mod;
  }

  // ---- state ----------------------------------------------------------------------------------

  /**
   * Parameters and persistent buffers by dotted name, in PyTorch's order (own parameters, own buffers, then
   * each child). Values are detached tensors sharing the module's data unless `keepVars`.
   */
  stateDict(opts: { prefix?: string; keepVars?: boolean; destination?: StateDict } = {}): StateDict {
    const dest = opts.destination ?? {};
    const prefix = opts.prefix ?? "";
    const st = this[STATE];
    const put = (k: string, t: Tensor) => { dest[prefix + k] = opts.keepVars ? t : t.detach(); };
    for (const [k, p] of st.params) if (p) put(k, p);
    for (const [k, b] of st.buffers) if (b && !st.nonPersistent.has(k)) put(k, b);
    for (const [k, m] of st.modules) if (m) m.stateDict({ prefix: `${prefix}${k}.`, keepVars: opts.keepVars, destination: dest });
    return dest;
  }

  /**
   * Copies parameters and buffers from `stateDict` (a stateDict() object or a Map). Shape mismatches always
   * throw; with `strict` (the default) missing and unexpected keys throw too, all listed in one error as
   * PyTorch words it. Returns the missing and unexpected keys. A thrown error lists every missing, unexpected
   * and size-mismatched key (also with strict=false) and carries them as `missingKeys`, `unexpectedKeys` and
   * `shapeMismatches: [{key, expected, got}]`.
   */
  loadStateDict(stateDict: StateDict | Map<string, Tensor>, strict?: boolean | { strict?: boolean }): IncompatibleKeys;
  loadStateDict(opts: { stateDict: StateDict | Map<string, Tensor>; strict?: boolean }): IncompatibleKeys;
  loadStateDict(...args: unknown[]): IncompatibleKeys {
    // A state dict is itself a plain object: only a second argument can be the options object.
    const a = args.length === 1 && isOptions(args[0]) && "stateDict" in args[0] && !(args[0].stateDict instanceof Tensor)
      ? parseArgs<{ stateDict: StateDict | Map<string, Tensor>; strict: boolean }>("load_state_dict", args, ["stateDict", "strict"], { strict: true }, { required: 1 })
      : parseArgs<{ stateDict: StateDict | Map<string, Tensor>; strict: boolean }>("load_state_dict", args, ["stateDict", "strict"], { strict: true }, { required: 1, dataObjects: 1 });
    const { stateDict, strict } = a;
    const sd = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const missingKeys: string[] = [], unexpectedKeys: string[] = [], errors: string[] = [];
    const shapeMismatches: { key: string; expected: number[]; got: number[] }[] = [];
    const load = (m: Module, prefix: string) => {
      const st = m[STATE];
      const local = new Map<string, Tensor>();
      for (const [k, p] of st.params) if (p) local.set(k, p);
      for (const [k, b] of st.buffers) if (b && !st.nonPersistent.has(k)) local.set(k, b);
      for (const [name, t] of local) {
        const key = prefix + name;
        if (!sd.has(key)) { missingKeys.push(key); continue; }
        const src = sd.get(key);
        if (!(src instanceof Tensor)) { errors.push(`While copying the parameter named "${key}", expected Tensor or Tensor-like object from checkpoint but received ${typeName(src)}`); continue; }
        if (src.shape.join() !== t.shape.join()) {
          shapeMismatches.push({ key, expected: [...t.shape], got: [...src.shape] });
          errors.push(`size mismatch for ${key}: copying a param with shape [${src.shape.join(", ")}] from checkpoint, the shape in current model is [${t.shape.join(", ")}].`);
          continue;
        }
        copyInto(t, src);
      }
      for (const key of sd.keys()) {
        if (!key.startsWith(prefix)) continue;
        const first = key.slice(prefix.length).split(".", 1)[0];
        if (!st.modules.has(first) && !local.has(first)) unexpectedKeys.push(key);
      }
      for (const [k, child] of st.modules) if (child) load(child, `${prefix}${k}.`);
    };
    load(this, "");
    if (strict) {
      if (unexpectedKeys.length) errors.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}. `);
      if (missingKeys.length) errors.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}. `);
    }
    // Size mismatches raise even with strict=false (as PyTorch); then the one error also lists the keys strict
    // would have refused, and carries the whole report, so a partial load can be diagnosed in one go.
    if (errors.length && !strict) {
      if (missingKeys.length) errors.push(`Missing key(s) in state_dict (allowed with strict=false): ${missingKeys.map((k) => `"${k}"`).join(", ")}.`);
      if (unexpectedKeys.length) errors.push(`Unexpected key(s) in state_dict (allowed with strict=false): ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}.`);
    }
    if (errors.length) throw Object.assign(new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join("\n\t")}`), { missingKeys, unexpectedKeys, shapeMismatches });
    return { missingKeys, unexpectedKeys };
  }

  // ---- modes, devices, gradients --------------------------------------------------------------

  /** Sets training mode on this module and all descendants (Dropout and BatchNorm behave differently); returns this. */
  train(mode = true): this {
    if (typeof mode !== "boolean") throw new TypeError("training mode is expected to be boolean");
    this.training = mode;
    for (const c of this.children()) c.train(mode);
    return this;
  }
  /** Evaluation mode: `train(false)`. */
  eval(): this { return this.train(false); }

  /** Calls `fn` on every descendant (children first), then on this module; returns this. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Moves and/or casts parameters and buffers in place (the Parameter objects stay the same, so an optimizer
   * built earlier still holds them): `model.to("webgpu")`, `model.to("float64")`, `model.to({device, dtype})`.
   * A dtype applies only to floating-point parameters and buffers, as in PyTorch.
   */
  to(target: string | Device | { device?: string | Device; dtype?: DType }): this {
    let dev: Device | undefined, dtype: DType | undefined;
    if (typeof target === "string" && (DTYPES as string[]).includes(target)) dtype = target as DType;
    else if (typeof target === "string" || (typeof target === "object" && "type" in target && "index" in target)) dev = parseDevice(target as string | Device);
    else { dev = target.device === undefined ? undefined : parseDevice(target.device); dtype = target.dtype; }
    if (dtype !== undefined && !isFloating(dtype)) throw new TypeError(`nn.Module.to only accepts floating point dtypes, but got desired dtype=${dtype}`);
    return this._apply((t) => {
      let r = dtype !== undefined && isFloating(t.dtype) ? cast(t, dtype) : t;
      if (dev !== undefined) r = moveTo(r, dev);
      return r;
    });
  }
  /** Casts floating-point parameters and buffers to float32. */
  float(): this { return this.to("float32"); }
  /** Casts floating-point parameters and buffers to float64. */
  double(): this { return this.to("float64"); }
  /** Casts floating-point parameters and buffers to float16. */
  half(): this { return this.to("float16"); }
  /** Casts floating-point parameters and buffers to bfloat16 (CPU only; computed in float32, rounded to bfloat16). */
  bfloat16(): this { return this.to("bfloat16"); }
  /** Moves parameters and buffers to the CPU. */
  cpu(): this { return this.to("cpu"); }

  /** @internal Applies `fn` to every parameter (in place, keeping identity), gradient and buffer. */
  _apply(fn: (t: Tensor) => Tensor): this {
    for (const c of this.children()) c._apply(fn);
    const st = this[STATE];
    noGrad(() => {
      for (const p of st.params.values()) {
        if (!p) continue;
        const next = fn(p.detach());
        if (next !== p) replaceData(p, next);
        if (p.grad) p.grad = fn(p.grad.detach());
      }
      for (const [k, b] of st.buffers) if (b) (this as Record<string, unknown>)[k] = fn(b);
    });
    return this;
  }

  /** Resets gradients of all parameters: to null (default, as PyTorch 2) or, with `setToNone = false`, to zeros. */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (setToNone) { p.grad = null; continue; }
      const g = p.grad.gradFn ? p.grad.detach() : p.grad;
      noGrad(() => zero_(g));
      p.grad = g;
    }
  }

  /** Sets requiresGrad on every parameter (freezing with `false`); returns this. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  // ---- hooks ----------------------------------------------------------------------------------

  /** Registers `hook(module, args)` to run before forward; a returned value replaces the arguments. */
  registerForwardPreHook(hook: ForwardPreHook<this>): RemovableHandle {
    return addHook(this[STATE].preHooks, hook as ForwardPreHook<Module>);
  }
  /** Registers `hook(module, args, output)` to run after forward; a returned value replaces the output. */
  registerForwardHook(hook: ForwardHook<this>): RemovableHandle {
    return addHook(this[STATE].hooks, hook as ForwardHook<Module>);
  }

  // ---- display --------------------------------------------------------------------------------

  /** Extra text inside this module's repr parentheses (`in_features=4, out_features=8, bias=True`). */
  extraRepr(): string { return ""; }

  /** PyTorch's module repr: `Sequential(\n  (0): Linear(in_features=4, out_features=8, bias=True)\n)`. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split("\n") : [];
    const childLines = [...this[STATE].modules].map(([k, m]) => `(${k}): ${addIndent(m ? m.toString() : "None", 2)}`);
    const lines = [...extraLines, ...childLines];
    let s = `${this.constructor.name}(`;
    if (lines.length) s += extraLines.length === 1 && !childLines.length ? extraLines[0] : `\n  ${lines.join("\n  ")}\n`;
    return s + ")";
  }

  /** Node's util.inspect prints the PyTorch-style repr. */
  [Symbol.for("nodejs.util.inspect.custom")](): string { return this.toString(); }

  /** Notebook display: the PyTorch repr as text/plain and a collapsible tree with parameter counts as text/html. */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return { "text/plain": this.toString(), "text/html": moduleHtml(this) };
  }
}

function addHook<H>(table: Map<number, H>, hook: H): RemovableHandle {
  const id = nextHookId++;
  table.set(id, hook);
  return { id, remove: () => { table.delete(id); } };
}

/** Copies `src` into `dst` (converting dtype and device), without recording gradients: PyTorch's `param.copy_`. */
function copyInto(dst: Tensor, src: Tensor): void {
  noGrad(() => copy_(dst, src.detach()));
}

const moveTo = (t: Tensor, dev: Device): Tensor => (t.device === dev ? t : toDevice(t, dev));

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const count = (ps: Parameter[]) => ps.reduce((a, p) => a + p.numel(), 0);
const fmtCount = (n: number) => n.toLocaleString("en-US");

/** A collapsible tree: one <details> per module with children, each line with its own and total parameter counts. */
function moduleHtml(root: Module): string {
  const node = (name: string, m: Module, depth: number): string => {
    const total = count(m.parameters());
    const label = `${name ? `<code>(${esc(name)})</code> ` : ""}<b>${esc(m.constructor.name)}</b>` +
      (m.extraRepr() ? `(<code>${esc(m.extraRepr())}</code>)` : "") +
      ` <span style="color:#888">${fmtCount(total)} params</span>`;
    const kids = m.namedChildren();
    if (!kids.length) return `<div style="margin-left:1.2em">${label}</div>`;
    return `<details${depth < 2 ? " open" : ""} style="margin-left:${depth ? 1.2 : 0}em"><summary>${label}</summary>${kids.map(([k, c]) => node(k, c, depth + 1)).join("")}</details>`;
  };
  const params = root.parameters();
  const trainable = count(params.filter((p) => p.requiresGrad));
  return `<div class="flowbook-module" style="font-family:monospace">${node("", root, 0)}` +
    `<div style="margin-top:.4em">Total params: ${fmtCount(count(params))} (trainable ${fmtCount(trainable)})</div></div>`;
}
