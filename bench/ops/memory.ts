/**
 * Memory check: 10,000 SGD steps of a small MLP (raw tensors: linear, relu, logsumexp cross-entropy, manual
 * update under noGrad) must keep resident memory flat. Prints RSS and flow.memory() at the start (after a
 * warm-up that fills the session cache) and at the end:
 *   node --expose-gc dist/bench/ops/memory.js [steps]
 * V8 sizes its young generation to the allocation rate (up to 2 x 16 MiB by default), which shows as a one-off
 * RSS rise that is not a leak; `--max-semi-space-size=1` pins it and leaves the RSS line flat.
 */
import * as v8 from "v8";
import * as flow from "../../src/index";

const STEPS = Number(process.argv[2] ?? 10000), WARMUP = 200;
const N = 32, IN = 20, HIDDEN = 64, CLASSES = 5, LR = 0.05;

function randn(shape: number[], scale: number): flow.Tensor {
  const n = shape.reduce((a, b) => a * b, 1), d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = scale * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return flow.tensor(d).reshape(shape).detach();
}

const x = randn([N, IN], 1);
const labels = Array.from({ length: N }, (_, i) => i % CLASSES);
const oneHot = flow.tensor(labels.map((c) => Array.from({ length: CLASSES }, (_, j) => +(j === c))));
const params = [randn([HIDDEN, IN], 1 / Math.sqrt(IN)), flow.zeros(HIDDEN), randn([CLASSES, HIDDEN], 1 / Math.sqrt(HIDDEN)), flow.zeros(CLASSES)];
params.forEach((p) => p.requiresGrad_());

function step(): number {
  const [w1, b1, w2, b2] = params;
  const logits = flow.linear(flow.linear(x, w1, b1).relu(), w2, b2);
  // cross-entropy with one-hot targets: logsumexp(logits) - logits[target]
  const loss = logits.logsumexp(1).sub(logits.mul(oneHot).sum(1)).mean();
  loss.backward();
  flow.noGrad(() => {
    for (const p of params) {
      p._assignHost(p.sub(p.grad!.mul(LR)).toTypedArray()); // in-place update (sub_ belongs to the shape branch)
      p.grad = null;
    }
  });
  return loss.item();
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
function report(label: string, loss: number): void {
  const m = flow.memory({ gc: true });
  // V8 grows its young generation (up to 2 x --max-semi-space-size) under a high allocation rate: bounded, but it shows in RSS.
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
  console.log(`${label.padEnd(12)} loss ${loss.toFixed(4)}  rss ${mb(m.rss)}  heapUsed ${mb(m.heapUsed)}  young gen ${mb(young)}  arrayBuffers ${mb(m.arrayBuffers)}  tracked tensors ${m.tensors} (${mb(m.bytes)})`);
}

let loss = 0;
for (let i = 0; i < WARMUP; i++) loss = step();
const rss0 = flow.memory({ gc: true }).rss;
report(`step ${WARMUP}`, loss);
const t0 = performance.now();
for (let i = 0; i < STEPS; i++) {
  loss = step();
  if ((i + 1) % 2500 === 0) report(`step ${WARMUP + i + 1}`, loss);
}
const ms = (performance.now() - t0) / STEPS;
const rss1 = flow.memory({ gc: true }).rss;
console.log(`${STEPS} steps, ${ms.toFixed(3)} ms/step; RSS start ${mb(rss0)}, end ${mb(rss1)}, growth ${mb(rss1 - rss0)} (${(((rss1 - rss0) / rss0) * 100).toFixed(1)}%)`);
