/**
 * Per-stage CPU cost of the loader pipeline in one thread (no workers), on the loader benchmark's JPEG folder
 * (run loader_bench.js first to make it): read, decode (exact: libvips; fast: TurboJPEG), the fused
 * RandomResizedCrop + flip + ToTensor + Normalize (writing into the batch buffer as the DataLoader does), collate
 * (free when every sample wrote its slot), pack (the worker's side of the transfer: buffers are transferred).
 *
 *   node dist/bench/data/loader_profile.js [numImages=320] [rounds=3]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as flow from "../../src/index";
import { decodeImage, JpegDecoder, RawImage } from "../../src/vision/transforms/image";
import { BatchArena, defaultCollate, pack } from "../../src/data/collate";
import { Generator, mixSeed } from "../../src/data/random";

const N = Number(process.argv[2] ?? 320), ROUNDS = Number(process.argv[3] ?? 3), BATCH = 32;
const root = path.join(os.tmpdir(), `flowbook-bench-jpegs-${N}`);
const T = flow.vision.transforms;

async function main(): Promise<void> {
  if (!fs.existsSync(root)) throw new Error(`${root} is missing: run node dist/bench/data/loader_bench.js ${N} first`);
  const ds = new flow.vision.datasets.ImageFolder(root);
  const files = ds.samples.map((s) => s[0]);
  const tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]);
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  console.log(`per-stage CPU-ms/image, ${files.length} JPEGs, one thread; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  for (const jpeg of ["exact", "fast"] as JpegDecoder[]) {
    for (let r = 0; r < ROUNDS; r++) {
      const t: Record<string, number> = {};
      let c = cpu();
      const bytes = files.map((f) => fs.readFileSync(f));
      t.read = cpu() - c; c = cpu();
      const imgs: RawImage[] = [];
      for (let i = 0; i < files.length; i++) imgs.push(await decodeImage(bytes[i], files[i], { jpeg }));
      t.decode = cpu() - c; c = cpu();
      const batches: flow.Tensor[][] = [];
      for (let b = 0; b < imgs.length; b += BATCH) {
        const arena = new BatchArena(Math.min(BATCH, imgs.length - b)), xs: flow.Tensor[] = [];
        for (let k = 0; b + k < imgs.length && k < BATCH; k++) {
          const gen = new Generator(mixSeed(0, r, b + k));
          gen.sink = arena.sinkFor(k);
          xs.push(tf(imgs[b + k], gen) as flow.Tensor);
        }
        batches.push(xs);
      }
      t.transform = cpu() - c; c = cpu();
      const collated = batches.map((xs) => defaultCollate(xs));
      t.collate = cpu() - c; c = cpu();
      for (const b of collated) pack(b);
      t.pack = cpu() - c;
      const total = Object.values(t).reduce((a, b) => a + b, 0);
      console.log(`  ${jpeg} round ${r}: ` + Object.entries(t).map(([k, v]) => `${k} ${(v / files.length).toFixed(3)}`).join(", ") + `; total ${(total / files.length).toFixed(2)}`);
    }
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
