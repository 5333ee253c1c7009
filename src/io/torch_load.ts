/**
 * Reads PyTorch `torch.save` files without Python: the zip format (PyTorch >= 1.6: `<name>/data.pkl`, a
 * pickle whose persistent ids name storages stored as `<name>/data/<key>`) and the legacy format
 * (`_use_new_zipfile_serialization=False`: magic, protocol and sys-info pickles, the object pickle, a pickle
 * of storage keys, then each storage as an int64 element count and raw bytes).
 *
 * The pickle is run by the restricted machine in ./pickle: only the globals a state dict or checkpoint needs
 * are known (see ALLOWED below); a .pth is code, and anything else is refused by name, never executed.
 */
import { Tensor, stridesOf, numelOf } from "../tensor/tensor";
import { DType, TypedArray, allocArray, viewBytes } from "../tensor/dtype";
import { device } from "../backend/device";
import { ByteSource, ZipReader, looksLikeZip } from "./zip";
import { PyDict, PyGlobal, unpickle } from "./pickle";

/** A loaded value: tensors, numbers, strings, booleans, null, arrays and (nested) records. */
export type Loaded = Tensor | number | bigint | string | boolean | null | Uint8Array | Loaded[] | { [key: string]: Loaded };

/** How a storage class maps to a flowbook dtype; `from` converts a dtype flowbook lacks. */
interface StorageType { name: string; dtype: DType; bytes: number; from?: (raw: Uint8Array) => TypedArray }

const i16ToI32 = (raw: Uint8Array): TypedArray => Int32Array.from(new Int16Array(raw.slice().buffer));

const STORAGES: Record<string, StorageType> = {
  FloatStorage: { name: "FloatStorage", dtype: "float32", bytes: 4 },
  DoubleStorage: { name: "DoubleStorage", dtype: "float64", bytes: 8 },
  HalfStorage: { name: "HalfStorage", dtype: "float16", bytes: 2 },
  LongStorage: { name: "LongStorage", dtype: "int64", bytes: 8 },
  IntStorage: { name: "IntStorage", dtype: "int32", bytes: 4 },
  CharStorage: { name: "CharStorage", dtype: "int8", bytes: 1 },
  ByteStorage: { name: "ByteStorage", dtype: "uint8", bytes: 1 },
  BoolStorage: { name: "BoolStorage", dtype: "bool", bytes: 1 },
  BFloat16Storage: { name: "BFloat16Storage", dtype: "bfloat16", bytes: 2 },
  // flowbook has no int16: widened on load (exact).
  ShortStorage: { name: "ShortStorage", dtype: "int32", bytes: 2, from: i16ToI32 },
};

/** A storage as loaded: one typed array shared by every tensor that views it. */
interface LoadedStorage { type: StorageType; data: TypedArray; shared: { data: TypedArray; version: number } }

const DTYPE_NAMES: Record<string, DType> = {
  float32: "float32", float: "float32", float64: "float64", double: "float64", float16: "float16", half: "float16", bfloat16: "bfloat16",
  int64: "int64", long: "int64", int32: "int32", int: "int32", int8: "int8", uint8: "uint8", bool: "bool",
};

const fn = (call: (args: unknown[]) => unknown, build?: PyGlobal["build"]): PyGlobal => ({ call, build });

/** Rebuilds a tensor from (storage, offset, size, stride): shares the storage when the view is dense. */
export function rebuildTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown, what: string): Tensor {
  if (!isStorage(storage)) throw new Error(`${what}: _rebuild_tensor_v2 got a storage of an unsupported kind`);
  const shape = (size as unknown[]).map(Number), strides = (stride as unknown[]).map(Number), off = Number(offset);
  const n = numelOf(shape);
  const dtype = storage.type.dtype;
  if (n === 0) return Tensor._fromArray(allocArray(dtype, 0), shape, dtype);
  let maxIndex = off;
  shape.forEach((s, i) => { maxIndex += (s - 1) * strides[i]; });
  if (maxIndex >= storage.data.length || strides.some((s) => s < 0)) {
    throw new Error(`${what}: tensor of size [${shape}] stride [${strides}] offset ${off} reaches past its storage of ${storage.data.length} elements`);
  }
  if (isDense(shape, strides)) return new Tensor(shape, dtype, device("cpu"), storage.shared, off);
  return Tensor._fromArray(gather(storage.data, dtype, shape, strides, off), shape, dtype);
}

