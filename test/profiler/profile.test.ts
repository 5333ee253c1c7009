import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as flow from "../../src/index";

import { DISPLAY_SYMBOL as DISPLAY } from "../../src/display/bundle";

test("profile records eager ops with shapes, calls and times", () => {
  const x = flow.ones(8, 16), w = flow.ones(16, 4);
  const prof = flow.profiler.profile(() => { for (let i = 0; i < 3; i++) x.matmul(w).relu().sum(); }, { recordShapes: true }) as flow.profiler.Profile;
  const t = prof.table({ sortBy: "calls" });
  const mm = t.rows.find((r) => r.op === "matmul")!;
  assert.equal(mm.calls, 3);
  assert.equal(mm.shapes, "[8, 16], [16, 4]");
  assert.ok(mm.totalMs > 0 && mm.avgMs > 0);
  const pct = t.rows.reduce((a, r) => a + r.selfPct, 0);
  assert.ok(Math.abs(pct - 100) < 1e-6, `self % adds to 100 (${pct})`);
  assert.match(t.toString(), /matmul\s+eager\s+\[8, 16\], \[16, 4\]\s+3/);
  assert.throws(() => prof.table({ sortBy: "bogus" as never }), /unknown sortBy 'bogus'/);
});

test("profile of an async function, chart, timeline and chrome trace", async () => {
  const prof = await flow.profiler.profile(async () => { flow.ones(4).add(1); await new Promise((r) => setTimeout(r, 5)); flow.ones(4).mul(2); });
  assert.deepEqual(prof.events.map((e) => e.op), ["add", "mul"]);
  assert.ok(prof.wallMs >= 5);
  const chart = prof.chart()[DISPLAY]() as Record<string, any>;
  assert.equal(chart["application/vnd.plotly.v1+json"].data[0].type, "bar");
  const tl = prof.timeline()[DISPLAY]() as Record<string, any>;
  assert.equal(tl["application/vnd.plotly.v1+json"].data.length, 2);
  const file = prof.exportChromeTrace(path.join(fs.mkdtempSync(path.join(os.tmpdir(), "prof-")), "trace.json"));
  const trace = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.equal(trace.traceEvents.length, 2);
  assert.equal(trace.traceEvents[0].ph, "X");
  const bundle = await (prof as any)[DISPLAY]();
  assert.match(bundle["text/html"], /<table class="flowbook-profile">/);
});

test("a throwing profiled function stops recording and rethrows", () => {
  assert.throws(() => flow.profiler.profile(() => { flow.ones(2).add(1); throw new Error("boom"); }), /boom/);
  const p = flow.profiler.profile(() => undefined) as flow.profiler.Profile;
  flow.ones(2).add(1);
  assert.equal(p.events.length, 0);
});
