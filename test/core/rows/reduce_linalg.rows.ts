import type { OpRow } from "./row";

export const rows: OpRow[] = [
  { name: "sum all", shapes: [[[3, 4]], [[2, 3, 4]], [[0, 2]]], flow: (f, a) => a.sum(), torch: "a.sum()", grad: true },
  { name: "sum dim keepdim", shapes: [[[3, 4]], [[2, 3, 4]]], flow: (f, a) => a.sum(1, true), torch: "a.sum(1, keepdim=True)", grad: true },
  { name: "sum dims opts", shapes: [[[2, 3, 4]]], flow: (f, a) => a.sum({ dim: [0, -1] }), torch: "a.sum((0, -1))", grad: true },
  { name: "matmul 2d", shapes: [[[3, 4], [4, 5]], [[1, 4], [4, 1]]], flow: (f, a, b) => a.matmul(b), torch: "a @ b", grad: true },
  { name: "matmul batched broadcast", shapes: [[[2, 3, 4], [4, 5]], [[2, 1, 3, 4], [5, 4, 2]]], flow: (f, a, b) => a.matmul(b), torch: "a @ b", grad: true },
  { name: "matmul vec", shapes: [[[4], [4, 5]], [[3, 4], [4]], [[4], [4]]], flow: (f, a, b) => a.matmul(b), torch: "a @ b", grad: true },
  { name: "reshape", shapes: [[[3, 4]]], flow: (f, a) => a.reshape(2, -1, 3), torch: "a.reshape(2, -1, 3)", grad: true },
  { name: "permute", shapes: [[[2, 3, 4]]], flow: (f, a) => a.permute(2, 0, 1), torch: "a.permute(2, 0, 1)", grad: true },
  { name: "expand", shapes: [[[3, 1]]], flow: (f, a) => a.expand(2, 3, 4), torch: "a.expand(2, 3, 4)", grad: true },
];
