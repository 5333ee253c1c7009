/**
 * ResNet benches of nn.Graph on CPU (issue 4, "Speed"), everything measured in one run:
 *  1. ResNet-50 inference, batch 1 and 16: flowbook graph mode vs raw onnxruntime-node on PyTorch's own ONNX
 *     export of the same model (same random weights, loaded into flowbook from the .pth), vs PyTorch eager.
 *  2. ResNet-18 training step, batch 16 (SGD momentum 0.9, cross-entropy): graph vs flowbook eager vs PyTorch eager.
 *  3. ResNet-101 compile time (trace + passes + lowering + emit + ONNX Runtime session), target < 5 s, next to
 *     the time ONNX Runtime alone takes to create a session from PyTorch's export.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/graph/resnet_bench.js` (env: WARMUP, REPEAT, RESNET_DIR,
 * SKIP_TORCH=1, ONLY=infer|train|compile). Needs /usr/bin/python3 with torch + torchvision for the export.
 * Timings alternate between the implementations in rounds (graph, ORT, graph, ORT, ...) so machine load hits both;
 * each timed call follows an untimed one of the same implementation (see rounds: ORT pool threads spin after a run).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import * as flow from "../../src/index";
import { Graph } from "../../src/graph/index";
import type { Tensor } from "../../src/tensor/tensor";
import { stats, TimingStats } from "../../src/profiler/measure";
import { resnet } from "./resnet";

const PY = "/usr/bin/python3";
const HERE = path.resolve(__dirname, "../../../bench/graph");
const DIR = process.env.RESNET_DIR ?? path.join(os.tmpdir(), "flowbook-bench-resnet");
const WARMUP = Number(process.env.WARMUP ?? 2), REPEAT = Number(process.env.REPEAT ?? 5);
const ONLY = process.env.ONLY ?? "";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require("onnxruntime-node") as typeof import("onnxruntime-node");

const ms = (t: TimingStats) => `${t.median.toFixed(1)} ms (${t.min.toFixed(1)}–${t.max.toFixed(1)})`;
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");

function table(head: string[], rows: string[][]): string {
  const w = head.map((_, i) => Math.max(...[head, ...rows].map((r) => (r[i] ?? "").length)));
  const f = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [f(head), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(f)].join("\n");
}

/**
 * Alternating rounds: warm each, then `repeat` rounds timing each function once per round. Each timed call follows
 * an untimed one of the same function: ONNX Runtime's pool threads keep spinning for tens of milliseconds after a
 * run (allow_spinning, on by default), so the first call after another session's run competes with that session's
 * spinning threads for the cores (measured: ResNet-50 b1 on 2 cores 42 ms alone, 75-87 ms right after another
 * session) -- alternating without the settling call measured the interference, not the implementations.
 */
async function rounds(fns: Record<string, () => unknown>, warmup: number, repeat: number): Promise<Record<string, TimingStats>> {
  const t: Record<string, number[]> = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let i = 0; i < warmup; i++) for (const f of Object.values(fns)) await f();
  for (let i = 0; i < repeat; i++) for (const [k, f] of Object.entries(fns)) { await f(); const t0 = performance.now(); await f(); t[k].push(performance.now() - t0); }
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stats(v)]));
}

function ensureExport(): void {
  if (["resnet18.pth", "resnet50.pth", "resnet101.pth", "resnet50.onnx", "resnet101.onnx"].every((f) => fs.existsSync(path.join(DIR, f)))) return;
  console.log(`exporting torchvision ResNets (random weights) with PyTorch into ${DIR} ...`);
  execFileSync(PY, [path.join(HERE, "torch_resnet.py"), "export", DIR], { stdio: "inherit" });
}

function loaded(arch: "resnet18" | "resnet50" | "resnet101") {
  const { model, source } = resnet(arch);
  const sd = flow.load(path.join(DIR, `${arch}.pth`));
  model.loadStateDict(sd);
  return { model, source };
}

function input(b: number): Tensor {
  flow.manualSeed(b);
  return flow.randn(b, 3, 224, 224);
}

