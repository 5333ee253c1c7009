/**
 * loadStateDict's report when porting weights: strict lists missing, unexpected and size-mismatched keys in one
 * error (as PyTorch); strict=false still raises for a size mismatch (as PyTorch) and the same error lists all
 * three categories and carries them as fields; without a mismatch strict=false returns the report.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";

const nn = flow.nn;
const model = () => new nn.Sequential(new nn.Linear(2, 3), new nn.Linear(3, 1));
function checkpoint(): Record<string, flow.Tensor> {
  const sd = model().stateDict() as Record<string, flow.Tensor>;
  delete sd["1.bias"];
  sd["extra.w"] = flow.zeros([1]);
  sd["0.weight"] = flow.zeros([4, 2]);
  return sd;
}
type Report = Error & { missingKeys: string[]; unexpectedKeys: string[]; shapeMismatches: { key: string; expected: number[]; got: number[] }[] };

test("strict: one error lists missing, unexpected and size-mismatched keys, in PyTorch's order", () => {
  const err = (() => { try { model().loadStateDict(checkpoint()); } catch (e) { return e as Report; } assert.fail("no error"); })();
  const lines = err.message.split("\n\t");
  assert.equal(lines[0], "Error(s) in loading state_dict for Sequential:");
  assert.match(lines[1], /^Missing key\(s\) in state_dict: "1.bias"\./);
  assert.match(lines[2], /^Unexpected key\(s\) in state_dict: "extra.w"\./);
  assert.match(lines[3], /^size mismatch for 0.weight: copying a param with shape \[4, 2\] from checkpoint, the shape in current model is \[3, 2\]\./);
  assert.deepEqual(err.shapeMismatches, [{ key: "0.weight", expected: [3, 2], got: [4, 2] }]);
});

test("strict=false with a size mismatch still raises, and the error reports all three categories", () => {
  const m = model();
  const err = (() => { try { m.loadStateDict(checkpoint(), { strict: false }); } catch (e) { return e as Report; } assert.fail("no error"); })();
  assert.match(err.message, /size mismatch for 0.weight/);
  assert.match(err.message, /Missing key\(s\) in state_dict \(allowed with strict=false\): "1.bias"/);
  assert.match(err.message, /Unexpected key\(s\) in state_dict \(allowed with strict=false\): "extra.w"/);
  assert.deepEqual(err.missingKeys, ["1.bias"]);
  assert.deepEqual(err.unexpectedKeys, ["extra.w"]);
  assert.deepEqual(err.shapeMismatches, [{ key: "0.weight", expected: [3, 2], got: [4, 2] }]);
});

test("strict=false without a size mismatch returns the missing and unexpected keys", () => {
  const sd = checkpoint();
  delete sd["0.weight"];
  assert.deepEqual(model().loadStateDict(sd, { strict: false }), { missingKeys: ["0.weight", "1.bias"], unexpectedKeys: ["extra.w"] });
});
