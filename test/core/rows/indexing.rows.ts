import type { OpRow } from "./row";

// Index tensors live on the indexed tensor's device (the webgpu suite runs these rows there too).
const I = (f: any, v: unknown, like: any) => f.tensor(v, { dtype: "int64", device: like.device });
const setitem = (index: string, value = "b") => `(lambda t: (t.__setitem__(${index}, ${value}), t)[1])(a.clone())`;
const L = { dtype: ["float32", "int64"], grad: [true, false] };

export const rows: OpRow[] = [
  { name: "gather dim 1", shapes: [[[3, 4], [3, 2]], [[3, 4], [3, 0]]], ...L, range: [[-2, 2], [0, 4]], flow: (f, a, b) => a.gather(1, b), torch: "torch.gather(a, 1, b)" },
  { name: "gather dim 0 smaller index", shapes: [[[4, 5], [2, 3]]], ...L, range: [[-2, 2], [0, 4]], flow: (f, a, b) => f.gather(a, 0, b), torch: "torch.gather(a, 0, b)" },
  { name: "gather 3-D negative dim", shapes: [[[2, 3, 4], [2, 3, 6]]], ...L, range: [[-2, 2], [0, 4]], flow: (f, a, b) => a.gather(-1, b), torch: "a.gather(-1, b)" },
  { name: "scatter", shapes: [[[3, 4], [3, 2]]], grad: true, flow: (f, a, b) => a.scatter(1, I(f, [[0, 2], [1, 3], [3, 0]], a), b), torch: "a.scatter(1, torch.tensor([[0, 2], [1, 3], [3, 0]]), b)" },
  // PyTorch 1.13 fails the backward of scatter with a src larger than the index (ScatterBackward0 returns a gradient of index shape), so src gets no gradient check here.
  { name: "scatter src larger than index", shapes: [[[3, 4], [4, 5]]], grad: [true, false], flow: (f, a, b) => a.scatter(0, I(f, [[2, 0, 1]], a), b), torch: "a.scatter(0, torch.tensor([[2, 0, 1]]), b)" },
  { name: "scatter value", shapes: [[[3, 4]]], grad: true, flow: (f, a) => a.scatter(1, I(f, [[1], [0], [3]], a), 1.5), torch: "a.scatter(1, torch.tensor([[1], [0], [3]]), 1.5)" },
  // PyTorch 1.13 has no derivative for scatter(reduce=...); the same primitive's gradient is checked by scatterAdd.
  { name: "scatter reduce add", shapes: [[[3, 4], [3, 2]]], flow: (f, a, b) => a.scatter(1, I(f, [[0, 0], [1, 3], [3, 3]], a), b, { reduce: "add" }), torch: "a.scatter(1, torch.tensor([[0, 0], [1, 3], [3, 3]]), b, reduce='add')" },
  { name: "scatterAdd duplicates", shapes: [[[3, 4], [3, 6], [3, 6]]], dtype: ["float32", "float32", "int64"], grad: [true, true, false], range: [[-2, 2], [-2, 2], [0, 4]], flow: (f, a, b, c) => a.scatterAdd(1, c, b), torch: "a.scatter_add(1, c, b)" },
  { name: "indexSelect", shapes: [[[3, 4], [5]], [[3, 4], [0]]], ...L, range: [[-2, 2], [0, 3]], flow: (f, a, b) => a.indexSelect(0, b), torch: "a.index_select(0, b)" },
  { name: "indexSelect dim 1", shapes: [[[2, 4, 3], [6]]], ...L, range: [[-2, 2], [0, 4]], flow: (f, a, b) => f.indexSelect(a, 1, b), torch: "torch.index_select(a, 1, b)" },
  { name: "indexAdd", shapes: [[[4, 3], [5, 3], [5]]], dtype: ["float32", "float32", "int64"], grad: [true, true, false], range: [[-2, 2], [-2, 2], [0, 4]], flow: (f, a, b, c) => a.indexAdd(0, c, b, { alpha: 2 }), torch: "a.index_add(0, c, b, alpha=2)" },
  { name: "takeAlongDim", shapes: [[[3, 4], [1, 2]]], ...L, range: [[-2, 2], [0, 4]], flow: (f, a, b) => a.takeAlongDim(b, 1), torch: "torch.take_along_dim(a, b, 1)" },
  { name: "takeAlongDim flat", shapes: [[[3, 4], [5]]], ...L, range: [[-2, 2], [0, 12]], flow: (f, a, b) => a.takeAlongDim(b), torch: "torch.take_along_dim(a, b)" },
  { name: "maskedFill", shapes: [[[3, 4], [4]], [[2, 3], [2, 3]], [[0, 3], [3]]], grad: [true, false], flow: (f, a, b) => a.maskedFill(b.gt(0), 2.5), torch: "a.masked_fill(b > 0, 2.5)" },
  { name: "maskedFill tensor value", shapes: [[[3, 4], [], [3, 4]]], grad: [true, true, false], flow: (f, a, b, c) => f.maskedFill(a, c.gt(0), b), torch: "a.masked_fill(c > 0, b)" },
  { name: "maskedSelect", shapes: [[[3, 4], [3, 4]], [[3, 4], [4]], [[2, 2], [2, 2]]], grad: [true, false], flow: (f, a, b) => a.maskedSelect(b.gt(0)), torch: "torch.masked_select(a, b > 0)" },
  { name: "nonzero", shapes: [[[3, 4]], [[5]], [[0, 2]]], flow: (f, a) => a.gt(0).nonzero() as any, torch: "torch.nonzero(a > 0)" },
  { name: "index int tensor", shapes: [[[4, 5], [2, 3]], [[4, 5], [0]]], ...L, range: [[-2, 2], [-4, 4]], flow: (f, a, b) => a.index([b]), torch: "a[b]" },
  { name: "index two tensors + slice", shapes: [[[4, 5, 6], [3], [2, 1]]], dtype: ["float32", "int64", "int64"], grad: [true, false, false], range: [[-2, 2], [0, 4], [-6, 6]], flow: (f, a, b, c) => a.index([b, "1:4", c]), torch: "a[b, 1:4, c]" },
  { name: "index adjacent tensors", shapes: [[[3, 4, 5, 2], [3], [3]]], dtype: ["float32", "int64", "int64"], grad: [true, false, false], range: [[-2, 2], [0, 4], [0, 5]], flow: (f, a, b, c) => a.index([":", b, c]), torch: "a[:, b, c]" },
  { name: "index mask", shapes: [[[3, 4], [3, 4]], [[3, 4], [3]]], grad: [true, false], flow: (f, a, b) => a.index([b.gt(0)]), torch: "a[b > 0]" },
  { name: "index basic mix", shapes: [[[4, 5, 6]], [[2, 3, 3]]], grad: true, flow: (f, a) => a.index([-1, null, "::2", "...", "1:"]), torch: "a[-1, None, ::2, ..., 1:]" },
  { name: "indexPut slice", shapes: [[[4, 5], [3]]], grad: true, flow: (f, a, b) => a.indexPut(["1:", "2:"], b), torch: setitem("(slice(1, None), slice(2, None))") },
  { name: "indexPut int + scalar", shapes: [[[4, 5]]], grad: true, flow: (f, a) => a.indexPut([":", -2], 7), torch: setitem("(slice(None), -2)", "7") },
  { name: "indexPut advanced", shapes: [[[4, 5], [2, 5]]], grad: true, flow: (f, a, b) => a.indexPut([[3, 1]], b), torch: setitem("torch.tensor([3, 1])") },
  { name: "indexPut mask", shapes: [[[3, 4], [3, 4]]], grad: [true, false], flow: (f, a, b) => a.indexPut([b.gt(0)], 0), torch: setitem("b > 0", "0") },
  { name: "indexPut accumulate duplicates", shapes: [[[4, 3], [5], [5, 3]]], dtype: ["float32", "int64", "float32"], grad: [true, false, true], range: [[-2, 2], [0, 4], [-2, 2]], flow: (f, a, b, c) => a.indexPut([b], c, true), torch: "a.index_put((b,), c, accumulate=True)" },
  { name: "indexPut adv + slice", shapes: [[[3, 4, 5], [2, 2]]], grad: true, flow: (f, a, b) => a.indexPut([[0, 2], "1:3"], b.unsqueeze(2)), torch: setitem("(torch.tensor([0, 2]), slice(1, 3))", "b.unsqueeze(2)") },
];
