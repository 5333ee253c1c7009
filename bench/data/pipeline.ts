/**
 * Pipeline: a ResNet-18 inference loop (nn.Graph, or eager with --eager) fed by the DataLoader (2 workers,
 * decode + Resize + CenterCrop + ToTensor + Normalize) over generated JPEGs (~500×375, photo-like), run two ways:
 *
 * - sequential: load the epoch's batches, then run the model on them (nothing overlaps);
 * - overlapped: `for await (const [x] of loader) model(x)`: the workers decode the next batches (up to
 *   numWorkers × prefetchFactor ahead) while the model runs on this one.
 *
 * Prints each stage's time, the speed-up (sequential / overlapped) and its ideal bound (L + C) / max(L, C).
 * Both modes pay the same worker start-up (workers start per epoch). Rounds alternate; best of each is kept.
 * The overlapped loop also reports how long it waited for batches: the part of the load not hidden behind
 * compute. On a CPU-only machine both stages compete for the same cores (ONNX Runtime's compute uses all of
 * them), so hiding the load saves little wall time there; the gain shows when compute runs on an accelerator
 * or leaves cores free.
 *
 *   node dist/bench/data/pipeline.js [numImages=128] [crop=224] [rounds=3] [--eager]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as flow from "../../src/index";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const EAGER = process.argv.includes("--eager");
const N = Number(args[0] ?? 128), CROP = Number(args[1] ?? 224), ROUNDS = Number(args[2] ?? 3);
const BATCH = 16, WORKERS = 2;
const root = path.join(os.tmpdir(), `flowbook-pipeline-jpegs-${N}`);
const T = flow.vision.transforms;

/** A photo-like RGB image: a coarse random colour field, bilinearly upsampled, plus grain. */
function syntheticImage(w: number, h: number, r: () => number): InstanceType<typeof T.RawImage> {
  const gw = Math.ceil(w / 32) + 2, gh = Math.ceil(h / 32) + 2;
  const grid = Float32Array.from({ length: gw * gh * 3 }, () => r() * 255);
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const gy = y / 32, y0 = Math.floor(gy), fy = gy - y0;
    for (let x = 0; x < w; x++) {
      const gx = x / 32, x0 = Math.floor(gx), fx = gx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => grid[(yy * gw + xx) * 3 + c];
        const v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
        data[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, v + (r() - 0.5) * 24));
      }
    }
  }
  return new T.RawImage(data, w, h);
}

async function makeJpegs(): Promise<void> {
  if (fs.existsSync(path.join(root, "done"))) return;
  let s = 12345;
  const r = () => { s = (s * 1103515245 + 12345) >>> 0; return s / 2 ** 32; };
  for (let i = 0; i < N; i++) {
    const w = 400 + Math.floor(r() * 240), h = Math.floor(w * (0.6 + r() * 0.25));
    const dir = path.join(root, `class${i % 10}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${String(i).padStart(5, "0")}.jpg`), await T.encodeJPEG(syntheticImage(w, h, r), 80 + Math.floor(r() * 15)));
  }
  fs.writeFileSync(path.join(root, "done"), "ok");
}

class Infer extends flow.nn.Graph {
  declare model: flow.nn.Module;
  constructor(m: flow.nn.Module) { super(); this.model = m; }
  build(x: flow.Tensor) { return this.model.forward(x); }
}

async function main(): Promise<void> {
  await makeJpegs();
  const tf = T.Compose([T.Resize(Math.round(CROP * 256 / 224)), T.CenterCrop(CROP), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]);
  const ds = new flow.vision.datasets.ImageFolder(root, { transform: tf });
  const loader = new flow.utils.data.DataLoader(ds, { batchSize: BATCH, numWorkers: WORKERS, dropLast: true, progress: false });
  const model = flow.vision.models.resnet18().eval();
  const graph = new Infer(model);
  const run = (x: flow.Tensor): flow.Tensor => flow.noGrad(() => (EAGER ? model(x) : graph(x)) as flow.Tensor);
  run(flow.zeros(BATCH, 3, CROP, CROP)).toTypedArray(); // compile (graph) / warm the op sessions (eager)

  const best = { load: Infinity, compute: Infinity, seq: Infinity, overlap: Infinity, wait: Infinity };
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    const batches: flow.Tensor[] = [];
    for await (const [x] of loader) batches.push(x as flow.Tensor);
    const load = performance.now() - t;
    t = performance.now();
    for (const x of batches) run(x).toTypedArray();
    const compute = performance.now() - t;
    t = performance.now();
    let n = 0, wait = 0, w0 = performance.now();
    for await (const [x] of loader) {
      wait += performance.now() - w0;
      run(x as flow.Tensor).toTypedArray(); n++;
      w0 = performance.now();
    }
    const overlap = performance.now() - t;
    if (n !== batches.length) throw new Error(`pipeline: ${n} batches overlapped vs ${batches.length} sequential`);
    console.log(`  round ${round + 1}: load ${load.toFixed(0)} ms + compute ${compute.toFixed(0)} ms = ${(load + compute).toFixed(0)} ms sequential; overlapped ${overlap.toFixed(0)} ms, of which waiting for batches ${wait.toFixed(0)} ms`);
    Object.assign(best, { load: Math.min(best.load, load), compute: Math.min(best.compute, compute), seq: Math.min(best.seq, load + compute), overlap: Math.min(best.overlap, overlap), wait: overlap < best.overlap ? wait : best.wait });
  }
  const imgs = Math.floor(N / BATCH) * BATCH;
  console.log(`pipeline: ResNet-18 ${EAGER ? "eager" : "nn.Graph"} inference, ${imgs} JPEGs (~500x375) -> Resize+CenterCrop(${CROP})+Normalize, batch ${BATCH}, ${WORKERS} workers, ${os.cpus().length} CPUs, load avg ${os.loadavg().map((v) => v.toFixed(1)).join(" ")}`);
  console.log(`  load only ${best.load.toFixed(0)} ms (${(imgs / best.load * 1000).toFixed(1)} img/s), compute only ${best.compute.toFixed(0)} ms (${(imgs / best.compute * 1000).toFixed(1)} img/s)`);
  console.log(`  sequential ${best.seq.toFixed(0)} ms (${(imgs / best.seq * 1000).toFixed(1)} img/s), overlapped ${best.overlap.toFixed(0)} ms (${(imgs / best.overlap * 1000).toFixed(1)} img/s)`);
  console.log(`  overlapped: the loop waited ${best.wait.toFixed(0)} ms for batches (the rest of the load ran during compute)`);
  console.log(`  speed-up from overlap: ${(best.seq / best.overlap).toFixed(2)}x (ideal (L+C)/max(L,C) = ${(best.seq / Math.max(best.load, best.compute)).toFixed(2)}x)`);
}

main().catch((e) => { console.error(e); process.exit(1); });
