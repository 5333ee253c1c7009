#!/usr/bin/env node
// Installs (or with --uninstall removes) the Jupyter kernelspec "flowbook".
//   node install.js [--user | --sys-prefix | --prefix DIR] [--uninstall]
// Where: $JUPYTER_DATA_DIR/kernels/flowbook when set (as `jupyter kernelspec list` honours it); otherwise
// --user (default): ~/.local/share/jupyter/kernels/flowbook; --sys-prefix: <python sys.prefix>/share/jupyter/...;
// --prefix DIR: DIR/share/jupyter/kernels/flowbook. Idempotent: running it again rewrites the same files.
//   node install.js --cuda   downloads onnxruntime-node's CUDA 12 / TensorRT provider libraries (its own installer; needs internet)
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync, spawnSync } = require("child_process");

const KERNEL_NAME = "flowbook";
const root = __dirname;

function parseArgs(argv) {
  const opts = { scope: "user", prefix: null, uninstall: false, cuda: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--user") opts.scope = "user";
    else if (a === "--sys-prefix") opts.scope = "sys-prefix";
    else if (a === "--prefix") { opts.scope = "prefix"; opts.prefix = argv[++i]; if (!opts.prefix) fail("--prefix needs a directory: --prefix DIR"); }
    else if (a.startsWith("--prefix=")) { opts.scope = "prefix"; opts.prefix = a.slice("--prefix=".length); }
    else if (a === "--uninstall") opts.uninstall = true;
    else if (a === "--cuda") opts.cuda = true;
    else if (a === "--help" || a === "-h") { process.stdout.write(fs.readFileSync(__filename, "utf8").split("\n").slice(1, 7).map((l) => l.replace(/^\/\/ ?/, "")).join("\n") + "\n"); process.exit(0); }
    else fail(`unknown option ${a}; use --user, --sys-prefix, --prefix DIR or --uninstall (or --cuda for the CUDA provider libraries)`);
  }
  return opts;
}

function fail(message) {
  process.stderr.write(`install.js: ${message}\n`);
  process.exit(2);
}

function userDataDir() {
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return path.join(process.env.APPDATA || os.homedir(), "jupyter");
  return path.join(process.env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share"), "jupyter");
}

function sysPrefix() {
  for (const python of ["/usr/bin/python3", "python3", "python"]) {
    try { return execFileSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" }).trim(); } catch { /* try next */ }
  }
  fail("--sys-prefix needs a python3 on PATH to find sys.prefix; use --prefix DIR instead");
}

function kernelDir(opts) {
  if (opts.scope === "prefix") return path.join(path.resolve(opts.prefix), "share", "jupyter", "kernels", KERNEL_NAME);
  if (opts.scope === "sys-prefix") return path.join(sysPrefix(), "share", "jupyter", "kernels", KERNEL_NAME);
  const base = process.env.JUPYTER_DATA_DIR || userDataDir();
  return path.join(base, "kernels", KERNEL_NAME);
}

function kernelSpec() {
  return {
    argv: [process.execPath, path.join(root, "bin", "flowbook.js"), "kernel", "{connection_file}"],
    display_name: "TypeScript (flowbook)",
    language: "typescript",
    // Interrupts arrive as interrupt_request on control; SIGINT works too.
    interrupt_mode: "message",
    env: {},
    metadata: { debugger: false },
  };
}

function logo(size) {
  const committed = path.join(root, "kernel", "assets", `logo-${size}x${size}.png`);
  return fs.readFileSync(committed);
}

function install(dir) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelSpec(), null, 2) + "\n");
  for (const size of [32, 64]) fs.writeFileSync(path.join(dir, `logo-${size}x${size}.png`), logo(size));
  if (!fs.existsSync(path.join(root, "dist", "kernel", "main.js"))) {
    process.stdout.write("note: dist/kernel/main.js is not built yet; run `npx tsc -p tsconfig.json` (npm test builds it)\n");
  }
  process.stdout.write(`installed kernelspec ${KERNEL_NAME} in ${dir}\n`);
}

function uninstall(dir) {
  if (!fs.existsSync(dir)) { process.stdout.write(`kernelspec ${KERNEL_NAME} not installed in ${dir}: nothing to remove\n`); return; }
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`removed kernelspec ${KERNEL_NAME} from ${dir}\n`);
}

// --cuda: runs onnxruntime-node's own installer (script/install.js --onnxruntime-node-install=cuda12), which
// downloads Microsoft.ML.OnnxRuntime.Gpu.Linux from NuGet and copies the provider libraries into its bin folder.
// On failure (no internet) it says why and leaves that folder as it was (files the attempt added are removed).
const CUDA_FILES = ["libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so", "libonnxruntime_providers_tensorrt.so"];

