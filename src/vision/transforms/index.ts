/**
 * `flow.vision.transforms`: torchvision's transforms (0.14 semantics and defaults) on decoded RGB images.
 * @example
 * const T = flow.vision.transforms;
 * const train = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(),
 *                          T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]);
 * const x = train(await T.decodeImage(bytes, "cat.jpg"));   // Tensor [3, 224, 224]
 */
export * from "./transforms";
export { RawImage, decodeImage, encodePNG, encodeJPEG, jpegBackend } from "./image";
export type { JpegDecoder, DecodeOptions } from "./image";
export { resizedCrop, resizedCropInto, crop, hflip } from "./resample";
export type { TensorSink } from "./resample";
export type { Interpolation } from "./resample";
