/** Small helpers shared by the ONNX-stage fusion passes. */
import type { IRGraph } from "../ir";
import type { OnnxAttr } from "../../onnx/proto";

/** The values of an int64/int32 constant as numbers, or null when `name` is not a constant. */
export function constInts(g: IRGraph, name: string | undefined): number[] | null {
  if (!name) return null;
  const t = g.constants.get(name);
  if (!t) return null;
  return Array.from(t._host() as ArrayLike<number | bigint>, Number);
}

/** A float constant's values, or null. */
export function constFloats(g: IRGraph, name: string | undefined): Float32Array | null {
  if (!name) return null;
  const t = g.constants.get(name);
  if (!t || t.dtype !== "float32") return null;
  return t._host() as Float32Array;
}

/** An ONNX node's int-list attribute. */
export function intsAttr(attrs: Record<string, OnnxAttr>, key: string): number[] | undefined {
  const a = attrs[key] as { ints?: number[] } | undefined;
  return a?.ints;
}

/** An ONNX node's string attribute. */
export function strAttr(attrs: Record<string, OnnxAttr>, key: string): string | undefined {
  return (attrs[key] as { s?: string } | undefined)?.s;
}
