/**
 * Reads a KServe v2 infer request — the JSON header, then the binary tensor data extension's bytes
 * after `Inference-Header-Content-Length` — and checks it against the model's configuration, with
 * Triton's messages for each mistake.
 */
import { servingError, requestPrefix } from "./errors";
import { elementCount, isWireType, WireType } from "./dtypes";
import type { ModelConfig, TensorConfig } from "./config";
import { byteSize, ElementError, flatten, fromBinary, fromJson, HostTensor } from "./tensor_codec";

/** One output the client asked for. */
export interface RequestedOutput { name: string; binary: boolean; classification: number }

/** A parsed and validated infer request. */
export interface InferRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: HostTensor[];
  outputs: RequestedOutput[];
  /** Leading batch dimension (1 for models without batching). */
  batchSize: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Splits the body into the JSON header and the binary section. */
export function splitBody(body: Buffer, headerLength: string | undefined): { header: Json; binary: Buffer } {
  let jsonEnd = body.length;
  if (headerLength !== undefined) {
    const n = Number(headerLength);
    if (!/^\d+$/.test(headerLength.trim()) || n > body.length) throw servingError("BAD_HEADER_LENGTH", { value: JSON.stringify(headerLength), size: body.length });
    jsonEnd = n;
  }
  let header: unknown;
  try {
    header = JSON.parse(body.subarray(0, jsonEnd).toString("utf8"));
  } catch (err) {
    throw servingError("MALFORMED_JSON", { detail: (err as Error).message });
  }
  if (!isObject(header)) throw servingError("MALFORMED_JSON", { detail: "the request must be a JSON object" });
  return { header, binary: body.subarray(jsonEnd) };
}

interface RawInput { name: string; datatype: WireType; shape: number[]; json: Json }

function field(prefix: string, detail: string): never {
  throw servingError("BAD_REQUEST_FIELD", { prefix, detail });
}

