/**
 * Data types: names as PyTorch spells them, with their storage (typed array), ONNX TensorProto code and
 * ONNX Runtime type string in one table.
 */

/** A tensor element type. */
export type DType = "float32" | "float16" | "bfloat16" | "float64" | "int64" | "int32" | "int8" | "uint8" | "bool";

/**
 * The typed arrays that hold tensor data on the host (float16 and bfloat16 as raw bits in Uint16Array, bool as
 * 0/1 bytes).
 */
export type TypedArray =
  | Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

interface DTypeInfo {
  array: { new (n: number | ArrayBufferLike, offset?: number, length?: number): TypedArray; BYTES_PER_ELEMENT: number };
  onnx: number; // TensorProto.DataType
  ort: string; // onnxruntime-common Tensor.type
  isFloat: boolean;
  isInt: boolean;
  rank: number; // promotion order within the bool < int < float lattice
}

const INFO: Record<DType, DTypeInfo> = {
  bool: { array: Uint8Array, onnx: 9, ort: "bool", isFloat: false, isInt: false, rank: 0 },
  uint8: { array: Uint8Array, onnx: 2, ort: "uint8", isFloat: false, isInt: true, rank: 1 },
  int8: { array: Int8Array, onnx: 3, ort: "int8", isFloat: false, isInt: true, rank: 2 },
  int32: { array: Int32Array, onnx: 6, ort: "int32", isFloat: false, isInt: true, rank: 3 },
  int64: { array: BigInt64Array as never, onnx: 7, ort: "int64", isFloat: false, isInt: true, rank: 4 },
  float16: { array: Uint16Array, onnx: 10, ort: "float16", isFloat: true, isInt: false, rank: 5 },
  bfloat16: { array: Uint16Array, onnx: 16, ort: "bfloat16", isFloat: true, isInt: false, rank: 5 },
  float32: { array: Float32Array, onnx: 1, ort: "float32", isFloat: true, isInt: false, rank: 6 },
  float64: { array: Float64Array, onnx: 11, ort: "float64", isFloat: true, isInt: false, rank: 7 },
};

/** Every dtype flowbook supports. */
export const DTYPES = Object.keys(INFO) as DType[];

/** Throws a clear error unless `d` names a supported dtype. */
export function checkDType(d: unknown, where = "dtype"): DType {
  if (typeof d === "string" && d in INFO) return d as DType;
  throw new TypeError(`${where}: unknown dtype ${JSON.stringify(d)}; use one of ${DTYPES.join(", ")}`);
}

/** True for float16, bfloat16, float32, float64. */
export const isFloating = (d: DType): boolean => INFO[d].isFloat;
/** True for the integer dtypes (not bool). */
export const isIntegral = (d: DType): boolean => INFO[d].isInt;
/** ONNX TensorProto.DataType code. */
export const onnxTypeOf = (d: DType): number => INFO[d].onnx;
/** onnxruntime-common tensor type string. */
export const ortTypeOf = (d: DType): string => INFO[d].ort;
/** Bytes per element. */
export const itemSize = (d: DType): number => INFO[d].array.BYTES_PER_ELEMENT;

/** Allocates a zero-filled host array for `n` elements of dtype `d`. */
export function allocArray(d: DType, n: number): TypedArray {
  return new INFO[d].array(n);
}

/** Views `bytes` as a typed array of dtype `d` (copies when the offset is misaligned). */
export function viewBytes(d: DType, bytes: Uint8Array): TypedArray {
  const size = itemSize(d);
  if (bytes.byteLength % size !== 0) throw new RangeError(`byte length ${bytes.byteLength} is not a multiple of ${size} for ${d}`);
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return new INFO[d].array(aligned.buffer, aligned.byteOffset, aligned.byteLength / size);
}

const ORT_TO_DTYPE: Record<string, DType> = Object.fromEntries(DTYPES.map((d) => [INFO[d].ort, d]));
/** Maps an onnxruntime tensor type string back to a flowbook dtype. */
export function dtypeFromOrt(t: string): DType {
  const d = ORT_TO_DTYPE[t];
  if (!d) throw new TypeError(`onnxruntime returned a ${t} tensor, which flowbook does not support`);
  return d;
}
const ONNX_TO_DTYPE: Record<number, DType> = Object.fromEntries(DTYPES.map((d) => [INFO[d].onnx, d]));
/** Maps an ONNX TensorProto.DataType code to a flowbook dtype. */
export function dtypeFromOnnx(code: number): DType {
  const d = ONNX_TO_DTYPE[code];
  if (!d) throw new TypeError(`ONNX data type ${code} is not supported by flowbook`);
  return d;
}

/**
 * PyTorch's type promotion for two tensor operands: categories bool < integer < floating, then the wider
 * type. (uint8 with int8 promotes to int16 in PyTorch; flowbook has no int16 and uses int32.)
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  // Neither half type holds the other: PyTorch promotes the pair to float32.
  if ((a === "float16" && b === "bfloat16") || (a === "bfloat16" && b === "float16")) return "float32";
  if ((a === "uint8" && b === "int8") || (a === "int8" && b === "uint8")) return "int32";
  return INFO[a].rank >= INFO[b].rank ? a : b;
}

/** The dtype of a JS scalar used as an operand, in the category sense PyTorch uses for "wrapped numbers". */
export function scalarCategory(v: number | boolean | bigint): "bool" | "int" | "float" {
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "int";
  return Number.isInteger(v) ? "int" : "float";
}

