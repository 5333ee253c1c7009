/**
 * Fixes after QA, through real HTTP on loopback: Triton's config override on a repository load, the 413
 * body-limit answer reaching Node fetch and curl even for a body far over the limit, the notebook handle's
 * live statistics, and large JSON tensors decoded and encoded off the HTTP event loop.
 */
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "child_process";
import { promisify } from "util";
import * as fs from "fs";
import * as path from "path";
import { serve, ServerHandle, JUPYTER_DISPLAY } from "../../src/serving";
import { makeRepository, request, Res } from "./fixtures";
import * as flow from "../../src/index";

let server: ServerHandle;
let base: string;
let repoDir: string;
const logs: string[] = [];

before(async () => {
  const { repo } = makeRepository();
  repoDir = repo;
  server = await serve({ modelRepository: repo, httpPort: 0, maxBodyBytes: 1 << 20, log: (l) => logs.push(l) });
  base = server.url;
});
after(async () => { await server.stop(); });

const get = (p: string) => request(base, "GET", p);
const post = (p: string, body?: Buffer | string | object, headers?: Record<string, string>) => request(base, "POST", p, body, headers);
const rows = (n: number) => ({ inputs: [{ name: "INPUT_0", shape: [n, 4], datatype: "FP32", data: new Array(n * 4).fill(1) }] });
const load = (model: string, parameters?: unknown) => post(`/v2/repository/models/${model}/load`, parameters === undefined ? {} : { parameters });

function assertError(r: Res, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, r.body.toString());
  assert.match(r.json().error, pattern);
}

test("load with parameters.config: the JSON replaces config.pbtxt for this load (as Triton), completed from the ONNX model", async () => {
  assert.equal((await get("/v2/models/mlp/config")).json().max_batch_size, 8);
  const r = await load("mlp", { config: JSON.stringify({ max_batch_size: 2 }) });
  assert.equal(r.status, 200, r.body.toString());
  const c = (await get("/v2/models/mlp/config")).json();
  assert.equal(c.max_batch_size, 2);
  assert.deepEqual(c.input.map((t: { name: string }) => t.name), ["INPUT_0"], "inputs completed from the ONNX file");
  assert.equal((await post("/v2/models/mlp/infer", rows(2))).status, 200);
  assertError(await post("/v2/models/mlp/infer", rows(3)), 400, /batch-size must be <= 2 for 'mlp'/);

  // GET .../config's JSON, edited and sent back (int64 dims as strings, as protobuf's JSON writes them).
  const file = (await get("/v2/models/mlp_batch/config")).json();
  const edited = { ...file, max_batch_size: 3, instance_group: [{ count: 1, kind: "KIND_CPU" }], input: [{ ...file.input[0], dims: ["4"] }] };
  assert.equal((await load("mlp_batch", { config: JSON.stringify(edited) })).status, 200);
  const e = (await get("/v2/models/mlp_batch/config")).json();
  assert.equal(e.max_batch_size, 3);
  assert.equal(e.instance_group[0].count, 1);
  assert.deepEqual(e.dynamic_batching.preferred_batch_size, [8, 16]);
  assert.deepEqual(e.input[0].dims, [4]);
  // lowerCamelCase names are protobuf JSON too.
  assert.equal((await load("mlp_batch", { config: '{"maxBatchSize": 5}' })).status, 200);
  assert.equal((await get("/v2/models/mlp_batch/config")).json().max_batch_size, 5);

  // A later load without the parameter reads config.pbtxt again.
  assert.equal((await load("mlp")).status, 200);
  assert.equal((await get("/v2/models/mlp/config")).json().max_batch_size, 8);
});

