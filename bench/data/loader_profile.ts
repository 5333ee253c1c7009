/**
 * Per-stage CPU cost of the loader pipeline in one thread (no workers): read, decode, fused crop+resize+flip+
 * normalize, collate, pack (the worker's side of the transfer). Run on the bench's JPEG folder.
 *
 *   node dist/bench/data/loader_profile.js [numImages=320] [rounds=3]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as flow from "../../src/index";
import { decodeImage } from "../../src/vision/transforms/image";
import { defaultCollate, pack } from "../../src/data/collate";
import { Generator, mixSeed } from "../../src/data/random";

const N = Number(process.argv[2] ?? 320), ROUNDS = Number(process.argv[3] ?? 3);
const root = path.join(os.tmpdir(), `flowbook-bench-jpegs-${N}`);
const T = flow.vision.transforms;

async function main(): Promise<void> {
  const ds = new flow.vision.datasets.ImageFolder(root);
  const files = ds.samples.map((s) => s[0]);
  const tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]);
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  for (let r = 0; r < ROUNDS; r++) {
    const t: Record<string, number> = { read: 0, decode: 0, transform: 0, collate: 0, pack: 0 };
    let c = cpu();
    const bytes = files.map((f) => fs.readFileSync(f));
    t.read = cpu() - c; c = cpu();
    const imgs = [];
    for (let i = 0; i < files.length; i++) imgs.push(await decodeImage(bytes[i], files[i]));
    t.decode = cpu() - c; c = cpu();
    const xs = imgs.map((im, i) => tf(im, new Generator(mixSeed(0, r, i))) as flow.Tensor);
    t.transform = cpu() - c; c = cpu();
    const batches = [];
    for (let b = 0; b < xs.length; b += 32) batches.push(defaultCollate(xs.slice(b, b + 32)));
    t.collate = cpu() - c; c = cpu();
    for (const b of batches) pack(b);
    t.pack = cpu() - c;
    console.log(`round ${r}: ` + Object.entries(t).map(([k, v]) => `${k} ${(v / files.length).toFixed(3)}`).join(", ") + ` CPU-ms/image; load ${os.loadavg()[0].toFixed(2)}`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
