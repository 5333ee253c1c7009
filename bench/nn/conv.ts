/**
 * F.conv2d on ResNet-18's convolution shapes (batch 8, 224×224 input) against PyTorch CPU, measured in the
 * same run with the same thread count, plus the raw single-op ONNX Runtime session at graph optimisation
 * "disabled" (what eager sessions use) and "all", with the weight as an input (as eager conv feeds it) and
 * baked in as initializers (weight and bias): ORT's blocked NCHWc conv kernels (the "all" rewrite on x86) need a constant
 * weight, so only the last column can use them. F.conv2d bakes a weight it sees again at the same storage
 * version (OpDef.bakeInputs), so after the warm-up calls its column runs that way too.
 *   node dist/bench/nn/conv.js [--threads N] [--batch 8] [--reps 10] [--min] [--cpu]
 * Prints a table of medians (or with --min, best times) in ms and ratios; ratio = PyTorch time / flowbook time (≥ 1 means flowbook is faster).
 */
import { spawnSync } from "child_process";
import * as flow from "../../src/index";
import { getOp } from "../../src/ops/registry";
import { OnnxBuilder } from "../../src/ops/builder";
import { encodeModel } from "../../src/onnx/proto";
import { IR_VERSION, OPSET } from "../../src/backend/eager";
import type { ConvAttrs } from "../../src/nn/functional/conv";
import { createSession, ort } from "../../src/backend/ort";

const argv = process.argv.slice(2);
const arg = (name: string, d: number) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : d; };
const BATCH = arg("batch", 8), REPS = arg("reps", 10), THREADS = arg("threads", 0);
// --min reports the best run instead of the median (steadier on a loaded machine).
const STAT = argv.includes("--min") ? "min" : "median";

