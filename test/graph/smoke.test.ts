import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Graph } from "../../src/graph/index";
import { MLP, det, maxDiff } from "./helpers";

test("smoke: inference graph equals eager", () => {
  const model = new MLP();
  class Infer extends Graph {
    model = model;
    build(x: any) { return this.model.call(x); }
  }
  const g = new Infer();
  const x = det([5, 4], 3);
  const y = g(x);
  const e = model.call(x);
  assert.ok(maxDiff(y, e) < 1e-6);
});
