/**
 * Regression tests for QA's nn.Graph findings: conv+BN folding under AMP (fold in float32, then cast), the
 * module tree / stateDict / resume over real flow.nn modules, the user's line in the non-Tensor-output error,
 * the text form showing what runs, and graph.speedupTable.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { Graph } from "../../src/graph/index";
import { Tensor } from "../../src/tensor/tensor";
import { SmallCNN, ResBlock, det, detInit, maxDiff } from "./helpers";

const ce = new flow.nn.CrossEntropyLoss();

/** A ResBlock whose batch norms have non-trivial statistics, in eval mode. */
function evalBlock(): ResBlock {
  const rb = new ResBlock(8); detInit(rb, 5);
  flow.noGrad(() => { for (let i = 0; i < 3; i++) rb(det([2, 8, 5, 5], 70 + i, 1)); });
  rb.eval();
  return rb;
}

test("AMP + allowFuseConvBn: batch norms are folded in float32 before the float16 casts (none left), outputs within float16 tolerance", () => {
  const rb = evalBlock();
  const x = det([2, 8, 5, 5], 3, 1);
  const eager = flow.noGrad(() => rb(x));
  class Infer extends Graph { model = rb; build(v: Tensor) { return this.model(v); } }
  const amp = new Infer(); amp.config.enableAmp(true);
  const both = new Infer(); both.config.enableAmp(true).allowFuseConvBn(true);
  const ya = amp(x) as Tensor, yb = both(x) as Tensor;
  assert.equal(yb.dtype, "float32");
  const ea = amp.compiledSignatures()[0], eb = both.compiledSignatures()[0];
  assert.equal(ea.lowered.opCounts().BatchNormalization, 2, "AMP alone keeps the batch norms (float32)");
  assert.equal(eb.lowered.opCounts().BatchNormalization, undefined, `no batch norm left: ${JSON.stringify(eb.lowered.opCounts())}`);
  assert.ok(eb.passLog.some((p) => p.name === "fuse_conv_bn" && p.changes === 2), JSON.stringify(eb.passLog));
  // The folded convs still run in float16 (their weights cast after folding).
  const convs = eb.optimized.nodes.filter((n) => n.op === "conv");
  assert.ok(convs.length === 2 && convs.every((n) => eb.optimized.meta.get(n.outputs[0])!.dtype === "float16"));
  assert.ok(maxDiff(ya, eager) < 2e-2 && maxDiff(yb, eager) < 2e-2, `amp ${maxDiff(ya, eager)}, amp+fold ${maxDiff(yb, eager)}`);
  // The same order holds with every fusion on.
  const all = new Infer(); all.config.enableAmp(true).allowFuseConvBn(true).allowFusePadToConv(true).allowFuseAddToOutput(true);
  assert.ok(maxDiff(all(x) as Tensor, eager) < 2e-2);
  assert.equal(all.compiledSignatures()[0].lowered.opCounts().BatchNormalization, undefined);
});
