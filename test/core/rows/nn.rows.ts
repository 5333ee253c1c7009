/** flow.nn.functional rows: forward and backward against torch.nn.functional. */
import type { OpRow } from "./row";

export const rows: OpRow[] = [
  // ---- convolutions ----
  { name: "conv2d", shapes: [[[2, 3, 7, 6], [4, 3, 3, 3], [4]], [[1, 1, 5, 5], [2, 1, 1, 1], [2]]], flow: (f, x, w, b) => f.nn.functional.conv2d(x, w, b), torch: "F.conv2d(a, b, c)", grad: true, rtol: 1e-3 },
  { name: "conv2d stride 2 pad 1", shapes: [[[2, 3, 8, 7], [5, 3, 3, 3], [5]], [[1, 2, 9, 9], [3, 2, 3, 2], [3]]], flow: (f, x, w, b) => f.nn.functional.conv2d(x, w, b, { stride: 2, padding: 1 }), torch: "F.conv2d(a, b, c, stride=2, padding=1)", grad: true, rtol: 1e-3 },
  { name: "conv2d stride 3 no bias", shapes: [[[2, 3, 11, 10], [4, 3, 2, 3]]], flow: (f, x, w) => f.nn.functional.conv2d(x, w, null, 3), torch: "F.conv2d(a, b, None, 3)", grad: true, rtol: 1e-3 },
  { name: "conv2d dilation 2 pad [2,1]", shapes: [[[2, 2, 9, 8], [3, 2, 3, 3], [3]]], flow: (f, x, w, b) => f.nn.functional.conv2d(x, w, b, { padding: [2, 1], dilation: 2 }), torch: "F.conv2d(a, b, c, padding=(2, 1), dilation=2)", grad: true, rtol: 1e-3 },
  { name: "conv2d stride 2 dilation 2", shapes: [[[1, 2, 10, 9], [3, 2, 3, 2], [3]]], flow: (f, x, w, b) => f.nn.functional.conv2d(x, w, b, { stride: [2, 3], padding: 1, dilation: [2, 1] }), torch: "F.conv2d(a, b, c, stride=(2, 3), padding=1, dilation=(2, 1))", grad: true, rtol: 1e-3 },
  { name: "conv2d groups 2", shapes: [[[2, 4, 6, 6], [6, 2, 3, 3], [6]]], flow: (f, x, w, b) => f.nn.functional.conv2d(x, w, b, { padding: 1, groups: 2 }), torch: "F.conv2d(a, b, c, padding=1, groups=2)", grad: true, rtol: 1e-3 },
  { name: "conv2d depthwise stride 2", shapes: [[[2, 3, 7, 7], [3, 1, 3, 3], [3]], [[1, 4, 8, 8], [8, 1, 3, 3], [8]]], flow: (f, x, w, b) => f.nn.functional.conv2d(x, w, b, { stride: 2, padding: 1, groups: x.shape[1] }), torch: "F.conv2d(a, b, c, stride=2, padding=1, groups=a.shape[1])", grad: true, rtol: 1e-3 },
  { name: "conv2d 1x1 stride 2", shapes: [[[2, 4, 7, 6], [8, 4, 1, 1]]], flow: (f, x, w) => f.nn.functional.conv2d(x, w, null, { stride: 2 }), torch: "F.conv2d(a, b, stride=2)", grad: true, rtol: 1e-3 },
  { name: "conv2d same even kernel", shapes: [[[2, 2, 6, 5], [3, 2, 4, 2], [3]]], flow: (f, x, w, b) => f.nn.functional.conv2d(x, w, b, { padding: "same", dilation: [1, 2] }), torch: "F.conv2d(a, b, c, padding='same', dilation=(1, 2))", grad: true, rtol: 1e-3 },
  { name: "conv2d valid", shapes: [[[2, 2, 6, 5], [3, 2, 3, 3], [3]]], flow: (f, x, w, b) => f.nn.functional.conv2d(x, w, b, 1, "valid"), torch: "F.conv2d(a, b, c, 1, 'valid')", grad: true, rtol: 1e-3 },
  { name: "conv2d unbatched", shapes: [[[3, 5, 5], [2, 3, 3, 3], [2]]], flow: (f, x, w, b) => f.nn.functional.conv2d(x, w, b, { padding: 1 }), torch: "F.conv2d(a, b, c, padding=1)", grad: true, rtol: 1e-3 },
  { name: "conv1d", shapes: [[[2, 3, 10], [4, 3, 3], [4]], [[1, 2, 7], [2, 1, 2], [2]]], flow: (f, x, w, b) => f.nn.functional.conv1d(x, w, b, { stride: 2, padding: 1, groups: x.shape[1] / w.shape[1] }), torch: "F.conv1d(a, b, c, stride=2, padding=1, groups=a.shape[1] // b.shape[1])", grad: true, rtol: 1e-3 },
  { name: "conv1d dilation same", shapes: [[[2, 3, 10], [4, 3, 3], [4]]], flow: (f, x, w, b) => f.nn.functional.conv1d(x, w, b, { padding: "same", dilation: 3 }), torch: "F.conv1d(a, b, c, padding='same', dilation=3)", grad: true, rtol: 1e-3 },
  { name: "convTranspose2d", shapes: [[[2, 3, 5, 4], [3, 2, 3, 3], [2]], [[1, 1, 3, 3], [1, 3, 2, 2], [3]]], flow: (f, x, w, b) => f.nn.functional.convTranspose2d(x, w, b), torch: "F.conv_transpose2d(a, b, c)", grad: true, rtol: 1e-3 },
  { name: "convTranspose2d stride 2 pad outpad", shapes: [[[2, 4, 5, 4], [4, 3, 3, 3], [3]]], flow: (f, x, w, b) => f.nn.functional.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), torch: "F.conv_transpose2d(a, b, c, stride=2, padding=1, output_padding=1)", grad: true, rtol: 1e-3 },
  { name: "convTranspose2d groups dilation", shapes: [[[2, 4, 4, 5], [4, 3, 3, 2], [6]]], flow: (f, x, w, b) => f.nn.functional.convTranspose2d(x, w, b, 2, [1, 0], 0, 2, [2, 1]), torch: "F.conv_transpose2d(a, b, c, 2, (1, 0), 0, 2, (2, 1))", grad: true, rtol: 1e-3 },
  { name: "convTranspose1d", shapes: [[[2, 3, 6], [3, 2, 4], [2]]], flow: (f, x, w, b) => f.nn.functional.convTranspose1d(x, w, b, { stride: 3, padding: 1, outputPadding: 2 }), torch: "F.conv_transpose1d(a, b, c, stride=3, padding=1, output_padding=2)", grad: true, rtol: 1e-3 },
  // ---- padding ----
  { name: "pad constant", shapes: [[[2, 3, 4]], [[1, 1]]], flow: (f, x) => f.nn.functional.pad(x, [1, 2, 0, 1], "constant", 0.5), torch: "F.pad(a, (1, 2, 0, 1), 'constant', 0.5)", grad: true },
  { name: "pad negative crops", shapes: [[[2, 3, 5]]], flow: (f, x) => f.nn.functional.pad(x, [-1, 2, 1, -2]), torch: "F.pad(a, (-1, 2, 1, -2))", grad: true },
  { name: "pad reflect 2d", shapes: [[[2, 3, 4, 5]], [[1, 1, 3, 3]]], flow: (f, x) => f.nn.functional.pad(x, [2, 1, 1, 2], { mode: "reflect" }), torch: "F.pad(a, (2, 1, 1, 2), mode='reflect')", grad: true },
  { name: "pad replicate 2d", shapes: [[[2, 3, 4, 5]], [[1, 1, 1, 2]]], flow: (f, x) => f.nn.functional.pad(x, [3, 1, 2, 2], { mode: "replicate" }), torch: "F.pad(a, (3, 1, 2, 2), mode='replicate')", grad: true },
  { name: "pad reflect 1d", shapes: [[[2, 3, 6]]], flow: (f, x) => f.nn.functional.pad(x, [3, 2], "reflect"), torch: "F.pad(a, (3, 2), 'reflect')", grad: true },
];
const F = (f: typeof import("../../../src/index")) => f.nn.functional;
export const poolRows: OpRow[] = [
  { name: "maxPool2d", shapes: [[[2, 3, 8, 7]], [[1, 1, 5, 5]]], flow: (f, x) => F(f).maxPool2d(x, 2), torch: "F.max_pool2d(a, 2)", grad: true },
  { name: "maxPool2d 3 s2 p1", shapes: [[[2, 3, 9, 8]], [[1, 2, 4, 4]]], flow: (f, x) => F(f).maxPool2d(x, 3, 2, 1), torch: "F.max_pool2d(a, 3, 2, 1)", grad: true },
  { name: "maxPool2d dilation ceil", shapes: [[[2, 2, 10, 9]], [[1, 1, 6, 7]]], flow: (f, x) => F(f).maxPool2d(x, [3, 2], { stride: [2, 3], padding: 1, dilation: [2, 1], ceilMode: true }), torch: "F.max_pool2d(a, (3, 2), stride=(2, 3), padding=1, dilation=(2, 1), ceil_mode=True)", grad: true },
  { name: "maxPool2d ceil", shapes: [[[2, 2, 7, 8]], [[1, 1, 5, 5]]], flow: (f, x) => F(f).maxPool2d(x, 2, { ceilMode: true }), torch: "F.max_pool2d(a, 2, ceil_mode=True)", grad: true },
  { name: "maxPool2d indices", shapes: [[[2, 3, 6, 5]]], flow: (f, x) => F(f).maxPool2d(x, 3, { stride: 2, padding: 1, returnIndices: true }), torch: "F.max_pool2d(a, 3, stride=2, padding=1, return_indices=True)", grad: true },
  { name: "maxPool1d", shapes: [[[2, 3, 9]]], flow: (f, x) => F(f).maxPool1d(x, 3, 2, 1), torch: "F.max_pool1d(a, 3, 2, 1)", grad: true },
  { name: "avgPool2d", shapes: [[[2, 3, 8, 6]], [[1, 1, 4, 4]]], flow: (f, x) => F(f).avgPool2d(x, 2), torch: "F.avg_pool2d(a, 2)", grad: true },
  { name: "avgPool2d 3 s2 p1", shapes: [[[2, 3, 9, 8]], [[1, 2, 5, 5]]], flow: (f, x) => F(f).avgPool2d(x, 3, 2, 1), torch: "F.avg_pool2d(a, 3, 2, 1)", grad: true },
  { name: "avgPool2d no pad count", shapes: [[[2, 3, 9, 8]]], flow: (f, x) => F(f).avgPool2d(x, [3, 2], { stride: 2, padding: 1, countIncludePad: false }), torch: "F.avg_pool2d(a, (3, 2), stride=2, padding=1, count_include_pad=False)", grad: true },
  { name: "avgPool2d ceil", shapes: [[[2, 2, 7, 8]], [[1, 1, 5, 5]]], flow: (f, x) => F(f).avgPool2d(x, 2, { ceilMode: true }), torch: "F.avg_pool2d(a, 2, ceil_mode=True)", grad: true },
  { name: "avgPool2d ceil pad", shapes: [[[2, 2, 8, 7]], [[1, 1, 6, 6]]], flow: (f, x) => F(f).avgPool2d(x, 3, 2, 1, true), torch: "F.avg_pool2d(a, 3, 2, 1, True)", grad: true },
  { name: "avgPool2d ceil pad nocount", shapes: [[[2, 2, 8, 7]], [[1, 1, 6, 6]]], flow: (f, x) => F(f).avgPool2d(x, 3, 2, 1, true, false), torch: "F.avg_pool2d(a, 3, 2, 1, True, False)", grad: true },
  { name: "avgPool2d divisor", shapes: [[[2, 2, 6, 6]]], flow: (f, x) => F(f).avgPool2d(x, 3, { stride: 2, padding: 1, divisorOverride: 5 }), torch: "F.avg_pool2d(a, 3, stride=2, padding=1, divisor_override=5)", grad: true },
  { name: "avgPool1d", shapes: [[[2, 3, 9]]], flow: (f, x) => F(f).avgPool1d(x, 3, 2, 1), torch: "F.avg_pool1d(a, 3, 2, 1)", grad: true },
  { name: "adaptiveAvgPool2d even", shapes: [[[2, 3, 8, 6]], [[1, 4, 4, 4]]], flow: (f, x) => F(f).adaptiveAvgPool2d(x, 2), torch: "F.adaptive_avg_pool2d(a, 2)", grad: true },
  { name: "adaptiveAvgPool2d global", shapes: [[[2, 3, 7, 7]]], flow: (f, x) => F(f).adaptiveAvgPool2d(x, 1), torch: "F.adaptive_avg_pool2d(a, 1)", grad: true },
  { name: "adaptiveAvgPool2d uneven", shapes: [[[2, 3, 7, 5]], [[3, 10, 9]]], flow: (f, x) => F(f).adaptiveAvgPool2d(x, [3, 4]), torch: "F.adaptive_avg_pool2d(a, (3, 4))", grad: true },
  { name: "adaptiveAvgPool2d none", shapes: [[[2, 3, 7, 5]]], flow: (f, x) => F(f).adaptiveAvgPool2d(x, [null, 3]), torch: "F.adaptive_avg_pool2d(a, (None, 3))", grad: true },
];
rows.push(...poolRows);
export const miscRows: OpRow[] = [
  { name: "softmax", shapes: [[[3, 5]], [[2, 3, 4]], [[1]], [[4, 70, 30]]], flow: (f, x) => F(f).softmax(x, 1 % x.ndim), torch: "F.softmax(a, 1 % a.dim())", grad: true },
  { name: "softmax last", shapes: [[[3, 5]], [[2, 3, 4]]], flow: (f, x) => x.softmax(-1), torch: "a.softmax(-1)", grad: true },
  { name: "logSoftmax", shapes: [[[3, 5]], [[2, 3, 4]], [[4, 70, 30]]], flow: (f, x) => F(f).logSoftmax(x, { dim: 1 }), torch: "F.log_softmax(a, dim=1)", grad: true },
  { name: "logSoftmax large", shapes: [[[3, 5]]], flow: (f, x) => x.logSoftmax(0), torch: "a.log_softmax(0)", grad: true, range: [500, 900] },
  { name: "batchNorm eval", shapes: [[[2, 3, 4, 5], [3], [3], [3], [3]], [[4, 3], [3], [3], [3], [3]]], range: [[-2, 2], [-1, 1], [0.5, 2], [-1, 1], [-1, 1]], grad: [true, false, false, true, true],
    flow: (f, x, m, v, w, b) => F(f).batchNorm(x, m, v, w, b, false, 0.1, 1e-3), torch: "F.batch_norm(a, b, c, d, e, False, 0.1, 1e-3)" },
  { name: "batchNorm train", shapes: [[[2, 3, 4, 5], [3], [3]], [[5, 3], [3], [3]], [[1, 2, 3, 3], [2], [2]]], grad: true,
    flow: (f, x, w, b) => F(f).batchNorm(x, null, null, w, b, true), torch: "F.batch_norm(a, None, None, b, c, True)", rtol: 1e-3 },
  { name: "batchNorm train no affine", shapes: [[[3, 4, 6]]], grad: true, flow: (f, x) => F(f).batchNorm(x, null, null, { training: true, eps: 1e-3 }), torch: "F.batch_norm(a, None, None, training=True, eps=1e-3)", rtol: 1e-3 },
  { name: "layerNorm", shapes: [[[2, 3, 4], [4], [4]], [[1, 5], [5], [5]]], grad: true, flow: (f, x, w, b) => F(f).layerNorm(x, [x.shape[x.ndim - 1]], w, b), torch: "F.layer_norm(a, (a.shape[-1],), b, c)", rtol: 1e-3 },
  { name: "layerNorm 2 dims", shapes: [[[2, 3, 4], [3, 4], [3, 4]]], grad: true, flow: (f, x, w, b) => F(f).layerNorm(x, [3, 4], w, b, 1e-3), torch: "F.layer_norm(a, (3, 4), b, c, 1e-3)", rtol: 1e-3 },
  { name: "layerNorm no affine", shapes: [[[4, 6]]], grad: true, flow: (f, x) => F(f).layerNorm(x, 6), torch: "F.layer_norm(a, (6,))", rtol: 1e-3 },
  { name: "groupNorm", shapes: [[[2, 6, 4, 3], [6], [6]], [[1, 4, 5], [4], [4]]], grad: true, flow: (f, x, w, b) => F(f).groupNorm(x, 2, w, b), torch: "F.group_norm(a, 2, b, c)", rtol: 1e-3 },
  { name: "embedding", shapes: [[[2, 3], [7, 4]], [[5], [3, 2]]], dtype: ["int64", "float32"], range: [[0, 3], [-2, 2]], grad: [false, true], flow: (f, i, w) => F(f).embedding(i, w), torch: "F.embedding(a, b)" },
  { name: "embedding paddingIdx", shapes: [[[4, 3], [5, 4]]], dtype: ["int64", "float32"], range: [[0, 3], [-2, 2]], grad: [false, true], flow: (f, i, w) => F(f).embedding(i, w, 1), torch: "F.embedding(a, b, 1)" },
  { name: "oneHot", shapes: [[[2, 3]], [[4]]], dtype: "int64", range: [0, 4], flow: (f, i) => F(f).oneHot(i, 5), torch: "F.one_hot(a, 5)" },
  { name: "interpolate nearest x2", shapes: [[[2, 3, 4, 5]], [[1, 1, 3, 3]]], grad: true, flow: (f, x) => F(f).interpolate(x, { scaleFactor: 2 }), torch: "F.interpolate(a, scale_factor=2)" },
  { name: "interpolate nearest size", shapes: [[[2, 3, 5, 7]], [[1, 2, 6, 4]]], grad: true, flow: (f, x) => F(f).interpolate(x, [4, 9]), torch: "F.interpolate(a, (4, 9))" },
  { name: "interpolate nearest scale 1.7", shapes: [[[1, 2, 5, 7]]], grad: true, flow: (f, x) => F(f).interpolate(x, null, [1.7, 0.6]), torch: "F.interpolate(a, None, (1.7, 0.6))" },
  { name: "interpolate nearest 1d", shapes: [[[2, 3, 5]]], grad: true, flow: (f, x) => F(f).interpolate(x, 8), torch: "F.interpolate(a, 8)" },
  { name: "interpolate bilinear", shapes: [[[2, 3, 4, 5]], [[1, 1, 3, 3]]], grad: true, flow: (f, x) => F(f).interpolate(x, { scaleFactor: 2, mode: "bilinear", alignCorners: false }), torch: "F.interpolate(a, scale_factor=2, mode='bilinear', align_corners=False)" },
  { name: "interpolate bilinear size down", shapes: [[[2, 3, 7, 9]]], grad: true, flow: (f, x) => F(f).interpolate(x, { size: [3, 5], mode: "bilinear" }), torch: "F.interpolate(a, size=(3, 5), mode='bilinear')" },
  { name: "interpolate bilinear size 1", shapes: [[[1, 2, 4, 6]]], grad: true, flow: (f, x) => F(f).interpolate(x, { size: [1, 5], mode: "bilinear" }), torch: "F.interpolate(a, size=(1, 5), mode='bilinear')" },
  { name: "interpolate bilinear scale 1.5", shapes: [[[1, 2, 5, 7]]], grad: true, flow: (f, x) => F(f).interpolate(x, { scaleFactor: [1.5, 2.3], mode: "bilinear" }), torch: "F.interpolate(a, scale_factor=(1.5, 2.3), mode='bilinear')" },
  { name: "interpolate bilinear alignCorners", shapes: [[[2, 3, 4, 5]], [[1, 1, 3, 3]]], grad: true, flow: (f, x) => F(f).interpolate(x, { size: [7, 4], mode: "bilinear", alignCorners: true }), torch: "F.interpolate(a, size=(7, 4), mode='bilinear', align_corners=True)" },
  { name: "interpolate linear 1d", shapes: [[[2, 3, 5]]], grad: true, flow: (f, x) => F(f).interpolate(x, 9, null, "linear"), torch: "F.interpolate(a, 9, None, 'linear')" },
  // ---- losses ----
  { name: "crossEntropy", shapes: [[[4, 5], [4]], [[1, 3], [1]]], dtype: ["float32", "int64"], range: [[-2, 2], [0, 3]], grad: [true, false], flow: (f, x, t) => F(f).crossEntropy(x, t), torch: "F.cross_entropy(a, b)" },
  { name: "crossEntropy spatial sum", shapes: [[[2, 4, 3, 2], [2, 3, 2]]], dtype: ["float32", "int64"], range: [[-2, 2], [0, 4]], grad: [true, false], flow: (f, x, t) => F(f).crossEntropy(x, t, { reduction: "sum" }), torch: "F.cross_entropy(a, b, reduction='sum')" },
  { name: "crossEntropy none ignore", shapes: [[[6, 4], [6]]], dtype: ["float32", "int64"], range: [[-2, 2], [0, 4]], grad: [true, false], flow: (f, x, t) => F(f).crossEntropy(x, t, { ignoreIndex: 2, reduction: "none" }), torch: "F.cross_entropy(a, b, ignore_index=2, reduction='none')" },
  { name: "crossEntropy weight ignore mean", shapes: [[[6, 4], [6], [4]]], dtype: ["float32", "int64", "float32"], range: [[-2, 2], [0, 4], [0.2, 2]], grad: [true, false, false], flow: (f, x, t, w) => F(f).crossEntropy(x, t, w, { ignoreIndex: 1 }), torch: "F.cross_entropy(a, b, c, ignore_index=1)" },
  { name: "crossEntropy smoothing", shapes: [[[6, 4], [6]]], dtype: ["float32", "int64"], range: [[-2, 2], [0, 4]], grad: [true, false], flow: (f, x, t) => F(f).crossEntropy(x, t, { ignoreIndex: 0, labelSmoothing: 0.2 }), torch: "F.cross_entropy(a, b, ignore_index=0, label_smoothing=0.2)" },
  { name: "crossEntropy smoothing weight", shapes: [[[6, 4], [6], [4]]], dtype: ["float32", "int64", "float32"], range: [[-2, 2], [0, 4], [0.2, 2]], grad: [true, false, false], flow: (f, x, t, w) => F(f).crossEntropy(x, t, w, { ignoreIndex: 3, labelSmoothing: 0.1 }), torch: "F.cross_entropy(a, b, c, ignore_index=3, label_smoothing=0.1)" },
  { name: "crossEntropy probs", shapes: [[[4, 5], [4, 5]], [[2, 3, 2, 2], [2, 3, 2, 2]]], range: [[-2, 2], [0, 1]], grad: [true, true], flow: (f, x, t) => F(f).crossEntropy(x, t), torch: "F.cross_entropy(a, b)" },
  { name: "crossEntropy probs smoothing weight", shapes: [[[4, 5], [4, 5], [5]]], range: [[-2, 2], [0, 1], [0.2, 2]], grad: [true, true, false], flow: (f, x, t, w) => F(f).crossEntropy(x, t, w, { labelSmoothing: 0.3 }), torch: "F.cross_entropy(a, b, c, label_smoothing=0.3)" },
  { name: "crossEntropy unbatched", shapes: [[[5], []]], dtype: ["float32", "int64"], range: [[-2, 2], [0, 5]], grad: [true, false], flow: (f, x, t) => F(f).crossEntropy(x, t), torch: "F.cross_entropy(a, b)" },
  { name: "nllLoss", shapes: [[[4, 5], [4]]], dtype: ["float32", "int64"], range: [[-3, 0], [0, 5]], grad: [true, false], flow: (f, x, t) => F(f).nllLoss(x, t), torch: "F.nll_loss(a, b)" },
  { name: "nllLoss weight none", shapes: [[[4, 3, 2], [4, 2], [3]]], dtype: ["float32", "int64", "float32"], range: [[-3, 0], [0, 3], [0.5, 2]], grad: [true, false, false], flow: (f, x, t, w) => F(f).nllLoss(x, t, w, { reduction: "none" }), torch: "F.nll_loss(a, b, c, reduction='none')" },
  { name: "mseLoss", shapes: [[[3, 4], [3, 4]], [[5], [5]]], grad: true, flow: (f, x, t) => F(f).mseLoss(x, t), torch: "F.mse_loss(a, b)" },
  { name: "mseLoss sum none", shapes: [[[3, 4], [3, 4]]], grad: true, flow: (f, x, t) => F(f).mseLoss(x, t, { reduction: "none" }), torch: "F.mse_loss(a, b, reduction='none')" },
  { name: "l1Loss", shapes: [[[3, 4], [3, 4]]], grad: true, flow: (f, x, t) => F(f).l1Loss(x, t, { reduction: "sum" }), torch: "F.l1_loss(a, b, reduction='sum')" },
  { name: "smoothL1Loss", shapes: [[[3, 4], [3, 4]]], grad: true, flow: (f, x, t) => F(f).smoothL1Loss(x, t, { beta: 0.5 }), torch: "F.smooth_l1_loss(a, b, beta=0.5)" },
  { name: "bceWithLogits", shapes: [[[3, 4], [3, 4]]], range: [[-30, 30], [0, 1]], grad: true, flow: (f, x, t) => F(f).binaryCrossEntropyWithLogits(x, t), torch: "F.binary_cross_entropy_with_logits(a, b)" },
  { name: "bceWithLogits posWeight weight", shapes: [[[3, 4], [3, 4], [4], [4]]], range: [[-4, 4], [0, 1], [0.5, 3], [0.5, 2]], grad: [true, true, false, false], flow: (f, x, t, p, w) => F(f).binaryCrossEntropyWithLogits(x, t, w, { posWeight: p, reduction: "sum" }), torch: "F.binary_cross_entropy_with_logits(a, b, d, reduction='sum', pos_weight=c)" },
  { name: "binaryCrossEntropy", shapes: [[[3, 4], [3, 4]]], range: [[0.05, 0.95], [0, 1]], grad: true, flow: (f, x, t) => F(f).binaryCrossEntropy(x, t), torch: "F.binary_cross_entropy(a, b)" },
];
rows.push(...miscRows);
// float64: ONNX Runtime has no double Conv kernels; these run conv64.ts's im2col/MatMul lowerings.
const f64 = (rs: OpRow[]) => rs.filter((r) => !r.dtype || r.dtype === "float32").map((r) => ({ ...r, name: `${r.name} float64`, dtype: "float64", rtol: 1e-9, atol: 1e-10 }));
rows.push(...f64(rows.slice()));
// Empty batches, where PyTorch allows them.
rows.push(
  { name: "conv2d empty batch", shapes: [[[0, 3, 6, 6], [4, 3, 3, 3], [4]]], flow: (f, x, w, b) => f.nn.functional.conv2d(x, w, b, { padding: 1 }), torch: "F.conv2d(a, b, c, padding=1)", grad: true },
  { name: "softmax empty", shapes: [[[0, 4]]], flow: (f, x) => f.nn.functional.softmax(x, 1), torch: "F.softmax(a, 1)", grad: true },
  { name: "layerNorm empty", shapes: [[[0, 4], [4], [4]]], flow: (f, x, w, b) => f.nn.functional.layerNorm(x, [4], w, b), torch: "F.layer_norm(a, (4,), b, c)", grad: true },
);
