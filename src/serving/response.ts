/**
 * Writes a KServe v2 infer response: JSON outputs, or — per output, when asked with `binary_data`
 * (or `binary_data_output` for all) — the binary tensor data extension: the JSON header gives
 * `binary_data_size`, the raw bytes follow in output order, and `Inference-Header-Content-Length`
 * says where the JSON ends.
 */
import type { HostTensor } from "./tensor_codec";
import { toBinary, toJsonText } from "./tensor_codec";

/** A response ready for the wire. */
export interface EncodedResponse { body: Buffer; headers: Record<string, string> }

/** Encodes the response of `model`/`version` to a request. `binary[i]` picks the encoding of `outputs[i]`. */
export function encodeResponse(model: string, version: string, id: string | undefined, parameters: Record<string, unknown> | undefined, outputs: HostTensor[], binary: boolean[]): EncodedResponse {
  const chunks: Buffer[] = [];
  const entries = outputs.map((o, i) => {
    const head = `{"name":${JSON.stringify(o.name)},"datatype":"${o.datatype}","shape":${JSON.stringify(o.shape)}`;
    if (!binary[i]) return `${head},"data":${toJsonText(o.datatype, o.data)}}`;
    const bytes = toBinary(o.datatype, o.data);
    chunks.push(bytes);
    return `${head},"parameters":{"binary_data_size":${bytes.length}}}`;
  });
  const idPart = id === undefined ? "" : `,"id":${JSON.stringify(id)}`;
  const paramPart = parameters && Object.keys(parameters).length ? `,"parameters":${JSON.stringify(parameters)}` : "";
  const json = Buffer.from(`{"model_name":${JSON.stringify(model)},"model_version":${JSON.stringify(version)}${idPart}${paramPart},"outputs":[${entries.join(",")}]}`);
  if (chunks.length === 0) return { body: json, headers: { "Content-Type": "application/json" } };
  return {
    body: Buffer.concat([json, ...chunks]),
    headers: { "Content-Type": "application/octet-stream", "Inference-Header-Content-Length": String(json.length) },
  };
}
