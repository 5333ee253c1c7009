/** The picture of a ResNet-101-sized graph stays readable (modules collapse) and renders in a few seconds. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { IRGraph } from "../../src/graph/ir";
import { graphDot, renderDot } from "../../src/graph/display";
import { Graph } from "../../src/graph/index";
import type { Compiled } from "../../src/graph/compile";

/** The node/scope structure of torchvision's ResNet-101 forward, as lowered ONNX nodes. */
function resnet101Shape(): IRGraph {
  const g = new IRGraph();
  g.inputs.push({ name: "input_0", kind: "input", index: 0 });
  g.meta.set("input_0", { shape: [1, 3, 224, 224], dtype: "float32" });
  let cur = "input_0", k = 0;
  const op = (o: string, scope: string, ins: string[], shape: number[]) => {
    const out = `${o.toLowerCase()}_${k++}`;
    g.add({ kind: "onnx", op: o, inputs: ins, outputs: [out], attrs: {}, scope, phase: "forward" });
    g.meta.set(out, { shape, dtype: "float32" });
    return out;
  };
  cur = op("Relu", "model.relu", [op("BatchNormalization", "model.bn1", [op("Conv", "model.conv1", [cur], [1, 64, 112, 112])], [1, 64, 112, 112])], [1, 64, 112, 112]);
  cur = op("MaxPool", "model.maxpool", [cur], [1, 64, 56, 56]);
  [3, 4, 23, 3].forEach((blocks, li) => {
    const c = 256 * 2 ** li, hw = 56 / 2 ** li;
    for (let b = 0; b < blocks; b++) {
      const s = `model.layer${li + 1}.${b}`, shp = [1, c, hw, hw];
      let y = cur;
      for (let j = 1; j <= 3; j++) {
        y = op("BatchNormalization", `${s}.bn${j}`, [op("Conv", `${s}.conv${j}`, [y], shp)], shp);
        if (j < 3) y = op("Relu", `${s}.relu`, [y], shp);
      }
      const idn = b === 0 ? op("BatchNormalization", `${s}.downsample.1`, [op("Conv", `${s}.downsample.0`, [cur], shp)], shp) : cur;
      cur = op("Relu", `${s}.relu`, [op("Add", s, [y, idn], shp)], shp);
    }
  });
  cur = op("Gemm", "model.fc", [op("Flatten", "model", [op("GlobalAveragePool", "model.avgpool", [cur], [1, 2048, 1, 1])], [1, 2048])], [1, 1000]);
  g.outputs.push({ name: cur, kind: "output" });
  return g;
}

class R101 extends Graph { build(): never { throw new Error("not traced in this test"); } }

test("ResNet-101-sized picture: collapses to a readable size and renders in a few seconds", async () => {
  const ir = resnet101Shape();
  assert.ok(ir.nodes.length > 300, `${ir.nodes.length} nodes`);
  const entry = { traced: ir, lowered: ir, optimized: ir, times: { totalMs: 0 } } as unknown as Compiled;
  const t0 = performance.now();
  const dot = graphDot(new R101(), entry, {});
  const svg = await renderDot(dot);
  const ms = performance.now() - t0;
  const boxes = (dot.match(/^\s*"[^"]+" \[label=/gm) ?? []).length;
  console.log(`ResNet-101 shape: ${ir.nodes.length} nodes -> ${boxes} boxes, rendered in ${ms.toFixed(0)} ms (${(svg.length / 1024).toFixed(0)} KiB SVG)`);
  assert.ok(boxes <= 160, `${boxes} boxes drawn`);
  assert.ok(svg.includes("model.layer3.22"), "every block is still there, as a box");
  assert.ok(ms < 5000, `render took ${ms} ms`);
  const t1 = performance.now();
  const full = await renderDot(graphDot(new R101(), entry, { depth: 10 }));
  console.log(`fully expanded: rendered in ${(performance.now() - t1).toFixed(0)} ms (${(full.length / 1024).toFixed(0)} KiB)`);
});
