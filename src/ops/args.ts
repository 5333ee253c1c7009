/**
 * Argument normalisation shared by every public op: PyTorch's positional order, or one trailing options
 * object (`x.sum(1, true)` and `x.sum({dim: 1, keepdim: true})` mean the same).
 */

/** True for a plain options object (not a Tensor, array, number or null). */
export function isOptions(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * Maps positional arguments and/or a trailing options object onto `names`, filling `defaults`.
 * Unknown option names throw, naming the function and the accepted names.
 */
export function parseArgs<T extends Record<string, unknown>>(fn: string, args: unknown[], names: (keyof T & string)[], defaults: Partial<T> = {}): T {
  const out: Record<string, unknown> = { ...defaults };
  let positional = args;
  const last = args[args.length - 1];
  if (args.length && isOptions(last)) {
    positional = args.slice(0, -1);
    for (const [k, v] of Object.entries(last)) {
      if (!names.includes(k)) throw new TypeError(`${fn}() got an unexpected option '${k}'; accepted: ${names.join(", ")}`);
      if (v !== undefined) out[k] = v;
    }
  }
  if (positional.length > names.length) throw new TypeError(`${fn}() takes at most ${names.length} arguments (${positional.length} given)`);
  positional.forEach((v, i) => { if (v !== undefined) out[names[i]] = v; });
  return out as T;
}

/** Normalises an int-or-tuple argument (`stride: 2` → `[2, 2]`), checking its length. */
export function tuple(fn: string, name: string, v: number | number[], n: number): number[] {
  const arr = typeof v === "number" ? new Array(n).fill(v) : [...v];
  if (arr.length !== n || arr.some((x) => !Number.isInteger(x))) throw new TypeError(`${fn}(): ${name} must be an int or a list of ${n} ints, got ${JSON.stringify(v)}`);
  return arr;
}
