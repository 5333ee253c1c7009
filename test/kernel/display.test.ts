/** The display helpers without a kernel: bundles, the display symbol, fallbacks, progress text. */
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { currentDisplay, format, formatNow, html, image, md, plot, ProgressState, registerDisplayHost, svg, display, progress, DisplayTarget } from "../../src/display";

const PNG_1x1 = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

test("format: the display symbol comes first, sync or async", async () => {
  assert.deepEqual(formatNow({ [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<b>x</b>" }) }), { "text/html": "<b>x</b>" });
  assert.deepEqual(await format({ [Symbol.for("Jupyter.display")]: async () => ({ "text/plain": "later" }) }), { "text/plain": "later" });
  await assert.rejects(format({ [Symbol.for("Jupyter.display")]: () => 42 }), /must return a MIME bundle/);
});

test("format: fallbacks and text/plain", async () => {
  assert.deepEqual(await format([1, "a"]), { "text/plain": "[ 1, 'a' ]" });
  assert.equal((await format({ _repr_html_: () => "<p>h</p>" }))["text/html"], "<p>h</p>");
  assert.ok((await format(PNG_1x1))["image/png"]);
});

test("helpers build the right MIME types", async () => {
  assert.equal((await format(html("<i>a</i>")))["text/html"], "<i>a</i>");
  assert.equal((await format(md("# t")))["text/markdown"], "# t");
  assert.ok((await format(svg("<svg/>")))["image/svg+xml"]);
  assert.equal((await format(image(PNG_1x1)))["image/png"], PNG_1x1.toString("base64"));
  const webp = await require("sharp")(PNG_1x1).webp().toBuffer();
  assert.ok((await format(image(webp)))["image/png"], "other formats are converted to PNG by sharp");
  const first = await format(plot({ data: [{ y: [1] }] }));
  const second = await format(plot({ data: [{ y: [2] }] }));
  assert.ok(first["application/vnd.plotly.v1+json"]);
  assert.ok((first["text/html"] as string).length > 1_000_000, "plotly.js travels with the first plot");
  assert.ok((second["text/html"] as string).length < 10_000, "and is reused afterwards");
});

test("display goes to the registered host; without one it prints text", () => {
  const shown: unknown[] = [];
  const target: DisplayTarget = { display: (b, o) => shown.push(["display", b, o?.displayId]), updateDisplay: (id, b) => shown.push(["update", b, id]), clearOutput: (w) => shown.push(["clear", w]) };
  registerDisplayHost({ current: () => target });
  try {
    const h = display(md("a"), { displayId: "x" });
    h.update(md("b"));
    for (const _ of progress([1, 2], { desc: "p", intervalMs: 0 })) { /* iterate */ }
    assert.deepEqual(shown.slice(0, 2), [["display", { "text/markdown": "a", "text/plain": "a" }, "x"], ["update", { "text/markdown": "b", "text/plain": "b" }, "x"]]);
    assert.equal((shown.at(-1) as any[])[0], "update");
  } finally {
    registerDisplayHost(null);
  }
  assert.equal(currentDisplay(), null);
});

test("progress text shows percent, count, rate and ETA", () => {
  const s = new ProgressState(10, "train");
  s.count = 5;
  const text = s.text(s.startedAt + 2000);
  assert.match(text, /^train  50%\|█{10} {10}\| 5\/10 \[00:02<00:02, 2\.5 it\/s\]$/);
});
