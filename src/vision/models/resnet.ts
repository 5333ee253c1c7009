/**
 * ResNet, ResNeXt and Wide ResNet (torchvision/models/resnet.py, torchvision 0.14): the same modules in the
 * same registration order, so `stateDict()` has exactly torchvision's keys, shapes and order and a
 * `torch.save(model.state_dict())` file loads with `loadStateDict` (strict).
 */
import { Tensor } from "../../tensor/tensor";
import { add } from "../../ops/elementwise";
import { flatten } from "../../ops/shape";
import { Module } from "../../nn/module";
import { Conv2d } from "../../nn/layers/conv";
import { BatchNorm2d } from "../../nn/layers/normalization";
import { ReLU } from "../../nn/layers/activation";
import { MaxPool2d, AdaptiveAvgPool2d } from "../../nn/layers/pooling";
import { Linear } from "../../nn/layers/linear";
import { Sequential } from "../../nn/layers/container";
import * as init from "../../nn/init";

/** 3×3 convolution with padding (torchvision's conv3x3). */
function conv3x3(inPlanes: number, outPlanes: number, stride = 1, groups = 1, dilation = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 3, { stride, padding: dilation, groups, bias: false, dilation });
}
/** 1×1 convolution (torchvision's conv1x1). */
function conv1x1(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

/** What a residual block needs to be built by ResNet's _make_layer. */
export interface BlockArgs { inplanes: number; planes: number; stride: number; downsample: Sequential | null; groups: number; baseWidth: number; dilation: number }
/** A block class: the constructor and its channel expansion. */
export interface BlockType { new (a: BlockArgs): BasicBlock | Bottleneck; readonly expansion: number }

/**
 * Two 3×3 convolutions with a shortcut (ResNet-18/34).
 * @example new flow.vision.models.BasicBlock({ inplanes: 64, planes: 64, stride: 1, downsample: null, groups: 1, baseWidth: 64, dilation: 1 })
 */
export class BasicBlock extends Module<[Tensor], Tensor> {
  static readonly expansion = 1;
  declare conv1: Conv2d; declare bn1: BatchNorm2d; declare relu: ReLU; declare conv2: Conv2d; declare bn2: BatchNorm2d;
  declare downsample: Sequential | null;
  declare stride: number;

  constructor(a: BlockArgs) {
    super();
    if (a.groups !== 1 || a.baseWidth !== 64) throw new Error("BasicBlock only supports groups=1 and base_width=64");
    if (a.dilation > 1) throw new Error("Dilation > 1 not supported in BasicBlock");
    this.conv1 = conv3x3(a.inplanes, a.planes, a.stride);
    this.bn1 = new BatchNorm2d(a.planes);
    this.relu = new ReLU(true);
    this.conv2 = conv3x3(a.planes, a.planes);
    this.bn2 = new BatchNorm2d(a.planes);
    this.downsample = a.downsample;
    this.stride = a.stride;
  }

  forward(x: Tensor): Tensor {
    const out = this.bn2(this.conv2(this.relu(this.bn1(this.conv1(x)))));
    return this.relu(add(out, this.downsample ? this.downsample(x) : x));
  }
}

/**
 * 1×1 reduce, 3×3 (grouped for ResNeXt), 1×1 expand by 4, with a shortcut (ResNet-50/101/152). The stride
 * sits on the 3×3 convolution (ResNet V1.5), as in torchvision.
 * @example new flow.vision.models.Bottleneck({ inplanes: 256, planes: 64, stride: 1, downsample: null, groups: 1, baseWidth: 64, dilation: 1 })
 */
export class Bottleneck extends Module<[Tensor], Tensor> {
  static readonly expansion = 4;
  declare conv1: Conv2d; declare bn1: BatchNorm2d; declare conv2: Conv2d; declare bn2: BatchNorm2d;
  declare conv3: Conv2d; declare bn3: BatchNorm2d; declare relu: ReLU;
  declare downsample: Sequential | null;
  declare stride: number;

  constructor(a: BlockArgs) {
    super();
    const width = Math.floor(a.planes * (a.baseWidth / 64)) * a.groups;
    this.conv1 = conv1x1(a.inplanes, width);
    this.bn1 = new BatchNorm2d(width);
    this.conv2 = conv3x3(width, width, a.stride, a.groups, a.dilation);
    this.bn2 = new BatchNorm2d(width);
    this.conv3 = conv1x1(width, a.planes * Bottleneck.expansion);
    this.bn3 = new BatchNorm2d(a.planes * Bottleneck.expansion);
    this.relu = new ReLU(true);
    this.downsample = a.downsample;
    this.stride = a.stride;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu(this.bn1(this.conv1(x)));
    out = this.relu(this.bn2(this.conv2(out)));
    out = this.bn3(this.conv3(out));
    return this.relu(add(out, this.downsample ? this.downsample(x) : x));
  }
}

/** Options of the ResNet constructors. */
export interface ResNetOptions {
  /** Size of the classifier's output (default 1000). */
  numClasses?: number;
  /** Zero-initialise the last BN of each residual branch (default false, as torchvision). */
  zeroInitResidual?: boolean;
  /** Convolution groups of the Bottleneck 3×3 (ResNeXt; default 1). */
  groups?: number;
  /** Channels per group of the Bottleneck 3×3 (default 64; Wide ResNet uses 128). */
  widthPerGroup?: number;
  /** For each of layer2..layer4, use dilation instead of stride (default [false, false, false]). */
  replaceStrideWithDilation?: [boolean, boolean, boolean];
}

/**
 * torchvision's ResNet: stem (7×7 conv, BN, ReLU, max-pool), four stages of residual blocks, global average
 * pool, fully connected classifier. Initialisation as torchvision: convolutions kaiming-normal (fan_out,
 * relu), BN weight 1 and bias 0, the classifier PyTorch's Linear default.
 * @example
 * const model = new flow.vision.models.ResNet(flow.vision.models.BasicBlock, [2, 2, 2, 2], { numClasses: 10 }).eval();
 * model(flow.randn(1, 3, 64, 64)).shape  // [1, 10]
 */
export class ResNet extends Module<[Tensor], Tensor> {
  declare inplanes: number; declare dilation: number; declare groups: number; declare baseWidth: number;
  declare conv1: Conv2d; declare bn1: BatchNorm2d; declare relu: ReLU; declare maxpool: MaxPool2d;
  declare layer1: Sequential; declare layer2: Sequential; declare layer3: Sequential; declare layer4: Sequential;
  declare avgpool: AdaptiveAvgPool2d; declare fc: Linear;

  constructor(block: BlockType, layers: [number, number, number, number], opts: ResNetOptions = {}) {
    super();
    const dil = opts.replaceStrideWithDilation ?? [false, false, false];
    if (dil.length !== 3) throw new Error(`replace_stride_with_dilation should be None or a 3-element tuple, got ${JSON.stringify(dil)}`);
    this.inplanes = 64;
    this.dilation = 1;
    this.groups = opts.groups ?? 1;
    this.baseWidth = opts.widthPerGroup ?? 64;
    this.conv1 = new Conv2d(3, this.inplanes, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new BatchNorm2d(this.inplanes);
    this.relu = new ReLU(true);
    this.maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(block, 64, layers[0]);
    this.layer2 = this.makeLayer(block, 128, layers[1], 2, dil[0]);
    this.layer3 = this.makeLayer(block, 256, layers[2], 2, dil[1]);
    this.layer4 = this.makeLayer(block, 512, layers[3], 2, dil[2]);
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.fc = new Linear(512 * block.expansion, opts.numClasses ?? 1000);
    this.initWeights(opts.zeroInitResidual ?? false);
  }

  private initWeights(zeroInitResidual: boolean): void {
    for (const m of this.modules()) {
      if (m instanceof Conv2d) init.kaimingNormal_(m.weight, { mode: "fan_out", nonlinearity: "relu" });
      else if (m instanceof BatchNorm2d) { init.constant_(m.weight!, 1); init.constant_(m.bias!, 0); }
    }
    if (!zeroInitResidual) return;
    for (const m of this.modules()) {
      if (m instanceof Bottleneck) init.constant_(m.bn3.weight!, 0);
      else if (m instanceof BasicBlock) init.constant_(m.bn2.weight!, 0);
    }
  }

  /** torchvision's _make_layer: one stage of `blocks` blocks, the first one strided (or dilated). */
  private makeLayer(block: BlockType, planes: number, blocks: number, stride = 1, dilate = false): Sequential {
    const previousDilation = this.dilation;
    if (dilate) { this.dilation *= stride; stride = 1; }
    let downsample: Sequential | null = null;
    if (stride !== 1 || this.inplanes !== planes * block.expansion) {
      downsample = new Sequential(conv1x1(this.inplanes, planes * block.expansion, stride), new BatchNorm2d(planes * block.expansion));
    }
    const common = { groups: this.groups, baseWidth: this.baseWidth };
    const out = [new block({ inplanes: this.inplanes, planes, stride, downsample, dilation: previousDilation, ...common })];
    this.inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) out.push(new block({ inplanes: this.inplanes, planes, stride: 1, downsample: null, dilation: this.dilation, ...common }));
    return new Sequential(...out);
  }

  forward(x: Tensor): Tensor {
    x = this.maxpool(this.relu(this.bn1(this.conv1(x))));
    x = this.layer4(this.layer3(this.layer2(this.layer1(x))));
    return this.fc(flatten(this.avgpool(x), 1));
  }
}

/** Options of the named ResNet builders (torchvision's keyword arguments, weights aside). */
export type ResNetBuilderOptions = Omit<ResNetOptions, "groups" | "widthPerGroup">;

/**
 * ResNet-18 ("Deep Residual Learning for Image Recognition"), 11.7M parameters with 1000 classes.
 * @example const model = flow.vision.models.resnet18({ numClasses: 10 }).eval(); model(flow.randn(1, 3, 64, 64)).shape  // [1, 10]
 */
export const resnet18 = (opts: ResNetBuilderOptions = {}): ResNet => new ResNet(BasicBlock, [2, 2, 2, 2], opts);
/**
 * ResNet-34, 21.8M parameters.
 * @example const model = flow.vision.models.resnet34().eval(); model(flow.randn(1, 3, 64, 64)).shape  // [1, 1000]
 */
export const resnet34 = (opts: ResNetBuilderOptions = {}): ResNet => new ResNet(BasicBlock, [3, 4, 6, 3], opts);
/**
 * ResNet-50, 25.6M parameters.
 * @example const model = flow.vision.models.resnet50({ numClasses: 10 }).eval(); model(flow.randn(1, 3, 64, 64)).shape  // [1, 10]
 */
export const resnet50 = (opts: ResNetBuilderOptions = {}): ResNet => new ResNet(Bottleneck, [3, 4, 6, 3], opts);
/**
 * ResNet-101, 44.5M parameters.
 * @example const model = flow.vision.models.resnet101({ numClasses: 10 }).eval()
 */
export const resnet101 = (opts: ResNetBuilderOptions = {}): ResNet => new ResNet(Bottleneck, [3, 4, 23, 3], opts);
/**
 * ResNet-152, 60.2M parameters.
 * @example const model = flow.vision.models.resnet152({ numClasses: 10 }).eval()
 */
export const resnet152 = (opts: ResNetBuilderOptions = {}): ResNet => new ResNet(Bottleneck, [3, 8, 36, 3], opts);
/**
 * ResNeXt-50 32×4d ("Aggregated Residual Transformations for Deep Neural Networks"), 25.0M parameters.
 * @example const model = flow.vision.models.resnext50_32x4d().eval(); model(flow.randn(1, 3, 64, 64)).shape  // [1, 1000]
 */
export const resnext50_32x4d = (opts: ResNetBuilderOptions = {}): ResNet => new ResNet(Bottleneck, [3, 4, 6, 3], { ...opts, groups: 32, widthPerGroup: 4 });
/**
 * Wide ResNet-50-2 ("Wide Residual Networks"): the Bottleneck's inner channels doubled, 68.9M parameters.
 * @example const model = flow.vision.models.wide_resnet50_2({ numClasses: 10 }).eval()
 */
export const wide_resnet50_2 = (opts: ResNetBuilderOptions = {}): ResNet => new ResNet(Bottleneck, [3, 4, 6, 3], { ...opts, widthPerGroup: 128 });
