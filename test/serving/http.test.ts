/**
 * The server through real HTTP on loopback: every endpoint and extension, both binary directions,
 * classification with labels, every datatype, the error cases (with the server healthy after each,
 * checked with curl too), path traversal, broken models, concurrency with batching, and health
 * answering while a model computes.
 */
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "child_process";
import { promisify } from "util";
import * as net from "net";
import { serve, ServerHandle, JUPYTER_DISPLAY, encodeBytesElements } from "../../src/serving";
import { makeRepository, request, binaryBody, splitResponse, f32Bytes, LABELS, Res } from "./fixtures";

let server: ServerHandle;
let base: string;
const logs: string[] = [];

before(async () => {
  const { repo } = makeRepository();
  server = await serve({ modelRepository: repo, httpPort: 0, maxBodyBytes: 1 << 20, log: (l) => logs.push(l) });
  base = server.url;
});
after(async () => { await server.stop(); });

const get = (p: string) => request(base, "GET", p);
const post = (p: string, body?: Buffer | string | object, headers?: Record<string, string>) => request(base, "POST", p, body, headers);
const mlpInput = (rows: number[][]) => ({ name: "INPUT_0", shape: [rows.length, 4], datatype: "FP32", data: rows });
/** What the fixed mlp computes for one row. */
const mlpOut = (r: number[]) => [r[0], r[1] + 0.5, r[2] + r[3] - 1];

/** curl runs as a child process; async, since the server shares this process's event loop. */
async function curlStatus(p: string): Promise<string> {
  return (await promisify(execFile)("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", `${base}${p}`])).stdout;
}

async function assertHealthy(): Promise<void> {
  assert.equal((await get("/v2/health/live")).status, 200);
  assert.equal((await get("/v2/health/ready")).status, 200);
  const r = await post("/v2/models/mlp/infer", { inputs: [mlpInput([[1, 1, 1, 1]])] });
  assert.equal(r.status, 200, r.body.toString());
}

async function assertError(r: Res, status: number, pattern: RegExp): Promise<void> {
  assert.equal(r.status, status, r.body.toString());
  assert.match(String(r.headers["content-type"]), /application\/json/);
  assert.match(r.json().error, pattern);
  await assertHealthy();
}

test("server metadata, live and ready (also with curl)", async () => {
  const meta = (await get("/v2")).json();
  assert.equal(meta.name, "flowbook");
  assert.ok(meta.extensions.includes("binary_tensor_data") && meta.extensions.includes("classification") && meta.extensions.includes("statistics"));
  assert.equal((await get("/v2/health/live")).status, 200);
  assert.equal((await get("/v2/health/ready")).status, 200);
  assert.equal(await curlStatus("/v2/health/ready"), "200");
  assert.equal(server.host, "127.0.0.1", "binds loopback by default");
});

test("repository index reports broken models with reasons, the others READY", async () => {
  const index: { name: string; version?: string; state: string; reason?: string }[] = (await post("/v2/repository/index", {})).json();
  const state = (n: string) => index.filter((e) => e.name === n);
  for (const n of ["mlp", "mlp_batch", "cnn", "types", "reshape", "slow"]) assert.equal(state(n)[0].state, "READY", n);
  assert.deepEqual(state("multi").map((e) => e.version), ["1", "2"]);
  assert.match(state("broken_config")[0].reason!, /broken_config\/config\.pbtxt:2: max_batch_size: expected an integer/);
  assert.match(state("broken_onnx")[0].reason!, /model\.onnx/);
  assert.match(state("broken_labels")[0].reason!, /outside the model repository/);
  assert.match(state("escape")[0].reason!, /symlink .* outside the model repository/);
  for (const n of ["broken_config", "broken_onnx", "broken_labels", "escape"]) assert.equal(state(n)[0].state, "UNAVAILABLE");
  const ready = (await post("/v2/repository/index", { ready: true })).json();
  assert.ok(ready.every((e: { state: string }) => e.state === "READY"));
  assert.ok(logs.some((l) => /mlp_batch\/config\.pbtxt:8: field 'optimization' is not used/.test(l)), "unknown field warned with file:line");
});

