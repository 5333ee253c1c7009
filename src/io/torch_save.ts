/**
 * Writes torch.save's zip format, loadable by `torch.load` (PyTorch >= 1.6): `archive/data.pkl` is a
 * protocol-2 pickle that names only `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` and the
 * `torch.*Storage` classes; `archive/data/<key>` holds each storage (64-byte aligned); `archive/version` is 3.
 * Tensors that share a flowbook storage are written once, as views of one storage, like PyTorch does.
 */
import { Tensor, stridesOf } from "../tensor/tensor";
import { DType, TypedArray } from "../tensor/dtype";
import { ZipWriter } from "./zip";
import type { Loaded } from "./torch_load";

const STORAGE_NAME: Record<DType, string> = {
  float32: "FloatStorage", float64: "DoubleStorage", float16: "HalfStorage", bfloat16: "BFloat16Storage", int64: "LongStorage",
  int32: "IntStorage", int8: "CharStorage", uint8: "ByteStorage", bool: "BoolStorage",
};

/** Values flow.save can write to a .pth: what flow.load returns. */
export type Savable = Loaded;

class Pickler {
  private out: number[] = [];
  readonly storages = new Map<object, { key: string; data: TypedArray; dtype: DType }>();

  byte(...b: number[]) { for (const x of b) this.out.push(x); }
  u32(n: number) { this.byte(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff); }
  raw(b: Uint8Array) { for (const x of b) this.out.push(x); }
  global(module: string, name: string) { this.byte(0x63); this.raw(new TextEncoder().encode(`${module}\n${name}\n`)); }
  str(s: string) { const b = new TextEncoder().encode(s); this.byte(0x58); this.u32(b.length); this.raw(b); }
  int(v: number | bigint) {
    if (typeof v === "number" && v >= 0 && v < 256) return this.byte(0x4b, v);
    if (typeof v === "number" && v >= -(2 ** 31) && v < 2 ** 31) { this.byte(0x4a); return this.u32(v >>> 0); }
    let x = BigInt(v); const bytes: number[] = [];
    while (x !== 0n && x !== -1n) { bytes.push(Number(x & 0xffn)); x >>= 8n; }
    // Two's complement needs a sign byte when the top bit disagrees with the sign.
    const neg = BigInt(v) < 0n;
    if (!bytes.length || ((bytes[bytes.length - 1] & 0x80) !== 0) !== neg) bytes.push(neg ? 0xff : 0);
    this.byte(0x8a, bytes.length, ...bytes);
  }
  float(v: number) { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, v, false); this.byte(0x47); this.raw(b); }
  tuple(items: (() => void)[]) { this.byte(0x28); items.forEach((f) => f()); this.byte(0x74); }

  value(v: Savable, path: string): void {
    if (v === null) return this.byte(0x4e);
    if (typeof v === "boolean") return this.byte(v ? 0x88 : 0x89);
    if (typeof v === "bigint") return this.int(v);
    if (typeof v === "number") return Number.isInteger(v) ? this.int(v) : this.float(v);
    if (typeof v === "string") return this.str(v);
    if (v instanceof Tensor) return this.tensor(v, path);
    if (v instanceof Uint8Array) throw new TypeError(`flow.save(.pth): '${path}' is raw bytes; put them in a uint8 tensor`);
    if (Array.isArray(v)) {
      this.byte(0x5d, 0x28);
      v.forEach((x, i) => this.value(x, `${path}[${i}]`));
      return this.byte(0x65);
    }
    if (typeof v === "object") {
      this.global("collections", "OrderedDict"); this.byte(0x29, 0x52, 0x28);
      for (const [k, x] of Object.entries(v)) { this.str(k); this.value(x, path ? `${path}.${k}` : k); }
      return this.byte(0x75);
    }
    throw new TypeError(`flow.save(.pth): '${path}' is a ${typeof v}, which a .pth cannot hold`);
  }

  tensor(t: Tensor, path: string): void {
    t._host(`flow.save of '${path}'`);
    const st = t._storage!;
    let s = this.storages.get(st);
    if (!s) { s = { key: String(this.storages.size), data: st.data, dtype: t.dtype }; this.storages.set(st, s); }
    const entry = s;
    if (entry.dtype !== t.dtype) throw new Error(`flow.save(.pth): '${path}' views a storage as ${t.dtype} that another tensor views as ${entry.dtype}`);
    this.global("torch._utils", "_rebuild_tensor_v2");
    this.tuple([
      () => { this.tuple([() => this.str("storage"), () => this.global("torch", STORAGE_NAME[t.dtype]), () => this.str(entry.key), () => this.str("cpu"), () => this.int(entry.data.length)]); this.byte(0x51); },
      () => this.int(t._offset),
      () => this.tuple(t.shape.map((d) => () => this.int(d))),
      () => this.tuple(stridesOf(t.shape).map((d) => () => this.int(d))),
      () => this.byte(0x89),
      () => { this.global("collections", "OrderedDict"); this.byte(0x29, 0x52); },
    ]);
    this.byte(0x52);
  }

  finish(v: Savable): Uint8Array {
    this.byte(0x80, 2);
    this.value(v, "");
    this.byte(0x2e);
    return Uint8Array.from(this.out);
  }
}

/** Writes `obj` (a state dict, or a checkpoint of nested records, arrays, numbers and strings) as a .pth. */
export function saveTorch(obj: Savable, path: string): void {
  const p = new Pickler();
  const pkl = p.finish(obj);
  const zip = new ZipWriter(path);
  try {
    zip.add("archive/data.pkl", pkl);
    for (const { key, data } of p.storages.values()) zip.add(`archive/data/${key}`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    zip.add("archive/version", new TextEncoder().encode("3\n"));
  } finally {
    zip.close();
  }
}
