/**
 * Host kernel vs ONNX Runtime session for the same op and size (the op's host limit forced to Infinity or 0):
 * CPU time per call, 1 thread, median of 5 batches. Where the two cross sets eager.ts's DEFAULT_HOST_MAX:
 *   node dist/bench/ops/crossover.js
 */
import * as flow from "../../src/index";
import { getOp } from "../../src/ops/registry";

flow.setNumThreads(1);
type F = (a: flow.Tensor, b: flow.Tensor) => unknown;
const ops: [string, F][] = [
  ["add", (a, b) => a.add(b)], ["mul", (a, b) => a.mul(b)], ["relu", (a) => a.relu()], ["exp", (a) => a.exp()],
  ["sigmoid", (a) => a.sigmoid()], ["sum", (a) => a.sum()],
];
const sizes = [256, 1024, 4096, 16384, 65536];
console.log(`CPU µs per call, host kernel / ORT session; sizes ${sizes.join(", ")}`);
for (const [name, f] of ops) {
  const op = getOp(name) as { hostMaxNumel?: number };
  const cells: string[] = [];
  for (const n of sizes) {
    const a = flow.randn([n]), b = flow.randn([n]);
    const res: Record<string, number> = {};
    for (const mode of ["host", "ort"]) {
      Object.defineProperty(op, "hostMaxNumel", { value: mode === "host" ? Infinity : 0, configurable: true, writable: true });
      const iters = Math.max(20, Math.round(2e6 / n));
      for (let i = 0; i < iters; i++) f(a, b);
      const c: number[] = [];
      for (let r = 0; r < 5; r++) {
        const c0 = process.cpuUsage();
        for (let i = 0; i < iters; i++) f(a, b);
        const u = process.cpuUsage(c0);
        c.push((u.user + u.system) / iters);
      }
      res[mode] = c.sort((x, y) => x - y)[2];
    }
    delete op.hostMaxNumel;
    cells.push(`${n}: ${res.host.toFixed(1)} / ${res.ort.toFixed(1)}`);
  }
  console.log(name.padEnd(8), cells.join(" | "));
}