function isDense(shape: number[], strides: number[]): boolean {
  const want = stridesOf(shape);
  return shape.every((s, i) => s === 1 || strides[i] === want[i]);
}

/** Copies a strided view into a dense row-major array (a transposed or sliced tensor). */
function gather(src: TypedArray, dtype: DType, shape: number[], strides: number[], off: number): TypedArray {
  const n = numelOf(shape), out = allocArray(dtype, n) as Float32Array, s = src as Float32Array;
  const nd = shape.length, idx = new Array<number>(nd).fill(0);
  let p = off;
  for (let i = 0; i < n; i++) {
    out[i] = s[p];
    for (let k = nd - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) { p += strides[k]; break; }
      p -= (shape[k] - 1) * strides[k]; idx[k] = 0;
    }
  }
  return out;
}

function isStorage(x: unknown): x is LoadedStorage {
  return x !== null && typeof x === "object" && "shared" in x && "type" in x;
}

// numpy scalars (a checkpoint's `best_acc = np.float64(...)`): numpy.dtype(descr) + BUILD, then scalar(dtype, bytes).
interface NpDtype { descr: string; little: boolean }
function numpyScalar(args: unknown[], what: string): number | bigint | boolean {
  const [dt, raw] = args as [NpDtype, Uint8Array | string];
  const b = typeof raw === "string" ? Uint8Array.from(raw, (c) => c.charCodeAt(0)) : raw;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength), le = dt.little;
  switch (dt.descr) {
    case "f8": return v.getFloat64(0, le);
    case "f4": return v.getFloat32(0, le);
    case "i8": { const x = v.getBigInt64(0, le); return x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : x; }
    case "i4": return v.getInt32(0, le);
    case "i2": return v.getInt16(0, le);
    case "i1": return v.getInt8(0);
    case "u1": return v.getUint8(0);
    case "u4": return v.getUint32(0, le);
    case "b1": return v.getUint8(0) !== 0;
    default: throw new Error(`${what}: numpy scalar of dtype '${dt.descr}' is not supported`);
  }
}

/** The globals a state dict or training checkpoint needs, and nothing that can run code. */
function allowedGlobals(what: string, rebuild = true): Record<string, PyGlobal> {
  const tensor = (a: unknown[]) => (rebuild ? rebuildTensor(a[0], a[1], a[2], a[3], what) : null);
  const param = (a: unknown[]) => { const t = a[0] as Tensor | null; if (t) t.requiresGrad = !!a[1]; return t; };
  const g: Record<string, PyGlobal> = {
    "collections.OrderedDict": fn(() => new PyDict()),
    "torch._utils._rebuild_tensor_v2": fn(tensor),
    "torch._utils._rebuild_tensor": fn(tensor),
    "torch._utils._rebuild_parameter": fn(param),
    "torch._utils._rebuild_parameter_with_state": fn(param),
    "torch.Size": fn((a) => [...(a[0] as unknown[])]),
    "builtins.set": fn((a) => [...((a[0] as unknown[]) ?? [])]),
    "builtins.frozenset": fn((a) => [...((a[0] as unknown[]) ?? [])]),
    "builtins.complex": fn(() => { throw new Error(`${what}: complex numbers are not supported`); }),
    // Protocol-2 pickles write bytes as _codecs.encode(text, "latin1").
    "_codecs.encode": fn((a) => {
      if (a[1] !== "latin1" && a[1] !== "latin-1") throw new Error(`${what}: _codecs.encode with encoding ${String(a[1])} is not allowed`);
      return Uint8Array.from(String(a[0]), (c) => c.charCodeAt(0));
    }),
    "numpy.dtype": fn((a) => ({ descr: String(a[0]), little: true }), (obj, state) => {
      const o = obj as NpDtype; const s = state as unknown[];
      if (Array.isArray(s) && s[1] === ">") o.little = false;
      return o;
    }),
    "numpy.core.multiarray.scalar": fn((a) => numpyScalar(a, what)),
  };
  for (const [name, st] of Object.entries(STORAGES)) g[`torch.${name}`] = { call: () => { throw new Error(`${what}: a storage class is called directly`); }, ...{ storageType: st } } as PyGlobal;
  for (const [name, dt] of Object.entries(DTYPE_NAMES)) g[`torch.${name}`] = { call: () => { throw new Error(`${what}: torch.${name} is not callable`); }, ...{ dtypeName: dt } } as PyGlobal;
  return g;
}

