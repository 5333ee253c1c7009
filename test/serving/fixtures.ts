/**
 * Test fixtures: a Triton model repository generated at test time (ONNX models from
 * make_models.py run with Debian's python3-torch/python3-onnx), and a small HTTP client.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as http from "http";
import { writeModelEntry } from "../../src/serving";

/** Repository root of the checkout (this file runs from dist/test/serving). */
export const ROOT = path.join(__dirname, "..", "..", "..");
const PYTHON = "/usr/bin/python3";

/** Generates the fixture ONNX files into a fresh temp dir. */
export function makeOnnx(models: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-serving-onnx-"));
  execFileSync(PYTHON, [path.join(ROOT, "test", "serving", "make_models.py"), dir, ...models], { stdio: ["ignore", "ignore", "inherit"] });
  return dir;
}

function put(repo: string, rel: string, content: string | Buffer): void {
  const p = path.join(repo, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}

/** The labels of the mlp model's three classes. */
export const LABELS = ["cat", "dog", "bird"];

/**
 * Builds the test repository: `mlp` written by writeModelEntry (as flow.save will), `mlp_batch`
 * with a hand-written config (2 instances, dynamic batching, an unknown field), `cnn` and `types`
 * without config (completed from ONNX), `reshape`, `slow`, `multi` (two versions), and the broken
 * ones: `broken_config`, `broken_onnx`, `broken_labels`, and `escape` (a symlink out of the repository).
 */
export function makeRepository(): { repo: string; onnx: string; outside: string } {
  const onnx = makeOnnx();
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-serving-repo-"));
  const read = (n: string) => fs.readFileSync(path.join(onnx, `${n}.onnx`));
  writeModelEntry(repo, {
    name: "mlp", onnx: read("mlp"), maxBatchSize: 8,
    inputs: [{ name: "INPUT_0", dtype: "float32", dims: [4] }], outputs: [{ name: "OUTPUT_0", dtype: "float32", dims: [3] }],
    dynamicBatching: { maxQueueDelayMicroseconds: 1000 }, labels: LABELS,
  });
  put(repo, "mlp_batch/1/model.onnx", read("mlp"));
  put(repo, "mlp_batch/config.pbtxt", [
    'name: "mlp_batch"', 'platform: "onnxruntime_onnx"', "max_batch_size: 16",
    'input [ { name: "INPUT_0" data_type: TYPE_FP32 dims: [ 4 ] } ]',
    'output [ { name: "OUTPUT_0", data_type: TYPE_FP32, dims: [ 3 ] } ]',
    "dynamic_batching { max_queue_delay_microseconds: 2000 preferred_batch_size: [ 8, 16 ] }",
    "instance_group [ { count: 2 kind: KIND_CPU } ]",
    "optimization { execution_accelerators { cpu_execution_accelerator: [ { name: \"openvino\" } ] } }",
    "version_policy: { latest: { num_versions: 1 } }", "",
  ].join("\n"));
  put(repo, "cnn/1/model.onnx", read("cnn"));
  put(repo, "types/1/model.onnx", read("types"));
  put(repo, "reshape/1/model.onnx", read("reshape"));
  put(repo, "reshape/config.pbtxt", 'max_batch_size: 4\ninput { name: "X" data_type: TYPE_FP32 dims: [4] reshape: { shape: [2, 2] } }\noutput { name: "Y" data_type: TYPE_FP32 dims: [4] reshape { shape: [2, 2] } }\n');
  put(repo, "slow/1/model.onnx", read("slow"));
  put(repo, "slow/config.pbtxt", 'name: "slow"\nbackend: "onnxruntime"\nmax_batch_size: 0\ninput [{ name: "X" data_type: TYPE_FP32 dims: [-1, 512] }]\noutput [{ name: "Y" data_type: TYPE_FP32 dims: [-1, 512] }]\n');
  put(repo, "multi/1/model.onnx", read("mlp"));
  put(repo, "multi/2/model.onnx", read("mlp"));
  put(repo, "multi/config.pbtxt", "version_policy: { all: {} }\n");
  put(repo, "broken_config/1/model.onnx", read("mlp"));
  put(repo, "broken_config/config.pbtxt", 'name: "broken_config"\nmax_batch_size: "eight"\n');
  put(repo, "broken_onnx/1/model.onnx", "this is not an onnx file");
  put(repo, "broken_labels/1/model.onnx", read("mlp"));
  put(repo, "broken_labels/config.pbtxt", 'max_batch_size: 2\noutput [{ name: "OUTPUT_0" data_type: TYPE_FP32 dims: [3] label_filename: "../../../etc/passwd" }]\n');
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-serving-outside-"));
  put(outside, "1/model.onnx", read("mlp"));
  fs.symlinkSync(outside, path.join(repo, "escape"));
  return { repo, onnx, outside };
}

/** A response as the tests read it. */
export interface Res { status: number; headers: http.IncomingHttpHeaders; body: Buffer; json: () => any }

/** One HTTP request on loopback with the raw path (no normalisation of `..`). */
export function request(base: string, method: string, rawPath: string, body?: Buffer | string | object, headers: Record<string, string> = {}): Promise<Res> {
  const u = new URL(base);
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: rawPath, headers: { ...(payload ? { "Content-Length": String(payload.length) } : {}), ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, json: () => JSON.parse(b.toString("utf8")) });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** Builds a binary-extension body: JSON header followed by the raw tensors. */
export function binaryBody(header: object, chunks: Buffer[]): { body: Buffer; headers: Record<string, string> } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...chunks]), headers: { "Inference-Header-Content-Length": String(json.length), "Content-Type": "application/octet-stream" } };
}

/** Splits a binary-extension response into its JSON header and its binary section. */
export function splitResponse(res: Res): { header: any; binary: Buffer } {
  const n = Number(res.headers["inference-header-content-length"]);
  return { header: JSON.parse(res.body.subarray(0, n).toString("utf8")), binary: res.body.subarray(n) };
}

/** f32 values as little-endian bytes. */
export function f32Bytes(values: number[]): Buffer {
  return Buffer.from(new Float32Array(values).buffer);
}