async function inference(torch: Record<string, TimingStats> | null): Promise<void> {
  const { model, source } = loaded("resnet50");
  model.eval();
  class Infer extends Graph { model = model; build(x: Tensor) { return this.model(x); } }
  const plain = new Infer();
  const fused = new Infer();
  fused.config.allowFuseConvBn(true).allowFusePadToConv(true).allowFuseAddToOutput(true);
  const sess = await ort.InferenceSession.create(path.join(DIR, "resnet50.onnx"));
  console.log(`\n== ResNet-50 inference, CPU (model: ${source}; ORT: PyTorch ${"torch.onnx.export"} opset 17, default session options) load ${load()}`);
  const rows: string[][] = [];
  for (const b of [1, 16]) {
    const x = input(b);
    const feed = { input: new ort.Tensor("float32", x.toTypedArray() as Float32Array, [...x.shape]) };
    const yg = plain(x) as Tensor, yf = fused(x) as Tensor;
    const yo = (await sess.run(feed)).logits.data as Float32Array;
    const diff = (y: Tensor) => { const a = y.toTypedArray() as Float32Array; let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - yo[i])); return m; };
    console.log(`batch ${b}: compile ${plain.lastCompiled()!.times.totalMs.toFixed(0)} ms (graph), ${fused.lastCompiled()!.times.totalMs.toFixed(0)} ms (graph + fusions); max |graph − ORT(torch export)| = ${diff(yg).toExponential(2)}, fused ${diff(yf).toExponential(2)}`);
    const r = await rounds({ graph: () => plain(x), fused: () => fused(x), ort: () => sess.run(feed) }, WARMUP, REPEAT);
    const tt = torch?.[`resnet50_infer_b${b}`];
    const ips = (t: TimingStats) => ((b * 1000) / t.median).toFixed(1);
    rows.push([`b${b} flowbook graph`, ms(r.graph), ips(r.graph), (r.ort.median / r.graph.median).toFixed(2), tt ? (tt.median / r.graph.median).toFixed(2) : "—"]);
    rows.push([`b${b} flowbook graph + fusions`, ms(r.fused), ips(r.fused), (r.ort.median / r.fused.median).toFixed(2), tt ? (tt.median / r.fused.median).toFixed(2) : "—"]);
    rows.push([`b${b} raw onnxruntime-node (torch export)`, ms(r.ort), ips(r.ort), "1.00", tt ? (tt.median / r.ort.median).toFixed(2) : "—"]);
    rows.push([`b${b} PyTorch eager ${torch ? "" : "(skipped)"}`, tt ? ms(tt) : "—", tt ? ips(tt) : "—", tt ? (r.ort.median / tt.median).toFixed(2) : "—", "1.00"]);
  }
  console.log(table(["ResNet-50 inference", "median (min–max)", "images/s", "× raw ORT", "× PyTorch"], rows));
  console.log(`(× = speed relative to that column's implementation: > 1 is faster; flowbook target ≥ 0.95× raw ORT and > 1× PyTorch) load ${load()}`);
  plain.clearCache(); fused.clearCache(); await sess.release();
}