test("model metadata, versions, ready and config", async () => {
  const m = (await get("/v2/models/mlp")).json();
  assert.deepEqual(m, { name: "mlp", versions: ["1"], platform: "onnxruntime_onnx", inputs: [{ name: "INPUT_0", datatype: "FP32", shape: [-1, 4] }], outputs: [{ name: "OUTPUT_0", datatype: "FP32", shape: [-1, 3] }] });
  assert.deepEqual((await get("/v2/models/multi")).json().versions, ["1", "2"]);
  assert.deepEqual((await get("/v2/models/multi/versions/2")).json().versions, ["2"]);
  assert.equal((await get("/v2/models/mlp/ready")).status, 200);
  assert.equal((await get("/v2/models/multi/versions/1/ready")).status, 200);
  assert.equal((await get("/v2/models/broken_onnx/ready")).status, 503);
  const c = (await get("/v2/models/mlp/config")).json();
  assert.equal(c.max_batch_size, 8);
  assert.equal(c.backend, "onnxruntime");
  assert.deepEqual(c.input[0].dims, [4]);
  assert.equal(c.input[0].data_type, "TYPE_FP32");
  assert.equal(c.output[0].label_filename, "labels.txt");
  assert.equal(c.dynamic_batching.max_queue_delay_microseconds, 1000);
  const b = (await get("/v2/models/mlp_batch/versions/1/config")).json();
  assert.deepEqual(b.dynamic_batching.preferred_batch_size, [8, 16]);
  assert.equal(b.instance_group[0].count, 2);
  const cnn = (await get("/v2/models/cnn/config")).json();
  assert.equal(cnn.max_batch_size, 4, "completed from the ONNX file");
  assert.deepEqual(cnn.input[0].dims, [1, 8, 8]);
  assert.deepEqual(cnn.output[0].dims, [10]);
});

test("infer with JSON tensors, id and parameters", async () => {
  const rows = [[1, 2, 3, 4], [0, 0, 0, 0]];
  const r = await post("/v2/models/mlp/infer", { id: "req-7", parameters: { note: "x" }, inputs: [mlpInput(rows)], outputs: [{ name: "OUTPUT_0" }] });
  assert.equal(r.status, 200, r.body.toString());
  const j = r.json();
  assert.equal(j.id, "req-7");
  assert.equal(j.model_name, "mlp");
  assert.equal(j.model_version, "1");
  assert.deepEqual(j.parameters, { note: "x" });
  assert.deepEqual(j.outputs, [{ name: "OUTPUT_0", datatype: "FP32", shape: [2, 3], data: rows.flatMap(mlpOut) }]);
  const flat = await post("/v2/models/multi/versions/2/infer", { inputs: [{ name: "INPUT_0", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] });
  assert.equal(flat.json().model_version, "2");
  assert.deepEqual(flat.json().outputs[0].data, mlpOut([1, 2, 3, 4]));
});

test("binary tensor data in both directions", async () => {
  const rows = [[1, 2, 3, 4], [5, 6, 7, 8], [-1, -2, -3, -4]];
  const { body, headers } = binaryBody({ inputs: [{ name: "INPUT_0", shape: [3, 4], datatype: "FP32", parameters: { binary_data_size: 48 } }], parameters: { binary_data_output: true } }, [f32Bytes(rows.flat())]);
  const r = await post("/v2/models/mlp/infer", body, headers);
  assert.equal(r.status, 200, r.body.toString());
  const { header, binary } = splitResponse(r);
  assert.deepEqual(header.outputs[0], { name: "OUTPUT_0", datatype: "FP32", shape: [3, 3], parameters: { binary_data_size: 36 } });
  assert.deepEqual(Array.from(new Float32Array(binary.buffer.slice(binary.byteOffset, binary.byteOffset + 36))), rows.flatMap(mlpOut));
  // JSON in, binary out for one output named with binary_data.
  const r2 = await post("/v2/models/mlp/infer", { inputs: [mlpInput([rows[0]])], outputs: [{ name: "OUTPUT_0", parameters: { binary_data: true } }] });
  const s2 = splitResponse(r2);
  assert.equal(s2.binary.length, 12);
  assert.equal(s2.header.outputs[0].parameters.binary_data_size, 12);
  // Binary in, JSON out.
  const r3 = await post("/v2/models/mlp/infer", binaryBody({ inputs: [{ name: "INPUT_0", shape: [1, 4], datatype: "FP32", parameters: { binary_data_size: 16 } }] }, [f32Bytes(rows[1])]).body, { "Inference-Header-Content-Length": String(JSON.stringify({ inputs: [{ name: "INPUT_0", shape: [1, 4], datatype: "FP32", parameters: { binary_data_size: 16 } }] }).length) });
  assert.deepEqual(r3.json().outputs[0].data, mlpOut(rows[1]));
});

test("classification with labels, and without", async () => {
  const r = await post("/v2/models/mlp/infer", { inputs: [mlpInput([[1, 2, 3, 4], [9, 0, 0, 0]])], outputs: [{ name: "OUTPUT_0", parameters: { classification: 2 } }] });
  assert.deepEqual(r.json().outputs[0], { name: "OUTPUT_0", datatype: "BYTES", shape: [2, 2], data: [`6.000000:2:${LABELS[2]}`, `2.500000:1:${LABELS[1]}`, `9.000000:0:${LABELS[0]}`, `0.500000:1:${LABELS[1]}`] });
  const c = await post("/v2/models/cnn/infer", { inputs: [{ name: "INPUT_0", shape: [1, 1, 8, 8], datatype: "FP32", data: new Array(64).fill(0.5) }], outputs: [{ name: "OUTPUT_0", parameters: { classification: 3, binary_data: false } }] });
  const data: string[] = c.json().outputs[0].data;
  assert.equal(data.length, 3);
  const scores = data.map((s) => Number(s.split(":")[0]));
  assert.ok(data.every((s) => /^-?\d+\.\d{6}:\d+$/.test(s)), data.join(" "));
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "sorted descending");
  // Classification in binary: BYTES elements with 4-byte lengths.
  const b = await post("/v2/models/mlp/infer", { inputs: [mlpInput([[1, 2, 3, 4]])], outputs: [{ name: "OUTPUT_0", parameters: { classification: 1, binary_data: true } }] });
  const { binary } = splitResponse(b);
  assert.equal(binary.readUInt32LE(0), binary.length - 4);
  assert.equal(binary.subarray(4).toString(), "6.000000:2:bird");
});

