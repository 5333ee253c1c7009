/**
 * ResNet-18 eager forward (eval: batch norm on running stats) written with flow.nn.functional, against the
 * same functional forward in PyTorch, same run, same thread count. Random weights; the arithmetic is that of
 * torchvision's resnet18.
 *   node dist/bench/nn/resnet18.js [--batch 8] [--reps 5] [--threads N] [--min] [--cpu] [--profile]
 * ratio = PyTorch time / flowbook time (the issue asks for ≥ 0.8).
 */
import { spawnSync } from "child_process";
import * as flow from "../../src/index";
import { observeOps } from "../../src/ops/dispatch";

const argv = process.argv.slice(2);
const arg = (name: string, d: number) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : d; };
const BATCH = arg("batch", 8), REPS = arg("reps", 5), THREADS = arg("threads", 0);
const STAT = argv.includes("--min") ? "min" : "median";
// --cpu: process CPU time (all threads) instead of wall time, steadier on a machine busy with other work.
const CPU = argv.includes("--cpu");
const now = () => { if (!CPU) return performance.now(); const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const F = flow.nn.functional;

const randn = (shape: number[], scale: number) => flow.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => (Math.random() * 2 - 1) * scale)).reshape(shape);
const bn = (c: number) => ({ w: randn([c], 1).abs(), b: randn([c], 0.1), m: randn([c], 0.1), v: randn([c], 1).abs().add(0.5) });
type BN = ReturnType<typeof bn>;
const bnF = (x: flow.Tensor, p: BN) => F.batchNorm(x, p.m, p.v, p.w, p.b);

interface Block { c1: flow.Tensor; b1: BN; c2: flow.Tensor; b2: BN; down?: { c: flow.Tensor; b: BN }; stride: number }
const convW = (cout: number, cin: number, k: number) => randn([cout, cin, k, k], Math.sqrt(2 / (cin * k * k)));
function block(cin: number, cout: number, stride: number): Block {
  return { c1: convW(cout, cin, 3), b1: bn(cout), c2: convW(cout, cout, 3), b2: bn(cout), stride, down: stride !== 1 || cin !== cout ? { c: convW(cout, cin, 1), b: bn(cout) } : undefined };
}
const stem = { c: convW(64, 3, 7), b: bn(64) };
const layers = [[block(64, 64, 1), block(64, 64, 1)], [block(64, 128, 2), block(128, 128, 1)], [block(128, 256, 2), block(256, 256, 1)], [block(256, 512, 2), block(512, 512, 1)]];
const fc = { w: randn([1000, 512], 0.04), b: randn([1000], 0.01) };

function forward(x: flow.Tensor): flow.Tensor {
  let y = F.maxPool2d(bnF(F.conv2d(x, stem.c, null, 2, 3), stem.b).relu(), 3, 2, 1);
  for (const layer of layers) {
    for (const blk of layer) {
      const idn = blk.down ? bnF(F.conv2d(y, blk.down.c, null, blk.stride), blk.down.b) : y;
      const h = bnF(F.conv2d(y, blk.c1, null, blk.stride, 1), blk.b1).relu();
      y = bnF(F.conv2d(h, blk.c2, null, 1, 1), blk.b2).add(idn).relu();
    }
  }
  const pooled = F.adaptiveAvgPool2d(y, 1).reshape(x.shape[0], 512);
  return pooled.matmul(fc.w.transpose(0, 1)).add(fc.b);
}

function torchMs(): number {
  const py = `
import torch, time, sys
import torch.nn.functional as F
batch, reps, threads, stat = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if threads > 0: torch.set_num_threads(threads)
r = lambda *s: torch.randn(*s) * 0.1
bn = lambda c: (torch.rand(c), r(c), r(c), torch.rand(c) + 0.5)
def bnF(x, p): return F.batch_norm(x, p[2], p[3], p[0], p[1])
def block(cin, cout, s): return dict(c1=r(cout, cin, 3, 3), b1=bn(cout), c2=r(cout, cout, 3, 3), b2=bn(cout), s=s, down=(r(cout, cin, 1, 1), bn(cout)) if s != 1 or cin != cout else None)
stem = (r(64, 3, 7, 7), bn(64))
layers = [[block(64, 64, 1), block(64, 64, 1)], [block(64, 128, 2), block(128, 128, 1)], [block(128, 256, 2), block(256, 256, 1)], [block(256, 512, 2), block(512, 512, 1)]]
fc = (r(1000, 512), r(1000))
def fwd(x):
  y = F.max_pool2d(bnF(F.conv2d(x, stem[0], None, 2, 3), stem[1]).relu(), 3, 2, 1)
  for layer in layers:
    for b in layer:
      idn = bnF(F.conv2d(y, b["down"][0], None, b["s"]), b["down"][1]) if b["down"] else y
      h = bnF(F.conv2d(y, b["c1"], None, b["s"], 1), b["b1"]).relu()
      y = (bnF(F.conv2d(h, b["c2"], None, 1, 1), b["b2"]) + idn).relu()
  return F.adaptive_avg_pool2d(y, 1).reshape(x.shape[0], 512) @ fc[0].t() + fc[1]
x = torch.randn(batch, 3, 224, 224)
with torch.no_grad():
  fwd(x); fwd(x)
  ts = []
  for _ in range(reps):
    clk = time.process_time if sys.argv[5] == "cpu" else time.perf_counter
    t0 = clk(); fwd(x); ts.append((clk() - t0) * 1e3)
print(min(ts) if stat == "min" else sorted(ts)[len(ts) // 2], torch.get_num_threads())
`;
  const r = spawnSync("/usr/bin/python3", ["-c", py, String(BATCH), String(REPS), String(THREADS), STAT, CPU ? "cpu" : "wall"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const [ms, th] = r.stdout.trim().split(" ").map(Number);
  torchThreads = th;
  return ms;
}
let torchThreads = 0;

const x = randn([BATCH, 3, 224, 224], 1);
forward(x); forward(x);
if (argv.includes("--profile")) {
  // Per-op time of one forward (the profiler's hook), to see where eager time goes.
  const per = new Map<string, [number, number]>();
  const stop = observeOps({ onOp: (op, _i, _o, ms) => { const e = per.get(op) ?? [0, 0]; per.set(op, [e[0] + 1, e[1] + ms]); } });
  forward(x);
  stop();
  for (const [op, [n, ms]] of [...per].sort((a, b) => b[1][1] - a[1][1])) console.log(`  ${op.padEnd(16)} ${String(n).padStart(3)} calls ${ms.toFixed(1).padStart(8)} ms`);
}
const ts: number[] = [];
for (let i = 0; i < REPS; i++) { const t0 = now(); forward(x); ts.push(now() - t0); }
const flowMs = STAT === "min" ? Math.min(...ts) : [...ts].sort((a, b) => a - b)[Math.floor(ts.length / 2)];
const tMs = torchMs();
console.log(`ResNet-18 eager forward, ${CPU ? "CPU time" : "wall time"}, batch ${BATCH}, 224x224, ${STAT} of ${REPS}; torch threads ${torchThreads}, ORT eager sessions default threads`);
console.log(`framework  ms`);
console.log(`torch      ${tMs.toFixed(1)}`);
console.log(`flowbook   ${flowMs.toFixed(1)}`);
console.log(`ratio torch/flowbook ${(tMs / flowMs).toFixed(2)} (target >= 0.8)`);
