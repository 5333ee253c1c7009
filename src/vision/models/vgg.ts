/**
 * VGG with batch normalisation (torchvision/models/vgg.py, torchvision 0.14): `features` (conv-BN-ReLU
 * stacks and max-pools), a 7×7 adaptive average pool, a three-layer classifier; torchvision's state-dict keys.
 */
import { Tensor } from "../../tensor/tensor";
import { flatten } from "../../ops/shape";
import { Module } from "../../nn/module";
import { Conv2d } from "../../nn/layers/conv";
import { BatchNorm2d } from "../../nn/layers/normalization";
import { ReLU } from "../../nn/layers/activation";
import { MaxPool2d, AdaptiveAvgPool2d } from "../../nn/layers/pooling";
import { Linear } from "../../nn/layers/linear";
import { Dropout } from "../../nn/layers/dropout";
import { Sequential } from "../../nn/layers/container";
import * as init from "../../nn/init";

/** A VGG configuration: output channels of each 3×3 conv, "M" for a 2×2 max-pool. */
export type VGGConfig = (number | "M")[];

/** torchvision's cfgs: A = VGG-11, B = VGG-13, D = VGG-16, E = VGG-19. */
export const VGG_CONFIGS: Record<"A" | "B" | "D" | "E", VGGConfig> = {
  A: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
  B: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
  D: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
  E: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
};

/**
 * torchvision's make_layers: the `features` Sequential for a configuration, with BatchNorm2d after each conv
 * when `batchNorm` is true.
 * @example const features = flow.vision.models.makeVGGLayers(flow.vision.models.VGG_CONFIGS.A, true)
 */
export function makeVGGLayers(cfg: VGGConfig, batchNorm = false): Sequential {
  const layers: Module[] = [];
  let inChannels = 3;
  for (const v of cfg) {
    if (v === "M") { layers.push(new MaxPool2d(2, { stride: 2 })); continue; }
    layers.push(new Conv2d(inChannels, v, 3, { padding: 1 }));
    if (batchNorm) layers.push(new BatchNorm2d(v));
    layers.push(new ReLU(true));
    inChannels = v;
  }
  return new Sequential(...layers);
}

/** Options of VGG. */
export interface VGGOptions {
  /** Size of the classifier's output (default 1000). */
  numClasses?: number;
  /** Initialise the weights as torchvision does (default true). */
  initWeights?: boolean;
  /** Dropout between the classifier's layers (default 0.5). */
  dropout?: number;
}

/**
 * VGG ("Very Deep Convolutional Networks for Large-Scale Image Recognition") over a `features` Sequential.
 * Initialisation as torchvision: convolutions kaiming-normal (fan_out, relu) with zero bias, BN weight 1 and
 * bias 0, linear layers N(0, 0.01) with zero bias. Inputs must be at least 32×32.
 * @example
 * const model = new flow.vision.models.VGG(flow.vision.models.makeVGGLayers(flow.vision.models.VGG_CONFIGS.A, true), { numClasses: 10 }).eval();
 * model(flow.randn(1, 3, 32, 32)).shape  // [1, 10]
 */
export class VGG extends Module<[Tensor], Tensor> {
  declare features: Sequential;
  declare avgpool: AdaptiveAvgPool2d;
  declare classifier: Sequential;

  constructor(features: Sequential, opts: VGGOptions = {}) {
    super();
    const p = opts.dropout ?? 0.5;
    this.features = features;
    this.avgpool = new AdaptiveAvgPool2d([7, 7]);
    this.classifier = new Sequential(
      new Linear(512 * 7 * 7, 4096), new ReLU(true), new Dropout(p),
      new Linear(4096, 4096), new ReLU(true), new Dropout(p),
      new Linear(4096, opts.numClasses ?? 1000),
    );
    if (opts.initWeights ?? true) this.initWeights();
  }

  private initWeights(): void {
    for (const m of this.modules()) {
      if (m instanceof Conv2d) {
        init.kaimingNormal_(m.weight, { mode: "fan_out", nonlinearity: "relu" });
        if (m.bias) init.constant_(m.bias, 0);
      } else if (m instanceof BatchNorm2d) { init.constant_(m.weight!, 1); init.constant_(m.bias!, 0); }
      else if (m instanceof Linear) { init.normal_(m.weight, 0, 0.01); init.constant_(m.bias!, 0); }
    }
  }

  forward(x: Tensor): Tensor {
    return this.classifier(flatten(this.avgpool(this.features(x)), 1));
  }
}

/**
 * VGG-16 with batch normalisation (configuration D), 138.4M parameters with 1000 classes.
 * @example const model = flow.vision.models.vgg16_bn({ numClasses: 10 }).eval(); model(flow.randn(1, 3, 32, 32)).shape  // [1, 10]
 */
export const vgg16_bn = (opts: VGGOptions = {}): VGG => new VGG(makeVGGLayers(VGG_CONFIGS.D, true), opts);
