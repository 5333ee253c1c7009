/**
 * `flow.vision.models`: torchvision 0.14's classification architectures with torchvision's state-dict keys,
 * shapes and order, so weights saved with `torch.save(model.state_dict(), path)` load with
 * `model.loadStateDict(flow.load(path))`. Weights start at torchvision's random initialisation (no download).
 * @example
 * const model = flow.vision.models.resnet18({ numClasses: 10 });
 * flow.save(model.stateDict(), "/tmp/resnet18.pth");      // or a file from torch.save(model.state_dict(), ...)
 * model.loadStateDict(flow.load("/tmp/resnet18.pth"));
 * const logits = model.eval()(flow.randn(1, 3, 224, 224)); // [1, 10]
 */
export { ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d, wide_resnet50_2 } from "./resnet";
export type { ResNetOptions, ResNetBuilderOptions, BlockType, BlockArgs } from "./resnet";
export { MobileNetV2, InvertedResidual, Conv2dNormActivation, makeDivisible, mobilenet_v2 } from "./mobilenetv2";
export type { MobileNetV2Options, ConvNormActOptions } from "./mobilenetv2";
export { VGG, VGG_CONFIGS, makeVGGLayers, vgg16_bn } from "./vgg";
export type { VGGConfig, VGGOptions } from "./vgg";
