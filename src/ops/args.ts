/**
 * Argument normalisation: the one way public functions, tensor methods, layer constructors, initialisers,
 * optimizers and schedulers read their arguments. PyTorch's positional order, or one trailing options object
 * holding any of the parameters by name, required ones included (`x.sum(1, true)` ==
 * `x.sum({dim: 1, keepdim: true})`, `x.narrow(1, 0, 2)` == `x.narrow({dim: 1, start: 0, length: 2})`).
 */

/** True for a plain options object (not a Tensor, array, number or null). */
export function isOptions(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** How parseArgs reads a parameter list beyond its names and defaults. */
export interface ArgSpec {
  /** The first `required` names must be given, positionally or in the options object. */
  required?: number;
  /**
   * Leading positional slots whose values may themselves be plain objects (a state dict): a plain object
   * there is data, not the options object. `model.loadStateDict(sd)` vs `model.loadStateDict(sd, {strict})`.
   */
  dataObjects?: number;
  /** Other accepted spellings of option names (`{ TMax: "tMax" }` for PyTorch's `T_max`). */
  aliases?: Readonly<Record<string, string>>;
}

/**
 * Maps positional arguments and/or one trailing options object onto `names` (PyTorch's order, camelCase),
 * filling `defaults`. Throws a TypeError naming the function for an unknown option name, a parameter given
 * both ways, too many positional arguments, or a missing required parameter.
 * @example
 * // function narrow(x: Tensor, ...args: unknown[])
 * const { dim, start, length } = parseArgs<{ dim: number; start: number; length: number }>("narrow", args, ["dim", "start", "length"], {}, { required: 3 });
 */
export function parseArgs<T extends object>(fn: string, args: readonly unknown[], names: readonly (keyof T & string)[], defaults: Partial<T> = {}, spec: ArgSpec = {}): T {
  const out: Record<string, unknown> = { ...defaults };
  let positional: readonly unknown[] = args;
  const n = args.length, last = args[n - 1];
  if (n > (spec.dataObjects ?? 0) && isOptions(last)) {
    positional = args.slice(0, -1);
    for (const key of Object.keys(last)) {
      const k = spec.aliases?.[key] ?? key;
      if (k !== key && key in last && k in last) throw new TypeError(`${fn}() got multiple values for argument '${k}' ('${key}' and '${k}')`);
      const i = names.indexOf(k as keyof T & string);
      if (i < 0) throw new TypeError(`${fn}() got an unexpected option '${k}'; accepted: ${names.join(", ")}`);
      if (i < positional.length && positional[i] !== undefined) throw new TypeError(`${fn}() got multiple values for argument '${k}'`);
      if (last[key] !== undefined) out[k] = last[key];
    }
  }
  if (positional.length > names.length) throw new TypeError(`${fn}() takes at most ${names.length} arguments after its inputs (${positional.length} given): ${names.join(", ")}`);
  for (let i = 0; i < positional.length; i++) if (positional[i] !== undefined) out[names[i]] = positional[i];
  const required = spec.required ?? 0;
  for (let i = 0; i < required; i++) {
    if (out[names[i]] === undefined) throw new TypeError(`${fn}() missing required argument '${names[i]}'`);
  }
  return out as T;
}

/** Normalises an int-or-tuple argument (`stride: 2` → `[2, 2]`), checking its length. */
export function tuple(fn: string, name: string, v: number | number[], n: number): number[] {
  const arr = typeof v === "number" ? new Array(n).fill(v) : [...v];
  if (arr.length !== n || arr.some((x) => !Number.isInteger(x))) throw new TypeError(`${fn}(): ${name} must be an int or a list of ${n} ints, got ${JSON.stringify(v)}`);
  return arr;
}

/**
 * Values of a varargs-or-list parameter (`x.permute(0, 2, 1)` or `x.permute([0, 2, 1])`), or the named one
 * from a trailing options object (`x.permute({dims: [0, 2, 1]})`).
 */
export function listArgs(fn: string, args: readonly unknown[], name: string): number[] {
  if (args.length === 1 && isOptions(args[0])) {
    const o = args[0];
    for (const k of Object.keys(o)) if (k !== name) throw new TypeError(`${fn}() got an unexpected option '${k}'; accepted: ${name}`);
    if (o[name] === undefined) throw new TypeError(`${fn}() missing required argument '${name}'`);
    const v = o[name];
    return (Array.isArray(v) ? v : [v]) as number[];
  }
  return (Array.isArray(args[0]) ? args[0] : args) as number[];
}
