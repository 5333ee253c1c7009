/** nbclient (through `jupyter nbconvert --execute`) runs a notebook of kernel cases with the flowbook kernel. */
import { spawnSync } from "child_process";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { test } from "node:test";
import { jupyterEnvWithKernel, PYTHON, ROOT, tempDir } from "./helpers";

type Output = { output_type: string; text?: string | string[]; data?: Record<string, unknown>; ename?: string };
const join = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join("") : t ?? "");

test("nbconvert --execute runs the kernel-cases notebook end to end", () => {
  const out = tempDir("nbconvert");
  const source = path.join(ROOT, "test", "kernel", "fixtures", "kernel-cases.ipynb");
  const r = spawnSync(PYTHON, ["-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=60",
    "--ExecutePreprocessor.kernel_name=flowbook", "--output-dir", out, "--output", "executed", source], { env: jupyterEnvWithKernel(), encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const nb = JSON.parse(fs.readFileSync(path.join(out, "executed.ipynb"), "utf8"));
  const code = nb.cells.filter((c: any) => c.cell_type === "code");
  const outputs = (i: number): Output[] => code[i].outputs;
  const plain = (i: number) => outputs(i).map((o) => join(o.data?.["text/plain"] as string | string[]) + join(o.text)).join("");
  assert.equal(plain(0), "[ 2, 4, 6 ]");
  assert.equal(plain(1), "'redeclared'");
  assert.equal(plain(2), "42");
  assert.equal(plain(3), "'b.ts'");
  assert.deepEqual(outputs(4).map((o) => [o.output_type, join(o.text)]), [["stream", "to stdout\n"], ["stream", "to stderr\n"]]);
  assert.deepEqual(outputs(5).map((o) => Object.keys(o.data ?? {})[0]), ["text/html", "text/markdown", "image/svg+xml"]);
  assert.match(join(outputs(6)[0].data?.["text/plain"] as string), /sum 100%.*4\/4/);
  assert.equal(plain(6).endsWith("10"), true);
  assert.equal(plain(7), "{ x: 1 }");
  assert.equal(plain(8), "'0.1.0'");
  assert.equal(outputs(9)[0].ename, "Error");
  assert.equal(plain(10), "2");
  assert.equal(join(outputs(11)[0].data?.["text/html"] as string), "<i>custom display</i>");
  assert.deepEqual(code.map((c: any) => c.execution_count), code.map((_: unknown, i: number) => i + 1));
});