const TYPE_VALUES: Record<string, unknown[]> = {
  FP32: [1.5, -2, 0.25, 3], FP16: [1.5, -2, 0.25, 65504], FP64: [1e-300, -2, 0.1, 3], INT8: [-128, 127, 0, 1], INT16: [-32768, 32767, 0, 1],
  INT32: [-2147483648, 2147483647, 0, 1], INT64: [-9007199254740991, 9007199254740991, 0, 1], UINT8: [0, 255, 1, 2], UINT16: [0, 65535, 1, 2],
  UINT32: [0, 4294967295, 1, 2], UINT64: [0, 9007199254740991, 1, 2], BOOL: [true, false, false, true], BYTES: ["a", "", "héllo", "x y"],
};

test("every datatype round-trips through JSON", async () => {
  const inputs = Object.entries(TYPE_VALUES).map(([t, data]) => ({ name: `IN_${t}`, shape: [2, 2], datatype: t, data }));
  const r = await post("/v2/models/types/infer", { inputs });
  assert.equal(r.status, 200, r.body.toString());
  for (const o of r.json().outputs) {
    const t = o.name.slice(4);
    assert.equal(o.datatype, t);
    assert.deepEqual(o.shape, [2, 2]);
    assert.deepEqual(o.data, TYPE_VALUES[t], t);
  }
});

