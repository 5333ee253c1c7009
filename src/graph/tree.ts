/** Inputs and outputs of a graph: Tensors, or arrays/plain objects of them, flattened to a list and rebuilt. */
import { Tensor } from "../tensor/tensor";

/** The structure of a value with its tensors taken out. */
export type Template =
  | { t: "tensor"; i: number }
  | { t: "array"; items: Template[] }
  | { t: "object"; entries: [string, Template][] }
  | { t: "value"; v: unknown };

/** A graph input or output: a Tensor, or arrays/objects of them (inputs may also hold plain JS values). */
export type TensorTree = Tensor | TensorTree[] | { [key: string]: TensorTree } | number | boolean | string | null | undefined;

/** Takes the tensors out of `x` in depth-first order; `leaf` is called for anything that is not a container. */
export function flatten(x: unknown, tensors: Tensor[], path: string, leaf?: (v: unknown, path: string) => void): Template {
  if (x instanceof Tensor) { tensors.push(x); return { t: "tensor", i: tensors.length - 1 }; }
  if (Array.isArray(x)) return { t: "array", items: x.map((v, i) => flatten(v, tensors, `${path}[${i}]`, leaf)) };
  if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
    return { t: "object", entries: Object.entries(x).map(([k, v]) => [k, flatten(v, tensors, `${path}.${k}`, leaf)]) };
  }
  leaf?.(x, path);
  return { t: "value", v: x };
}

/** Rebuilds a value from its template and a tensor list. */
export function unflatten(tpl: Template, tensors: readonly Tensor[]): any {
  switch (tpl.t) {
    case "tensor": return tensors[tpl.i];
    case "array": return tpl.items.map((x) => unflatten(x, tensors));
    case "object": return Object.fromEntries(tpl.entries.map(([k, x]) => [k, unflatten(x, tensors)]));
    case "value": return tpl.v;
  }
}

/** A cache-key text of a template's non-tensor leaves (they are baked into the trace). */
export function templateKey(tpl: Template): string {
  return JSON.stringify(tpl, (_k, v) => (typeof v === "bigint" ? `${v}n` : typeof v === "function" ? "<fn>" : v));
}
