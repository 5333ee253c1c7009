/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N, N bytes
 * of JSON `{"__metadata__": {str: str}, name: {dtype, shape, data_offsets: [begin, end]}}`, then the tensor
 * bytes (offsets relative to the end of the header, little-endian, row-major, no holes).
 *
 * Reads are zero-copy where possible: the file is read once into one buffer and each tensor views it when its
 * offset is aligned to its element size (true for files written by flowbook and by the reference writer,
 * which pads the header to 8 bytes and orders tensors by alignment). I16 and U16 are widened to int32 on read.
 */
import * as fs from "fs";
import { Tensor, numelOf } from "../tensor/tensor";
import { DType, TypedArray, itemSize, viewBytes } from "../tensor/dtype";

const TO_DTYPE: Record<string, DType> = { F32: "float32", F16: "float16", BF16: "bfloat16", F64: "float64", I64: "int64", I32: "int32", I8: "int8", U8: "uint8", BOOL: "bool" };
const FROM_DTYPE: Record<DType, string> = { float32: "F32", float16: "F16", bfloat16: "BF16", float64: "F64", int64: "I64", int32: "I32", int8: "I8", uint8: "U8", bool: "BOOL" };
// dtypes flowbook lacks, widened exactly on read.
const WIDEN: Record<string, { bytes: number; dtype: DType; convert: (b: Uint8Array) => TypedArray }> = {
  I16: { bytes: 2, dtype: "int32", convert: (b) => Int32Array.from(new Int16Array(b.slice().buffer)) },
  U16: { bytes: 2, dtype: "int32", convert: (b) => Int32Array.from(new Uint16Array(b.slice().buffer)) },
};

/** What {@link readSafetensors} returns. */
export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
  /** Tensors whose dtype was widened (name → original dtype), e.g. I16 → int32. */
  widened: Record<string, string>;
}

interface Entry { dtype: string; shape: number[]; data_offsets: [number, number] }

/** Parses safetensors bytes (already in memory). Tensors view `bytes` when aligned. */
export function parseSafetensors(bytes: Uint8Array, what = "safetensors"): SafetensorsFile {
  if (bytes.byteLength < 8) throw new Error(`${what}: file is too short to be safetensors (${bytes.byteLength} bytes)`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.byteLength - 8) throw new Error(`${what}: header length ${n} exceeds the file size; not a safetensors file?`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`${what}: header is not valid JSON: ${(e as Error).message}`);
  }
  const data = bytes.subarray(8 + n);
  const out: SafetensorsFile = { tensors: {}, metadata: {}, widened: {} };
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") { out.metadata = { ...(v as Record<string, string>) }; continue; }
    const e = v as Entry;
    const [begin, end] = e.data_offsets;
    if (!(begin >= 0 && end >= begin && end <= data.byteLength)) throw new Error(`${what}: tensor '${name}' has offsets [${begin}, ${end}] outside the data (${data.byteLength} bytes)`);
    const raw = data.subarray(begin, end);
    const count = numelOf(e.shape);
    const widen = WIDEN[e.dtype];
    const dtype = TO_DTYPE[e.dtype] ?? widen?.dtype;
    if (!dtype) throw new Error(`${what}: tensor '${name}' has dtype ${e.dtype}, which flowbook cannot hold (supported: ${[...Object.keys(TO_DTYPE), ...Object.keys(WIDEN)].join(", ")})`);
    const bytesPer = widen ? widen.bytes : itemSize(dtype);
    if (raw.byteLength !== count * bytesPer) throw new Error(`${what}: tensor '${name}' of shape [${e.shape}] ${e.dtype} needs ${count * bytesPer} bytes, has ${raw.byteLength}`);
    const arr = widen ? widen.convert(raw) : viewBytes(dtype, raw);
    if (widen) out.widened[name] = e.dtype;
    out.tensors[name] = Tensor._fromArray(arr, [...e.shape], dtype);
  }
  return out;
}

/** Reads a .safetensors file (one read of the whole file; tensors view that buffer when aligned). */
export function readSafetensors(path: string): SafetensorsFile {
  const b = fs.readFileSync(path);
  // A plain Uint8Array view: Buffer.slice() shares memory, and viewBytes relies on slice() copying.
  return parseSafetensors(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
}

/** Serialises tensors (and string metadata) to safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  // Widest element first keeps every tensor aligned without holes between them.
  const names = Object.keys(tensors);
  for (const k of names) if (!(tensors[k] instanceof Tensor)) throw new TypeError(`flow.save(.safetensors): '${k}' is not a Tensor; safetensors holds only tensors (put other values in metadata)`);
  const order = names.map((k, i) => ({ k, i })).sort((a, b) => itemSize(tensors[b.k].dtype) - itemSize(tensors[a.k].dtype) || a.i - b.i);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== "string") throw new TypeError(`safetensors metadata must map strings to strings; '${k}' is ${typeof v}`);
    header.__metadata__ = metadata;
  }
  const offsets = new Map<string, [number, number]>();
  let off = 0;
  for (const { k } of order) {
    const t = tensors[k];
    const nb = t.numel() * itemSize(t.dtype);
    offsets.set(k, [off, off + nb]); off += nb;
  }
  for (const k of names) header[k] = { dtype: FROM_DTYPE[tensors[k].dtype], shape: tensors[k].shape, data_offsets: offsets.get(k) };
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad) { json += " ".repeat(pad); hb = enc.encode(json); }
  const out = new Uint8Array(8 + hb.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  for (const { k } of order) {
    const t = tensors[k], a = t._host("flow.save");
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), 8 + hb.length + offsets.get(k)![0]);
  }
  return out;
}

/** Writes tensors to a .safetensors file. */
export function writeSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  fs.writeFileSync(path, encodeSafetensors(tensors, metadata));
}
