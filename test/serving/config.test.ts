/**
 * Pure tests: config.pbtxt parsing (errors with file and line, warnings), writing and round trip,
 * completion from ONNX metadata, the errors table kept in sync with its docs, and writeModelEntry's
 * atomic replace.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig, writeConfig, completeConfig, ERRORS, ERROR_DOCS, servingError, writeModelEntry, entryConfig } from "../../src/serving";

const FULL = `
# a comment
name: "m"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  { name: "INPUT_0", data_type: TYPE_FP32, format: FORMAT_NCHW, dims: [ 3, -1, -1 ] }
]
output {
  name: 'OUTPUT_0'
  data_type: TYPE_FP16
  dims: [ 10 ]
  reshape: { shape: [ 10, 1 ] }
  label_filename: "labels.txt"
}
dynamic_batching { preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 100 }
instance_group [ { count: 2, kind: KIND_CPU }, { count: 1 kind: KIND_CPU } ]
version_policy: { specific: { versions: [1, 3] } }
model_warmup { name: "w" }
`;

test("parses the fields flowbook reads, and warns about the others with file:line", () => {
  const { config, warnings } = parseConfig(FULL, "m/config.pbtxt");
  assert.equal(config.name, "m");
  assert.equal(config.maxBatchSize, 8);
  assert.deepEqual(config.inputs, [{ name: "INPUT_0", dataType: "FP32", dims: [3, -1, -1] }]);
  assert.deepEqual(config.outputs, [{ name: "OUTPUT_0", dataType: "FP16", dims: [10], reshape: [10, 1], labelFilename: "labels.txt" }]);
  assert.deepEqual(config.dynamicBatching, { preferredBatchSize: [4, 8], maxQueueDelayMicroseconds: 100 });
  assert.equal(config.instanceCount, 3);
  assert.deepEqual(config.versionPolicy, { specific: [1, 3] });
  assert.deepEqual(warnings, ["m/config.pbtxt:19: field 'model_warmup' is not used by flowbook; ignored"]);
});

test("wrong values are refused with the file and line", () => {
  const cases: [string, RegExp][] = [
    ['name: "m"\nmax_batch_size: -1', /^c\.pbtxt:2: max_batch_size: must be >= 0, got -1$/],
    ['input [ { name: "x"\n data_type: TYPE_FLOAT32 dims: [1] } ]', /^c\.pbtxt:2: data_type: expected one of TYPE_BOOL, .*got TYPE_FLOAT32$/],
    ['input { name: "x" data_type: TYPE_FP32 }', /^c\.pbtxt:1: input: 'x' needs dims$/],
    ['platform: "tensorflow_savedmodel"', /^c\.pbtxt:1: platform: expected one of onnxruntime_onnx/],
    ['\n\ninstance_group [ { count: 0 } ]', /^c\.pbtxt:3: count: must be >= 1, got 0$/],
    ['name: "m"\ndims: [1, 2', /^c\.pbtxt:2: expected '\]' before the end of the file$/],
    ['name "m"', /^c\.pbtxt:1: expected ':' or '\{' after 'name'$/],
    ['name: "m', /^c\.pbtxt:1: string is not closed/],
    ['dynamic_batching { max_queue_delay_microseconds: 1.5 }', /^c\.pbtxt:1: max_queue_delay_microseconds: expected an integer, got 1.5$/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseConfig(text, "c.pbtxt"), (e: Error & { code?: string }) => { assert.match(e.message, re, text); assert.equal(e.code, "CONFIG_INVALID"); return true; });
});

test("written config reads back the same", () => {
  const meta = { inputs: [{ name: "INPUT_0", type: "float32", shape: ["N", 3, -1, -1] as (string | number)[] }], outputs: [{ name: "OUTPUT_0", type: "float16", shape: ["N", 10, 1] as (string | number)[] }] };
  const c = completeConfig(parseConfig(FULL, "m/config.pbtxt").config, "m", meta);
  const again = completeConfig(parseConfig(writeConfig(c), "w").config, "m", meta);
  assert.deepEqual(again, c);
});

test("a missing config is completed from the ONNX metadata, Triton-style", () => {
  const c = completeConfig({}, "auto", { inputs: [{ name: "x", type: "int64", shape: ["batch", 5] }], outputs: [{ name: "y", type: "float32", shape: ["batch", 2] }] });
  assert.equal(c.name, "auto");
  assert.equal(c.maxBatchSize, 4);
  assert.deepEqual(c.inputs, [{ name: "x", dataType: "INT64", dims: [5] }]);
  assert.ok(c.dynamicBatching);
  const fixed = completeConfig({}, "fixed", { inputs: [{ name: "x", type: "float32", shape: [1, 5] }], outputs: [{ name: "y", type: "float32", shape: [1, 2] }] });
  assert.equal(fixed.maxBatchSize, 0);
  assert.deepEqual(fixed.inputs[0].dims, [1, 5]);
  assert.throws(() => completeConfig(parseConfig('input { name: "z" data_type: TYPE_FP32 dims: [5] }', "c").config, "m", { inputs: [{ name: "x", type: "float32", shape: [5] }], outputs: [] }), /unexpected input 'z' in config\.pbtxt; the ONNX model has inputs: x/);
  assert.throws(() => completeConfig(parseConfig('input { name: "x" data_type: TYPE_INT32 dims: [5] }', "c").config, "m", { inputs: [{ name: "x", type: "float32", shape: [5] }], outputs: [] }), /'x' is TYPE_INT32 in config\.pbtxt but TYPE_FP32 in the ONNX model/);
});

test("every error code has docs and a well-formed template", () => {
  assert.deepEqual(Object.keys(ERROR_DOCS).sort(), Object.keys(ERRORS).sort());
  for (const [code, [status, template]] of Object.entries(ERRORS)) {
    assert.ok(status >= 400 && status < 600, code);
    assert.ok(template.length > 10 && ERROR_DOCS[code as keyof typeof ERRORS].length > 10, code);
  }
  const e = servingError("WRONG_SHAPE", { prefix: "[request id: 1] ", input: "x", model: "m", expected: "[-1,4]", got: "[2]" });
  assert.equal(e.message, "[request id: 1] unexpected shape for input 'x' for model 'm'. Expected [-1,4], got [2]");
  assert.equal(e.statusCode, 400);
});

test("writeModelEntry writes a Triton entry atomically and keeps the earlier one on failure", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-entry-"));
  const entry = { name: "net", onnx: new Uint8Array([1, 2, 3]), maxBatchSize: 8, inputs: [{ name: "INPUT_0", dtype: "float32", dims: [3, -1] }], outputs: [{ name: "OUTPUT_0", dtype: "int64", dims: [10] }], dynamicBatching: { maxQueueDelayMicroseconds: 500, preferredBatchSize: [4] }, labels: ["a", "b"] };
  writeModelEntry(dir, entry);
  writeModelEntry(dir, { ...entry, version: 2, onnx: new Uint8Array([4]) });
  assert.deepEqual([...fs.readFileSync(path.join(dir, "net", "1", "model.onnx"))], [1, 2, 3], "other versions are kept");
  assert.deepEqual([...fs.readFileSync(path.join(dir, "net", "2", "model.onnx"))], [4]);
  assert.equal(fs.readFileSync(path.join(dir, "net", "labels.txt"), "utf8"), "a\nb\n");
  const { config, warnings } = parseConfig(fs.readFileSync(path.join(dir, "net", "config.pbtxt"), "utf8"), "net/config.pbtxt");
  assert.deepEqual(warnings, []);
  assert.equal(config.maxBatchSize, 8);
  assert.deepEqual(config.outputs, [{ name: "OUTPUT_0", dataType: "INT64", dims: [10], labelFilename: "labels.txt" }]);
  assert.deepEqual(config.dynamicBatching, { maxQueueDelayMicroseconds: 500, preferredBatchSize: [4] });
  assert.match(entryConfig(entry), /backend: "onnxruntime"/);
  assert.throws(() => writeModelEntry(dir, { ...entry, inputs: [{ name: "x", dtype: "complex64", dims: [1] }] }), /dtype 'complex64'/);
  assert.throws(() => writeModelEntry(dir, { ...entry, name: "../evil" }), /invalid model name/);
  // A failure mid-write (an unwritable onnx payload) leaves the earlier entry as it was.
  assert.throws(() => writeModelEntry(dir, { ...entry, onnx: 42 as unknown as Uint8Array }));
  assert.deepEqual([...fs.readFileSync(path.join(dir, "net", "1", "model.onnx"))], [1, 2, 3]);
  assert.deepEqual(fs.readdirSync(dir), ["net"], "no temporary directories left behind");
});
