import type { OpRow } from "./row";

const bshapes = [[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[1, 4], [3, 1]], [[1], [5]], [[0, 3], [3]]];
const ushapes = [[[3, 4]], [[1]], [[2, 3, 5]], [[]]];

export const rows: OpRow[] = [
  { name: "add", shapes: bshapes, flow: (f, a, b) => f.add(a, b), torch: "a + b", grad: true },
  { name: "add alpha", shapes: bshapes, flow: (f, a, b) => a.add(b, 2.5), torch: "torch.add(a, b, alpha=2.5)", grad: true },
  { name: "add scalar", shapes: ushapes, flow: (f, a) => a.add(3), torch: "a + 3", grad: true },
  { name: "sub", shapes: bshapes, flow: (f, a, b) => a.sub(b), torch: "a - b", grad: true },
  { name: "mul", shapes: bshapes, flow: (f, a, b) => a.mul(b), torch: "a * b", grad: true },
  { name: "div", shapes: bshapes, flow: (f, a, b) => a.div(b), torch: "a / b", grad: true, range: [[-2, 2], [0.5, 2]] },
  { name: "pow", shapes: bshapes, flow: (f, a, b) => a.pow(b), torch: "a ** b", grad: true, range: [[0.5, 2], [-1, 2]] },
  { name: "maximum", shapes: bshapes, flow: (f, a, b) => f.maximum(a, b), torch: "torch.maximum(a, b)", grad: true },
  { name: "minimum", shapes: bshapes, flow: (f, a, b) => f.minimum(a, b), torch: "torch.minimum(a, b)", grad: true },
  { name: "gt", shapes: bshapes, flow: (f, a, b) => a.gt(b), torch: "a > b" },
  { name: "eq int", shapes: bshapes, flow: (f, a, b) => a.eq(b), torch: "a == b", dtype: "int64", range: [0, 3] },
  { name: "neg", shapes: ushapes, flow: (f, a) => a.neg(), torch: "-a", grad: true },
  { name: "abs", shapes: ushapes, flow: (f, a) => a.abs(), torch: "a.abs()", grad: true },
  { name: "exp", shapes: ushapes, flow: (f, a) => a.exp(), torch: "a.exp()", grad: true },
  { name: "log", shapes: ushapes, flow: (f, a) => a.log(), torch: "a.log()", grad: true, range: [0.1, 3] },
  { name: "sqrt", shapes: ushapes, flow: (f, a) => a.sqrt(), torch: "a.sqrt()", grad: true, range: [0.1, 3] },
  { name: "sin", shapes: ushapes, flow: (f, a) => a.sin(), torch: "a.sin()", grad: true },
  { name: "cos", shapes: ushapes, flow: (f, a) => a.cos(), torch: "a.cos()", grad: true },
  { name: "tanh", shapes: ushapes, flow: (f, a) => a.tanh(), torch: "a.tanh()", grad: true },
  { name: "sigmoid", shapes: ushapes, flow: (f, a) => a.sigmoid(), torch: "a.sigmoid()", grad: true },
  { name: "relu", shapes: ushapes, flow: (f, a) => a.relu(), torch: "a.relu()", grad: true },
  { name: "where", shapes: [[[3, 4], [3, 4], [3, 4]], [[3, 1], [1, 4], [3, 4]]], flow: (f, c, a, b) => f.where(c.gt(0), a, b), torch: "torch.where(a > 0, b, c)", grad: [false, true, true] },
  { name: "cast float64", shapes: ushapes, flow: (f, a) => a.double(), torch: "a.double()", grad: true },
  { name: "big add (session path)", shapes: [[[70, 80], [80]]], flow: (f, a, b) => a.add(b), torch: "a + b", grad: true },
];
