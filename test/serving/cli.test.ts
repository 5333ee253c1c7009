/**
 * The CLI (`flowbook serve`) as a real process: start, curl health, infer, SIGINT stop; argument
 * and device errors. And graceful shutdown through the API: an in-flight request finishes.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, execFile } from "child_process";
import { promisify } from "util";
import * as path from "path";
import { serve } from "../../src/serving";
import { makeRepository, request, ROOT } from "./fixtures";

const BIN = path.join(ROOT, "bin", "flowbook.js");
const fixture = makeRepository();

function run(args: string[]): { out: () => string; err: () => string; started: Promise<string>; exit: Promise<number | null>; kill: (s: NodeJS.Signals) => void } {
  const p = spawn(process.execPath, [BIN, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  p.stderr.on("data", (d) => { err += d; });
  const started = new Promise<string>((resolve) => p.stdout.on("data", (d) => {
    out += d;
    const m = /Started HTTPService at (\S+)/.exec(out);
    if (m) resolve(`http://${m[1]}`);
  }));
  const exit = new Promise<number | null>((resolve) => p.on("exit", (code) => resolve(code)));
  return { out: () => out, err: () => err, started, exit, kill: (s) => p.kill(s) };
}

test("flowbook serve starts, answers curl and infer, and stops on SIGINT", async () => {
  const p = run(["--model-repository", fixture.repo, "--http-port", "0"]);
  const base = await Promise.race([p.started, p.exit.then((c) => { throw new Error(`exited ${c}: ${p.err()}`); })]);
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  const { stdout } = await promisify(execFile)("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", `${base}/v2/health/ready`]);
  assert.equal(stdout, "200");
  const r = await request(base, "POST", "/v2/models/mlp/infer", { inputs: [{ name: "INPUT_0", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] });
  assert.deepEqual(r.json().outputs[0].data, [1, 2.5, 6]);
  assert.match(p.out(), /model broken_onnx: UNAVAILABLE/);
  assert.match(p.err(), /warning: mlp_batch\/config\.pbtxt:8/);
  p.kill("SIGINT");
  assert.equal(await p.exit, 0);
  assert.match(p.out(), /stopped/);
});

test("flowbook serve refuses bad arguments and unavailable devices with the fix", async () => {
  const noRepo = run([]);
  assert.equal(await noRepo.exit, 2);
  assert.match(noRepo.err(), /--model-repository is required/);
  const badDevice = run(["--model-repository", fixture.repo, "--device", "tpu"]);
  assert.equal(await badDevice.exit, 2);
  assert.match(badDevice.err(), /--device must be cpu, webgpu, cuda or tensorrt; got 'tpu'/);
  const ort = require("onnxruntime-node") as { listSupportedBackends: () => { name: string; bundled: boolean }[] };
  if (!ort.listSupportedBackends().some((b) => b.name === "cuda" && b.bundled)) {
    const cuda = run(["--model-repository", fixture.repo, "--device", "cuda", "--http-port", "0"]);
    assert.equal(await cuda.exit, 1);
    assert.match(cuda.err(), /device 'cuda' is not available: .*node install\.js --cuda.*--device cpu/);
  }
  const missing = run(["--model-repository", path.join(fixture.repo, "nope")]);
  assert.equal(await missing.exit, 1);
  assert.match(missing.err(), /is not a directory/);
});

test("graceful shutdown finishes in-flight requests, then refuses connections", async () => {
  const server = await serve({ modelRepository: fixture.repo, httpPort: 0, log: () => {} });
  const x = { inputs: [{ name: "X", shape: [256, 512], datatype: "FP32", data: new Array(256 * 512).fill(0.01) }] };
  const inflight = request(server.url, "POST", "/v2/models/slow/infer", x);
  await new Promise((r) => setTimeout(r, 100));
  const stopped = server.stop();
  const r = await inflight;
  assert.equal(r.status, 200, r.body.toString());
  assert.deepEqual(r.json().outputs[0].shape, [256, 512]);
  await stopped;
  await assert.rejects(request(server.url, "GET", "/v2/health/live"), /ECONNREFUSED/);
});
