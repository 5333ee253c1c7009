/**
 * Renaming state-dict keys, for weights saved by a model whose parameter names differ from flowbook's
 * (a checkpoint saved from `nn.DataParallel` with a `module.` prefix, a renamed block, another codebase).
 */
import type { Loaded } from "./torch_load";

/** A rename rule: a function (return null/undefined to drop the key), a {old: new} table, or [regex, replacement] pairs. */
export type RenameRule =
  | ((key: string) => string | null | undefined)
  | Record<string, string>
  | [RegExp | string, string][];

/**
 * Returns a new state dict (same values, same order) with keys renamed by `rule`. Two keys renamed onto one
 * name is an error naming both.
 *
 * - function: `renameKeys(sd, (k) => k.replace(/^module\./, ""))`; return `null` to drop a key;
 * - table: `renameKeys(sd, {"fc.weight": "head.weight"})` renames exact keys and keeps the rest;
 * - rules: `renameKeys(sd, [[/^features\.(\d+)/, "layers.$1"], ["downsample", "shortcut"]])` applies each
 *   [pattern, replacement] in order (a string pattern replaces every occurrence).
 */
export function renameKeys<T extends Loaded>(sd: Record<string, T>, rule: RenameRule): Record<string, T> {
  const f = toFunction(rule);
  const out: Record<string, T> = {};
  const from = new Map<string, string>();
  for (const [k, v] of Object.entries(sd)) {
    const nk = f(k);
    if (nk === null || nk === undefined) continue;
    if (from.has(nk)) throw new Error(`renameKeys: '${from.get(nk)}' and '${k}' both map to '${nk}'`);
    from.set(nk, k);
    Object.defineProperty(out, nk, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function toFunction(rule: RenameRule): (key: string) => string | null | undefined {
  if (typeof rule === "function") return rule;
  if (Array.isArray(rule)) {
    return (k) => rule.reduce((acc, [pat, rep]) => typeof pat === "string" ? acc.split(pat).join(rep) : acc.replace(pat, rep), k);
  }
  return (k) => (Object.prototype.hasOwnProperty.call(rule, k) ? rule[k] : k);
}
