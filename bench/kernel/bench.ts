/**
 * Kernel speed, flowbook vs ipykernel, measured in the same run on this machine:
 *   start → kernel_info_reply, trivial cell (`1+1`) execute_request → idle, completion on a 20-cell notebook.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/kernel/bench.js [--quick]`. Prints medians, p95 and ratios.
 * Goals (issue 2): start ≤ 0.5 s, trivial cell ≤ 3 ms, completion ≤ 20 ms (medians). Never used as a test threshold.
 */
import * as fs from "fs";
import { flowbookKernelArgv, KernelClient } from "../../kernel/client";

interface KernelUnderTest {
  name: string;
  argv: string[];
  trivial: string;
  cell: (i: number) => string;
  completion: { code: string };
}

const kernels: KernelUnderTest[] = [
  {
    name: "flowbook",
    argv: flowbookKernelArgv(),
    trivial: "1+1",
    cell: (i) => `const values${i} = [${i}, ${i + 1}];\nfunction scale${i}(x: number): number { return x * ${i}; }\nscale${i}(values${i}[0])`,
    completion: { code: "values7.pu" },
  },
  {
    name: "ipykernel",
    argv: ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    trivial: "1+1",
    cell: (i) => `values${i} = [${i}, ${i + 1}]\ndef scale${i}(x):\n    return x * ${i}\nscale${i}(values${i}[0])`,
    completion: { code: "values7.ap" },
  },
];

const quick = process.argv.includes("--quick");
const STARTS = quick ? 3 : 7;
const CELLS = quick ? 50 : 200;
const COMPLETIONS = quick ? 20 : 50;

function stats(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
  return { median: at(0.5), p95: at(0.95) };
}

async function measure(k: KernelUnderTest): Promise<Record<string, number[]>> {
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const c = await KernelClient.launch({ argv: k.argv, env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
    starts.push(c.startupMs);
    await c.shutdown();
  }
  const c = await KernelClient.launch({ argv: k.argv, env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
  for (let i = 0; i < 10; i++) await c.execute(k.trivial); // warm-up
  const cells: number[] = [];
  for (let i = 0; i < CELLS; i++) {
    const t = performance.now();
    await c.execute(k.trivial);
    cells.push(performance.now() - t);
  }
  for (let i = 0; i < 20; i++) await c.execute(k.cell(i));
  const completions: number[] = [];
  const code = k.completion.code;
  for (let i = 0; i < COMPLETIONS + 1; i++) {
    const t = performance.now();
    const r = await c.request("shell", "complete_request", { code, cursor_pos: code.length });
    completions.push(performance.now() - t);
    if (i === 0 && !(r.reply.content.matches as string[]).length) throw new Error(`${k.name}: no completion for ${code}`);
  }
  await c.shutdown();
  return { start: starts, cell: cells, firstCompletion: completions.slice(0, 1), completion: completions.slice(1) };
}

async function main(): Promise<void> {
  const results: Record<string, Record<string, number[]>> = {};
  for (const k of kernels) {
    process.stderr.write(`measuring ${k.name}...\n`);
    results[k.name] = await measure(k);
  }
  const rows: [string, string, number][] = [
    ["start → kernel_info_reply", "start", 500],
    ["trivial cell 1+1 → idle", "cell", 3],
    ["completion, 20-cell notebook", "completion", 20],
    ["first completion", "firstCompletion", NaN],
  ];
  const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(2)).padStart(8);
  const lines = [
    `${"metric (ms)".padEnd(30)} ${"flowbook med".padStart(12)} ${"p95".padStart(8)} ${"ipykernel med".padStart(13)} ${"p95".padStart(8)} ${"ratio".padStart(7)} ${"goal".padStart(6)}`,
  ];
  for (const [label, key, goal] of rows) {
    const f = stats(results.flowbook[key]);
    const p = stats(results.ipykernel[key]);
    lines.push(`${label.padEnd(30)} ${fmt(f.median).padStart(12)} ${fmt(f.p95)} ${fmt(p.median).padStart(13)} ${fmt(p.p95)} ${(f.median / p.median).toFixed(2).padStart(6)}x ${Number.isNaN(goal) ? "".padStart(6) : `≤${goal}`.padStart(6)}`);
  }
  lines.push(`(ratio = flowbook median / ipykernel median; lower is better. ${STARTS} starts, ${CELLS} cells, ${COMPLETIONS} completions each)`);
  process.stdout.write(lines.join("\n") + "\n");
  if (process.env.FLOWBOOK_BENCH_JSON) fs.writeFileSync(process.env.FLOWBOOK_BENCH_JSON, JSON.stringify(results, null, 1));
}

main().catch((err) => { process.stderr.write(`${err.stack ?? err}\n`); process.exit(1); });
