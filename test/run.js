#!/usr/bin/env node
// `npm test`: builds, then runs every compiled test file under dist/test with node's test runner.
// `npm test -- kernel serving` runs only the areas named (folders under test/). A test that runs past 10 minutes
// fails instead of holding CI until its limit.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const build = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) process.exit(build.status || 1);

function testFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith(".test.js") ? [p] : [];
  });
}
const areas = process.argv.slice(2);
const base = path.join(root, "dist", "test");
const files = (areas.length ? areas.flatMap((a) => testFiles(path.join(base, a))) : testFiles(base)).sort();
if (files.length === 0) { console.error(`no test files found for ${areas.join(" ") || "all areas"}`); process.exit(1); }
const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || fs.mkdtempSync("/tmp/flowbook-xdg-") };
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "--test-timeout=600000", ...files], { cwd: root, stdio: "inherit", env });
process.exit(r.status === null ? 1 : r.status);
