/**
 * Serving benchmark: `node dist/bench/serve/bench.js [--quick]`.
 *
 * 1. Overhead per request at concurrency 1 for a small model: median server round trip (HTTP
 *    keep-alive, JSON) minus the median direct onnxruntime-node session run of the same input.
 * 2. ResNet-50 (torchvision, random weights, exported by export_resnet50.py) on CPU at concurrency
 *    1, 8 and 32: throughput and p50/p99 latency with dynamic batching on and off.
 * Prints tables; there are no pass/fail thresholds here.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { serve, writeModelEntry, ServerHandle } from "../../src/serving";

const ROOT = path.join(__dirname, "..", "..", "..");
const PYTHON = "/usr/bin/python3";
const quick = process.argv.includes("--quick");

type Ort = typeof import("onnxruntime-node");

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 50);

function post(agent: http.Agent, url: URL, p: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: p, method: "POST", agent, headers: { "Content-Length": String(body.length), ...headers } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve(200) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function smallOverhead(ort: Ort, onnxFile: string, repo: string): Promise<void> {
  const n = quick ? 200 : 1000;
  const x = [0.1, 0.2, 0.3, 0.4];
  const session = await ort.InferenceSession.create(onnxFile, { intraOpNumThreads: os.cpus().length });
  const server = await serve({ modelRepository: repo, httpPort: 0, log: () => {} });
  const url = new URL(server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const json = Buffer.from(JSON.stringify({ inputs: [{ name: "INPUT_0", shape: [1, 4], datatype: "FP32", data: x }] }));
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: "INPUT_0", shape: [1, 4], datatype: "FP32", parameters: { binary_data_size: 16 } }], parameters: { binary_data_output: true } }));
  const binary = Buffer.concat([header, Buffer.from(Float32Array.from(x).buffer)]);
  const paths: [string, () => Promise<unknown>][] = [
    ["direct session.run (async API, same process)", () => session.run({ INPUT_0: new ort.Tensor("float32", Float32Array.from(x), [1, 4]) })],
    ["server, JSON tensors", () => post(agent, url, "/v2/models/small/infer", json, { "Content-Type": "application/json" })],
    ["server, binary tensors", () => post(agent, url, "/v2/models/small/infer", binary, { "Inference-Header-Content-Length": String(header.length) })],
  ];
  // Interleaved, so that load from other processes on the machine hits every path alike.
  const lat = paths.map(() => [] as number[]);
  for (let i = 0; i < n + 100; i++) {
    for (let k = 0; k < paths.length; k++) {
      const t0 = process.hrtime.bigint();
      await paths[k][1]();
      if (i >= 100) lat[k].push(Number(process.hrtime.bigint() - t0) / 1e3);
    }
  }
  agent.destroy();
  await server.stop();
  const d = median(lat[0]);
  console.log(`\nSmall model (Linear 4->3), concurrency 1, ${n} requests per path (interleaved), median:`);
  console.log(`| path | median us | p90 us | overhead vs direct (median) us |\n|---|---:|---:|---:|`);
  paths.forEach(([name], k) => console.log(`| ${name} | ${median(lat[k]).toFixed(0)} | ${pct([...lat[k]].sort((a, b) => a - b), 90).toFixed(0)} | ${k ? (median(lat[k]) - d).toFixed(0) : "-"} |`));
}

async function load(server: ServerHandle, model: string, concurrency: number, seconds: number, body: Buffer, headers: Record<string, string>): Promise<{ rps: number; p50: number; p99: number; n: number }> {
  const url = new URL(server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const lat: number[] = [];
  const warmUntil = Date.now() + 1500;
  let start = 0;
  let end = 0;
  const deadline = warmUntil + seconds * 1000;
  const client = async () => {
    while (Date.now() < deadline) {
      const t0 = process.hrtime.bigint();
      await post(agent, url, `/v2/models/${model}/infer`, body, headers);
      const now = Date.now();
      if (t0 > 0n && now > warmUntil) { if (!start) start = now; lat.push(Number(process.hrtime.bigint() - t0) / 1e6); end = now; }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  agent.destroy();
  const sorted = lat.sort((a, b) => a - b);
  return { rps: lat.length / ((end - start) / 1000 || 1), p50: pct(sorted, 50), p99: pct(sorted, 99), n: lat.length };
}

async function resnet(onnxDir: string, repo: string): Promise<void> {
  const file = path.join(onnxDir, "resnet50.onnx");
  execFileSync(PYTHON, [path.join(ROOT, "bench", "serve", "export_resnet50.py"), file], { stdio: ["ignore", "ignore", "inherit"] });
  const onnx = fs.readFileSync(file);
  const io = { inputs: [{ name: "INPUT_0", dtype: "float32", dims: [3, 224, 224] }], outputs: [{ name: "OUTPUT_0", dtype: "float32", dims: [1000] }] };
  writeModelEntry(repo, { name: "resnet50_batching", onnx, maxBatchSize: 32, ...io, dynamicBatching: { maxQueueDelayMicroseconds: 2000 } });
  writeModelEntry(repo, { name: "resnet50_single", onnx, maxBatchSize: 32, ...io });
  const server = await serve({ modelRepository: repo, httpPort: 0, log: (l) => console.error(l) });
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: "INPUT_0", shape: [1, 3, 224, 224], datatype: "FP32", parameters: { binary_data_size: 3 * 224 * 224 * 4 } }], outputs: [{ name: "OUTPUT_0", parameters: { binary_data: true } }] }));
  const img = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i) * 0.5);
  const body = Buffer.concat([header, Buffer.from(img.buffer)]);
  const headers = { "Inference-Header-Content-Length": String(header.length) };
  const seconds = quick ? 3 : 8;
  console.log(`\nResNet-50 (random weights), CPU x${os.cpus().length}, 1 instance, binary tensors, ${seconds}s per row after 1.5s warm-up:`);
  console.log("| concurrency | dynamic batching | req/s | p50 ms | p99 ms | requests | avg batch |\n|---:|---|---:|---:|---:|---:|---:|");
  for (const c of [1, 8, 32]) {
    for (const [model, label] of [["resnet50_single", "off"], ["resnet50_batching", "on (max 32, 2 ms delay)"]]) {
      const before = server.repository.get(model).stats;
      const [r0, e0] = [before.inferenceCount, before.executionCount];
      const r = await load(server, model, c, seconds, body, headers);
      const avg = (before.inferenceCount - r0) / Math.max(1, before.executionCount - e0);
      console.log(`| ${c} | ${label} | ${r.rps.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.n} | ${avg.toFixed(1)} |`);
    }
  }
  await server.stop();
}

async function main(): Promise<void> {
  const ort = require("onnxruntime-node") as Ort;
  const onnxDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-bench-onnx-"));
  execFileSync(PYTHON, [path.join(ROOT, "test", "serving", "make_models.py"), onnxDir, "mlp"], { stdio: ["ignore", "ignore", "inherit"] });
  const small = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-bench-small-"));
  writeModelEntry(small, { name: "small", onnx: fs.readFileSync(path.join(onnxDir, "mlp.onnx")), maxBatchSize: 8, inputs: [{ name: "INPUT_0", dtype: "float32", dims: [4] }], outputs: [{ name: "OUTPUT_0", dtype: "float32", dims: [3] }] });
  console.log(`flowbook serving bench — node ${process.version}, onnxruntime-node ${require("onnxruntime-node/package.json").version}, ${os.cpus()[0].model} x${os.cpus().length}`);
  await smallOverhead(ort, path.join(onnxDir, "mlp.onnx"), small);
  if (!process.argv.includes("--small-only")) await resnet(onnxDir, fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-bench-resnet-")));
}

main().catch((err) => { console.error(err); process.exit(1); });