function training(torch: Record<string, TimingStats> | null): void {
  const { model, source } = loaded("resnet18");
  model.train();
  const b = 16;
  const x = input(b), y = flow.randint(0, 1000, [b]);
  const lossFn = new flow.nn.CrossEntropyLoss();
  const eagerOpt = new flow.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  console.log(`\n== ResNet-18 training step, batch ${b}, CPU (model: ${source}; SGD momentum 0.9, cross-entropy) load ${load()}`);
  const eagerStep = () => { eagerOpt.zeroGrad(); const l = lossFn(model(x), y); l.backward(); eagerOpt.step(); return l; };
  const rows: string[][] = [];
  let eager: TimingStats | null = null, graph: TimingStats | null = null;
  try {
    const t0 = performance.now(); eagerStep(); const first = performance.now() - t0;
    const t: number[] = [first];
    for (let i = 1; i < Math.max(2, Math.ceil(REPEAT / 2)); i++) { const s = performance.now(); eagerStep(); t.push(performance.now() - s); }
    eager = stats(t.slice(1));
    console.log(`flowbook eager: first step ${first.toFixed(0)} ms (creates one ORT session per op shape), then ${ms(eager)}`);
  } catch (e) { console.log(`flowbook eager step failed: ${(e as Error).message.split("\n")[0]}`); }
  try {
    const opt = new flow.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    class Train extends Graph {
      model = model;
      constructor() { super(); this.addOptimizer(opt); }
      build(a: Tensor, t: Tensor) { const l = lossFn(this.model(a), t); l.backward(); return l; }
    }
    const g = new Train();
    g(x, y);
    console.log(`graph compile ${g.lastCompiled()!.times.totalMs.toFixed(0)} ms`);
    const t: number[] = [];
    for (let i = 0; i < WARMUP; i++) g(x, y);
    for (let i = 0; i < REPEAT; i++) { const s = performance.now(); g(x, y); t.push(performance.now() - s); }
    graph = stats(t);
    g.clearCache();
  } catch (e) { console.log(`graph training step: not measured: ${(e as Error).message.split("\n")[0].slice(0, 300)}`); }
  const tt = torch?.resnet18_train_b16 ?? null;
  const ips = (t: TimingStats | null) => (t ? ((b * 1000) / t.median).toFixed(1) : "—");
  const rel = (t: TimingStats | null, ref: TimingStats | null) => (t && ref ? (ref.median / t.median).toFixed(2) : "—");
  rows.push(["flowbook graph", graph ? ms(graph) : "not measured", ips(graph), rel(graph, eager), rel(graph, tt)]);
  rows.push(["flowbook eager", eager ? ms(eager) : "not measured", ips(eager), "1.00", rel(eager, tt)]);
  rows.push(["PyTorch eager", tt ? ms(tt) : "—", ips(tt), rel(tt, eager), "1.00"]);
  console.log(table(["ResNet-18 train step b16", "median (min–max)", "images/s", "× flowbook eager", "× PyTorch"], rows));
  console.log(`(target: graph ≥ 1.2× flowbook eager) load ${load()}`);
}

async function compileTime(): Promise<void> {
  const { model, source } = loaded("resnet101");
  model.eval();
  console.log(`\n== ResNet-101 compile time, batch 1 (model: ${source}) load ${load()}`);
  const rows: string[][] = [];
  const x = input(1);
  for (let i = 0; i < 2; i++) {
    class Infer extends Graph { model = model; build(a: Tensor) { return this.model(a); } }
    const g = new Infer();
    g(x);
    const t = g.lastCompiled()!.times;
    rows.push([`flowbook graph (run ${i + 1})`, t.traceMs.toFixed(0), t.passesMs.toFixed(0), t.lowerMs.toFixed(0), t.emitMs.toFixed(0), t.sessionMs.toFixed(0), t.totalMs.toFixed(0)]);
    g.clearCache();
  }
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const s = await ort.InferenceSession.create(path.join(DIR, "resnet101.onnx"));
    const sMs = performance.now() - t0;
    rows.push([`ORT session alone, torch export (run ${i + 1})`, "—", "—", "—", "—", sMs.toFixed(0), sMs.toFixed(0)]);
    await s.release();
  }
  console.log(table(["ResNet-101 compile", "trace ms", "passes ms", "lower ms", "emit ms", "session ms", "total ms"], rows));
  console.log(`(target: flowbook total < 5000 ms) load ${load()}`);
}

function torchTimes(): Record<string, TimingStats> | null {
  if (process.env.SKIP_TORCH) return null;
  try {
    const out = execFileSync(PY, [path.join(HERE, "torch_resnet.py"), "time", DIR, String(WARMUP), String(REPEAT)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const j = JSON.parse(out.trim().split("\n").pop()!);
    console.log(`PyTorch ${j.torch} eager, ${j.threads} threads: measured (load ${load()})`);
    return j;
  } catch (e) { console.log(`PyTorch timings skipped: ${(e as Error).message.split("\n")[0]}`); return null; }
}

async function main(): Promise<void> {
  console.log(`resnet_bench: ${os.cpus().length} CPUs, node ${process.version}, onnxruntime-node ${require("onnxruntime-node/package.json").version}, WARMUP=${WARMUP} REPEAT=${REPEAT}; uptime: ${execFileSync("uptime", { encoding: "utf8" }).trim()}`);
  ensureExport();
  const torch = !ONLY || ONLY !== "compile" ? torchTimes() : null;
  if (!ONLY || ONLY === "infer") await inference(torch);
  if (!ONLY || ONLY === "train") training(torch);
  if (!ONLY || ONLY === "compile") await compileTime();
  console.log(`\nuptime: ${execFileSync("uptime", { encoding: "utf8" }).trim()}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