function listing(dir) {
  const m = new Map();
  if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) { const st = fs.statSync(path.join(dir, f)); m.set(f, `${st.size}:${st.mtimeMs}`); }
  return m;
}

function installCuda() {
  let ortDir;
  try { ortDir = path.dirname(require.resolve("onnxruntime-node/package.json", { paths: [root] })); }
  catch { fail("--cuda: onnxruntime-node is not installed here; run `npm install` first"); }
  const version = JSON.parse(fs.readFileSync(path.join(ortDir, "package.json"), "utf8")).version;
  const script = path.join(ortDir, "script", "install.js");
  if (!fs.existsSync(script)) fail(`--cuda: onnxruntime-node ${version} has no installer at ${script}`);
  const platform = `${process.platform}/${process.arch}`;
  if (platform !== "linux/x64") fail(`--cuda: onnxruntime-node provides CUDA 12 provider libraries for linux/x64 only (this is ${platform})`);
  const bin = path.join(ortDir, "bin", "napi-v6", process.platform, process.arch);
  const before = listing(bin);
  // The installer reads these before its command line; a stray "skip" would make it do nothing.
  const env = { ...process.env };
  // Under npm (npm test, npm exec) npm_config_local_prefix/npm_package_json make it think it is a local
  // install and exit 0 without downloading.
  for (const k of ["ONNXRUNTIME_NODE_INSTALL", "npm_config_onnxruntime_node_install", "ONNXRUNTIME_NODE_INSTALL_CUDA", "npm_config_onnxruntime_node_install_cuda", "npm_config_local_prefix", "npm_package_json"]) delete env[k];
  if (!env.GLOBAL_AGENT_HTTPS_PROXY && (env.HTTPS_PROXY || env.https_proxy)) env.GLOBAL_AGENT_HTTPS_PROXY = env.HTTPS_PROXY || env.https_proxy;
  process.stdout.write(`running onnxruntime-node ${version}'s installer for the CUDA 12 provider libraries (downloads from NuGet)...\n`);
  // onnxruntime-node 1.30's parseInstallFlag drops string values ("--onnxruntime-node-install=cuda12" parses
  // as "not specified"); its CUDA flag form "--onnxruntime-node-install-cuda=v12" maps to "cuda12" correctly.
  const r = spawnSync(process.execPath, [script, "--onnxruntime-node-install-cuda=v12"], { cwd: ortDir, env, encoding: "utf8", timeout: 20 * 60 * 1000 });
  const missing = CUDA_FILES.filter((f) => !fs.existsSync(path.join(bin, f)));
  if (r.status === 0 && !missing.length) {
    process.stdout.write(`installed ${CUDA_FILES.join(", ")} in ${bin}\n` +
      "flowbook can now use device \"cuda\" where an NVIDIA driver and the CUDA 12 / cuDNN 9 runtime libraries are present (check: flow.cuda.isAvailable()).\n");
    return;
  }
  for (const f of listing(bin).keys()) if (!before.has(f)) fs.rmSync(path.join(bin, f), { force: true });
  const after = listing(bin);
  const unchanged = after.size === before.size && [...before].every(([f, v]) => after.get(f) === v);
  const out = `${r.stderr || ""}\n${r.stdout || ""}`;
  const why = r.error ? r.error.message
    : (/(?:Error|error)[^:\n]*: ([^\n]+)/.exec(out) || [])[1] || (r.status === 0 ? `the installer finished without ${missing.join(", ")}` : `the installer exited with status ${r.status}`);
  process.stderr.write(`install.js --cuda: could not install the CUDA 12 provider libraries: ${why.trim()}\n` +
    `  onnxruntime-node's installer downloads Microsoft.ML.OnnxRuntime.Gpu.Linux ${version} from NuGet (api.nuget.org): it needs internet access ` +
    "(behind a proxy set HTTPS_PROXY); on a machine without network, copy those libraries into the folder below from a machine that has them.\n" +
    (unchanged ? `  Nothing was changed in ${bin}.\n` : `  warning: ${bin} differs from before the attempt; reinstall onnxruntime-node.\n`));
  process.exit(1);
}

const opts = parseArgs(process.argv.slice(2));
if (opts.cuda) installCuda();
else {
  const dir = kernelDir(opts);
  if (opts.uninstall) uninstall(dir); else install(dir);
}
