/** nn.Hardtanh and nn.ReLU6 (added for MobileNetV2) against PyTorch: forward, gradient, repr, argument errors. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as flow from "../../src/index";
import { assertClose, randomData, rng } from "../helpers/torch";
import { torchJson } from "./helpers";

const nn = flow.nn;
// Values in [-8, 8) avoiding the clamp bounds themselves (where PyTorch's hardtanh and clamp gradients differ).
const xs = randomData(rng(7), 60, -8, 8).map((v) => ([-1, 1, 0, 6, -2, 2.5].some((b) => Math.abs(v - b) < 1e-3) ? v + 0.01 : v));

test("Hardtanh and ReLU6 match PyTorch forward and backward", () => {
  const ref = torchJson<{ out: number[]; grad: number[] }[]>(`
x = torch.tensor(INPUT, dtype=torch.float32).reshape(3, 4, 5)
res = []
for m in [nn.Hardtanh(), nn.Hardtanh(-2.0, 2.5), nn.ReLU6(), nn.ReLU6(inplace=True)]:
    xx = x.clone().requires_grad_(True)
    y = m(xx * 1.0)
    (y * torch.arange(60.).reshape(3, 4, 5)).sum().backward()
    res.append({"out": y.detach().flatten().tolist(), "grad": xx.grad.flatten().tolist()})
print(json.dumps(res))`, xs);
  const mods = [new nn.Hardtanh(), new nn.Hardtanh(-2, 2.5), new nn.ReLU6(), new nn.ReLU6(true)];
  mods.forEach((m, i) => {
    const x = flow.tensor(xs).reshape(3, 4, 5).requiresGrad_();
    const y = m(x);
    y.mul(flow.arange(60).reshape(3, 4, 5)).sum().backward();
    assertClose(y.toTypedArray() as Float32Array, ref[i].out, `${m} forward`, 0, 0);
    assertClose(x.grad!.toTypedArray() as Float32Array, ref[i].grad, `${m} grad`, 0, 0);
  });
});

test("Hardtanh/ReLU6 repr, options object and errors", () => {
  const reprs = torchJson<string[]>("print(json.dumps([str(nn.Hardtanh()), str(nn.Hardtanh(-2.5, 0.5, True)), str(nn.ReLU6()), str(nn.ReLU6(True))]))");
  assert.deepEqual([new nn.Hardtanh(), new nn.Hardtanh({ minVal: -2.5, maxVal: 0.5, inplace: true }), new nn.ReLU6(), new nn.ReLU6({ inplace: true })].map(String), reprs);
  assert.ok(new nn.ReLU6() instanceof nn.Hardtanh, "ReLU6 is a Hardtanh, as in PyTorch");
  assert.throws(() => new nn.Hardtanh(1, 1), /maxVal \(1\) must be greater than minVal \(1\)/);
});
