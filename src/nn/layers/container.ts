/** Containers (torch/nn/modules/container.py): Sequential, ModuleList, ModuleDict. */
import { Module, STATE } from "../module";

type Named = Map<string, Module> | Record<string, Module>;
const isNamed = (v: unknown): v is Named => v instanceof Map || (typeof v === "object" && v !== null && !(v instanceof Module) && Object.getPrototypeOf(v) === Object.prototype);
const entriesOf = (v: Named | Iterable<[string, Module]>): [string, Module][] =>
  v instanceof Map ? [...v] : Symbol.iterator in (v as object) ? [...(v as Iterable<[string, Module]>)] : Object.entries(v as Record<string, Module>);

/** Child modules in registration order (the containers' list). */
const kids = (m: Module): Module[] => [...m[STATE].modules.values()].filter((x): x is Module => x !== null);

function indexIn(kind: string, i: number, n: number): number {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`index ${i} is out of range`);
  return i < 0 ? i + n : i;
}

function insertAt(self: Module, kind: string, index: number, module: Module): void {
  const n = self[STATE].modules.size;
  if (!Number.isInteger(index) || index < -n || index > n) throw new RangeError(`${kind}.insert: Index out of range: ${index}`);
  if (index < 0) index += n;
  const list = self as unknown as Record<string, Module>;
  for (let i = n; i > index; i--) list[String(i)] = list[String(i - 1)];
  list[String(index)] = module;
}

/**
 * Runs modules in order, feeding each one's output to the next. Children are named "0", "1", ... or, given
 * a Map / plain object, by their keys.
 * @example const net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2))
 */
export class Sequential extends Module<[any], any> {
  [index: number]: Module;

  constructor(...modules: Module[] | [Named]) {
    super();
    if (modules.length === 1 && isNamed(modules[0])) for (const [k, m] of entriesOf(modules[0])) this.registerModule(k, m);
    else (modules as Module[]).forEach((m, i) => this.registerModule(String(i), m));
  }

  forward(input: any): any {
    for (const m of kids(this)) input = m(input);
    return input;
  }

  /** Number of modules. */
  get length(): number { return this[STATE].modules.size; }
  /** The module at position `i` (negative counts from the end). */
  at(i: number): Module { return kids(this)[indexIn("Sequential", i, this.length)]; }
  /** A Sequential of modules start..end (keeping their names), as `seq[1:3]` in PyTorch. */
  slice(start?: number, end?: number): Sequential {
    return new Sequential(new Map([...this[STATE].modules].slice(start, end) as [string, Module][]));
  }
  /** Appends a module; returns this. */
  append(module: Module): this { this.registerModule(String(this.length), module); return this; }
  /** Appends modules; returns this. */
  extend(modules: Iterable<Module>): this { for (const m of modules) this.append(m); return this; }
  /** Inserts a module before position `index`, renumbering the rest. */
  insert(index: number, module: Module): this { insertAt(this, "Sequential", index, module); return this; }
  [Symbol.iterator](): Iterator<Module> { return kids(this)[Symbol.iterator](); }
}

/** A list of modules, registered as children "0", "1", ... (it has no forward of its own). */
export class ModuleList extends Module {
  [index: number]: Module;

  constructor(modules: Iterable<Module> = []) {
    super();
    this.extend(modules);
  }
  /** Number of modules. */
  get length(): number { return this[STATE].modules.size; }
  /** The module at position `i` (negative counts from the end). */
  at(i: number): Module { return kids(this)[indexIn("ModuleList", i, this.length)]; }
  /** A ModuleList of modules start..end. */
  slice(start?: number, end?: number): ModuleList { return new ModuleList(kids(this).slice(start, end)); }
  /** Appends a module; returns this. */
  append(module: Module): this { this.registerModule(String(this.length), module); return this; }
  /** Appends modules; returns this. */
  extend(modules: Iterable<Module>): this { for (const m of modules) this.append(m); return this; }
  /** Inserts a module before position `index`, renumbering the rest. */
  insert(index: number, module: Module): this { insertAt(this, "ModuleList", index, module); return this; }
  [Symbol.iterator](): Iterator<Module> { return kids(this)[Symbol.iterator](); }
}

/**
 * Modules by name, in insertion order. Entries are read with `get(key)`; a key that is not also a method
 * name is readable as a property too (`dict.encoder`).
 */
export class ModuleDict extends Module {
  constructor(modules?: Named | Iterable<[string, Module]>) {
    super();
    if (modules) this.update(modules);
  }
  /** The module under `key` (throws if absent, like PyTorch's KeyError). */
  get(key: string): Module {
    const m = this[STATE].modules.get(key);
    if (!m) throw new Error(`ModuleDict has no key '${key}'`);
    return m;
  }
  /** Adds or replaces the module under `key`. */
  set(key: string, module: Module): this {
    if (!(module instanceof Module)) throw new TypeError(`ModuleDict.set: ${String(module)} is not a Module subclass`);
    if (key in ModuleDict.prototype || typeof key !== "string" || key.includes(".") || key === "") {
      if (typeof key !== "string" || key.includes(".") || key === "") throw new Error(`module name can't be empty or contain ".", got: ${key}`);
      this[STATE].modules.set(key, module); // a method name: kept in the table only, reached with get()
    } else this.registerModule(key, module);
    return this;
  }
  /** Whether `key` is present. */
  has(key: string): boolean { return this[STATE].modules.has(key); }
  /** Removes and returns the module under `key`. */
  pop(key: string): Module {
    const m = this.get(key);
    this[STATE].modules.delete(key);
    if (Object.prototype.hasOwnProperty.call(this, key)) delete (this as unknown as Record<string, unknown>)[key];
    return m;
  }
  /** Removes every entry. */
  clear(): void { for (const k of this.keys()) this.pop(k); }
  /** Adds entries from a Map, a plain object or [key, module] pairs. */
  update(modules: Named | Iterable<[string, Module]>): this { for (const [k, m] of entriesOf(modules)) this.set(k, m); return this; }
  /** Keys, in insertion order. */
  keys(): string[] { return [...this[STATE].modules.keys()]; }
  /** Modules, in insertion order. */
  values(): Module[] { return kids(this); }
  /** [key, module] pairs, in insertion order. */
  items(): [string, Module][] { return [...this[STATE].modules].filter((e): e is [string, Module] => e[1] !== null); }
  /** Number of entries. */
  get length(): number { return this[STATE].modules.size; }
  [Symbol.iterator](): Iterator<string> { return this.keys()[Symbol.iterator](); }
}
