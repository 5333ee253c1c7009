/**
 * Eager per-op cost, flowbook vs PyTorch CPU, measured in the same run: `node dist/bench/ops/overhead.js`.
 * Each op is timed in calibrated batches (a batch lasts ≥ 4 ms), 15 batches, median seconds per call; PyTorch
 * runs the same shapes in /usr/bin/python3 (bench/ops/torch_ops.py). Ratio = flowbook / PyTorch (lower is
 * better; the goal for `add 16` is ≤ 3).
 */
import { spawn } from "child_process";
import * as os from "os";
import * as readline from "readline";
import * as path from "path";
import * as flow from "../../src/index";

interface Spec { name: string; inputs: number[][]; grad?: boolean; flow: (...x: flow.Tensor[]) => unknown; torch: string }

const specs: Spec[] = [
  { name: "add 16 floats", inputs: [[16], [16]], flow: (a, b) => a.add(b), torch: "a + b" },
  { name: "mul scalar 16", inputs: [[16]], flow: (a) => a.mul(2), torch: "a * 2" },
  { name: "relu 16", inputs: [[16]], flow: (a) => a.relu(), torch: "a.relu()" },
  { name: "sum 16", inputs: [[16]], flow: (a) => a.sum(), torch: "a.sum()" },
  { name: "gelu 16", inputs: [[16]], flow: (a) => flow.gelu(a), torch: "F.gelu(a)" },
  { name: "amax dim 4x4", inputs: [[4, 4]], flow: (a) => a.amax(1), torch: "a.amax(1)" },
  { name: "matmul 8x8", inputs: [[8, 8], [8, 8]], flow: (a, b) => a.matmul(b), torch: "a @ b" },
  { name: "matmul 64x64", inputs: [[64, 64], [64, 64]], flow: (a, b) => a.matmul(b), torch: "a @ b" },
  { name: "matmul 256x256", inputs: [[256, 256], [256, 256]], flow: (a, b) => a.matmul(b), torch: "a @ b" },
  { name: "linear 64x128->64", inputs: [[64, 128], [64, 128], [64]], flow: (x, w, b) => flow.linear(x, w, b), torch: "F.linear(a, b, c)" },
  { name: "add 1M", inputs: [[1000, 1000], [1000, 1000]], flow: (a, b) => a.add(b), torch: "a + b" },
  { name: "relu 1M", inputs: [[1000, 1000]], flow: (a) => a.relu(), torch: "a.relu()" },
  { name: "exp 1M", inputs: [[1000, 1000]], flow: (a) => a.exp(), torch: "a.exp()" },
  { name: "gelu 1M", inputs: [[1000, 1000]], flow: (a) => flow.gelu(a), torch: "F.gelu(a)" },
  { name: "sum 1M", inputs: [[1000, 1000]], flow: (a) => a.sum(), torch: "a.sum()" },
  { name: "mean dim 1M", inputs: [[1000, 1000]], flow: (a) => a.mean(1), torch: "a.mean(1)" },
  { name: "max dim 1M", inputs: [[1000, 1000]], flow: (a) => a.max(1), torch: "a.max(1)" },
  { name: "sort 1000x100", inputs: [[1000, 100]], flow: (a) => a.sort(), torch: "a.sort()" },
  { name: "einsum bhqd,bhkd->bhqk", inputs: [[2, 4, 64, 32], [2, 4, 64, 32]], flow: (a, b) => flow.einsum("bhqd,bhkd->bhqk", a, b), torch: "torch.einsum('bhqd,bhkd->bhqk', a, b)" },
  {
    name: "MLP step fwd+bwd 32x64", inputs: [[32, 64], [64, 64], [10, 64]], grad: true,
    flow: (x, w1, w2) => { flow.linear(flow.linear(x, w1).relu(), w2).logsumexp(1).mean().backward(); w1.grad = null; w2.grad = null; x.grad = null; },
    torch: "F.linear(F.linear(a, b).relu(), c).logsumexp(1).mean().backward(); a.grad = None; b.grad = None; c.grad = None",
  },
];

function medianTime(fn: () => unknown, target = 0.004, reps = 15): number {
  for (let i = 0; i < 3; i++) fn();
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    if ((performance.now() - t0) / 1000 >= target || n >= 1 << 20) break;
    n *= 2;
  }
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    times.push((performance.now() - t0) / 1000 / n);
  }
  return times.sort((a, b) => a - b)[reps >> 1];
}

function randn(shape: number[], grad: boolean): flow.Tensor {
  const n = shape.reduce((a, b) => a * b, 1), d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return flow.tensor(d).reshape(shape).detach().requiresGrad_(grad);
}

const fmt = (s: number) => (s < 1e-3 ? `${(s * 1e6).toFixed(2)} µs` : `${(s * 1e3).toFixed(3)} ms`);

/** A long-lived python that times one op per request, so that the two frameworks are timed back to back. */
function torchTimer(): { time(s: Spec): Promise<{ seconds: number; threads: number; version: string }>; close(): void } {
  const py = spawn(process.env.FLOWBOOK_PYTHON ?? "/usr/bin/python3", [path.join(__dirname, "..", "..", "..", "bench", "ops", "torch_ops.py")], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = readline.createInterface({ input: py.stdout! })[Symbol.asyncIterator]();
  return {
    async time({ name, inputs, grad, torch }) {
      py.stdin!.write(JSON.stringify({ name, inputs, grad, torch }) + "\n");
      const r = await lines.next();
      if (r.done) throw new Error("torch_ops.py exited early");
      return JSON.parse(r.value);
    },
    close() { py.stdin!.end(); },
  };
}

async function main(): Promise<void> {
  const torch = torchTimer();
  const load0 = os.loadavg()[0];
  const rows: { op: string; flowbook: number; torch: number }[] = [];
  let info = { threads: 0, version: "" };
  for (const s of specs) {
    const t = await torch.time(s);
    info = t;
    const xs = s.inputs.map((shape) => randn(shape, !!s.grad));
    rows.push({ op: s.name, flowbook: medianTime(() => s.flow(...xs)), torch: t.seconds });
  }
  torch.close();
  console.log(`flowbook eager vs PyTorch ${info.version} CPU (${info.threads} threads), median per call; ${os.cpus().length} CPUs, load average ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)}`);
  console.log(`${"op".padEnd(28)} ${"flowbook".padStart(12)} ${"PyTorch".padStart(12)} ${"ratio".padStart(7)}`);
  for (const r of rows) console.log(`${r.op.padEnd(28)} ${fmt(r.flowbook).padStart(12)} ${fmt(r.torch).padStart(12)} ${(r.flowbook / r.torch).toFixed(2).padStart(7)}`);
  const add = rows[0];
  console.log(`\nadd of 16 floats: ${(add.flowbook / add.torch).toFixed(2)}x PyTorch (goal <= 3x): ${add.flowbook / add.torch <= 3 ? "met" : "NOT met"}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
