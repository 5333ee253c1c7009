/**
 * torchvision's ResNet (18/50/101) written with flow.nn layers and torchvision's state-dict keys, so that a
 * `torch.save(model.state_dict())` loads with `loadStateDict`. The benches use flow.vision.models.resnet* when
 * the model zoo is in the build, and this otherwise.
 */
// Imports the parts it needs (not src/index), so that bench/gpu's carry folder needs no image/sqlite modules.
import "../../src/ops/elementwise";
import "../../src/ops/shape";
import "../../src/ops/reduce";
import "../../src/ops/linalg";
import "../../src/ops/slicing";
import "../../src/ops/indexing";
import "../../src/ops/inplace";
import "../../src/ops/transfer";
import "../../src/autograd/index";
import * as nn from "../../src/nn/index";
import { flatten } from "../../src/ops/shape";
import type { Tensor } from "../../src/tensor/tensor";

class BasicBlock extends nn.Module<[Tensor], Tensor> {
  static expansion = 1;
  conv1; bn1; conv2; bn2; relu = new nn.ReLU(); downsample: nn.Module | null;
  constructor(inp: number, planes: number, stride: number, downsample: nn.Module | null) {
    super();
    this.conv1 = new nn.Conv2d(inp, planes, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = new nn.Conv2d(planes, planes, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(planes);
    this.downsample = downsample;
  }
  forward(x: Tensor): Tensor {
    const idt = this.downsample ? this.downsample(x) : x;
    const y = this.bn2(this.conv2(this.relu(this.bn1(this.conv1(x)))));
    return this.relu(y.add(idt));
  }
}

class Bottleneck extends nn.Module<[Tensor], Tensor> {
  static expansion = 4;
  conv1; bn1; conv2; bn2; conv3; bn3; relu = new nn.ReLU(); downsample: nn.Module | null;
  constructor(inp: number, planes: number, stride: number, downsample: nn.Module | null) {
    super();
    this.conv1 = new nn.Conv2d(inp, planes, 1, { bias: false });
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = new nn.Conv2d(planes, planes, 3, { stride, padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(planes);
    this.conv3 = new nn.Conv2d(planes, planes * 4, 1, { bias: false });
    this.bn3 = new nn.BatchNorm2d(planes * 4);
    this.downsample = downsample;
  }
  forward(x: Tensor): Tensor {
    const idt = this.downsample ? this.downsample(x) : x;
    let y = this.relu(this.bn1(this.conv1(x)));
    y = this.relu(this.bn2(this.conv2(y)));
    y = this.bn3(this.conv3(y));
    return this.relu(y.add(idt));
  }
}

/** ResNet with torchvision's module names (conv1, bn1, layer1..4, fc). */
export class ResNet extends nn.Module<[Tensor], Tensor> {
  conv1; bn1; relu = new nn.ReLU(); maxpool = new nn.MaxPool2d(3, 2, 1);
  layer1; layer2; layer3; layer4; avgpool = new nn.AdaptiveAvgPool2d(1); fc;
  constructor(block: typeof BasicBlock | typeof Bottleneck, layers: number[], numClasses = 1000) {
    super();
    let inp = 64;
    this.conv1 = new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new nn.BatchNorm2d(64);
    const make = (planes: number, n: number, stride: number) => {
      const out = planes * block.expansion;
      const down = stride !== 1 || inp !== out ? new nn.Sequential(new nn.Conv2d(inp, out, 1, { stride, bias: false }), new nn.BatchNorm2d(out)) : null;
      const blocks: nn.Module[] = [new block(inp, planes, stride, down)];
      inp = out;
      for (let i = 1; i < n; i++) blocks.push(new block(inp, planes, 1, null));
      return new nn.Sequential(...blocks);
    };
    this.layer1 = make(64, layers[0], 1);
    this.layer2 = make(128, layers[1], 2);
    this.layer3 = make(256, layers[2], 2);
    this.layer4 = make(512, layers[3], 2);
    this.fc = new nn.Linear(512 * block.expansion, numClasses);
  }
  forward(x: Tensor): Tensor {
    x = this.maxpool(this.relu(this.bn1(this.conv1(x))));
    x = this.layer4(this.layer3(this.layer2(this.layer1(x))));
    return this.fc(flatten(this.avgpool(x), 1));
  }
}

const ARCH: Record<string, [typeof BasicBlock | typeof Bottleneck, number[]]> = {
  resnet18: [BasicBlock, [2, 2, 2, 2]], resnet50: [Bottleneck, [3, 4, 6, 3]], resnet101: [Bottleneck, [3, 4, 23, 3]],
};

/** flow.vision.models[arch]() when the model zoo is present, else this file's ResNet; `source` says which. */
export function resnet(arch: "resnet18" | "resnet50" | "resnet101"): { model: nn.Module<[Tensor], Tensor>; source: string } {
  let zoo: Record<string, (o?: unknown) => nn.Module<[Tensor], Tensor>> | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  try { zoo = require("../../src/vision/models/index"); } catch { zoo = undefined; }
  if (zoo && typeof zoo[arch] === "function") return { model: zoo[arch](), source: `flow.vision.models.${arch}` };
  const [b, l] = ARCH[arch];
  return { model: new ResNet(b, l), source: "bench/graph/resnet.ts (flow.nn layers)" };
}
