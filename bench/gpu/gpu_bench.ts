/**
 * GPU bench (issue 8), run by bench/gpu/run.sh: ResNet-101 inference (batch 1, 16, 64) and a training step
 * (batch 32) per provider — webgpu, cuda, tensorrt — each as a speed-up table: eager, nn.Graph, + AMP,
 * + fusions (conv-bn folding, pad-to-conv, add-to-output), + cuDNN search where it applies. A provider that
 * cannot run here is reported "not available: <reason>". `--quick`: ResNet-18 at 64×64, batches 1 and 2,
 * training batch 2, CPU included, few repetitions (for testing the script on any machine).
 * Env: BUDGET_S (default 420: tables that would start after it are reported skipped), OUT_JSON (raw numbers).
 * Imports only what it needs (no image/sqlite modules) so that the carry folder of pack.sh stays small.
 */
import "../../src/ops/elementwise";
import "../../src/ops/shape";
import "../../src/ops/reduce";
import "../../src/ops/linalg";
import "../../src/ops/slicing";
import "../../src/ops/indexing";
import "../../src/ops/inplace";
import "../../src/ops/transfer";
import "../../src/autograd/index";
import * as fs from "fs";
import * as os from "os";
import * as nn from "../../src/nn/index";
import * as optim from "../../src/optim/index";
import { randn, randint, manualSeed } from "../../src/tensor/random";
import { device as parseDevice } from "../../src/backend/device";
import { cudaUnusableReason, webgpuUnusableReason } from "../../src/backend/gpu";
import { supportedBackends } from "../../src/backend/ort";
import { tensorRTWhy } from "../../src/graph/config";
import type { GraphConfig } from "../../src/graph/config";
import { speedupTable, SpeedupTable } from "../../src/profiler/speedup";
import { resnet } from "../graph/resnet";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const T0 = Date.now();
const BUDGET_S = Number(process.env.BUDGET_S ?? 420);
const left = () => BUDGET_S - (Date.now() - T0) / 1000;

const cfg = QUICK
  ? { arch: "resnet18" as const, size: 64, batches: [1, 2], trainBatch: 2, warmup: 1, repeat: 2 }
  : { arch: "resnet101" as const, size: 224, batches: [1, 16, 64], trainBatch: 32, warmup: 2, repeat: 5 };

interface Provider { name: string; device: string; why: string | null; base?: (c: GraphConfig) => void }

function providers(): Provider[] {
  const cudaWhy = cudaUnusableReason();
  let trtWhy = cudaWhy;
  if (!trtWhy) trtWhy = tensorRTWhy(parseDevice("cuda"));
  if (!trtWhy && !fs.existsSync(require("path").join(require("path").dirname(require.resolve("onnxruntime-node/package.json")), "bin", "napi-v6", process.platform, process.arch, "libonnxruntime_providers_tensorrt.so"))) {
    trtWhy = "libonnxruntime_providers_tensorrt.so is missing (node install.js --cuda fetches it, with network)";
  }
  const list: Provider[] = [
    { name: "webgpu", device: "webgpu", why: webgpuUnusableReason() },
    { name: "cuda", device: "cuda", why: cudaWhy },
    { name: "tensorrt", device: "cuda", why: trtWhy, base: (c) => { c.enableTensorRT(true); } },
  ];
  if (QUICK || argv.includes("--cpu")) list.unshift({ name: "cpu", device: "cpu", why: null });
  return list;
}

function steps(p: Provider): string[] {
  const s = ["amp", "fuseConvBn", "fusePadToConv", "fuseAddToOutput"];
  if (p.name === "cuda") s.push("cudnnSearch");
  return s;
}

