/** `flowbook run-notebook`: executes a notebook headless and writes .nbconvert.ipynb and .html. */
import { spawnSync } from "child_process";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { test } from "node:test";
import { ROOT, tempDir } from "./helpers";

test("run-notebook writes the executed notebook and an HTML page; a failing cell makes it exit 1", () => {
  const dir = tempDir("run-notebook");
  const nb = (cells: string[], tags: string[][] = []) => ({
    nbformat: 4, nbformat_minor: 5, metadata: {},
    cells: cells.map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: { tags: tags[i] ?? [] }, source, outputs: [], execution_count: null })),
  });
  fs.writeFileSync(path.join(dir, "ok.ipynb"), JSON.stringify(nb(["const n = 2;", "display(html('<b>shown</b>')); n * 21", "throw new Error('tagged')"], [[], [], ["raises-exception"]])));
  const ok = spawnSync(process.execPath, [path.join(ROOT, "bin", "flowbook.js"), "run-notebook", path.join(dir, "ok.ipynb")], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  const executed = JSON.parse(fs.readFileSync(path.join(dir, "ok.nbconvert.ipynb"), "utf8"));
  assert.equal(executed.cells[1].outputs[1].data["text/plain"], "42");
  assert.match(fs.readFileSync(path.join(dir, "ok.html"), "utf8"), /<b>shown<\/b>/);

  fs.writeFileSync(path.join(dir, "bad.ipynb"), JSON.stringify(nb(["throw new Error('untagged')"])));
  const bad = spawnSync(process.execPath, [path.join(ROOT, "bin", "flowbook.js"), "run-notebook", path.join(dir, "bad.ipynb")], { encoding: "utf8" });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /untagged/);
});
