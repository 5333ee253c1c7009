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
