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
    loss = nn.MSELoss()(m(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(json.dumps({"init": init, "x": enc(x), "y": enc(y), "losses": losses, "final": sd(m)}))`);
    const m = new nn.Sequential(new nn.Linear(6, 16), new nn.Tanh(), new nn.Linear(16, 16), new nn.ReLU(), new nn.Linear(16, 3));
    m.loadStateDict(stateFromJson(ref.init));
    const x = fromJson(ref.x), y = fromJson(ref.y);
    const opt = o.flow(m.parameters());
    const mse = new nn.MSELoss();
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


/**
 * The small CNN: conv, batchnorm, relu, pool, linear, cross-entropy. The convolutions have no bias:
 * a bias right before BatchNorm gets a gradient that is rounding noise (BN cancels it), and Adam's
 * normalised step turns that noise into a full-size update whose sign no two libraries share.
 */
class SmallCNN extends nn.Module<[flow.Tensor], flow.Tensor> {
  conv1 = new nn.Conv2d(3, 8, 3, { padding: 1, bias: false });
  bn1 = new nn.BatchNorm2d(8);
  pool = new nn.MaxPool2d(2);
  conv2 = new nn.Conv2d(8, 16, 3, { padding: 1, bias: false });
  bn2 = new nn.BatchNorm2d(16);
  relu = new nn.ReLU();
  gap = new nn.AdaptiveAvgPool2d(1);
  flatten = new nn.Flatten();
  fc = new nn.Linear(16, 5);
  forward(x: flow.Tensor) {
    x = this.pool(this.relu(this.bn1(this.conv1(x))));
    x = this.relu(this.bn2(this.conv2(x)));
    return this.fc(this.flatten(this.gap(x)));
  }
}
const TORCH_CNN = `
class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False); self.bn1 = nn.BatchNorm2d(8); self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, bias=False); self.bn2 = nn.BatchNorm2d(16); self.relu = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1); self.flatten = nn.Flatten(); self.fc = nn.Linear(16, 5)
    def forward(self, x):
        x = self.pool(self.relu(self.bn1(self.conv1(x))))
        x = self.relu(self.bn2(self.conv2(x)))
        return self.fc(self.flatten(self.gap(x)))
`;

for (const [name, o] of Object.entries(OPTIMIZERS)) {
  test(`small CNN (conv, batchnorm, relu, pool, linear, cross-entropy) trained ${STEPS} steps with ${name} matches PyTorch`, () => {
    // The reference also trains in float64: where PyTorch's own float32 and float64 runs part ways (a ReLU or
    // max-pool decision flipping on rounding, which Adam then amplifies), no float32 implementation can be
    // expected to follow either, so the test first checks that this trajectory is well-conditioned.
    const ref = torchJson<Run & { evalOut: JsonTensor; losses64: number[] }>(`${TORCH_CNN}
def train(dtype):
    torch.manual_seed(1)
    m = SmallCNN().to(dtype)
    x = torch.randn(16, 3, 12, 12).to(dtype); y = torch.randint(0, 5, (16,))
    init = sd(m)
    opt = ${o.torch}
    crit = nn.CrossEntropyLoss()
    losses = []
    for _ in range(${STEPS}):
        opt.zero_grad()
        loss = crit(m(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    m.eval()
    return {"init": init, "x": enc(x), "y": enc(y), "losses": losses, "final": sd(m), "evalOut": enc(m(x))}
r = train(torch.float32)
r["losses64"] = train(torch.float64)["losses"]
print(json.dumps(r))`);
    assertClose(ref.losses, ref.losses64, "PyTorch float32 vs float64 losses (premise: a well-conditioned trajectory)", 1e-5);
    const m = new SmallCNN();
    m.loadStateDict(stateFromJson(ref.init));
    const x = fromJson(ref.x), y = fromJson(ref.y);
    const opt = o.flow(m.parameters());
    const crit = new nn.CrossEntropyLoss();
    const losses: number[] = [];
    for (let s = 0; s < STEPS; s++) {
      opt.zeroGrad();
      const loss = crit(m(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    assertClose(losses, ref.losses, `${name} losses`, 1e-4, 1e-5);
    const final = m.stateDict();
    for (const [k, v] of Object.entries(ref.final)) assertClose(flat(final[k]), v.data, `${name} final ${k}`, 1e-3, 1e-4);
    m.eval();
    assertClose(flat(m(x)), ref.evalOut.data, `${name} eval-mode output`, 1e-3, 1e-4);
  });
}
