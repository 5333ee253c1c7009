/** Notebook display of tensors (MIME bundle, HTML table, heat-map PNG decoded by sharp) and flow.memory(). */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import sharp from "sharp";
import * as flow from "../../src/index";

const DISPLAY = Symbol.for("Jupyter.display");
type Displayable = { [DISPLAY](): Record<string, string> };
const bundle = (t: flow.Tensor) => (t as unknown as Displayable)[DISPLAY]();
const pngOf = (html: string) => Buffer.from(/data:image\/png;base64,([A-Za-z0-9+/=]+)/.exec(html)![1], "base64");

test("display: bundle has the repr and an HTML header", () => {
  const t = flow.tensor([[1, 2, 3], [4, 5, 6]], { dtype: "int64" });
  const b = bundle(t);
  assert.equal(b["text/plain"], t.toString());
  assert.match(b["text/html"], /shape \[2, 3\] · int64 · cpu/);
  assert.match(b["text/html"], /<td>6<\/td>/);
  assert.doesNotMatch(b["text/html"], /image\/png/, "no heat map for integer tensors");
});

test("display: 2-D float heat map is a valid PNG with viridis ends", async () => {
  const t = flow.tensor([[0, 1], [0.5, 1]]);
  const b = bundle(t);
  const { data, info } = await sharp(pngOf(b["text/html"])).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 96); // 2 columns enlarged 48x
  assert.equal(info.height, 96);
  assert.deepEqual([...data.subarray(0, 3)], [68, 1, 84], "min is dark purple");
  const topRight = (info.width - 1) * info.channels;
  assert.deepEqual([...data.subarray(topRight, topRight + 3)], [253, 231, 37], "max is yellow");
});

test("display: 3-D and 4-D tile, large tensors summarise", async () => {
  const x3 = flow.ones(3, 4, 5), x4 = flow.zeros(2, 3, 8, 8);
  const i3 = await sharp(pngOf(bundle(x3)["text/html"])).metadata();
  assert.equal(i3.width, 3 * 95 + 2 * 2); // 3 tiles of 5 px x19, 2 px gaps
  const i4 = await sharp(pngOf(bundle(x4)["text/html"])).metadata();
  assert.equal(i4.height, 2 * 96 + 2);
  assert.match(bundle(x3)["text/html"], /\[2, :, :\]/);
  const big = flow.zeros(100, 300);
  const html = bundle(big)["text/html"];
  assert.match(html, /…/);
  assert.ok((await sharp(pngOf(html)).metadata()).width! <= 512);
  assert.equal(bundle(flow.tensor(3.5))["text/plain"], "tensor(3.5000)");
});

test("memory: tracked tensors are counted and uncounted after collection", async () => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  flow.setMemoryTracking(0);
  try {
    gc(); await new Promise((r) => setTimeout(r, 20));
    const before = flow.memory();
    let held: flow.Tensor[] | null = Array.from({ length: 50 }, () => flow.zeros(256));
    const during = flow.memory();
    assert.ok(during.tensors >= before.tensors + 50, `${during.tensors} live, ${before.tensors} before`);
    assert.ok(during.bytes >= before.bytes + 50 * 1024);
    held = null;
    for (let i = 0; i < 5 && flow.memory().tensors > before.tensors; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
    assert.ok(flow.memory().tensors <= before.tensors, "collected tensors are no longer counted");
    assert.equal(held, null);
  } finally {
    flow.setMemoryTracking(65536);
  }
});
