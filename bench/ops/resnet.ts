/**
 * ResNet-18 eager forward (eval mode, no grad) at batch 8, 224x224 on CPU: flowbook vs PyTorch eager
 * (torchvision's resnet18 in Debian's python3-torch, bench/ops/torch_resnet.py) measured in the same run, one
 * forward of each framework in turn so both see the same machine load; medians and ratio. Both use the same
 * number of threads (flow.setNumThreads / torch.set_num_threads):
 *   node dist/bench/ops/resnet.js [reps=7] [threads=flow.getNumThreads()] [batch=8] [size=224]
 * The goal: flowbook at least 0.8x PyTorch's speed (time ratio flowbook/PyTorch <= 1.25).
 * The model is built here from flow.nn layers with torchvision's architecture (BasicBlock, [2, 2, 2, 2]).
 */
import { spawn } from "child_process";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import * as flow from "../../src/index";
import { eagerStats } from "../../src/backend/eager";

const nn = flow.nn;

class BasicBlock extends nn.Module<[flow.Tensor], flow.Tensor> {
  conv1: InstanceType<typeof nn.Conv2d>; bn1: InstanceType<typeof nn.BatchNorm2d>;
  conv2: InstanceType<typeof nn.Conv2d>; bn2: InstanceType<typeof nn.BatchNorm2d>;
  downsample: InstanceType<typeof nn.Sequential> | null;
  constructor(inplanes: number, planes: number, stride: number) {
    super();
    this.conv1 = new nn.Conv2d(inplanes, planes, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = new nn.Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(planes);
    this.downsample = stride !== 1 || inplanes !== planes
      ? new nn.Sequential(new nn.Conv2d(inplanes, planes, 1, { stride, bias: false }), new nn.BatchNorm2d(planes)) : null;
  }
  forward(x: flow.Tensor): flow.Tensor {
    const out = this.bn2(this.conv2(this.bn1(this.conv1(x)).relu()));
    return out.add(this.downsample ? this.downsample(x) : x).relu();
  }
}

class ResNet18 extends nn.Module<[flow.Tensor], flow.Tensor> {
  conv1 = new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
  bn1 = new nn.BatchNorm2d(64);
  maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
  layer1 = new nn.Sequential(new BasicBlock(64, 64, 1), new BasicBlock(64, 64, 1));
  layer2 = new nn.Sequential(new BasicBlock(64, 128, 2), new BasicBlock(128, 128, 1));
  layer3 = new nn.Sequential(new BasicBlock(128, 256, 2), new BasicBlock(256, 256, 1));
  layer4 = new nn.Sequential(new BasicBlock(256, 512, 2), new BasicBlock(512, 512, 1));
  avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
  fc = new nn.Linear(512, 1000);
  forward(x: flow.Tensor): flow.Tensor {
    x = this.maxpool(this.bn1(this.conv1(x)).relu());
    x = this.layer4(this.layer3(this.layer2(this.layer1(x))));
    return this.fc(this.avgpool(x).flatten(1));
  }
}

/** A long-lived python running torchvision's resnet18; each `forward()` times one PyTorch forward. */
function torchResnet(batch: number, size: number, threads: number) {
  const py = spawn(process.env.FLOWBOOK_PYTHON ?? "/usr/bin/python3", [path.join(__dirname, "..", "..", "..", "bench", "ops", "torch_resnet.py"), String(batch), String(size), String(threads)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = readline.createInterface({ input: py.stdout! })[Symbol.asyncIterator]();
  const next = async () => { const r = await lines.next(); if (r.done) throw new Error("torch_resnet.py exited early"); return r.value as string; };
  return {
    ready: next,
    async forward(): Promise<number> { py.stdin!.write("run\n"); return Number((await next()).split(" ")[0]); },
    close() { py.stdin!.end(); },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 7);
  if (process.argv[3]) flow.setNumThreads(Number(process.argv[3]));
  const threads = flow.getNumThreads();
  const batch = Number(process.argv[4] ?? 8), size = Number(process.argv[5] ?? 224);
  const torch = torchResnet(batch, size, threads);
  const info = (await torch.ready()).split(" ");
  flow.manualSeed(0);
  const model = new ResNet18().eval();
  const x = flow.randn([batch, 3, size, size]);
  const load0 = os.loadavg()[0];
  const run = () => flow.noGrad(() => model(x));
  const t0 = performance.now();
  run(); // first call builds the single-op sessions
  const firstMs = performance.now() - t0;
  await torch.forward(); run(); // warm-up of both
  const flowTimes: number[] = [], torchTimes: number[] = [];
  for (let r = 0; r < reps; r++) {
    torchTimes.push(await torch.forward());
    const t = performance.now(); run(); flowTimes.push((performance.now() - t) / 1000);
  }
  torch.close();
  const f = median(flowTimes), t = median(torchTimes);
  console.log(`ResNet-18 eager forward, batch ${batch}, ${size}x${size}, eval, no grad; ${threads} thread(s) each; PyTorch ${info[1]} (torchvision); ${os.cpus().length} CPUs, load average ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)}`);
  console.log(`${"".padEnd(12)} ${"median".padStart(10)} ${"min".padStart(10)} ${"max".padStart(10)}   (${reps} forwards each, interleaved)`);
  const row = (name: string, xs: number[]) => console.log(`${name.padEnd(12)} ${(median(xs) * 1e3).toFixed(1).padStart(8)}ms ${(Math.min(...xs) * 1e3).toFixed(1).padStart(8)}ms ${(Math.max(...xs) * 1e3).toFixed(1).padStart(8)}ms`);
  row("flowbook", flowTimes);
  row("PyTorch", torchTimes);
  console.log(`time ratio flowbook/PyTorch ${(f / t).toFixed(2)}; speed ${(t / f).toFixed(2)}x PyTorch (goal >= 0.8x): ${t / f >= 0.8 ? "met" : "NOT met"}`);
  console.log(`first forward (session creation) ${firstMs.toFixed(0)} ms; eager sessions created ${eagerStats.sessionsCreated}, session calls ${eagerStats.sessionCalls}, host kernel calls ${eagerStats.hostKernelCalls}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
