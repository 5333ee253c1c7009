/**
 * Printing parity: each tensor is printed by flowbook and by PyTorch (same values, shape and dtype) and the
 * strings must be identical, up to the module name in `dtype=flow.float16` / `dtype=torch.float16`.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { python } from "../helpers/torch";

interface Case { name: string; data: number[]; shape: number[]; dtype?: string; grad?: boolean }

const range = (n: number, f: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => f(i));
const cases: Case[] = [
  { name: "int64 vector", data: [1, 2, 3], shape: [3], dtype: "int64" },
  { name: "negative ints 2-D", data: [-10, 2, 300, 4, -5, 6], shape: [2, 3], dtype: "int64" },
  { name: "floats", data: [1.5, -2.25, 3.125, 4], shape: [2, 2] },
  { name: "int-valued floats", data: [1, 2, -3], shape: [3] },
  { name: "fixed 4 digits", data: [0.1, 0.123456, -12.5, 3.14159265], shape: [4] },
  { name: "sci mode small", data: [1e-5, 1, 2.5], shape: [3] },
  { name: "sci mode wide range", data: [1, 1234567.5, 0.5], shape: [3] },
  { name: "sci int-valued huge", data: [1e9, 2, 3], shape: [3] },
  { name: "nan inf zero", data: [-1.5, NaN, Infinity, -Infinity, 0], shape: [5] },
  { name: "only nan inf", data: [NaN, Infinity], shape: [2] },
  { name: "all zeros", data: [0, 0, 0, 0], shape: [2, 2] },
  { name: "negative zero", data: [-0, 1], shape: [2] },
  { name: "half-even ties", data: [1.03125, 2.00005, 0.15625, -1.03125], shape: [4], dtype: "float64" },
  { name: "float16", data: [0.1, 0.2, 1000, -3], shape: [2, 2], dtype: "float16" },
  { name: "float64", data: [1 / 3, 2 / 3], shape: [2], dtype: "float64" },
  { name: "int32", data: [7, -8], shape: [2], dtype: "int32" },
  { name: "uint8", data: [0, 255, 17], shape: [3], dtype: "uint8" },
  { name: "int8", data: [-128, 127], shape: [1, 2], dtype: "int8" },
  { name: "bool", data: [1, 0, 1, 1], shape: [2, 2], dtype: "bool" },
  { name: "0-d float", data: [3.5], shape: [] },
  { name: "0-d int", data: [-42], shape: [], dtype: "int64" },
  { name: "0-d float16", data: [0.3333], shape: [], dtype: "float16" },
  { name: "0-d bool", data: [0], shape: [], dtype: "bool" },
  { name: "empty 1-D", data: [], shape: [0] },
  { name: "empty 2-D", data: [], shape: [0, 3] },
  { name: "empty int64", data: [], shape: [2, 0], dtype: "int64" },
  { name: "empty 1-D int64", data: [], shape: [0], dtype: "int64" },
  { name: "requires grad", data: [1, 2.5], shape: [2], grad: true },
  { name: "long row wraps", data: range(30, (i) => i * 1.5 - 7), shape: [30] },
  { name: "long int row wraps", data: range(40, (i) => i * 1001), shape: [2, 20], dtype: "int64" },
  { name: "summarised 1-D", data: range(1001, (i) => i / 3), shape: [1001] },
  { name: "summarised 2-D", data: range(2000, (i) => (i % 97) / 7 - 5), shape: [40, 50] },
  { name: "summarised 3-D int", data: range(3000), shape: [10, 15, 20], dtype: "int64" },
  { name: "summarised 3-D sci", data: range(1500, (i) => (i + 1) * 1e-3 * ((i % 3) - 1)), shape: [15, 10, 10] },
  { name: "4-D", data: range(24, (i) => i / 8), shape: [2, 3, 2, 2] },
  { name: "wide float16 suffix wraps", data: range(12, (i) => i * 111.11), shape: [12], dtype: "float16" },
];

const enc = (v: number) => (Object.is(v, -0) ? "-0" : Number.isFinite(v) ? v : String(v)); // JSON has no NaN, inf or -0
const script = `
import json, sys, torch
cases = json.load(sys.stdin)
out = []
for c in cases:
    data = [float(v) if isinstance(v, str) else v for v in c["data"]]
    t = torch.tensor(data, dtype=torch.float64).to(getattr(torch, c.get("dtype") or "float32")).reshape(c["shape"])
    if c.get("grad"):
        t.requires_grad_(True)
    out.append(repr(t))
print(json.dumps(out))
`;
const want: string[] = JSON.parse(python(script, [], JSON.stringify(cases.map((c) => ({ ...c, data: c.data.map(enc) })))));

cases.forEach((c, i) => {
  test(`print: ${c.name}`, () => {
    let t = flow.tensor(Float64Array.from(c.data), { dtype: (c.dtype ?? "float32") as flow.DType }).reshape(c.shape).detach();
    if (c.grad) t = t.requiresGrad_();
    assert.equal(t.toString(), want[i].replace(/torch\./g, "flow."));
  });
});

test("print: setPrintOptions precision and sciMode", () => {
  const t = flow.tensor([1.23456, 2.5]);
  try {
    flow.setPrintOptions({ precision: 2 });
    assert.equal(t.toString(), "tensor([1.23, 2.50])");
    flow.setPrintOptions({ sciMode: true });
    assert.equal(t.toString(), "tensor([1.23e+00, 2.50e+00])");
  } finally {
    flow.setPrintOptions({ profile: "default", sciMode: null });
  }
  assert.equal(t.toString(), "tensor([1.2346, 2.5000])");
});