function rawInput(v: unknown, i: number, prefix: string): RawInput {
  if (!isObject(v)) field(prefix, `inputs[${i}] must be an object with name, shape, datatype and data`);
  const { name, datatype, shape } = v;
  if (typeof name !== "string") field(prefix, `inputs[${i}].name must be a string`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) field(prefix, `shape of input '${name}' must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!isWireType(datatype)) field(prefix, `datatype of input '${name}' must be one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES; got ${JSON.stringify(datatype)}`);
  return { name, datatype, shape: shape as number[], json: v };
}

const shapeText = (s: readonly number[]) => `[${s.join(",")}]`;

/** Checks one input's name, datatype and shape; returns its batch size (1 without batching). */
function checkInput(c: ModelConfig, r: RawInput, prefix: string): number {
  const t = c.inputs.find((x) => x.name === r.name);
  if (!t) throw servingError("UNEXPECTED_INPUT", { prefix, input: r.name, model: c.name, allowed: c.inputs.map((x) => x.name).join(", ") });
  if (t.dataType !== r.datatype) throw servingError("WRONG_DATATYPE", { prefix, input: r.name, got: r.datatype, model: c.name, expected: t.dataType });
  const batched = c.maxBatchSize > 0;
  const expected = batched ? [-1, ...t.dims] : t.dims;
  const rest = batched ? r.shape.slice(1) : r.shape;
  const fits = r.shape.length === expected.length && t.dims.every((d, i) => d === -1 || d === rest[i]);
  if (!fits) throw servingError("WRONG_SHAPE", { prefix, input: r.name, model: c.name, expected: shapeText(expected), got: shapeText(r.shape) });
  const batch = batched ? r.shape[0] : 1;
  if (batched && batch > c.maxBatchSize) throw servingError("BATCH_TOO_LARGE", { prefix, max: c.maxBatchSize, model: c.name });
  if (batched && batch < 1) throw servingError("WRONG_SHAPE", { prefix, input: r.name, model: c.name, expected: shapeText(expected), got: shapeText(r.shape) });
  return batch;
}

/** Decodes one input's data from JSON or from the binary section (cursor advanced by the caller). */
function decodeData(r: RawInput, binary: Buffer, cursor: { at: number }, c: ModelConfig, prefix: string): HostTensor {
  const params = isObject(r.json.parameters) ? r.json.parameters : {};
  const count = elementCount(r.shape);
  const bad = (e: unknown): never => {
    if (e instanceof ElementError) throw servingError("BAD_ELEMENT", { prefix, input: r.name, index: e.index, value: e.value, datatype: r.datatype });
    throw e;
  };
  if (params.binary_data_size !== undefined) {
    const size = params.binary_data_size;
    if (!Number.isInteger(size) || (size as number) < 0) field(prefix, `binary_data_size of input '${r.name}' must be a non-negative integer`);
    const n = size as number;
    if (cursor.at + n > binary.length) throw servingError("TRUNCATED_BODY", { prefix, detail: `input '${r.name}' announces ${n} bytes of binary data, but only ${binary.length - cursor.at} remain` });
    const expected = byteSize(r.datatype, r.shape);
    if (expected !== undefined && expected !== n) throw servingError("BINARY_SIZE", { prefix, input: r.name, model: c.name, expected, got: n });
    const bytes = binary.subarray(cursor.at, cursor.at + n);
    cursor.at += n;
    try { return { name: r.name, datatype: r.datatype, shape: r.shape, data: fromBinary(r.datatype, bytes, count) }; } catch (e) { return bad(e); }
  }
  if (!Array.isArray(r.json.data)) field(prefix, `input '${r.name}' needs a 'data' array, or parameters.binary_data_size with the bytes after the JSON header`);
  const items = flatten(r.json.data as unknown[]);
  if (items.length !== count) throw servingError("ELEMENT_COUNT", { prefix, input: r.name, model: c.name, shape: shapeText(r.shape), expected: count, got: items.length });
  try { return { name: r.name, datatype: r.datatype, shape: r.shape, data: fromJson(r.datatype, items) }; } catch (e) { return bad(e); }
}

/** Reads the requested outputs; no `outputs` means all of them. */
function requestedOutputs(header: Json, c: ModelConfig, prefix: string): RequestedOutput[] {
  const params = isObject(header.parameters) ? header.parameters : {};
  const binaryDefault = params.binary_data_output === true;
  if (header.outputs === undefined) return c.outputs.map((o) => ({ name: o.name, binary: binaryDefault, classification: 0 }));
  if (!Array.isArray(header.outputs)) field(prefix, "'outputs' must be an array");
  return (header.outputs as unknown[]).map((o, i) => {
    if (!isObject(o) || typeof o.name !== "string") field(prefix, `outputs[${i}] must be an object with a name`);
    const out = o as Json & { name: string };
    if (!c.outputs.some((x) => x.name === out.name)) throw servingError("UNKNOWN_OUTPUT", { prefix, output: out.name, model: c.name, allowed: c.outputs.map((x) => x.name).join(", ") });
    const p = isObject(out.parameters) ? out.parameters : {};
    const k = p.classification ?? 0;
    if (!Number.isInteger(k) || (k as number) < 0) throw servingError("BAD_CLASSIFICATION", { prefix, output: out.name, model: c.name, detail: `K must be a positive integer, got ${JSON.stringify(k)}` });
    return { name: out.name, binary: typeof p.binary_data === "boolean" ? p.binary_data : binaryDefault, classification: k as number };
  });
}

/**
 * Parses and validates an infer request for model `c`. Names, datatypes and shapes are checked
 * before any data is decoded, so the first error reported is the one a client can act on.
 */
export function parseInferRequest(body: Buffer, headerLength: string | undefined, c: ModelConfig): InferRequest {
  const { header, binary } = splitBody(body, headerLength);
  const id = header.id === undefined ? undefined : String(header.id);
  const prefix = requestPrefix(id);
  if (header.parameters !== undefined && !isObject(header.parameters)) field(prefix, "'parameters' must be an object");
  if (!Array.isArray(header.inputs)) field(prefix, "the request needs an 'inputs' array");
  const raws = (header.inputs as unknown[]).map((v, i) => rawInput(v, i, prefix));
  const batches = raws.map((r) => checkInput(c, r, prefix));
  checkComplete(c, raws, batches, prefix);
  const cursor = { at: 0 };
  const inputs = raws.map((r) => decodeData(r, binary, cursor, c, prefix));
  if (cursor.at !== binary.length) field(prefix, `the body has ${binary.length - cursor.at} bytes after the last binary input; check Inference-Header-Content-Length and binary_data_size`);
  return { id, parameters: header.parameters as Json | undefined, inputs, outputs: requestedOutputs(header, c, prefix), batchSize: batches[0] ?? 1 };
}

function checkComplete(c: ModelConfig, raws: RawInput[], batches: number[], prefix: string): void {
  const seen = new Set<string>();
  for (const r of raws) {
    if (seen.has(r.name)) throw servingError("DUPLICATE_INPUT", { prefix, input: r.name, model: c.name });
    seen.add(r.name);
  }
  const missing = c.inputs.filter((t: TensorConfig) => !seen.has(t.name));
  if (missing.length) throw servingError("MISSING_INPUT", { prefix, expected: c.inputs.length, got: raws.length, model: c.name, missing: missing.map((t) => t.name).join("', '") });
  const i = batches.findIndex((b) => b !== batches[0]);
  if (c.maxBatchSize > 0 && i > 0) throw servingError("BATCH_MISMATCH", { prefix, model: c.name, input: raws[i].name, got: batches[i], expected: batches[0] });
}