function main(): void {
  console.log(`flowbook GPU bench${QUICK ? " (--quick: small sizes, for testing)" : ""}: ${cfg.arch} at ${cfg.size}×${cfg.size}, inference batches ${cfg.batches.join(", ")}, training batch ${cfg.trainBatch}; ` +
    `warm-up ${cfg.warmup}, ${cfg.repeat} timed calls per row; node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}`);
  console.log(`onnxruntime-node providers in this build: ${supportedBackends().map((b) => `${b.name}${b.bundled ? "" : " (libraries separate)"}`).join(", ")}`);
  const tables: { provider: string; kind: string; batch: number; table: SpeedupTable | null; skipped?: string }[] = [];
  const summary: string[][] = [];
  for (const p of providers()) {
    if (p.why) {
      console.log(`\n## ${p.name}: not available: ${p.why}`);
      summary.push([p.name, "—", "—", `not available: ${p.why}`]);
      continue;
    }
    const dev = parseDevice(p.device);
    manualSeed(0);
    const { model, source } = resnet(cfg.arch);
    try { model.to(dev.name); } catch (e) {
      const why = `failed: moving the model to ${dev.name}: ${(e as Error).message.split("\n")[0]}`;
      console.log(`\n## ${p.name}: ${why}`);
      summary.push([p.name, "—", "—", why]);
      continue;
    }
    console.log(`\n## ${p.name} (device ${dev.name}; model ${source})`);
    const jobs: { kind: "inference" | "training"; batch: number }[] = [
      ...cfg.batches.map((b) => ({ kind: "inference" as const, batch: b })), { kind: "training" as const, batch: cfg.trainBatch },
    ];
    for (const j of jobs) {
      if (left() < 20) {
        const why = `skipped: the time budget (${BUDGET_S} s) is spent`;
        console.log(`${j.kind} batch ${j.batch}: ${why}`);
        tables.push({ provider: p.name, kind: j.kind, batch: j.batch, table: null, skipped: why });
        summary.push([p.name, `${j.kind} b${j.batch}`, "—", why]);
        continue;
      }
      const x = randn([j.batch, 3, cfg.size, cfg.size], { device: dev.name });
      const train = j.kind === "training" ? {
        optimizer: new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 }),
        loss: new nn.CrossEntropyLoss(), target: randint(0, 1000, [j.batch], { device: dev.name }),
      } : undefined;
      let t: SpeedupTable;
      try {
        t = speedupTable({
          model, input: x, steps: steps(p), warmup: cfg.warmup, repeat: cfg.repeat, baseConfig: p.base, train, inference: j.kind === "inference",
          title: `${p.name} ${j.kind}, ${cfg.arch}`,
        });
      } catch (e) {
        const why = `failed: ${(e as Error).message.split("\n")[0]}`;
        console.log(`${j.kind} batch ${j.batch}: ${why}`);
        summary.push([p.name, `${j.kind} b${j.batch}`, "—", why]);
        continue;
      }
      console.log(t.toString());
      tables.push({ provider: p.name, kind: j.kind, batch: j.batch, table: t });
      const best = t.rows.filter((r) => r.imagesPerSec !== null).sort((a, b) => b.imagesPerSec! - a.imagesPerSec!)[0];
      const eager = t.rows.find((r) => r.step === "eager");
      summary.push([p.name, `${j.kind} b${j.batch}`, best ? best.imagesPerSec!.toFixed(1) : "—",
        best ? `best: ${best.step} (${best.cumulativeSpeedup!.toFixed(2)}× ${eager?.imagesPerSec ? "eager" : "first measured row"})` : "no row measured"]);
    }
  }
  console.log("\n## Summary (images/s of the fastest row)");
  const w = [10, 16, 10];
  console.log(["provider".padEnd(w[0]), "run".padEnd(w[1]), "images/s".padStart(w[2]), "notes"].join("  "));
  for (const r of summary) console.log([r[0].padEnd(w[0]), r[1].padEnd(w[1]), r[2].padStart(w[2]), r[3]].join("  "));
  console.log(`\nfinished in ${((Date.now() - T0) / 1000).toFixed(0)} s; load ${os.loadavg()[0].toFixed(2)}`);
  if (process.env.OUT_JSON) {
    fs.writeFileSync(process.env.OUT_JSON, JSON.stringify({ quick: QUICK, config: cfg, date: new Date().toISOString(), tables: tables.map((t) => ({ ...t, table: t.table?.toJSON() ?? null })) }, null, 1));
    console.log(`raw numbers: ${process.env.OUT_JSON}`);
  }
}

main();