test("every datatype round-trips through binary data", async () => {
  const enc: Record<string, (v: unknown[]) => Buffer> = {
    FP32: (v) => Buffer.from(new Float32Array(v as number[]).buffer), FP64: (v) => Buffer.from(new Float64Array(v as number[]).buffer),
    INT32: (v) => Buffer.from(new Int32Array(v as number[]).buffer), INT64: (v) => Buffer.from(new BigInt64Array((v as number[]).map(BigInt)).buffer),
    UINT8: (v) => Buffer.from(v as number[]), BOOL: (v) => Buffer.from((v as boolean[]).map(Number)), BYTES: (v) => encodeBytesElements(v as string[]),
  };
  const chunks = Object.entries(enc).map(([t, f]) => f(TYPE_VALUES[t]));
  const inputs = Object.keys(TYPE_VALUES).map((t) => enc[t]
    ? { name: `IN_${t}`, shape: [2, 2], datatype: t, parameters: { binary_data_size: chunks[Object.keys(enc).indexOf(t)].length } }
    : { name: `IN_${t}`, shape: [2, 2], datatype: t, data: TYPE_VALUES[t] });
  const ordered = Object.keys(TYPE_VALUES).filter((t) => enc[t]).map((t) => chunks[Object.keys(enc).indexOf(t)]);
  const { body, headers } = binaryBody({ inputs, outputs: Object.keys(enc).map((t) => ({ name: `OUT_${t}`, parameters: { binary_data: true } })) }, ordered);
  const r = await post("/v2/models/types/infer", body, headers);
  assert.equal(r.status, 200, r.body.toString());
  const { header, binary } = splitResponse(r);
  let at = 0;
  for (const o of header.outputs) {
    const n = o.parameters.binary_data_size;
    assert.deepEqual(binary.subarray(at, at + n), enc[o.name.slice(4)](TYPE_VALUES[o.name.slice(4)]), o.name);
    at += n;
  }
  assert.equal(at, binary.length);
});

test("reshape: clients see dims, the model gets reshape.shape", async () => {
  const r = await post("/v2/models/reshape/infer", { inputs: [{ name: "X", shape: [2, 4], datatype: "FP32", data: [1, 2, 3, 4, 5, 6, 7, 8] }] });
  assert.deepEqual(r.json().outputs[0], { name: "Y", datatype: "FP32", shape: [2, 4], data: [2, 4, 6, 8, 10, 12, 14, 16] });
});

