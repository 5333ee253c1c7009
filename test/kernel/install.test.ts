/** install.js: where it writes, what it writes, idempotence, uninstall. */
import { spawnSync } from "child_process";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { test } from "node:test";
import { PYTHON, ROOT, runInstall, tempDir } from "./helpers";

function readSpec(dir: string): any {
  return JSON.parse(fs.readFileSync(path.join(dir, "kernel.json"), "utf8"));
}

test("JUPYTER_DATA_DIR: writes kernel.json and both logos, idempotently, and jupyter lists it", () => {
  const data = tempDir("install");
  const out1 = runInstall([], { JUPYTER_DATA_DIR: data });
  const out2 = runInstall([], { JUPYTER_DATA_DIR: data });
  const dir = path.join(data, "kernels", "flowbook");
  assert.match(out1, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.equal(out1, out2);
  const spec = readSpec(dir);
  assert.equal(spec.display_name, "TypeScript (flowbook)");
  assert.equal(spec.language, "typescript");
  assert.equal(spec.interrupt_mode, "message");
  assert.deepEqual(spec.argv.slice(1), [path.join(ROOT, "bin", "flowbook.js"), "kernel", "{connection_file}"]);
  assert.ok(path.isAbsolute(spec.argv[0]));
  for (const logo of ["logo-32x32.png", "logo-64x64.png"]) assert.ok(fs.statSync(path.join(dir, logo)).size > 0);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["kernel.json", "logo-32x32.png", "logo-64x64.png"]);
  const list = spawnSync(PYTHON, ["-m", "jupyter", "kernelspec", "list", "--json"], { env: { ...process.env, JUPYTER_DATA_DIR: data, JUPYTER_PATH: data }, encoding: "utf8" });
  assert.equal(JSON.parse(list.stdout).kernelspecs.flowbook.spec.display_name, "TypeScript (flowbook)");
});

test("--user (the default) writes under XDG_DATA_HOME/jupyter", () => {
  const xdg = tempDir("xdg");
  const env = { XDG_DATA_HOME: xdg, JUPYTER_DATA_DIR: "" };
  runInstall(["--user"], env);
  assert.ok(fs.existsSync(path.join(xdg, "jupyter", "kernels", "flowbook", "kernel.json")));
  runInstall(["--uninstall"], env);
  assert.ok(!fs.existsSync(path.join(xdg, "jupyter", "kernels", "flowbook")));
});

test("--prefix DIR writes DIR/share/jupyter/kernels/flowbook; --uninstall removes it, twice is harmless", () => {
  const prefix = tempDir("prefix");
  const out = runInstall(["--prefix", prefix]);
  const dir = path.join(prefix, "share", "jupyter", "kernels", "flowbook");
  assert.match(out, /installed kernelspec flowbook/);
  assert.equal(readSpec(dir).language, "typescript");
  assert.match(runInstall(["--prefix", prefix, "--uninstall"]), /removed/);
  assert.ok(!fs.existsSync(dir));
  assert.match(runInstall(["--prefix", prefix, "--uninstall"]), /nothing to remove/);
});

test("an unknown option fails with a message naming the valid ones", () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, "install.js"), "--bogus"], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--user, --sys-prefix, --prefix DIR or --uninstall/);
});
