/** Debian's jupyter_kernel_test (the reference kernel conformance suite) against the installed flowbook kernelspec. */
import { spawnSync } from "child_process";
import * as assert from "node:assert/strict";
import * as path from "path";
import { test } from "node:test";
import { jupyterEnvWithKernel, PYTHON, ROOT } from "./helpers";

test("jupyter_kernel_test: every applicable conformance test passes", () => {
  const fixtures = path.join(ROOT, "test", "kernel", "fixtures");
  const r = spawnSync(PYTHON, ["-m", "unittest", "-v", "test_flowbook_kernel"], { cwd: fixtures, env: jupyterEnvWithKernel(), encoding: "utf8", timeout: 120_000 });
  const report = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, report);
  assert.match(report, /Ran \d+ tests/);
  assert.doesNotMatch(report, /skipped/, "no applicable test may be skipped");
});
