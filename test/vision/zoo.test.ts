/**
 * The model zoo against torchvision 0.14 (Debian's python3-torchvision, /usr/bin/python3): for every model,
 * torchvision builds it with random weights and random BN running stats (eval mode, so the stats matter),
 * saves `model.state_dict()` with torch.save, and computes logits on a random input. flowbook builds the same
 * architecture, checks torchvision's initialisation, module tree (str(model)) and state-dict keys, shapes and
 * order, loads the file with `flow.load` + `loadStateDict` (strict) and must give the same logits eagerly and
 * as an nn.Graph.
 *
 * Tolerance: max |flowbook - torch| / max |torch| <= 1e-4 over the logits (float32; the measured errors are
 * printed as test diagnostics: 1.6e-7..4.6e-6 when written). Inputs are small (32×32 or 64×64) and each big model
 * (resnet101/152, wide_resnet50_2, vgg16_bn) runs once, to keep the file's time sane. Torch generates the
 * cases in a background process while flowbook checks the earlier ones.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import * as flow from "../../src/index";
import { PYTHON } from "../helpers/torch";

const { models } = flow.vision;
type ZooName = "resnet18" | "resnet34" | "resnet50" | "resnet101" | "resnet152" | "resnext50_32x4d" | "wide_resnet50_2" | "mobilenet_v2" | "vgg16_bn";
interface Case { id: string; name: ZooName; size: number; batch: number; numClasses?: number; checkpoint?: boolean; dataParallel?: boolean }

/** Largest allowed max|Δ| / max|torch| over the logits. */
const TOL = 1e-4;

const CASES: Case[] = [
  { id: "resnet18", name: "resnet18", size: 64, batch: 2 },
  { id: "resnet18_ckpt", name: "resnet18", size: 32, batch: 2, numClasses: 10, checkpoint: true },
  { id: "resnet34", name: "resnet34", size: 32, batch: 1 },
  { id: "resnet50", name: "resnet50", size: 64, batch: 1 },
  { id: "resnet101", name: "resnet101", size: 32, batch: 1 },
  { id: "resnet152", name: "resnet152", size: 32, batch: 1 },
  { id: "resnext50_32x4d", name: "resnext50_32x4d", size: 32, batch: 2 },
  { id: "wide_resnet50_2", name: "wide_resnet50_2", size: 32, batch: 1, numClasses: 10 },
  { id: "mobilenet_v2", name: "mobilenet_v2", size: 64, batch: 2, numClasses: 7, dataParallel: true },
  { id: "vgg16_bn", name: "vgg16_bn", size: 32, batch: 1, numClasses: 10 },
];