test("errors answer like Triton and leave the server healthy", async () => {
  const infer = (body: object) => post("/v2/models/mlp/infer", body);
  await assertError(await post("/v2/models/nope/infer", { inputs: [] }), 404, /^Request for unknown model: 'nope' is not found$/);
  await assertError(await get("/v2/models/mlp/versions/9"), 404, /^Request for unknown model: 'mlp' version 9 is not found$/);
  await assertError(await infer({ inputs: [{ name: "BAD", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] }), 400, /^\[request id: <id_unknown>\] unexpected inference input 'BAD' for model 'mlp'/);
  await assertError(await infer({ id: "e1", inputs: [{ ...mlpInput([[1, 2, 3, 4]]), datatype: "INT32" }] }), 400, /^\[request id: e1\] inference input 'INPUT_0' data-type is 'INT32', but model 'mlp' expects 'FP32'$/);
  await assertError(await infer({ inputs: [{ name: "INPUT_0", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] }), 400, /unexpected shape for input 'INPUT_0' for model 'mlp'\. Expected \[-1,4\], got \[1,3\]$/);
  await assertError(await infer({ inputs: [{ name: "INPUT_0", shape: [9, 4], datatype: "FP32", data: new Array(36).fill(0) }] }), 400, /inference request batch-size must be <= 8 for 'mlp'$/);
  await assertError(await infer({ inputs: [{ name: "INPUT_0", shape: [2, 4], datatype: "FP32", data: [1, 2, 3] }] }), 400, /unexpected number of elements for input 'INPUT_0'/);
  await assertError(await infer({ inputs: [{ name: "INPUT_0", shape: [1, 4], datatype: "FP32", data: [1, 2, "x", 4] }] }), 400, /element 2 is "x", which is not a valid FP32 value/);
  await assertError(await infer({ inputs: [] }), 400, /expected 1 inputs but got 0 inputs for model 'mlp'/);
  await assertError(await infer({ inputs: [mlpInput([[1, 2, 3, 4]])], outputs: [{ name: "NOPE" }] }), 400, /unexpected inference output 'NOPE'/);
  await assertError(await post("/v2/models/mlp/infer", '{"inputs": [', { "Content-Type": "application/json" }), 400, /^failed to parse the request JSON buffer: /);
  const hdr = { inputs: [{ name: "INPUT_0", shape: [1, 4], datatype: "FP32", parameters: { binary_data_size: 12 } }] };
  const size = binaryBody(hdr, [Buffer.alloc(12)]);
  await assertError(await post("/v2/models/mlp/infer", size.body, size.headers), 400, /input byte size mismatch for input 'INPUT_0' for model 'mlp'\. Expected 16, got 12/);
  const trunc = binaryBody({ inputs: [{ ...hdr.inputs[0], parameters: { binary_data_size: 16 } }] }, [Buffer.alloc(8)]);
  await assertError(await post("/v2/models/mlp/infer", trunc.body, trunc.headers), 400, /request body is truncated: input 'INPUT_0' announces 16 bytes/);
  await assertError(await post("/v2/models/mlp/infer", Buffer.from("{}"), { "Inference-Header-Content-Length": "99" }), 400, /Inference-Header-Content-Length is "99"/);
  await assertError(await post("/v2/models/mlp/infer", Buffer.alloc(2 << 20, 32)), 413, /exceeds the limit of 1048576 bytes/);
  await assertError(await get("/v2/nothing/here"), 404, /no endpoint GET \/v2\/nothing\/here/);
  await assertError(await get("/v2/models/mlp/infer"), 405, /takes POST/);
  await assertError(await post("/v2/models/broken_onnx/infer", { inputs: [] }), 503, /not ready \(UNAVAILABLE\)/);
});

test("a client that sends half a body and disconnects does not hurt the server", async () => {
  const u = new URL(base);
  await new Promise<void>((resolve) => {
    const s = net.connect(Number(u.port), u.hostname, () => {
      s.write("POST /v2/models/mlp/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"inputs\": [");
      setTimeout(() => { s.destroy(); resolve(); }, 50);
    });
  });
  await new Promise<void>((resolve) => {
    const s = net.connect(Number(u.port), u.hostname, () => s.end("garbage\r\n\r\n"));
    s.on("close", () => resolve());
    s.resume();
  });
  await assertHealthy();
  assert.equal(await curlStatus("/v2/health/ready"), "200");
});

test("names from URLs and the repository extension cannot leave the repository", async () => {
  await assertError(await get("/v2/models/..%2F..%2Fetc/config"), 400, /invalid model name '\.\.\/\.\.\/etc': it contains a path separator/);
  await assertError(await get("/v2/models/../ready"), 400, /invalid model name '\.\.'/);
  await assertError(await get("/v2/models/%2Fetc%2Fpasswd"), 400, /invalid model name '\/etc\/passwd'/);
  assert.equal((await get("/v2/models/../../etc/passwd")).status, 404);
  await assertError(await post("/v2/repository/models/..%2Fescape/load"), 400, /invalid model name/);
  await assertError(await post("/v2/repository/models/escape/load"), 400, /failed to load 'escape': path 'escape' is refused: a symlink/);
  await assertError(await post("/v2/models/escape/infer", { inputs: [] }), 503, /not ready/);
  await assertError(await get("/v2/models/mlp/versions/..%2F1"), 400, /invalid model version/);
});

test("repository extension: unload, load, reload; broken load reported", async () => {
  assert.equal((await post("/v2/repository/models/multi/unload")).status, 200);
  assert.equal((await get("/v2/models/multi/ready")).status, 503);
  await assertError(await post("/v2/models/multi/infer", { inputs: [mlpInput([[1, 1, 1, 1]])] }), 503, /'multi' which is not ready \(UNAVAILABLE\): unloaded/);
  const idx = (await post("/v2/repository/index")).json();
  assert.deepEqual(idx.find((e: { name: string }) => e.name === "multi"), { name: "multi", state: "UNAVAILABLE", reason: "unloaded" });
  assert.equal((await post("/v2/repository/models/multi/load", {})).status, 200);
  assert.equal((await get("/v2/models/multi/versions/2/ready")).status, 200);
  assert.equal((await post("/v2/repository/models/mlp/load")).status, 200, "reload of a ready model");
  await assertError(await post("/v2/repository/models/broken_config/load"), 400, /failed to load 'broken_config': broken_config\/config\.pbtxt:2/);
  await assertError(await post("/v2/repository/models/ghost/load"), 400, /failed to load 'ghost': no model directory 'ghost'/);
  await assertError(await post("/v2/repository/models/ghost/unload"), 404, /unknown model: 'ghost'/);
  await assertHealthy();
});

test("8 concurrent clients x 50 requests are all answered correctly and batched", async () => {
  const client = async (c: number) => {
    for (let i = 0; i < 50; i++) {
      const row = [c, i, c * i, 1];
      const r = await post("/v2/models/mlp_batch/infer", { id: `${c}-${i}`, inputs: [mlpInput([row])] });
      assert.equal(r.status, 200, r.body.toString());
      const j = r.json();
      assert.equal(j.id, `${c}-${i}`);
      assert.deepEqual(j.outputs[0].data, mlpOut(row));
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, c) => client(c)));
  const stats = (await get("/v2/models/mlp_batch/stats")).json().model_stats[0];
  assert.equal(stats.inference_stats.success.count, 400);
  assert.equal(stats.inference_count, 400);
  assert.ok(stats.execution_count < 400, `executions ${stats.execution_count} < requests: requests were batched`);
  const sizes = stats.batch_stats.map((b: { batch_size: number }) => b.batch_size);
  assert.ok(Math.max(...sizes) > 1, `batch sizes ${sizes}`);
  const total = stats.batch_stats.reduce((n: number, b: { batch_size: number; compute_infer: { count: number } }) => n + b.batch_size * b.compute_infer.count, 0);
  assert.equal(total, 400);
});

test("statistics and Prometheus metrics", async () => {
  assert.equal((await post("/v2/models/mlp/infer", { inputs: [] })).status, 400);
  const all = (await get("/v2/models/stats")).json().model_stats;
  assert.ok(all.some((s: { name: string }) => s.name === "cnn"));
  const s = (await get("/v2/models/mlp/versions/1/stats")).json().model_stats[0];
  for (const k of ["success", "fail", "queue", "compute_input", "compute_infer", "compute_output"]) {
    assert.equal(typeof s.inference_stats[k].count, "number", k);
    assert.equal(typeof s.inference_stats[k].ns, "number", k);
  }
  assert.ok(s.inference_stats.success.count > 0 && s.inference_stats.success.ns > 0);
  assert.ok(s.batch_stats[0].batch_size >= 1 && s.batch_stats[0].compute_infer.count >= 1);
  const m = await get("/metrics");
  assert.match(String(m.headers["content-type"]), /text\/plain/);
  const text = m.body.toString();
  assert.match(text, /# TYPE nv_inference_request_success counter/);
  assert.match(text, /nv_inference_request_success\{model="mlp_batch",version="1"\} 400/);
  assert.match(text, /nv_inference_request_failure\{model="mlp",version="1"\} [1-9]/);
  for (const n of ["nv_inference_count", "nv_inference_exec_count", "nv_inference_queue_duration_us", "nv_inference_compute_infer_duration_us", "nv_inference_request_duration_us"]) assert.match(text, new RegExp(`${n}\\{model="mlp"`));
});

test("health and metadata answer while a model computes", async () => {
  const x = { inputs: [{ name: "X", shape: [256, 512], datatype: "FP32", data: new Array(256 * 512).fill(0.01) }] };
  const order: string[] = [];
  const slow = post("/v2/models/slow/infer", x).then((r) => { order.push("infer"); return r; });
  await new Promise((r) => setTimeout(r, 30));
  const ready = await get("/v2/health/ready");
  order.push("ready");
  assert.equal((await get("/v2/models/slow")).status, 200);
  assert.equal(ready.status, 200);
  const r = await slow;
  assert.equal(r.status, 200);
  assert.deepEqual(order, ["ready", "infer"]);
});

test("display bundle shows endpoints, models and statistics", () => {
  const b = server[JUPYTER_DISPLAY]();
  assert.match(b["text/html"], /<table>/);
  assert.match(b["text/html"], /mlp_batch/);
  assert.match(b["text/plain"], /v2\/health\/ready/);
  assert.match(b["text/plain"], /broken_onnx .*UNAVAILABLE/);
});
