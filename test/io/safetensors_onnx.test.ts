/**
 * safetensors written by flowbook are read by a hand-written Python reader (the safetensors package is not in
 * Debian) and vice versa; reads are zero-copy when aligned. flow.onnx.load runs a model exported by
 * torch.onnx.export and agrees with PyTorch.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as flow from "../../src/index";
import { python, assertClose } from "../helpers/torch";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-st-"));

// A reference reader and writer of the format, written from the spec: 8-byte LE length, JSON, data.
const PY_ST = String.raw`
import sys, json, struct, torch
DT = {"F32": torch.float32, "F16": torch.float16, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32,
      "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool, "BF16": torch.bfloat16}
def read(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n]); data = b[8 + n:]
    out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        s, e = v["data_offsets"]
        t = torch.frombuffer(bytearray(data[s:e]), dtype=DT[v["dtype"]]) if e > s else torch.zeros(0, dtype=DT[v["dtype"]])
        out[k] = t.reshape(v["shape"])
    return h, out
def write(p, tensors, meta):
    rev = {v: k for k, v in DT.items()}
    header, blobs, off = {"__metadata__": meta}, [], 0
    for k, t in tensors.items():
        raw = t.contiguous().view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[k] = {"dtype": rev[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw); off += len(raw)
    hb = json.dumps(header).encode(); hb += b" " * ((8 - len(hb) % 8) % 8)
    open(p, "wb").write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))
mode, p = sys.argv[1], sys.argv[2]
if mode == "read":
    h, out = read(p)
    print(json.dumps({"order": [k for k in h if k != "__metadata__"], "meta": h.get("__metadata__"),
        "t": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "data": v.double().flatten().tolist()} for k, v in out.items()}}))
else:
    torch.manual_seed(1)
    ts = {"w": torch.randn(3, 5), "h": torch.randn(4).half(), "bf": torch.randn(3).bfloat16(), "d": torch.randn(2, dtype=torch.float64),
          "l": torch.tensor([1, -2**40]), "b": torch.tensor([True, False, True]), "u": torch.tensor([1, 200], dtype=torch.uint8)}
    write(p, ts, {"format": "pt", "epoch": "4"})
    print(json.dumps({k: v.double().flatten().tolist() for k, v in ts.items()}))
`;

test("flow.save(.safetensors) is read by a Python reader (every dtype, metadata, order)", () => {
  const sd = {
    "layer.weight": flow.tensor([[1.5, -2], [3, 4]]), h: flow.tensor([0.5, 65504], { dtype: "float16" }),
    d: flow.tensor([1e-300, 2], { dtype: "float64" }), l: flow.tensor([3, -(2 ** 40)], { dtype: "int64" }),
    i: flow.tensor([-7], { dtype: "int32" }), c: flow.tensor([-128, 127], { dtype: "int8" }),
    u: flow.tensor([0, 255], { dtype: "uint8" }), b: flow.tensor([true, false], { dtype: "bool" }), e: flow.zeros(0, 4),
  };
  const p = path.join(dir, "mine.safetensors");
  flow.save(sd, p, { metadata: { epoch: "3" } });
  const r = JSON.parse(python(PY_ST, ["read", p]));
  assert.deepEqual(r.order, Object.keys(sd));
  assert.deepEqual(r.meta, { epoch: "3" });
  assert.equal(r.t.h.dtype, "torch.float16"); assert.equal(r.t.l.dtype, "torch.int64"); assert.equal(r.t.b.dtype, "torch.bool");
  assert.deepEqual(r.t["layer.weight"].data, [1.5, -2, 3, 4]);
  assert.deepEqual(r.t.h.data, [0.5, 65504]);
  assert.deepEqual(r.t.l.data, [3, -(2 ** 40)]);
  assert.deepEqual(r.t.c.data, [-128, 127]);
  assert.deepEqual(r.t.b.data, [1, 0]);
  assert.deepEqual(r.t.e.shape, [0, 4]);
  const back = flow.load(p);
  assert.deepEqual(Object.keys(back), Object.keys(sd));
  assert.deepEqual(back.l.tolist(), [3, -(2 ** 40)]);
});

test("a Python-written safetensors file loads (BF16 as bfloat16), zero-copy where aligned", () => {
  const p = path.join(dir, "py.safetensors");
  const want = JSON.parse(python(PY_ST, ["write", p]));
  const f = flow.io.readSafetensors(p);
  assert.deepEqual(f.metadata, { format: "pt", epoch: "4" });
  assert.deepEqual(f.widened, {});
  assert.equal(f.tensors.bf.dtype, "bfloat16");
  assert.equal(f.tensors.h.dtype, "float16");
  for (const [k, vals] of Object.entries(want) as [string, number[]][]) {
    const t = f.tensors[k];
    const got = t.dtype === "float16" ? Array.from(t.toTypedArray() as Uint16Array, halfBits) : t.dtype === "bfloat16" ? Array.from(t.float().toTypedArray() as Float32Array) : Array.from(t.toTypedArray() as ArrayLike<number | bigint>, Number);
    assertClose(got, vals, `safetensors ${k}`, 0, 0);
  }
  // Zero-copy: w (offset 0) and h (offset 60) are aligned and view the one buffer the file was read into;
  // this writer does not order by alignment, so d (float64 at offset 74) had to be copied.
  const w = f.tensors.w.toTypedArray(), h = f.tensors.h.toTypedArray(), d = f.tensors.d.toTypedArray();
  assert.equal(w.buffer, h.buffer, "aligned tensors share the file's buffer");
  assert.notEqual(w.buffer, d.buffer, "a misaligned tensor is copied");
  const mine = flow.io.readSafetensors(path.join(dir, "mine.safetensors")).tensors;
  assert.ok(Object.values(mine).every((t) => t.toTypedArray().buffer === mine.d.toTypedArray().buffer || t.numel() === 0), "flowbook's own files are fully zero-copy");
});

function halfBits(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
}

test("safetensors errors: non-tensor values, corrupt header", () => {
  assert.throws(() => flow.save({ a: flow.zeros(1), epoch: 3 } as never, path.join(dir, "bad.safetensors")), /'epoch' is not a Tensor/);
  const p = path.join(dir, "corrupt.safetensors");
  fs.writeFileSync(p, Buffer.from([255, 255, 0, 0, 0, 0, 0, 0, 1, 2]));
  assert.throws(() => flow.load(p), /corrupt\.safetensors: header length \d+ exceeds the file size/);
  assert.throws(() => flow.save({ a: flow.zeros(1) }, path.join(dir, "x.weird")), /cannot tell the format/);
});

test("flow.onnx.load runs a torch.onnx.export model and matches PyTorch; the graph is data", () => {
  const onnxPath = path.join(dir, "net.onnx");
  const out = JSON.parse(python(String.raw`
import sys, json, torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                          torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 4)).eval()
x = torch.randn(2, 3, 16, 16)
torch.onnx.export(net, x, sys.argv[1], input_names=["image"], output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)
print(json.dumps({"x": x.flatten().tolist(), "y": net(x).flatten().tolist()}))
`, [onnxPath]));
  const m = flow.onnx.load(onnxPath);
  assert.deepEqual(m.inputs, [{ name: "image", dtype: "float32", shape: ["batch", 3, 16, 16] }]);
  assert.equal(m.outputs[0].name, "logits");
  const x = flow.tensor(Float32Array.from(out.x)).reshape([2, 3, 16, 16]);
  const y = m.forward(x) as flow.Tensor;
  assert.deepEqual(y.shape, [2, 4]);
  assertClose(Array.from(y.toTypedArray() as Float32Array), out.y, "onnx forward", 1e-4, 1e-5);
  const counts = m.opCounts();
  assert.ok(counts.Conv >= 1 && counts.Gemm >= 1, JSON.stringify(counts));
  const conv = m.nodes().find((n) => n.opType === "Conv")!;
  assert.deepEqual(conv.attrs.kernel_shape, [3, 3]);
  assert.ok(conv.inputs.slice(1).every((i) => i in m.initializers()), "Conv weights are initializers");
  assert.throws(() => m.forward(flow.zeros(2, 3, 8, 8)), /input 'image' expects shape \[batch, 3, 16, 16\], got \[2, 3, 8, 8\]/);
  assert.throws(() => m.forward(flow.zeros(2, 3, 16, 16, { dtype: "float64" })), /expects float32, got float64/);
  assert.throws(() => flow.onnx.load(path.join(dir, "nope.onnx")), /cannot read .*nope\.onnx/);
  m.dispose();
});
