/**
 * ONNX ModelProto in plain TypeScript objects, with a protobuf encoder and decoder for the fields flowbook
 * uses (the subset onnx.proto's IR version 8 / opset 17 models need). Field numbers follow onnx/onnx.proto.
 */
import { DType, dtypeFromOnnx, onnxTypeOf } from "../tensor/dtype";

/** A constant tensor in a model (initializer or attribute value), stored as little-endian raw bytes. */
export interface OnnxTensor { name: string; dtype: DType; dims: number[]; raw: Uint8Array }
/** A node attribute, tagged by its ONNX type so that 1 (int) and 1.0 (float) stay distinct. */
export type OnnxAttr =
  | { i: number } | { f: number } | { s: string } | { t: OnnxTensor }
  | { ints: number[] } | { floats: number[] } | { strings: string[] } | { g: OnnxGraph };
/** One operator call. */
export interface OnnxNode {
  opType: string; inputs: string[]; outputs: string[]; name?: string; domain?: string;
  attrs?: Record<string, OnnxAttr>; docString?: string;
}
/** A graph input/output: dims are numbers, or strings for symbolic (dynamic) dimensions. */
export interface OnnxValueInfo { name: string; dtype: DType; dims: (number | string)[] }
/** A graph. */
export interface OnnxGraph {
  name: string; nodes: OnnxNode[]; inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[];
  initializers: OnnxTensor[]; valueInfo?: OnnxValueInfo[];
}
/** A model: graph plus opset imports. */
export interface OnnxModel {
  irVersion: number; opsets: { domain: string; version: number }[]; producerName?: string;
  producerVersion?: string; graph: OnnxGraph; metadata?: Record<string, string>;
}

/** Tagged attribute constructors, for readable lowerings: `{ axis: int(1), alpha: float(0.2) }`. */
export const int = (i: number): OnnxAttr => ({ i });
export const float = (f: number): OnnxAttr => ({ f });
export const ints = (v: number[]): OnnxAttr => ({ ints: v });
export const floats = (v: number[]): OnnxAttr => ({ floats: v });
export const str = (s: string): OnnxAttr => ({ s });
export const tensorAttr = (t: OnnxTensor): OnnxAttr => ({ t });

// ---- encoder -------------------------------------------------------------------------------------

class Writer {
  private buf = new Uint8Array(256);
  private len = 0;
  private ensure(n: number) {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  varint(v: number | bigint) {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) { this.buf[this.len++] = Number(x & 0x7fn) | 0x80; x >>= 7n; }
    this.buf[this.len++] = Number(x);
  }
  smallVarint(v: number) {
    if (v < 0 || v > 0x7fffffff) return this.varint(v);
    this.ensure(5);
    while (v >= 0x80) { this.buf[this.len++] = (v & 0x7f) | 0x80; v >>>= 7; }
    this.buf[this.len++] = v;
  }
  tag(field: number, wire: number) { this.smallVarint((field << 3) | wire); }
  bytes(field: number, b: Uint8Array) {
    this.tag(field, 2); this.smallVarint(b.length); this.ensure(b.length);
    this.buf.set(b, this.len); this.len += b.length;
  }
  string(field: number, s: string | undefined) { if (s !== undefined && s !== "") this.bytes(field, new TextEncoder().encode(s)); }
  int(field: number, v: number | undefined) { if (v !== undefined) { this.tag(field, 0); this.varint(v); } }
  message(field: number, write: (w: Writer) => void) { const w = new Writer(); write(w); this.bytes(field, w.finish()); }
  float(field: number, v: number) {
    this.tag(field, 5); this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat32(this.len, v, true); this.len += 4;
  }
  packedVarints(field: number, vs: number[]) { const w = new Writer(); for (const v of vs) w.varint(v); this.bytes(field, w.finish()); }
  packedFloats(field: number, vs: number[]) {
    const b = new Uint8Array(vs.length * 4); const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true)); this.bytes(field, b);
  }
  finish(): Uint8Array { return this.buf.slice(0, this.len); }
}

