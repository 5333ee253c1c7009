/**
 * The webgpu backend (ONNX Runtime's WebGPU provider; in CI on Mesa's lavapipe Vulkan driver): every op row of
 * test/core/rows runs on webgpu and must equal the CPU result within float32 tolerance, forward and backward,
 * with results staying on the device between ops.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as flow from "../../src/index";
import { copyStats, transferTo } from "../../src/backend/gpu";
import { OpRow } from "../core/rows/row";
import { assertClose, randomData, rng } from "../helpers/torch";

const available = flow.webgpu.isAvailable();
const skip = available ? false : `webgpu unavailable: ${flow.webgpu.unavailableReason()}`;
const GPU = flow.device("webgpu"), CPU = flow.device("cpu");

test("flow.devices() lists cpu, webgpu and cuda with reasons", () => {
  const ds = flow.devices();
  assert.deepEqual(ds.map((d) => d.name), ["cpu", "webgpu", "cuda"]);
  const cuda = ds.find((d) => d.name === "cuda")!;
  if (!cuda.usable) assert.match(cuda.details, /NVIDIA|CUDA|install/);
  assert.equal(flow.cuda.isAvailable(), cuda.usable);
});

test("an unusable device is an error that says why and how to fix it", () => {
  if (flow.cuda.isAvailable()) return;
  assert.throws(() => flow.zeros(2, { device: "cuda" }), /device 'cuda' cannot be used: .*(NVIDIA|CUDA)/);
  assert.throws(() => flow.zeros(2, { device: "tpu" as never }), /unknown device 'tpu'/);
});

const rowsDir = path.join(__dirname, "..", "core", "rows");
const rows: OpRow[] = fs.readdirSync(rowsDir).filter((f) => f.endsWith(".rows.js")).flatMap((f) => require(path.join(rowsDir, f)).rows);
const FLOATS = new Set(["float32", "float64", "float16"]);

function flat(t: flow.Tensor): number[] {
  const l = t.tolist();
  return Array.isArray(l) ? (l as unknown[]).flat(Infinity).map(Number) : [Number(l)];
}

const r = rng(99);
for (const row of rows) {
  const shapes = row.shapes[0];
  test(`webgpu == cpu: ${row.name}`, { skip }, () => {
    const inputs = shapes.map((shape, i) => {
      const dtype = (Array.isArray(row.dtype) ? row.dtype[i] : row.dtype ?? "float32") as flow.DType;
      const range = (Array.isArray(row.range?.[0]) ? (row.range as [number, number][])[i] : (row.range as [number, number] | undefined)) ?? [-2, 2];
      let data = randomData(r, shape.reduce((a, b) => a * b, 1), range[0], range[1]);
      if (!FLOATS.has(dtype)) data = data.map(Math.floor);
      const grad = FLOATS.has(dtype) && (Array.isArray(row.grad) ? row.grad[i] : !!row.grad);
      return { data, shape, dtype, grad };
    });
    const run = (dev: flow.Tensor["device"]) => {
      const xs = inputs.map((i) => transferTo(flow.tensor(Float64Array.from(i.data), { dtype: i.dtype }).reshape(i.shape), dev).requiresGrad_(i.grad));
      const outs = ([] as flow.Tensor[]).concat(row.flow(flow, ...xs));
      return { xs, outs };
    };
    const cpu = run(CPU), gpu = run(GPU);
    gpu.outs.forEach((o, k) => {
      assert.equal(o.device.name, "webgpu", "results stay on the device");
      assertClose(flat(o), flat(cpu.outs[k]), `${row.name} output ${k}`, 1e-4, 1e-5);
    });
    if (!inputs.some((i) => i.grad)) return;
    const seed = randomData(r, cpu.outs[0].numel());
    cpu.outs[0].backward(flow.tensor(Float64Array.from(seed), { dtype: cpu.outs[0].dtype }).reshape(cpu.outs[0].shape));
    gpu.outs[0].backward(transferTo(flow.tensor(Float64Array.from(seed), { dtype: gpu.outs[0].dtype }).reshape(gpu.outs[0].shape), GPU));
    gpu.xs.forEach((x, k) => {
      if (!inputs[k].grad) return;
      assert.ok(x.grad, `input ${k} got a gradient on webgpu`);
      assertClose(flat(x.grad!), flat(cpu.xs[k].grad!), `${row.name} grad ${k}`, 1e-3, 1e-4);
    });
  });
}

test("an eager chain on webgpu does not copy to the host between ops", { skip }, () => {
  const x = transferTo(flow.tensor([1, 2, 3, 4]), GPU);
  const before = { ...copyStats };
  let y = x;
  for (let i = 0; i < 10; i++) y = y.mul(x).add(x).relu();
  assert.equal(copyStats.deviceToHost, before.deviceToHost, "no device→host copy during the chain");
  assert.ok(copyStats.hostToDevice - before.hostToDevice <= 1, "at most one upload (the scalar-free chain needs none)");
  void flat(y);
  assert.equal(copyStats.deviceToHost, before.deviceToHost + 1, "reading the result copies once");
});