/** Result dtype of tensor `t` combined with a scalar: the tensor wins unless the scalar is of a higher category. */
export function promoteWithScalar(t: DType, v: number | boolean | bigint, defaultFloat: DType = "float32"): DType {
  const c = scalarCategory(v);
  if (c === "float" && !isFloating(t)) return defaultFloat;
  if (c === "int" && t === "bool") return "int64";
  return t;
}

// float16 <-> float32 conversions for host-side reads and writes.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Converts a number to IEEE half-precision bits (round to nearest even). */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}
/** Converts IEEE half-precision bits to a number. */
export function fromHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Converts a number to bfloat16 bits: the top half of its float32 bits, rounded to nearest even (NaN stays NaN). */
export function toBfloat16(v: number): number {
  f32[0] = v;
  return bfloat16FromBits(u32[0]);
}
// float32 bits -> bfloat16 bits; the rounding increment cannot wrap (only NaN bit patterns are that large).
const bfloat16FromBits = (x: number): number =>
  (x & 0x7f800000) === 0x7f800000 && x & 0x7fffff ? (x >>> 16) | 0x40 : ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
/** Converts bfloat16 bits to a number (exact). */
export function fromBfloat16(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

/**
 * bfloat16 values travel through ONNX Runtime in float32 (its CPU provider has no bfloat16 kernels beyond Cast,
 * and onnxruntime-node cannot pass bfloat16 tensors): the dtype a value of dtype `d` has inside a session.
 */
export const carrierDType = (d: DType): DType => (d === "bfloat16" ? "float32" : d);
/** Host data of dtype `d` as its carrier dtype's data (bfloat16 bits widened to float32, exactly; others as they are). */
export function toCarrier(d: DType, a: TypedArray): TypedArray {
  if (d !== "bfloat16") return a;
  const bits = a as Uint16Array, out = new Float32Array(bits.length), o32 = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) o32[i] = bits[i] << 16;
  return out;
}
/** Carrier data back as dtype `d` (float32 rounded to nearest-even bfloat16; others as they are). */
export function fromCarrier(d: DType, a: TypedArray): TypedArray {
  if (d !== "bfloat16") return a;
  const f = a as Float32Array, w = new Uint32Array(f.buffer, f.byteOffset, f.length), out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = bfloat16FromBits(w[i]);
  return out;
}

/** Reads element `i` of a host array of dtype `d` as a JS number. */
export function readNumber(d: DType, a: TypedArray, i: number): number {
  if (d === "float16") return fromHalf((a as Uint16Array)[i]);
  if (d === "bfloat16") return fromBfloat16((a as Uint16Array)[i]);
  if (d === "int64") return Number((a as BigInt64Array)[i]);
  return (a as Float32Array)[i];
}

/** Writes JS number `v` into element `i` of a host array of dtype `d`, with C-style truncation for ints. */
export function writeNumber(d: DType, a: TypedArray, i: number, v: number | boolean | bigint): void {
  if (d === "int64") (a as BigInt64Array)[i] = typeof v === "bigint" ? v : BigInt(Math.trunc(Number(v)));
  else if (d === "float16") (a as Uint16Array)[i] = toHalf(Number(v));
  else if (d === "bfloat16") (a as Uint16Array)[i] = toBfloat16(Number(v));
  else if (d === "bool") (a as Uint8Array)[i] = v ? 1 : 0;
  else (a as Float32Array)[i] = isFloating(d) ? Number(v) : Math.trunc(Number(v));
}

// ---- dtype constants, as PyTorch spells them (`x.to(flow.bfloat16)`; printing says `dtype=flow.float16`) ----
/** 32-bit float, the default dtype. */ export const float32 = "float32" satisfies DType;
/** Alias of float32 (`torch.float`). */ export const float = "float32" satisfies DType;
/** 64-bit float. */ export const float64 = "float64" satisfies DType;
/** Alias of float64 (`torch.double`). */ export const double = "float64" satisfies DType;
/** IEEE half precision. */ export const float16 = "float16" satisfies DType;
/** Alias of float16 (`torch.half`). */ export const half = "float16" satisfies DType;
/** bfloat16: float32's range with 8 bits of mantissa (computed in float32 and rounded; see ops/lower). */ export const bfloat16 = "bfloat16" satisfies DType;
/** 64-bit integer, the default integer dtype. */ export const int64 = "int64" satisfies DType;
/** Alias of int64 (`torch.long`). */ export const long = "int64" satisfies DType;
/** 32-bit integer. */ export const int32 = "int32" satisfies DType;
/** 8-bit signed integer. */ export const int8 = "int8" satisfies DType;
/** 8-bit unsigned integer. */ export const uint8 = "uint8" satisfies DType;
/** Boolean. */ export const bool = "bool" satisfies DType;
