#!/usr/bin/env node
// Installs (or with --uninstall removes) the Jupyter kernelspec "flowbook".
//   node install.js [--user | --sys-prefix | --prefix DIR] [--uninstall]
// Where: $JUPYTER_DATA_DIR/kernels/flowbook when set (as `jupyter kernelspec list` honours it); otherwise
// --user (default): ~/.local/share/jupyter/kernels/flowbook; --sys-prefix: <python sys.prefix>/share/jupyter/...;
// --prefix DIR: DIR/share/jupyter/kernels/flowbook. Idempotent: running it again rewrites the same files.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");

const KERNEL_NAME = "flowbook";
const root = __dirname;

function parseArgs(argv) {
  const opts = { scope: "user", prefix: null, uninstall: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--user") opts.scope = "user";
    else if (a === "--sys-prefix") opts.scope = "sys-prefix";
    else if (a === "--prefix") { opts.scope = "prefix"; opts.prefix = argv[++i]; if (!opts.prefix) fail("--prefix needs a directory: --prefix DIR"); }
    else if (a.startsWith("--prefix=")) { opts.scope = "prefix"; opts.prefix = a.slice("--prefix=".length); }
    else if (a === "--uninstall") opts.uninstall = true;
    else if (a === "--help" || a === "-h") { process.stdout.write(fs.readFileSync(__filename, "utf8").split("\n").slice(1, 6).map((l) => l.replace(/^\/\/ ?/, "")).join("\n") + "\n"); process.exit(0); }
    else fail(`unknown option ${a}; use --user, --sys-prefix, --prefix DIR or --uninstall`);
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

const opts = parseArgs(process.argv.slice(2));
const dir = kernelDir(opts);
if (opts.uninstall) uninstall(dir); else install(dir);