test("a bad config override is a 400 with the reason, and the model keeps serving its previous config", async () => {
  assertError(await load("mlp", { config: '{"max_batch_size": -1}' }), 400, /invalid config override for 'mlp' \(load parameter 'config'\): max_batch_size: must be >= 0, got -1/);
  assertError(await load("mlp", { config: "{max_batch_size: 2" }), 400, /invalid config override for 'mlp' .*not valid JSON/);
  assertError(await load("mlp", { config: '{"input": [{"name": "INPUT_0", "data_type": "TYPE_NOPE", "dims": [4]}]}' }), 400, /data_type: expected one of .*TYPE_FP32.* got "TYPE_NOPE"/);
  assertError(await load("mlp", { config: { max_batch_size: 2 } }), 400, /parameter 'config' must be a string holding the model configuration as JSON/);
  assertError(await load("mlp", { "file:1/model.onnx": "AAAA" }), 400, /model files sent with the load request are not supported/);
  assertError(await load("mlp", { bogus: 1 }), 400, /unknown parameter 'bogus'; the supported one is 'config'/);
  assertError(await load("mlp", { config: '{"name": "other"}' }), 400, /failed to load 'mlp': the config override names the model 'other' but its directory is 'mlp'/);
  assertError(await load("mlp", { config: '{"input": [{"name": "NOPE", "data_type": "TYPE_FP32", "dims": [4]}]}' }), 400, /failed to load 'mlp': unexpected input 'NOPE'/);
  assert.equal((await get("/v2/models/mlp/ready")).status, 200);
  assert.equal((await get("/v2/models/mlp/config")).json().max_batch_size, 8);
  assert.equal((await post("/v2/models/mlp/infer", rows(8))).status, 200);
});

/** Runs a client in another process (in this process the server and client share one event loop, which hides the race). */
async function nodeClient(script: string, args: string[]): Promise<string> {
  return (await promisify(execFile)(process.execPath, ["-e", script, ...args], { maxBuffer: 1 << 20 })).stdout;
}

test("413 for a body over the limit reaches Node fetch and curl (no EPIPE), and the server stays healthy", async () => {
  const body = path.join(fs.mkdtempSync(path.join(repoDir, "..", "flowbook-413-")), "big.bin");
  fs.writeFileSync(body, Buffer.alloc(6 << 20, 7)); // 6 MiB against the 1 MiB limit
  const script = `(async () => { const b = require("fs").readFileSync(process.argv[1]); const out = [];
    for (let i = 0; i < 8; i++) { try { const r = await fetch(process.argv[2], { method: "POST", body: b }); out.push(r.status + ":" + JSON.parse(await r.text()).error.slice(0, 30)); }
      catch (e) { out.push("ERR " + (e.cause?.code || e.message)); } }
    console.log(JSON.stringify(out)); })()`;
  const got: string[] = JSON.parse(await nodeClient(script, [body, `${base}/v2/models/mlp/infer`]));
  assert.deepEqual(got, new Array(8).fill("413:request body exceeds the limit"));
  // curl, with Content-Length and chunked (no length: the limit is found while reading).
  for (const extra of [[], ["-H", "Transfer-Encoding: chunked"]]) {
    const { stdout } = await promisify(execFile)("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", ...extra, "--data-binary", `@${body}`, `${base}/v2/models/mlp/infer`]);
    assert.equal(stdout, "413", extra.join(" "));
  }
  assert.equal((await get("/v2/health/ready")).status, 200);
  assert.equal((await post("/v2/models/mlp/infer", rows(1))).status, 200);
});

