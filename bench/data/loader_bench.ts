/**
 * Loader throughput: decode + RandomResizedCrop(224) + RandomHorizontalFlip + ToTensor + Normalize, batches
 * of 32, 2 workers, on a folder of JPEGs made for the benchmark (sizes around 500x375, photo-like content),
 * flowbook's DataLoader vs torchvision's DataLoader on the same files. Prints images/s and the ratio.
 *
 *   node dist/bench/data/loader_bench.js [numImages=320] [epochs=3]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as flow from "../../src/index";

const PYTHON = process.env.FLOWBOOK_PYTHON ?? "/usr/bin/python3";
const N = Number(process.argv[2] ?? 320), EPOCHS = Number(process.argv[3] ?? 3), WORKERS = 2, BATCH = 32;
const root = path.join(os.tmpdir(), `flowbook-bench-jpegs-${N}`);

function py(code: string, args: string[]): string {
  const r = spawnSync(PYTHON, ["-c", code, ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

if (!fs.existsSync(path.join(root, "done"))) {
  py(String.raw`
import sys, os, numpy as np
from PIL import Image, ImageFilter
root, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
for i in range(n):
    w = int(rng.integers(400, 640)); h = int(w * rng.uniform(0.6, 0.85))
    small = (rng.random((h // 24 + 2, w // 24 + 2, 3)) * 255).astype(np.uint8)
    img = Image.fromarray(small).resize((w, h), Image.BICUBIC)
    a = np.array(img).astype(np.int16) + rng.integers(-18, 18, (h, w, 3))
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.SMOOTH)
    d = os.path.join(root, f"class{i % 10:02d}"); os.makedirs(d, exist_ok=True)
    img.save(os.path.join(d, f"{i:05d}.jpg"), quality=int(rng.integers(80, 95)))
open(os.path.join(root, "done"), "w").write("ok")
`, [root, String(N)]);
}

const TORCH = String.raw`
import sys, time, json, torch
import torchvision.transforms as T
from torchvision.datasets import ImageFolder
torch.set_num_threads(1)
root, epochs, workers, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
ds = ImageFolder(root, transform=tf)
loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers)
times = []
for e in range(epochs):
    t = time.perf_counter(); n = 0
    for x, y in loader: n += x.shape[0]
    times.append(time.perf_counter() - t)
print(json.dumps({"n": n, "times": times}))
`;

async function flowbookRun(): Promise<{ n: number; times: number[] }> {
  const T = flow.vision.transforms;
  const tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]);
  const ds = new flow.vision.datasets.ImageFolder(root, { transform: tf });
  const loader = new flow.utils.data.DataLoader(ds, { batchSize: BATCH, shuffle: true, numWorkers: WORKERS, seed: 0, progress: false });
  const times: number[] = [];
  let n = 0;
  for (let e = 0; e < EPOCHS; e++) {
    const t = performance.now(); n = 0;
    for await (const [x] of loader) n += (x as flow.Tensor).shape[0];
    times.push((performance.now() - t) / 1000);
  }
  return { n, times };
}

async function main(): Promise<void> {
  const tv = JSON.parse(py(TORCH, [root, String(EPOCHS), String(WORKERS), String(BATCH)])) as { n: number; times: number[] };
  const fb = await flowbookRun();
  // Steady state: the best epoch after the first (which includes worker start-up for both).
  const rate = (r: { n: number; times: number[] }) => r.n / Math.min(...(r.times.length > 1 ? r.times.slice(1) : r.times));
  const first = (r: { n: number; times: number[] }) => r.n / r.times[0];
  console.log(`loader throughput: ${N} JPEGs (~500x375), decode + RandomResizedCrop(224) + flip + ToTensor + Normalize, batch ${BATCH}, ${WORKERS} workers, ${os.cpus().length} CPUs`);
  console.log(`  torchvision 0.14 DataLoader: ${rate(tv).toFixed(1)} images/s steady (${first(tv).toFixed(1)} first epoch)  epochs s: ${tv.times.map((t) => t.toFixed(2)).join(", ")}`);
  console.log(`  flowbook DataLoader:         ${rate(fb).toFixed(1)} images/s steady (${first(fb).toFixed(1)} first epoch)  epochs s: ${fb.times.map((t) => t.toFixed(2)).join(", ")}`);
  console.log(`  ratio flowbook / torchvision: ${(rate(fb) / rate(tv)).toFixed(2)}x steady, ${(first(fb) / first(tv)).toFixed(2)}x first epoch`);
}

main().catch((e) => { console.error(e); process.exit(1); });
