/**
 * Every math op's TypeScript host kernel agrees with its ONNX lowering on the same small inputs (the session
 * path is forced by lowering the op's host size limit to 0 for one call).
 */
import { test } from "node:test";
import { getOp } from "../../src/ops/registry";
import * as flow from "../../src/index";
import { assertClose, randomData, rng } from "../helpers/torch";

let r = rng(7); // re-seeded before each call so both paths see the same inputs
const f32 = (shape: number[], lo = -3, hi = 3) => flow.tensor(Float32Array.from(randomData(r, shape.reduce((a, b) => a * b, 1), lo, hi))).reshape(shape);
const ints = (shape: number[]) => flow.tensor(Int32Array.from(randomData(r, shape.reduce((a, b) => a * b, 1), -9, 9).map(Math.floor))).reshape(shape);

const cases: [string, () => flow.Tensor | flow.Tensor[]][] = [
  ["rsqrt", () => f32([3, 5], 0.1, 3).rsqrt()], ["erf", () => f32([3, 5]).erf()], ["log1p", () => f32([7], -0.5, 3).log1p()],
  ["expm1", () => f32([7]).expm1()], ["log2", () => f32([7], 0.1, 4).log2()], ["log10", () => f32([7], 0.1, 4).log10()],
  ["floor", () => f32([9]).floor()], ["ceil", () => f32([9]).ceil()], ["round", () => f32([9]).mul(2).round()], ["trunc", () => f32([9]).trunc()],
  ["logical_not", () => ints([6]).logicalNot()], ["silu", () => flow.silu(f32([6]))], ["gelu", () => flow.gelu(f32([6]))],
  ["gelu", () => flow.gelu(f32([6]), "tanh")], ["softplus", () => flow.softplus(f32([6], -30, 30), 2, 5)], ["clamp", () => f32([6]).clamp(-1, 0.5)],
  ["ne", () => ints([6]).ne(ints([6]))], ["logical_and", () => ints([2, 3]).logicalAnd(ints([3]))], ["logical_or", () => ints([4]).logicalOr(ints([4]))],
  ["logical_xor", () => ints([4]).logicalXor(ints([4]))], ["fmod", () => f32([2, 4]).fmod(f32([4], 0.5, 2))], ["fmod", () => ints([5]).fmod(3)],
  ["remainder", () => f32([2, 4]).remainder(f32([4], -2, -0.5))], ["remainder", () => ints([5]).remainder(-4)],
  ["floor_divide", () => f32([2, 4]).floorDivide(f32([4], 0.5, 2))], ["floor_divide", () => ints([6]).floorDivide(-4)],
  ["sum", () => f32([3, 4, 5]).sum([0, 2], true)], ["amax", () => f32([3, 4, 5]).amax([1])], ["amin", () => f32([3, 4]).amin()],
  ["prod", () => f32([3, 4], 0.5, 1.5).prod(1)], ["max_dim", () => f32([3, 4, 5]).max(1)], ["min_dim", () => ints([3, 4]).min(0, true)],
  ["argmax", () => f32([3, 4]).argmax(1)], ["argmin", () => f32([3, 4]).argmin(0)], ["cumsum", () => f32([3, 4]).cumsum(1)],
  ["topk", () => f32([3, 6]).topk(3, 1, false)], ["topk", () => f32([5, 3]).sort(0, true)],
  ["matmul", () => f32([3, 4]).matmul(f32([4, 5]))], ["matmul", () => f32([2, 3, 4]).matmul(f32([2, 4, 5]))], ["matmul", () => f32([4]).matmul(f32([4, 2]))],
  ["linear", () => flow.linear(f32([2, 3]), f32([4, 3]), f32([4]))],
];

const flat = (t: flow.Tensor) => Array.from(t.toTypedArray() as ArrayLike<number | bigint>, Number);

cases.forEach(([name, make], k) => {
  test(`host kernel = ONNX lowering: ${name} #${k}`, () => {
    const op = getOp(name) as { hostMaxNumel?: number };
    r = rng(k);
    const host = [make()].flat();
    const saved = Object.getOwnPropertyDescriptor(op, "hostMaxNumel");
    Object.defineProperty(op, "hostMaxNumel", { value: 0, configurable: true, writable: true });
    let ort: flow.Tensor[];
    try { r = rng(k); ort = [make()].flat(); } finally {
      if (saved) Object.defineProperty(op, "hostMaxNumel", saved); else delete op.hostMaxNumel;
    }
    host.forEach((h, i) => assertClose(flat(h), flat(ort[i]), `${name} output ${i} (host vs ONNX Runtime)`, 1e-5, 1e-6));
  });
});
