/**
 * Loader throughput: decode + RandomResizedCrop(224) + RandomHorizontalFlip + ToTensor + Normalize, batches
 * of 32, 2 workers, on a folder of JPEGs made for the benchmark (sizes around 500x375, photo-like content),
 * flowbook's DataLoader vs torchvision's DataLoader on the same files. Prints images/s and the ratio.
 *
 *   node dist/bench/data/loader_bench.js [numImages=320] [epochs=3] [--jpeg=exact|fast]
 *
 * flowbook runs with both JPEG decoders ("exact": PIL's pixels, the default; "fast": libjpeg-turbo's fast IDCT,
 * within 8/255) unless --jpeg picks one.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as flow from "../../src/index";

const PYTHON = process.env.FLOWBOOK_PYTHON ?? "/usr/bin/python3";
const ARGS = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const JPEG = process.argv.find((a) => a.startsWith("--jpeg="))?.slice(7) as "exact" | "fast" | undefined;
const DECODERS: ("exact" | "fast")[] = JPEG ? [JPEG] : ["exact", "fast"];
const N = Number(ARGS[0] ?? 320), EPOCHS = Number(ARGS[1] ?? 3), WORKERS = 2, BATCH = 32;
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
import sys, time, json, resource, torch
import torchvision.transforms as T
from torchvision.datasets import ImageFolder
torch.set_num_threads(1)
root, epochs, workers, batch, persistent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == '1'
tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
ds = ImageFolder(root, transform=tf)
loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers, persistent_workers=persistent)
def cpu():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
times, cpus = [], []
cpus0 = cpu()
for e in range(epochs):
    t = time.perf_counter(); c = cpu(); n = 0
    for x, y in loader: n += x.shape[0]
    times.append(time.perf_counter() - t)
    del x, y
    cpus.append(cpu() - c)  # workers are joined at the end of the epoch, so their CPU time is counted (not with persistent workers: see below)
del loader._iterator; import gc; gc.collect()
if persistent: cpus = [(cpu() - c0) / epochs for c0 in [cpus0]] * epochs  # persistent workers are joined only now: mean over epochs
print(json.dumps({"n": n, "times": times, "cpus": cpus}))
`;

interface Run { n: number; times: number[]; cpus: number[] }

async function flowbookRun(persistentWorkers: boolean, jpegDecoder: "exact" | "fast"): Promise<Run> {
  const T = flow.vision.transforms;
  const tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]);
  const ds = new flow.vision.datasets.ImageFolder(root, { transform: tf, jpegDecoder });
  const loader = new flow.utils.data.DataLoader(ds, { batchSize: BATCH, shuffle: true, numWorkers: WORKERS, seed: 0, progress: false, persistentWorkers });
  const times: number[] = [], cpus: number[] = [];
  let n = 0;
  for (let e = 0; e < EPOCHS; e++) {
    const t = performance.now(), c = process.cpuUsage(); n = 0;
    for await (const [x] of loader) n += (x as flow.Tensor).shape[0];
    times.push((performance.now() - t) / 1000);
    const d = process.cpuUsage(c); // all threads of the process: main, workers, libuv/libvips pools
    cpus.push((d.user + d.system) / 1e6);
  }
  await loader.close();
  return { n, times, cpus };
}

async function main(): Promise<void> {
  console.log(`loader throughput: ${N} JPEGs (~500x375), decode + RandomResizedCrop(224) + flip + ToTensor + Normalize, batch ${BATCH}, ${WORKERS} workers, ${os.cpus().length} CPUs, flowbook JPEG decoders: ${DECODERS.join(", ")}`);
  // Default DataLoaders (new workers every epoch, as both libraries default to), then persistent workers in both.
  for (const persistent of [false, true]) {
    const load0 = os.loadavg().map((l) => l.toFixed(2)).join(" ");
    const tv = JSON.parse(py(TORCH, [root, String(EPOCHS), String(WORKERS), String(BATCH), persistent ? "1" : "0"])) as Run;
    const fbs: [string, Run][] = [];
    for (const d of DECODERS) fbs.push([d, await flowbookRun(persistent, d)]);
    // Steady state: the best epoch after the first (which includes worker start-up for both).
    const steady = (a: number[]) => (a.length > 1 ? a.slice(1) : a);
    const rate = (r: Run) => r.n / Math.min(...steady(r.times));
    const first = (r: Run) => r.n / r.times[0];
    // CPU time per image, all threads and processes (best steady epoch; with persistent workers torchvision's is the
    // mean over all epochs, its worker processes being counted when they exit): what throughput on saturated cores
    // depends on, and far less sensitive to other load on the machine than wall time.
    const cpuMs = (r: Run) => (1000 * Math.min(...steady(r.cpus))) / r.n;
    const line = (r: Run) => `${rate(r).toFixed(1)} images/s steady (${first(r).toFixed(1)} first epoch), ${cpuMs(r).toFixed(2)} CPU-ms/image  epochs s: ${r.times.map((t) => t.toFixed(2)).join(", ")}`;
    console.log(`${persistent ? "persistent workers (persistent_workers=True / persistentWorkers: true)" : "default (workers started every epoch)"}; load average before: ${load0}, after: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    console.log(`  torchvision 0.14 DataLoader: ${line(tv)}`);
    for (const [d, fb] of fbs) {
      console.log(`  flowbook DataLoader (${d}):${" ".repeat(7 - d.length)}${line(fb)}`);
      console.log(`    ratio flowbook (${d}) / torchvision: ${(rate(fb) / rate(tv)).toFixed(2)}x steady wall, ${(first(fb) / first(tv)).toFixed(2)}x first epoch, ${(cpuMs(tv) / cpuMs(fb)).toFixed(2)}x images per CPU-second`);
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
