/**
 * The classification extension: an output asked for with `classification: K` is answered with a
 * BYTES tensor of the K highest scores per batch row, each `"score:index"` or `"score:index:label"`
 * when the output has a label file, sorted by descending score (Triton writes scores with six
 * decimals, as C++ std::to_string does).
 */
import { halfToFloat, TensorData, WireType } from "./dtypes";
import type { HostTensor } from "./tensor_codec";
import { servingError } from "./errors";

function scores(dt: WireType, data: TensorData): number[] {
  if (dt === "BYTES") return [];
  if (dt === "FP16") return Array.from(data as Uint16Array, halfToFloat);
  return Array.from(data as Float32Array, Number);
}

/** Top-k of one row as Triton's strings. */
function topK(row: number[], k: number, labels: string[] | undefined): string[] {
  const idx = row.map((_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
  return idx.slice(0, k).map((i) => {
    const label = labels?.[i];
    return `${row[i].toFixed(6)}:${i}${label !== undefined && label !== "" ? `:${label}` : ""}`;
  });
}

/**
 * Classifies `t` (shape `[batch, ...classes]` when `batched`, else `[...classes]`) into K entries per
 * row; K larger than the class count is clamped to it, as Triton does.
 */
export function classify(t: HostTensor, k: number, batched: boolean, labels: string[] | undefined, prefix: string, model: string): HostTensor {
  if (t.datatype === "BYTES" || t.datatype === "BOOL") {
    throw servingError("BAD_CLASSIFICATION", { prefix, output: t.name, model, detail: `datatype ${t.datatype} has no scores to rank` });
  }
  const all = scores(t.datatype, t.data);
  const rows = batched ? t.shape[0] : 1;
  const perRow = rows === 0 ? 0 : all.length / rows;
  const kk = Math.min(k, perRow);
  const data: string[] = [];
  for (let r = 0; r < rows; r++) data.push(...topK(all.slice(r * perRow, (r + 1) * perRow), kk, labels));
  return { name: t.name, datatype: "BYTES", shape: batched ? [rows, kk] : [kk], data };
}
