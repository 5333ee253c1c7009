#!/usr/bin/env node
/**
 * Builds flowbook's native JPEG decoder (native/jpeg: a small N-API addon on the system libjpeg, the library
 * Pillow uses) with the node-gyp that npm carries. It needs a C compiler and libjpeg's headers
 * (`apt-get install build-essential libjpeg62-turbo-dev`, done by .ci/deps.sh). If the build fails, install goes
 * on: JPEGs are then decoded through sharp (the same pixels, about 2.5x the CPU time) and a warning says so.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const dir = path.join(__dirname, "jpeg");
function nodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const candidates = [
    path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    "/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
    "/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
  ];
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}
// Node's own headers: npm's configured nodedir, else the distribution's (/usr/include/node), else node-gyp downloads them.
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), "..");
  return fs.existsSync(path.join(prefix, "include", "node", "node_api.h")) ? prefix : null;
}

const gyp = nodeGyp();
const fail = (why) => {
  console.warn(`flowbook: the native JPEG decoder was not built (${why}).\n` +
    "  JPEGs will be decoded through sharp instead: the same pixels, about 2.5x the CPU time.\n" +
    "  To build it: apt-get install build-essential libjpeg62-turbo-dev python3, then `node native/build.js`.");
  process.exit(0);
};
if (!gyp) fail("npm's node-gyp was not found");
const nd = nodeDir();
const r = spawnSync(process.execPath, [gyp, "rebuild", ...(nd ? [`--nodedir=${nd}`] : [])], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
if (r.status !== 0) fail(`node-gyp failed:\n${(r.stderr || r.stdout || "").split("\n").filter((l) => /error|Error/.test(l)).slice(0, 8).join("\n")}`);
console.log(`flowbook: built the native JPEG decoder (${path.join("native", "jpeg", "build", "Release", "flowbook_jpeg.node")})`);