// One torch process makes every case in order and prints each id when its files are written.
const MAKE = String.raw`
import sys, json, os, torch, torchvision
d, cases = sys.argv[1], json.loads(sys.argv[2])
for i, c in enumerate(cases):
    torch.manual_seed(1000 + i)
    m = getattr(torchvision.models, c["name"])(**({"num_classes": c["numClasses"]} if c.get("numClasses") else {}))
    def randomise_bn():
        with torch.no_grad():
            for b in m.modules():
                if isinstance(b, torch.nn.BatchNorm2d):
                    b.running_mean.normal_(0, 0.2); b.running_var.uniform_(0.5, 2.0)
                    b.weight.uniform_(0.5, 1.5); b.bias.normal_(0, 0.2)
                    b.num_batches_tracked.fill_(int(torch.randint(1, 1000, ())))
    randomise_bn()
    x = torch.randn(c["batch"], 3, c["size"], c["size"])
    obj = m.state_dict()
    if c.get("checkpoint"):
        opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        m.train(); m(x).square().mean().backward(); opt.step(); randomise_bn()
        obj = {"model": m.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}
    if c.get("dataParallel"):
        obj = torch.nn.DataParallel(m).state_dict()
    m.eval()
    with torch.no_grad():
        y = m(x)
    torch.save(obj, os.path.join(d, c["id"] + ".pth"))
    torch.save({"x": x, "y": y}, os.path.join(d, c["id"] + ".io.pth"))
    json.dump([[k, list(v.shape)] for k, v in m.state_dict().items()], open(os.path.join(d, c["id"] + ".keys.json"), "w"))
    open(os.path.join(d, c["id"] + ".repr.txt"), "w").write(str(m))
    print(c["id"], flush=True)
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-zoo-"));
const ready = new Map<string, { promise: Promise<void>; resolve: () => void }>();
for (const c of CASES) {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  ready.set(c.id, { promise, resolve });
}
let pyError: Error | null = null;
const maker = spawn(PYTHON, ["-c", MAKE, dir, JSON.stringify(CASES)], { stdio: ["ignore", "pipe", "pipe"] });
let stderr = "";
maker.stderr.on("data", (b) => { stderr += b; });
maker.stdout.on("data", (b: Buffer) => { for (const id of b.toString().split("\n").filter(Boolean)) ready.get(id)?.resolve(); });
maker.on("exit", (code) => {
  if (code !== 0) pyError = new Error(`torchvision case maker failed (${code}): ${stderr}`);
  for (const r of ready.values()) r.resolve();
});
after(() => { if (maker.exitCode === null) maker.kill(); fs.rmSync(dir, { recursive: true, force: true }); });

async function waitFor(id: string): Promise<void> {
  await ready.get(id)!.promise;
  if (pyError) throw pyError;
}

class Infer extends flow.nn.Graph {
  declare model: flow.nn.Module;
  constructor(m: flow.nn.Module) { super(); this.model = m; }
  build(x: flow.Tensor) { return this.model.forward(x); }
}

const floats = (t: flow.Tensor): Float32Array => t.contiguous().toTypedArray() as Float32Array;

/** max |a - b| / max |b|. */
function relErr(a: flow.Tensor, b: flow.Tensor): number {
  assert.deepEqual(a.shape, b.shape, "logits shape");
  const x = floats(a), y = floats(b);
  let d = 0, s = 0;
  for (let i = 0; i < y.length; i++) { d = Math.max(d, Math.abs(x[i] - y[i])); s = Math.max(s, Math.abs(y[i])); }
  assert.ok(Number.isFinite(d) && s > 0, `logits are finite and non-zero (max |torch| ${s}, max |Δ| ${d})`);
  return d / s;
}

function moments(w: Float32Array, std: number): { m1: number; m2: number; m4: number } {
  let m1 = 0, m2 = 0, m4 = 0;
  for (const v of w) { const z = v / std; m1 += z; m2 += z * z; m4 += z * z * z * z; }
  return { m1: m1 / w.length, m2: m2 / w.length, m4: m4 / w.length };
}

/**
 * torchvision's initialisation: conv weights N(0, 2/fan_out) (checked per layer by variance, and pooled for
 * a normal's kurtosis of 3), conv biases 0, BN weight 1 / bias 0 / fresh running stats, and the classifier
 * PyTorch's Linear default (ResNet) or N(0, 0.01²) with zero bias (MobileNetV2, VGG).
 */
function checkInit(name: ZooName, model: flow.nn.Module): void {
  let n = 0, m2 = 0, m4 = 0;
  for (const [where, m] of model.namedModules()) {
    if (m instanceof flow.nn.Conv2d) {
      const [o, , kh, kw] = m.weight.shape;
      const w = floats(m.weight), s = moments(w, Math.sqrt(2 / (o * kh * kw)));
      if (w.length >= 256) assert.ok(Math.abs(s.m2 - 1) < 0.3, `${name}.${where}.weight variance / (2/fan_out) = ${s.m2}`);
      n += w.length; m2 += s.m2 * w.length; m4 += s.m4 * w.length;
      if (m.bias) assert.ok(floats(m.bias).every((v) => v === 0), `${name}.${where}.bias is zero`);
    } else if (m instanceof flow.nn.BatchNorm2d) {
      for (const [k, v] of [["weight", 1], ["bias", 0], ["running_mean", 0], ["running_var", 1]] as const) {
        assert.ok(floats((m as unknown as Record<string, flow.Tensor>)[k]).every((x) => x === v), `${name}.${where}.${k} is ${v}`);
      }
    } else if (m instanceof flow.nn.Linear) {
      const w = floats(m.weight), b = floats(m.bias!);
      if (name.startsWith("res") || name.startsWith("wide")) {
        const bound = 1 / Math.sqrt(m.inFeatures);
        assert.ok(w.every((v) => Math.abs(v) <= bound) && b.every((v) => Math.abs(v) <= bound), `${name}.${where}: U(-1/√fan_in, 1/√fan_in)`);
        assert.ok(Math.abs(moments(w, bound / Math.sqrt(3)).m2 - 1) < 0.1, `${name}.${where}.weight variance`);
      } else {
        assert.ok(Math.abs(moments(w, 0.01).m2 - 1) < 0.1, `${name}.${where}.weight ~ N(0, 0.01²)`);
        assert.ok(b.every((v) => v === 0), `${name}.${where}.bias is zero`);
      }
    }
  }
  assert.ok(Math.abs(m2 / n - 1) < 0.02, `${name}: pooled conv variance / (2/fan_out) = ${m2 / n}`);
  assert.ok(Math.abs(m4 / n - 3) < 0.15, `${name}: pooled conv kurtosis ${m4 / n} (normal: 3)`);
}

const shapesOf = (sd: Record<string, flow.Tensor>) => Object.entries(sd).map(([k, v]) => [k, v.shape]);

for (const c of CASES) {
  const what = `${c.name}${c.numClasses ? `({numClasses: ${c.numClasses}})` : ""} ${c.batch}×3×${c.size}×${c.size}`;
  const extra = c.checkpoint ? ", from a checkpoint {model, optimizer, epoch}" : c.dataParallel ? ", DataParallel keys renamed with flow.io.renameKeys" : "";
  test(`${what}: torchvision's keys, repr and init; torch.save weights give torch's logits eagerly and as nn.Graph${extra}`, async (t) => {
    await waitFor(c.id);
    const t0 = performance.now();
    const model = (models[c.name] as (o?: { numClasses?: number }) => flow.nn.Module)(c.numClasses ? { numClasses: c.numClasses } : {});
    const tBuild = performance.now();
    checkInit(c.name, model);
    const torchKeys = JSON.parse(fs.readFileSync(path.join(dir, `${c.id}.keys.json`), "utf8"));
    assert.deepEqual(shapesOf(model.stateDict()), torchKeys, "stateDict keys, order and shapes equal torchvision's");
    assert.equal(String(model), fs.readFileSync(path.join(dir, `${c.id}.repr.txt`), "utf8"), "the module tree prints as torchvision's str(model)");

    let sd = flow.load(path.join(dir, `${c.id}.pth`));
    if (c.checkpoint) {
      assert.deepEqual(Object.keys(sd), ["model", "optimizer", "epoch"]);
      assert.equal(sd.epoch, 3);
      assert.equal(sd.optimizer.param_groups[0].momentum, 0.9);
      assert.deepEqual(sd.optimizer.state["0"].momentum_buffer.shape, [64, 3, 7, 7]);
      sd = sd.model;
    }
    if (c.dataParallel) {
      assert.ok(Object.keys(sd).every((k) => k.startsWith("module.")), "DataParallel's keys start with module.");
      assert.throws(() => model.loadStateDict(sd), /Missing key\(s\) in state_dict: "features\.0\.0\.weight"/);
      sd = flow.io.renameKeys(sd, (k) => k.replace(/^module\./, ""));
    }
    assert.deepEqual(shapesOf(sd), torchKeys, "the loaded state dict is torch's, in order");
    const report = model.loadStateDict(sd);
    assert.deepEqual(report, { missingKeys: [], unexpectedKeys: [] });
    model.eval();

    const io = flow.load(path.join(dir, `${c.id}.io.pth`));
    const tLoad = performance.now();
    const eager = flow.noGrad(() => model(io.x) as flow.Tensor);
    assert.deepEqual(eager.shape, [c.batch, c.numClasses ?? 1000]);
    const eagerErr = relErr(eager, io.y);
    const tEager = performance.now();
    const graphErr = relErr(new Infer(model)(io.x), io.y);
    const tGraph = performance.now();
    t.diagnostic(`${c.id}: rel err eager ${eagerErr.toExponential(2)}, graph ${graphErr.toExponential(2)}; ms build ${(tBuild - t0).toFixed(0)}, init+keys+load ${(tLoad - tBuild).toFixed(0)}, eager ${(tEager - tLoad).toFixed(0)}, graph ${(tGraph - tEager).toFixed(0)}`);
    assert.ok(eagerErr <= TOL, `eager: max|Δ|/max|torch| = ${eagerErr} > ${TOL}`);
    assert.ok(graphErr <= TOL, `nn.Graph: max|Δ|/max|torch| = ${graphErr} > ${TOL}`);
    for (const f of [".pth", ".io.pth", ".keys.json", ".repr.txt"]) fs.rmSync(path.join(dir, c.id + f));
  });
}
