/**
 * Data types: one row per type, linking the four names a tensor type has on its way through the
 * server — config.pbtxt (`TYPE_FP32`), the KServe v2 wire (`FP32`), ONNX Runtime (`float32`) and
 * flowbook (`float32`) — with its element size. Format of a row:
 * `wire: {config, ort, flowbook, bytes}`; `bytes: 0` marks variable-size (BYTES).
 */

/** The KServe v2 wire datatype names. */
export type WireType =
  | "BOOL" | "UINT8" | "UINT16" | "UINT32" | "UINT64" | "INT8" | "INT16" | "INT32" | "INT64"
  | "FP16" | "FP32" | "FP64" | "BYTES";

/** One row of the datatype table. */
export interface DtypeRow {
  /** config.pbtxt enum name, e.g. `TYPE_FP32`. */
  config: string;
  /** onnxruntime-node tensor type, e.g. `float32`. */
  ort: string;
  /** flowbook dtype name, or undefined where flowbook has none. */
  flowbook?: string;
  /** bytes per element; 0 for BYTES (length-prefixed strings). */
  bytes: number;
}

/** The datatype table, keyed by wire name. */
export const DTYPES: Record<WireType, DtypeRow> = {
  BOOL: { config: "TYPE_BOOL", ort: "bool", flowbook: "bool", bytes: 1 },
  UINT8: { config: "TYPE_UINT8", ort: "uint8", flowbook: "uint8", bytes: 1 },
  UINT16: { config: "TYPE_UINT16", ort: "uint16", bytes: 2 },
  UINT32: { config: "TYPE_UINT32", ort: "uint32", bytes: 4 },
  UINT64: { config: "TYPE_UINT64", ort: "uint64", bytes: 8 },
  INT8: { config: "TYPE_INT8", ort: "int8", flowbook: "int8", bytes: 1 },
  INT16: { config: "TYPE_INT16", ort: "int16", bytes: 2 },
  INT32: { config: "TYPE_INT32", ort: "int32", flowbook: "int32", bytes: 4 },
  INT64: { config: "TYPE_INT64", ort: "int64", flowbook: "int64", bytes: 8 },
  FP16: { config: "TYPE_FP16", ort: "float16", flowbook: "float16", bytes: 2 },
  FP32: { config: "TYPE_FP32", ort: "float32", flowbook: "float32", bytes: 4 },
  FP64: { config: "TYPE_FP64", ort: "float64", flowbook: "float64", bytes: 8 },
  BYTES: { config: "TYPE_STRING", ort: "string", bytes: 0 },
};

const WIRE_NAMES = Object.keys(DTYPES) as WireType[];

/** True when `s` is a wire datatype name. */
export function isWireType(s: unknown): s is WireType {
  return typeof s === "string" && (WIRE_NAMES as string[]).includes(s);
}

/** Wire type for a config enum (`TYPE_FP32` → `FP32`), or undefined. */
export function wireFromConfig(config: string): WireType | undefined {
  return WIRE_NAMES.find((w) => DTYPES[w].config === config);
}

/** Wire type for an ONNX Runtime type name (`float32` → `FP32`), or undefined. */
export function wireFromOrt(ort: string): WireType | undefined {
  return WIRE_NAMES.find((w) => DTYPES[w].ort === ort);
}

/** Wire type for a flowbook dtype (`float32` → `FP32`), or undefined. */
export function wireFromFlowbook(dtype: string): WireType | undefined {
  return WIRE_NAMES.find((w) => DTYPES[w].flowbook === dtype);
}

/** The element array a tensor of a wire type holds in memory. */
export type TensorData =
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | Int8Array | Int16Array | Int32Array
  | BigInt64Array | Float32Array | Float64Array | string[];

type NumericCtor = { new (n: number): Exclude<TensorData, string[]>; new (b: ArrayBuffer, o: number, n: number): Exclude<TensorData, string[]> };

/** Typed array constructor for a fixed-size wire type (FP16 and BOOL travel as raw bits/bytes). */
export function arrayCtor(w: Exclude<WireType, "BYTES">): NumericCtor {
  const table: Record<Exclude<WireType, "BYTES">, unknown> = {
    BOOL: Uint8Array, UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array, UINT64: BigUint64Array,
    INT8: Int8Array, INT16: Int16Array, INT32: Int32Array, INT64: BigInt64Array,
    FP16: Uint16Array, FP32: Float32Array, FP64: Float64Array,
  };
  return table[w] as NumericCtor;
}

/** Number of elements of a shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// IEEE half conversions are the tensor core's (one implementation for the framework and the server).
export { fromHalf as halfToFloat, toHalf as floatToHalf } from "../tensor/dtype";