function writeTensor(w: Writer, t: OnnxTensor) {
  if (t.dims.length) w.packedVarints(1, t.dims);
  w.int(2, onnxTypeOf(t.dtype));
  w.string(8, t.name);
  w.bytes(9, t.raw);
}
function writeValueInfo(w: Writer, v: OnnxValueInfo) {
  w.string(1, v.name);
  w.message(2, (tp) => tp.message(1, (tt) => {
    tt.int(1, onnxTypeOf(v.dtype));
    tt.message(2, (sh) => { for (const d of v.dims) sh.message(1, (dm) => typeof d === "number" && d >= 0 ? dm.int(1, d) : dm.string(2, typeof d === "string" ? d : "N")); });
  }));
}
const ATTR_TYPE = { f: 1, i: 2, s: 3, t: 4, g: 5, floats: 6, ints: 7, strings: 8 } as const;
function writeAttr(w: Writer, name: string, a: OnnxAttr) {
  w.string(1, name);
  if ("f" in a) { w.float(2, a.f); w.int(20, ATTR_TYPE.f); }
  else if ("i" in a) { w.int(3, a.i); w.int(20, ATTR_TYPE.i); }
  else if ("s" in a) { w.bytes(4, new TextEncoder().encode(a.s)); w.int(20, ATTR_TYPE.s); }
  else if ("t" in a) { w.message(5, (tw) => writeTensor(tw, a.t)); w.int(20, ATTR_TYPE.t); }
  else if ("g" in a) { w.message(6, (gw) => writeGraph(gw, a.g)); w.int(20, ATTR_TYPE.g); }
  else if ("floats" in a) { w.packedFloats(7, a.floats); w.int(20, ATTR_TYPE.floats); }
  else if ("ints" in a) { w.packedVarints(8, a.ints); w.int(20, ATTR_TYPE.ints); }
  else { for (const s of a.strings) w.bytes(9, new TextEncoder().encode(s)); w.int(20, ATTR_TYPE.strings); }
}
function writeNode(w: Writer, n: OnnxNode) {
  for (const i of n.inputs) w.bytes(1, new TextEncoder().encode(i));
  for (const o of n.outputs) w.bytes(2, new TextEncoder().encode(o));
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, a] of Object.entries(n.attrs ?? {})) w.message(5, (aw) => writeAttr(aw, k, a));
  w.string(6, n.docString);
  w.string(7, n.domain);
}
function writeGraph(w: Writer, g: OnnxGraph) {
  for (const n of g.nodes) w.message(1, (nw) => writeNode(nw, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (tw) => writeTensor(tw, t));
  for (const v of g.inputs) w.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(12, (vw) => writeValueInfo(vw, v));
  for (const v of g.valueInfo ?? []) w.message(13, (vw) => writeValueInfo(vw, v));
}

/** Serialises a model to ONNX protobuf bytes. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  w.message(7, (gw) => writeGraph(gw, m.graph));
  for (const o of m.opsets) w.message(8, (ow) => { ow.string(1, o.domain); ow.int(2, o.version); });
  for (const [k, v] of Object.entries(m.metadata ?? {})) w.message(14, (mw) => { mw.string(1, k); mw.string(2, v); });
  return w.finish();
}

// ---- decoder -------------------------------------------------------------------------------------

type Field = { field: number; wire: number; v: bigint | Uint8Array | number };
function readFields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  const varint = (): bigint => {
    let x = 0n, s = 0n;
    for (;;) {
      if (p >= b.length) throw new Error("ONNX protobuf is truncated (varint runs past the end)");
      const c = b[p++]; x |= BigInt(c & 0x7f) << s; s += 7n;
      if (!(c & 0x80)) return x;
    }
  };
  while (p < b.length) {
    const key = Number(varint()); const field = key >>> 3; const wire = key & 7;
    if (wire === 0) out.push({ field, wire, v: varint() });
    else if (wire === 2) {
      const n = Number(varint());
      if (p + n > b.length) throw new Error("ONNX protobuf is truncated (a field runs past the end)");
      out.push({ field, wire, v: b.subarray(p, p + n) }); p += n;
    } else if (wire === 5) { out.push({ field, wire, v: dv.getFloat32(p, true) }); p += 4; }
    else if (wire === 1) { out.push({ field, wire, v: dv.getFloat64(p, true) }); p += 8; }
    else throw new Error(`ONNX protobuf uses unsupported wire type ${wire}`);
  }
  return out;
}
const text = (v: Field["v"]) => new TextDecoder().decode(v as Uint8Array);
const num = (v: Field["v"]) => Number(BigInt.asIntN(64, v as bigint));
function packedInts(f: Field): number[] {
  if (f.wire === 0) return [num(f.v)];
  return readFields(prefixVarints(f.v as Uint8Array)).map((x) => num(x.v));
}
// Packed varints carry no tags; give each a field-1 tag so readFields can split them.
function prefixVarints(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) { if (i === 0 || !(b[i - 1] & 0x80)) out.push(0x08); out.push(b[i]); }
  return Uint8Array.from(out);
}
function packedFloats(f: Field): number[] {
  if (f.wire === 5) return [f.v as number];
  const b = f.v as Uint8Array; const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 4 }, (_, i) => dv.getFloat32(i * 4, true));
}

function readTensor(b: Uint8Array): OnnxTensor {
  const t: OnnxTensor = { name: "", dtype: "float32", dims: [], raw: new Uint8Array() };
  const typed: Record<number, Field[]> = {};
  for (const f of readFields(b)) {
    if (f.field === 1) t.dims.push(...packedInts(f));
    else if (f.field === 2) t.dtype = dtypeFromOnnx(num(f.v));
    else if (f.field === 8) t.name = text(f.v);
    else if (f.field === 9) t.raw = f.v as Uint8Array;
    else (typed[f.field] ??= []).push(f);
  }
  if (t.raw.length === 0) t.raw = typedFieldsToRaw(t, typed);
  return t;
}
// Tensors may store values in float_data(4)/int32_data(5)/int64_data(7)/double_data(10) instead of raw_data.
function typedFieldsToRaw(t: OnnxTensor, typed: Record<number, Field[]>): Uint8Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  const out = new DataView(new ArrayBuffer(n * ({ float64: 8, int64: 8, float32: 4, int32: 4, float16: 2 } as Record<string, number>)[t.dtype] || n));
  if (typed[4]) typed[4].flatMap(packedFloats).forEach((v, i) => out.setFloat32(i * 4, v, true));
  else if (typed[10]) typed[10].flatMap((f) => f.wire === 1 ? [f.v as number] : Array.from(new Float64Array((f.v as Uint8Array).slice().buffer))).forEach((v, i) => out.setFloat64(i * 8, v, true));
  else if (typed[7]) typed[7].flatMap(packedInts).forEach((v, i) => out.setBigInt64(i * 8, BigInt(v), true));
  else if (typed[5]) typed[5].flatMap(packedInts).forEach((v, i) => {
    if (t.dtype === "int32") out.setInt32(i * 4, v, true);
    else if (t.dtype === "float16") out.setUint16(i * 2, v, true);
    else out.setUint8(i, v);
  });
  return new Uint8Array(out.buffer);
}
function readValueInfo(b: Uint8Array): OnnxValueInfo {
  const v: OnnxValueInfo = { name: "", dtype: "float32", dims: [] };
  for (const f of readFields(b)) {
    if (f.field === 1) v.name = text(f.v);
    else if (f.field === 2) for (const tp of readFields(f.v as Uint8Array)) if (tp.field === 1) {
      for (const tt of readFields(tp.v as Uint8Array)) {
        if (tt.field === 1) v.dtype = dtypeFromOnnx(num(tt.v));
        else if (tt.field === 2) for (const d of readFields(tt.v as Uint8Array)) if (d.field === 1) {
          const dim = readFields(d.v as Uint8Array);
          const val = dim.find((x) => x.field === 1), param = dim.find((x) => x.field === 2);
          v.dims.push(val ? num(val.v) : param ? text(param.v) : "?");
        }
      }
    }
  }
  return v;
}
function readAttr(b: Uint8Array): [string, OnnxAttr] {
  let name = ""; let type = 0; const fs = readFields(b);
  for (const f of fs) { if (f.field === 1) name = text(f.v); else if (f.field === 20) type = num(f.v); }
  const get = (n: number) => fs.filter((f) => f.field === n);
  const first = (n: number) => get(n)[0]?.v;
  switch (type) {
    case 1: return [name, { f: (first(2) as number) ?? 0 }];
    case 2: return [name, { i: first(3) === undefined ? 0 : num(first(3)!) }];
    case 3: return [name, { s: text(first(4) ?? new Uint8Array()) }];
    case 4: return [name, { t: readTensor(first(5) as Uint8Array) }];
    case 5: return [name, { g: readGraph(first(6) as Uint8Array) }];
    case 6: return [name, { floats: get(7).flatMap(packedFloats) }];
    case 7: return [name, { ints: get(8).flatMap(packedInts) }];
    case 8: return [name, { strings: get(9).map((f) => text(f.v)) }];
    default: throw new Error(`ONNX attribute '${name}' has unsupported type ${type}`);
  }
}
function readNode(b: Uint8Array): OnnxNode {
  const n: OnnxNode = { opType: "", inputs: [], outputs: [], attrs: {} };
  for (const f of readFields(b)) {
    if (f.field === 1) n.inputs.push(text(f.v));
    else if (f.field === 2) n.outputs.push(text(f.v));
    else if (f.field === 3) n.name = text(f.v);
    else if (f.field === 4) n.opType = text(f.v);
    else if (f.field === 5) { const [k, a] = readAttr(f.v as Uint8Array); n.attrs![k] = a; }
    else if (f.field === 6) n.docString = text(f.v);
    else if (f.field === 7) n.domain = text(f.v);
  }
  return n;
}
function readGraph(b: Uint8Array): OnnxGraph {
  const g: OnnxGraph = { name: "", nodes: [], inputs: [], outputs: [], initializers: [], valueInfo: [] };
  for (const f of readFields(b)) {
    const v = f.v as Uint8Array;
    if (f.field === 1) g.nodes.push(readNode(v));
    else if (f.field === 2) g.name = text(v);
    else if (f.field === 5) g.initializers.push(readTensor(v));
    else if (f.field === 11) g.inputs.push(readValueInfo(v));
    else if (f.field === 12) g.outputs.push(readValueInfo(v));
    else if (f.field === 13) g.valueInfo!.push(readValueInfo(v));
  }
  return g;
}

/** Parses ONNX protobuf bytes into a model. External-data tensors are not supported. */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const m: OnnxModel = { irVersion: 0, opsets: [], graph: { name: "", nodes: [], inputs: [], outputs: [], initializers: [] } };
  let sawGraph = false;
  for (const f of readFields(bytes)) {
    if (f.field === 1) m.irVersion = num(f.v);
    else if (f.field === 2) m.producerName = text(f.v);
    else if (f.field === 3) m.producerVersion = text(f.v);
    else if (f.field === 7) { m.graph = readGraph(f.v as Uint8Array); sawGraph = true; }
    else if (f.field === 8) {
      const o = { domain: "", version: 0 };
      for (const x of readFields(f.v as Uint8Array)) { if (x.field === 1) o.domain = text(x.v); else if (x.field === 2) o.version = num(x.v); }
      m.opsets.push(o);
    }
  }
  if (!sawGraph) throw new Error("not an ONNX model: no graph field found");
  return m;
}