test("the handle's display is rendered as of each call, and watch() refreshes a notebook output until stop()", async () => {
  const requests = (bundle: Record<string, string>) => Number(/\n\s*mlp\s+1\s+READY\s+(\d+)/.exec(bundle["text/plain"])![1]);
  const before = server[JUPYTER_DISPLAY]();
  assert.match(before["text/plain"], /running for \d+s, \d+ request\(s\) in flight; statistics as of \d\d:\d\d:\d\d \(server.watch\(\) keeps this view live\)/);
  assert.equal((await post("/v2/models/mlp/infer", rows(1))).status, 200);
  assert.equal(requests(server[JUPYTER_DISPLAY]()), requests(before) + 1, "a new display call shows the new request");

  // A display host as the kernel registers one, recording what reaches the notebook.
  const shown: { id?: string; text: string }[] = [], updates: { id: string; text: string }[] = [];
  const target = {
    display: (b: Record<string, unknown>, o?: { displayId?: string }) => { shown.push({ id: o?.displayId, text: String(b["text/plain"]) }); },
    updateDisplay: (id: string, b: Record<string, unknown>) => { updates.push({ id, text: String(b["text/plain"]) }); },
    clearOutput: () => undefined,
  };
  flow.display.registerDisplayHost({ current: () => target });
  try {
    const w = server.watch(10);
    assert.equal(shown.length, 1);
    assert.equal(shown[0].id, w.displayId);
    const n0 = requests({ "text/plain": shown[0].text });
    assert.equal((await post("/v2/models/mlp/infer", rows(1))).status, 200);
    for (let i = 0; i < 500 && !updates.some((u) => requests({ "text/plain": u.text }) === n0 + 1); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(updates.some((u) => u.id === w.displayId && requests({ "text/plain": u.text }) === n0 + 1), "an update shows the new request");
    assert.match(updates.at(-1)!.text, /\(live\)/);
    w.stop();
    const count = updates.length;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(updates.length, count, "no update after stop()");
    assert.throws(() => server.watch(0), /intervalMs must be a positive number/);
  } finally {
    flow.display.registerDisplayHost(null);
  }
});

test("stopping a watched server refreshes its output one last time as stopped", async () => {
  const small = fs.mkdtempSync(path.join(repoDir, "..", "flowbook-watch-"));
  fs.cpSync(path.join(repoDir, "mlp"), path.join(small, "mlp"), { recursive: true });
  const s = await serve({ modelRepository: small, httpPort: 0, log: () => undefined });
  const updates: string[] = [];
  flow.display.registerDisplayHost({ current: () => ({ display: () => undefined, updateDisplay: (_id: string, b: Record<string, unknown>) => { updates.push(String(b["text/plain"])); }, clearOutput: () => undefined }) });
  try {
    s.watch(60_000);
    await s.stop();
    assert.equal(updates.length, 1);
    assert.match(updates[0], /: stopped; statistics as of/);
  } finally {
    flow.display.registerDisplayHost(null);
  }
});

test("large JSON tensors are decoded and encoded by codec workers, with the same results and errors as inline", async () => {
  const { codecCounts } = await import("../../src/serving/codec");
  const R = 80, n = R * 512;
  const values = Array.from({ length: n }, (_, i) => Math.round(Math.sin(i) * 1e6) / 1e6);
  const c0 = codecCounts();
  const big = await post("/v2/models/slow/infer", { id: "big", inputs: [{ name: "X", shape: [R, 512], datatype: "FP32", data: values }] });
  assert.equal(big.status, 200, big.body.toString());
  const c1 = codecCounts();
  assert.deepEqual([c1.decoded - c0.decoded, c1.encoded - c0.encoded], [1, 1], "decoded and encoded off the event loop");
  // The same tensor sent and returned in binary (small JSON parts: inline) gives the same numbers.
  const bytes = Buffer.from(new Float32Array(values).buffer);
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: "X", shape: [R, 512], datatype: "FP32", parameters: { binary_data_size: bytes.length } }], outputs: [{ name: "Y", parameters: { binary_data: true } }] }));
  const bin = await post("/v2/models/slow/infer", Buffer.concat([header, bytes]), { "Inference-Header-Content-Length": String(header.length) });
  assert.equal(bin.status, 200);
  assert.deepEqual(codecCounts(), c1, "small JSON parts stay inline");
  const n0 = Number(bin.headers["inference-header-content-length"]);
  const fromBinary = Array.from(new Float32Array(new Uint8Array(bin.body.subarray(n0)).buffer));
  const out = big.json();
  assert.equal(out.id, "big");
  assert.deepEqual(out.outputs[0].shape, [R, 512]);
  assert.deepEqual(out.outputs[0].data, fromBinary);
  // A validation error found in a codec worker keeps its table message and status.
  const bad = values.slice() as unknown[];
  bad[1000] = "x";
  assertError(await post("/v2/models/slow/infer", { id: "bad", inputs: [{ name: "X", shape: [R, 512], datatype: "FP32", data: bad }] }), 400, /^\[request id: bad\] input 'X' element 1000 is "x", which is not a valid FP32 value$/);
  assert.equal(codecCounts().decoded, c1.decoded, "a failed decode is not counted");
  assert.equal((await get("/v2/health/ready")).status, 200);
});