const REFUSAL = "A .pth file is a program for Python's pickle machine: flowbook never executes it, and rebuilds only tensors, " +
  "(ordered) dicts, lists, tuples, strings and numbers. If this file holds more than a state dict (a whole pickled model " +
  "or custom classes), re-save just the weights in Python: torch.save(model.state_dict(), path), or use safetensors.";

/** Storage class named by a persistent id: torch.FloatStorage etc., or (PyTorch >= 2) an UntypedStorage plus a dtype. */
function storageTypeOf(g: unknown, what: string): StorageType {
  const st = (g as { storageType?: StorageType })?.storageType;
  if (!st) throw new Error(`${what}: unsupported storage type in persistent id`);
  return st;
}

function makeStorage(type: StorageType, raw: Uint8Array, numel: number, what: string, bigEndian = false): LoadedStorage {
  if (raw.byteLength < numel * type.bytes) throw new Error(`${what}: storage holds ${raw.byteLength} bytes, needs ${numel * type.bytes}`);
  let bytes = raw.subarray(0, numel * type.bytes);
  if (bigEndian && type.bytes > 1) bytes = swapBytes(bytes, type.bytes);
  const data = type.from ? type.from(bytes) : viewBytes(type.dtype, bytes);
  return { type, data, shared: { data, version: 0 } };
}

function swapBytes(b: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i += size) for (let k = 0; k < size; k++) out[i + k] = b[i + size - 1 - k];
  return out;
}

