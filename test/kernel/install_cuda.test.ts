/** install.js --cuda: runs onnxruntime-node's own CUDA 12 installer; without network it fails clearly and changes nothing. */
import { spawnSync } from "child_process";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { test } from "node:test";
import { ROOT } from "./helpers";

const ORT = path.dirname(require.resolve("onnxruntime-node/package.json", { paths: [ROOT] }));
const BIN = path.join(ORT, "bin", "napi-v6", process.platform, process.arch);

function snapshot(): string[] {
  return fs.readdirSync(BIN).sort().map((f) => { const st = fs.statSync(path.join(BIN, f)); return `${f} ${st.size} ${st.mtimeMs}`; });
}

// "Offline" made certain even on a machine with internet: the installer's HTTP agent (global-agent) is sent to
// a closed local port, so every download fails the way it does without a network.
function runCuda(extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [path.join(ROOT, "install.js"), "--cuda"], {
    cwd: ROOT, encoding: "utf8", timeout: 120_000,
    env: { ...process.env, GLOBAL_AGENT_HTTPS_PROXY: "http://127.0.0.1:9", GLOBAL_AGENT_HTTP_PROXY: "http://127.0.0.1:9", ...extraEnv },
  });
}

test("--cuda without network: exits non-zero with a clear message and leaves onnxruntime-node's bin folder untouched", { skip: process.platform !== "linux" || process.arch !== "x64" }, () => {
  const before = snapshot();
  const r = runCuda();
  assert.notEqual(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /running onnxruntime-node \d+\.\d+\.\d+'s installer for the CUDA 12 provider libraries/);
  assert.match(r.stderr, /^install\.js --cuda: could not install the CUDA 12 provider libraries: .*(ECONNREFUSED|ENOTFOUND|EAI_AGAIN)/m);
  assert.match(r.stderr, /needs internet access/);
  assert.match(r.stderr, new RegExp(`Nothing was changed in ${BIN.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.deepEqual(snapshot(), before);
  assert.ok(!fs.existsSync(path.join(BIN, "libonnxruntime_providers_cuda.so")));
});

test("--cuda is not fooled by a stray ONNXRUNTIME_NODE_INSTALL=skip (which would make the installer do nothing)", { skip: process.platform !== "linux" || process.arch !== "x64" }, () => {
  const before = snapshot();
  const r = runCuda({ ONNXRUNTIME_NODE_INSTALL: "skip", npm_config_onnxruntime_node_install: "skip" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /could not install the CUDA 12 provider libraries/);
  assert.doesNotMatch(r.stdout, /^installed /m);
  assert.deepEqual(snapshot(), before);
});

test("--help mentions --cuda; unknown options list it", () => {
  const h = spawnSync(process.execPath, [path.join(ROOT, "install.js"), "--help"], { encoding: "utf8" });
  assert.match(h.stdout, /--cuda/);
  const bad = spawnSync(process.execPath, [path.join(ROOT, "install.js"), "--gpu"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown option --gpu; .*--cuda/);
});
