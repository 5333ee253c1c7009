/**
 * Tensor element codec: KServe v2 JSON `data` arrays and the binary tensor data extension's raw
 * little-endian bytes (BYTES: each element a 4-byte little-endian length then its bytes), both ways.
 */
import { arrayCtor, DTYPES, elementCount, floatToHalf, halfToFloat, TensorData, WireType } from "./dtypes";

/** A tensor held by the server thread. */
export interface HostTensor { name: string; datatype: WireType; shape: number[]; data: TensorData }

/** Raised by the element decoders; request.ts turns it into the table error with the input name. */
export class ElementError extends Error {
  constructor(readonly index: number, readonly value: string) { super(`element ${index} is ${value}`); }
}

/** Flattens KServe's row-major nested `data` arrays. */
export function flatten(data: unknown[]): unknown[] {
  return data.some(Array.isArray) ? (data as unknown[]).flat(Infinity) : data;
}

function toNumber(v: unknown, i: number, integer: boolean): number {
  if (typeof v !== "number" || (integer && !Number.isInteger(v))) throw new ElementError(i, JSON.stringify(v) ?? String(v));
  return v;
}

/** JSON elements → typed data of `dt` (checks each element's JSON type). */
export function fromJson(dt: WireType, items: unknown[]): TensorData {
  if (dt === "BYTES") return items.map((v, i) => { if (typeof v !== "string") throw new ElementError(i, JSON.stringify(v)); return v; });
  if (dt === "BOOL") return Uint8Array.from(items, (v, i) => { if (typeof v !== "boolean") throw new ElementError(i, JSON.stringify(v)); return v ? 1 : 0; });
  if (dt === "INT64") return BigInt64Array.from(items, (v, i) => BigInt(toNumber(v, i, true)));
  if (dt === "UINT64") return BigUint64Array.from(items, (v, i) => { const n = toNumber(v, i, true); if (n < 0) throw new ElementError(i, String(n)); return BigInt(n); });
  if (dt === "FP16") return Uint16Array.from(items, (v, i) => floatToHalf(toNumber(v, i, false)));
  const integer = !dt.startsWith("FP");
  const Ctor = arrayCtor(dt) as unknown as { from(a: unknown[], f: (v: unknown, i: number) => number): TensorData };
  return Ctor.from(items, (v, i) => toNumber(v, i, integer));
}

/** Typed data → the JSON text of its `data` array (int64 written exactly, FP16 decoded). */
export function toJsonText(dt: WireType, data: TensorData): string {
  if (dt === "BYTES") return JSON.stringify(data);
  if (dt === "BOOL") return `[${Array.from(data as Uint8Array, (v) => (v ? "true" : "false")).join(",")}]`;
  if (dt === "FP16") return JSON.stringify(Array.from(data as Uint16Array, halfToFloat));
  if (dt === "INT64" || dt === "UINT64") return `[${(data as BigInt64Array).join(",")}]`;
  // JSON has no NaN/Infinity; JSON.stringify writes null for them, as Triton's writer does.
  return JSON.stringify(Array.from(data as Float32Array));
}

/** Raw bytes (a view into the request body) → typed data of `dt`; copies so the body can be freed. */
export function fromBinary(dt: WireType, bytes: Uint8Array, count: number): TensorData {
  if (dt === "BYTES") return decodeBytesElements(bytes, count);
  const Ctor = arrayCtor(dt);
  const out = new Ctor(count);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Number of bytes a fixed-size tensor of `shape` takes; undefined for BYTES. */
export function byteSize(dt: WireType, shape: number[]): number | undefined {
  return dt === "BYTES" ? undefined : elementCount(shape) * DTYPES[dt].bytes;
}

function decodeBytesElements(bytes: Uint8Array, count: number): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 4 > bytes.length) throw new ElementError(i, "missing (the BYTES data ends early)");
    const n = view.getUint32(p, true);
    if (p + 4 + n > bytes.length) throw new ElementError(i, `${n} bytes long but only ${bytes.length - p - 4} remain`);
    out.push(Buffer.from(bytes.buffer, bytes.byteOffset + p + 4, n).toString("utf8"));
    p += 4 + n;
  }
  if (p !== bytes.length) throw new ElementError(count, `${bytes.length - p} bytes beyond the ${count} elements`);
  return out;
}

/** Typed data → raw little-endian bytes for a binary output. */
export function toBinary(dt: WireType, data: TensorData): Buffer {
  if (dt !== "BYTES") {
    const d = data as Uint8Array;
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  }
  const parts = (data as string[]).flatMap((s) => {
    const b = Buffer.from(s, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return [len, b];
  });
  return Buffer.concat(parts);
}

/** Encodes BYTES elements for a binary request (used by tests and benches as a client would). */
export function encodeBytesElements(items: string[]): Buffer {
  return toBinary("BYTES", items);
}