/** [name, Cin, H, Cout, k, stride, pad, count in ResNet-18] */
const SHAPES: [string, number, number, number, number, number, number, number][] = [
  ["conv1 7x7/2", 3, 224, 64, 7, 2, 3, 1],
  ["layer1 3x3", 64, 56, 64, 3, 1, 1, 4],
  ["layer2 3x3/2", 64, 56, 128, 3, 2, 1, 1],
  ["layer2 3x3", 128, 28, 128, 3, 1, 1, 3],
  ["layer2 down 1x1/2", 64, 56, 128, 1, 2, 0, 1],
  ["layer3 3x3/2", 128, 28, 256, 3, 2, 1, 1],
  ["layer3 3x3", 256, 14, 256, 3, 1, 1, 3],
  ["layer3 down 1x1/2", 128, 28, 256, 1, 2, 0, 1],
  ["layer4 3x3/2", 256, 14, 512, 3, 2, 1, 1],
  ["layer4 3x3", 512, 7, 512, 3, 1, 1, 3],
  ["layer4 down 1x1/2", 256, 14, 512, 1, 2, 0, 1],
];

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
// --cpu measures process CPU time instead of wall time: with --threads 1 it compares kernels even on a
// machine busy with other work (wall time there mostly measures the other work).
const CPU = argv.includes("--cpu");
const now = () => { if (!CPU) return performance.now(); const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
function time(f: () => void): number {
  f(); f();
  const ts: number[] = [];
  for (let i = 0; i < REPS; i++) { const t0 = now(); f(); ts.push(now() - t0); }
  return STAT === "min" ? Math.min(...ts) : median(ts);
}

function torchTimes(): number[] {
  const py = `
import torch, time, json, sys
import torch.nn.functional as F
shapes, batch, reps, threads = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if threads > 0: torch.set_num_threads(threads)
out = []
with torch.no_grad():
  for name, cin, h, cout, k, s, p, n in shapes:
    x = torch.randn(batch, cin, h, h); w = torch.randn(cout, cin, k, k); b = torch.randn(cout)
    F.conv2d(x, w, b, s, p); F.conv2d(x, w, b, s, p)
    ts = []
    for _ in range(reps):
      clk = time.process_time if sys.argv[6] == "cpu" else time.perf_counter
      t0 = clk(); F.conv2d(x, w, b, s, p); ts.append((clk() - t0) * 1e3)
    out.append(min(ts) if sys.argv[5] == 'min' else sorted(ts)[len(ts) // 2])
print(json.dumps({"t": out, "threads": torch.get_num_threads()}))
`;
  const r = spawnSync("/usr/bin/python3", ["-c", py, JSON.stringify(SHAPES), String(BATCH), String(REPS), String(THREADS), STAT, CPU ? "cpu" : "wall"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const j = JSON.parse(r.stdout);
  torchThreads = j.threads;
  return j.t;
}
let torchThreads = 0;

// The raw single-op session, weight fed as an input (as eager conv does) or baked in as initializers (weight and bias): ORT's
// NCHWc rewrite (graph optimisation "all" on x86) only fires for constant weights.
function rawSession(level: "disabled" | "all", bake: boolean, x: flow.Tensor, w: flow.Tensor, b: flow.Tensor, attrs: ConvAttrs): () => void {
  const op = getOp("conv");
  const out = op.infer([x, w, b], attrs)[0];
  const bld = new OnnxBuilder();
  const wName = bake ? bld.rawInitializer("w", "float32", w.shape, new Uint8Array((w.toTypedArray() as Float32Array).slice().buffer)) : "w";
  const bName = bake ? bld.rawInitializer("b", "float32", b.shape, new Uint8Array((b.toTypedArray() as Float32Array).slice().buffer)) : "b";
  const y = op.lower(bld, ["x", wName, bName], attrs, [x, w, b], [out])[0];
  const inputs = [{ name: "x", dtype: x.dtype, dims: x.shape }, ...(bake ? [] : [{ name: "w", dtype: w.dtype, dims: w.shape }, { name: "b", dtype: b.dtype, dims: b.shape }])];
  const bytes = encodeModel({ irVersion: IR_VERSION, opsets: [{ domain: "", version: OPSET }, { domain: "com.microsoft", version: 1 }], producerName: "bench", graph: { name: "conv", nodes: bld.nodes, initializers: bld.initializers, inputs, outputs: [{ name: y, dtype: out.dtype, dims: [...out.shape] }] } });
  const s = createSession(bytes, { executionProviders: ["cpu"], graphOptimizationLevel: level, intraOpNumThreads: THREADS, extra: { session: { intra_op: { allow_spinning: "0" } } } } as never, "bench conv");
  const T = ort().Tensor;
  const feeds: Record<string, unknown> = { x: new T("float32", x.toTypedArray(), x.shape) };
  if (!bake) { feeds.w = new T("float32", w.toTypedArray(), w.shape); feeds.b = new T("float32", b.toTypedArray(), b.shape); }
  const outName = s.outputMetadata[0].name;
  return () => { s.run(feeds as never, { [outName]: null }, {}); };
}

const F = flow.nn.functional;
const torchMs = torchTimes();
const rows: string[][] = [];
let totT = 0, totF = 0;
SHAPES.forEach(([name, cin, h, cout, k, s, p, n], i) => {
  const x = flow.tensor(new Float32Array(BATCH * cin * h * h).map(() => Math.random() * 2 - 1)).reshape(BATCH, cin, h, h);
  const w = flow.tensor(new Float32Array(cout * cin * k * k).map(() => Math.random() * 0.2 - 0.1)).reshape(cout, cin, k, k);
  const b = flow.tensor(new Float32Array(cout).map(() => Math.random()));
  const attrs = { stride: [s, s], pads: [p, p, p, p], dilation: [1, 1], groups: 1 };
  const fMs = time(() => F.conv2d(x, w, b, s, p));
  const dis = time(rawSession("disabled", false, x, w, b, attrs));
  const all = time(rawSession("all", false, x, w, b, attrs));
  const baked = time(rawSession("all", true, x, w, b, attrs));
  totT += torchMs[i] * n; totF += fMs * n;
  rows.push([name, `${cin}→${cout} ${h}²`, torchMs[i].toFixed(2), fMs.toFixed(2), dis.toFixed(2), all.toFixed(2), baked.toFixed(2), (torchMs[i] / fMs).toFixed(2)]);
});
rows.push(["ResNet-18 convs (weighted)", "", totT.toFixed(1), totF.toFixed(1), "", "", "", (totT / totF).toFixed(2)]);
const head = ["shape", "channels", "torch ms", "F.conv2d ms", "ORT disabled", "ORT all", "ORT all+const w,b", "torch/flow"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ");
console.log(`${CPU ? "CPU time" : "wall time"}, batch ${BATCH}, ${STAT === "min" ? "best" : "medians"} of ${REPS}, torch threads ${torchThreads}, ORT intraOpNumThreads ${THREADS || "default"}`);
console.log(line(head));
rows.forEach((r) => console.log(line(r)));
