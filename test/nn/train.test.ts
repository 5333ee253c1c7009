/**
 * End-to-end training against PyTorch: identical initial weights (exported from torch as JSON) and data,
 * 20 steps with SGD-momentum and with AdamW; every step's loss and the final weights must match.
 */
import { test } from "node:test";
import * as flow from "../../src/index";
import { assertClose } from "../helpers/torch";
import { JsonTensor, flat, fromJson, stateFromJson, torchJson } from "./helpers";

const nn = flow.nn;
const STEPS = 20;

/** Mean squared error composed of primitive ops (the same value as torch's ((a - b) ** 2).mean()). */
const mse = (a: flow.Tensor, b: flow.Tensor) => { const d = a.sub(b); return d.mul(d).sum().div(d.numel()); };

interface Run { init: Record<string, JsonTensor>; x: JsonTensor; y: JsonTensor; losses: number[]; final: Record<string, JsonTensor> }

const OPTIMIZERS = {
  "SGD-momentum": { torch: "torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)", flow: (ps: flow.nn.Parameter[]) => new flow.optim.SGD(ps, { lr: 0.05, momentum: 0.9 }) },
  AdamW: { torch: "torch.optim.AdamW(m.parameters(), lr=0.01, weight_decay=0.05)", flow: (ps: flow.nn.Parameter[]) => new flow.optim.AdamW(ps, { lr: 0.01, weightDecay: 0.05 }) },
};

for (const [name, o] of Object.entries(OPTIMIZERS)) {
  test(`MLP trained ${STEPS} steps with ${name}: losses and final weights equal PyTorch's`, () => {
    const ref = torchJson<Run>(`
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
x = torch.randn(32, 6); y = torch.randn(32, 3)
init = sd(m)
opt = ${o.torch}
losses = []
for _ in range(${STEPS}):
    opt.zero_grad()
    loss = ((m(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(json.dumps({"init": init, "x": enc(x), "y": enc(y), "losses": losses, "final": sd(m)}))`);
    const m = new nn.Sequential(new nn.Linear(6, 16), new nn.Tanh(), new nn.Linear(16, 16), new nn.ReLU(), new nn.Linear(16, 3));
    m.loadStateDict(stateFromJson(ref.init));
    const x = fromJson(ref.x), y = fromJson(ref.y);
    const opt = o.flow(m.parameters());
    const losses: number[] = [];
    for (let s = 0; s < STEPS; s++) {
      opt.zeroGrad();
      const loss = mse(m(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    assertClose(losses, ref.losses, `${name} losses`, 1e-4, 1e-6);
    const final = m.stateDict();
    for (const [k, v] of Object.entries(ref.final)) assertClose(flat(final[k]), v.data, `${name} final ${k}`, 1e-4, 1e-5);
  });
}
