/**
 * MobileNetV2 (torchvision/models/mobilenetv2.py, torchvision 0.14) and its building block
 * Conv2dNormActivation (torchvision/ops/misc.py): torchvision's modules in torchvision's order, so the
 * state-dict keys, shapes and order are torchvision's.
 */
import { Tensor } from "../../tensor/tensor";
import { add } from "../../ops/elementwise";
import { flatten } from "../../ops/shape";
import { Module } from "../../nn/module";
import { Conv2d } from "../../nn/layers/conv";
import { BatchNorm2d } from "../../nn/layers/normalization";
import { ReLU6 } from "../../nn/layers/activation";
import { Linear } from "../../nn/layers/linear";
import { Dropout } from "../../nn/layers/dropout";
import { Sequential } from "../../nn/layers/container";
import { adaptiveAvgPool2d } from "../../nn/functional/pooling";
import * as init from "../../nn/init";

/** torchvision's _make_divisible: `v` rounded to a multiple of `divisor`, never more than 10% below `v`. */
export function makeDivisible(v: number, divisor: number, minValue?: number): number {
  const min = minValue ?? divisor;
  let nv = Math.max(min, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  if (nv < 0.9 * v) nv += divisor;
  return nv;
}

/** Options of Conv2dNormActivation. */
export interface ConvNormActOptions { kernelSize?: number; stride?: number; groups?: number; dilation?: number }

/**
 * Conv2d (no bias, "same"-style padding (k-1)/2·dilation), BatchNorm2d, ReLU6: children "0", "1", "2".
 * @example new flow.vision.models.Conv2dNormActivation(3, 32, { stride: 2 })
 */
export class Conv2dNormActivation extends Sequential {
  constructor(inChannels: number, outChannels: number, opts: ConvNormActOptions = {}) {
    const k = opts.kernelSize ?? 3, dilation = opts.dilation ?? 1;
    super(
      new Conv2d(inChannels, outChannels, k, { stride: opts.stride ?? 1, padding: Math.floor((k - 1) / 2) * dilation, dilation, groups: opts.groups ?? 1, bias: false }),
      new BatchNorm2d(outChannels),
      new ReLU6(true),
    );
  }
}

/**
 * The inverted residual block: 1×1 expansion (skipped when expandRatio is 1), 3×3 depthwise, 1×1 linear
 * projection, with a shortcut when the stride is 1 and the channel count is kept.
 * @example new flow.vision.models.InvertedResidual(32, 16, 1, 1)
 */
export class InvertedResidual extends Module<[Tensor], Tensor> {
  declare stride: number;
  declare useResConnect: boolean;
  declare conv: Sequential;
  declare outChannels: number;

  constructor(inp: number, oup: number, stride: number, expandRatio: number) {
    super();
    if (stride !== 1 && stride !== 2) throw new Error(`stride should be 1 or 2 instead of ${stride}`);
    this.stride = stride;
    const hidden = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    const layers: Module[] = [];
    if (expandRatio !== 1) layers.push(new Conv2dNormActivation(inp, hidden, { kernelSize: 1 }));
    layers.push(
      new Conv2dNormActivation(hidden, hidden, { stride, groups: hidden }),
      new Conv2d(hidden, oup, 1, { stride: 1, padding: 0, bias: false }),
      new BatchNorm2d(oup),
    );
    this.conv = new Sequential(...layers);
    this.outChannels = oup;
  }

  forward(x: Tensor): Tensor { return this.useResConnect ? add(x, this.conv(x)) : this.conv(x); }
}

/** Options of MobileNetV2. */
export interface MobileNetV2Options {
  /** Size of the classifier's output (default 1000). */
  numClasses?: number;
  /** Channel multiplier (default 1). */
  widthMult?: number;
  /** [t, c, n, s] rows: expansion, channels, repeats, first stride (default: the paper's table). */
  invertedResidualSetting?: [number, number, number, number][];
  /** Round channel counts to a multiple of this (default 8). */
  roundNearest?: number;
  /** Dropout before the classifier (default 0.2). */
  dropout?: number;
}

const DEFAULT_SETTING: [number, number, number, number][] = [
  [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

/**
 * MobileNetV2 ("MobileNetV2: Inverted Residuals and Linear Bottlenecks"). Initialisation as torchvision:
 * convolutions kaiming-normal (fan_out), BN weight 1 and bias 0, the classifier N(0, 0.01) with zero bias.
 * @example
 * const model = new flow.vision.models.MobileNetV2({ numClasses: 10 }).eval();
 * model(flow.randn(1, 3, 32, 32)).shape  // [1, 10]
 */
export class MobileNetV2 extends Module<[Tensor], Tensor> {
  declare lastChannel: number;
  declare features: Sequential;
  declare classifier: Sequential;

  constructor(opts: MobileNetV2Options = {}) {
    super();
    const widthMult = opts.widthMult ?? 1, round = opts.roundNearest ?? 8;
    const setting = opts.invertedResidualSetting ?? DEFAULT_SETTING;
    if (setting.length === 0 || setting.some((r) => r.length !== 4)) {
      throw new Error(`inverted_residual_setting should be non-empty or a 4-element list, got ${JSON.stringify(setting)}`);
    }
    let inputChannel = makeDivisible(32 * widthMult, round);
    this.lastChannel = makeDivisible(1280 * Math.max(1, widthMult), round);
    const features: Module[] = [new Conv2dNormActivation(3, inputChannel, { stride: 2 })];
    for (const [t, c, n, s] of setting) {
      const outputChannel = makeDivisible(c * widthMult, round);
      for (let i = 0; i < n; i++) {
        features.push(new InvertedResidual(inputChannel, outputChannel, i === 0 ? s : 1, t));
        inputChannel = outputChannel;
      }
    }
    features.push(new Conv2dNormActivation(inputChannel, this.lastChannel, { kernelSize: 1 }));
    this.features = new Sequential(...features);
    this.classifier = new Sequential(new Dropout(opts.dropout ?? 0.2), new Linear(this.lastChannel, opts.numClasses ?? 1000));
    this.initWeights();
  }

  private initWeights(): void {
    for (const m of this.modules()) {
      if (m instanceof Conv2d) {
        init.kaimingNormal_(m.weight, { mode: "fan_out" });
        if (m.bias) init.zeros_(m.bias);
      } else if (m instanceof BatchNorm2d) { init.ones_(m.weight!); init.zeros_(m.bias!); }
      else if (m instanceof Linear) { init.normal_(m.weight, 0, 0.01); init.zeros_(m.bias!); }
    }
  }

  forward(x: Tensor): Tensor {
    x = adaptiveAvgPool2d(this.features(x), [1, 1]);
    return this.classifier(flatten(x, 1));
  }
}

/**
 * MobileNetV2 with torchvision's defaults, 3.5M parameters with 1000 classes.
 * @example const model = flow.vision.models.mobilenet_v2({ numClasses: 10 }).eval(); model(flow.randn(1, 3, 32, 32)).shape  // [1, 10]
 */
export const mobilenet_v2 = (opts: MobileNetV2Options = {}): MobileNetV2 => new MobileNetV2(opts);