/** Converts unpickled values to the public shape: PyDict → plain record (keys as strings, order kept). */
export function toPublic(v: unknown, what: string): Loaded {
  if (v instanceof PyDict) {
    const out: { [key: string]: Loaded } = {};
    for (const [k, x] of v) Object.defineProperty(out, String(k), { value: toPublic(x, what), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (Array.isArray(v)) return v.map((x) => toPublic(x, what));
  if (v instanceof Tensor || v instanceof Uint8Array || v === null || ["number", "bigint", "string", "boolean"].includes(typeof v)) return v as Loaded;
  if (isStorage(v)) return Tensor._fromArray(v.data, [v.data.length], v.type.dtype);
  throw new Error(`${what}: the pickle produced a value flowbook cannot represent`);
}

/** Loads a zip-format torch.save archive. */
function loadZip(src: ByteSource, what: string): Loaded {
  const zip = new ZipReader(src, what);
  try {
    const pkl = zip.names().find((n) => n.endsWith("/data.pkl") && n.split("/").length === 2);
    if (!pkl) throw new Error(`${what}: zip archive has no <name>/data.pkl; is it a torch.save file?`);
    const prefix = pkl.slice(0, -"data.pkl".length);
    const order = zip.entries.has(`${prefix}byteorder`) ? new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim() : "little";
    const storages = new Map<string, LoadedStorage>();
    const persistentLoad = (pid: unknown): LoadedStorage => {
      const [kind, g, key, , numel] = pid as [string, unknown, string, string, number];
      if (kind !== "storage") throw new Error(`${what}: unknown persistent id kind '${kind}'`);
      let s = storages.get(key);
      if (!s) {
        const type = storageTypeOf(g, what);
        s = makeStorage(type, zip.read(`${prefix}data/${key}`), Number(numel), what, order === "big");
        storages.set(key, s);
      }
      return s;
    };
    const { value } = unpickle(zip.read(pkl), { globals: allowedGlobals(what), persistentLoad, what, refusalHint: REFUSAL });
    return toPublic(value, what);
  } finally {
    zip.close();
  }
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/**
 * Loads the legacy (pre-1.6 default) format: a sequence of pickles followed by raw storages. The storages
 * come after the object pickle, so it is read twice: once (rebuilding nothing) to find the storage types and
 * where the pickle ends, then again with the storages in hand.
 */
function loadLegacy(src: ByteSource, what: string): Loaded {
  const b = src.read(0, src.size);
  let p = 0;
  const next = (o: Parameters<typeof unpickle>[1] = { globals: allowedGlobals(what), what, refusalHint: REFUSAL }) => {
    const r = unpickle(b, o, p); p = r.end; return r.value;
  };
  const magic = next();
  if (typeof magic !== "bigint" || magic !== LEGACY_MAGIC) throw new Error(`${what}: not a torch.save file (bad magic number)`);
  const protocol = next();
  if (protocol !== 1001) throw new Error(`${what}: unsupported legacy protocol version ${String(protocol)}`);
  const sysInfo = next();
  if (sysInfo instanceof PyDict && sysInfo.get("little_endian") === false) throw new Error(`${what}: saved on a big-endian machine; re-save it with a current torch.save`);
  const types = new Map<string, StorageType>();
  const objectStart = p;
  next({
    globals: allowedGlobals(what, false), what, refusalHint: REFUSAL,
    persistentLoad: (pid) => {
      const [kind, g, key, , , view] = pid as [string, unknown, string, string, number, unknown[] | null];
      if (kind !== "storage") throw new Error(`${what}: unknown persistent id kind '${kind}'`);
      if (view) throw new Error(`${what}: legacy storage views (from PyTorch < 0.4) are not supported; re-save it with a current torch.save`);
      types.set(String(key), storageTypeOf(g, what));
      return null;
    },
  });
  const keys = next() as unknown[];
  const storages = new Map<string, LoadedStorage>();
  for (const k of keys.map(String)) {
    const type = types.get(k);
    if (!type) throw new Error(`${what}: storage ${k} is not referenced by the pickle`);
    if (p + 8 > b.length) throw new Error(`${what}: file is truncated before storage ${k}`);
    const numel = Number(new DataView(b.buffer, b.byteOffset + p, 8).getBigInt64(0, true)); p += 8;
    const nbytes = numel * type.bytes;
    if (p + nbytes > b.length) throw new Error(`${what}: storage ${k} is truncated`);
    storages.set(k, makeStorage(type, b.subarray(p, p + nbytes), numel, what));
    p += nbytes;
  }
  const { value } = unpickle(b, {
    globals: allowedGlobals(what), what, refusalHint: REFUSAL,
    persistentLoad: (pid) => storages.get(String((pid as unknown[])[2]))!,
  }, objectStart);
  return toPublic(value, what);
}

/**
 * Reads a torch.save file from a ByteSource. Dense tensors view their storage (tensors sharing a storage
 * share memory, as in PyTorch); strided views (`x.t()`, slices) are materialised as dense copies.
 */
export function loadTorch(src: ByteSource, what: string): Loaded {
  const head = src.read(0, Math.min(src.size, 512));
  if (looksLikeZip(head)) return loadZip(src, what);
  if (head[0] === 0x80 && head[2] === 0x8a) return loadLegacy(src, what);
  if (head.length >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === "ustar") {
    throw new Error(`${what}: this is the tar-based format of PyTorch < 0.4; re-save it with a current torch.save (the zip format)`);
  }
  throw new Error(`${what}: not a torch.save file (neither the zip format nor the legacy pickle format)`);
}
