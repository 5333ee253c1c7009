/**
 * `flowbook run-notebook NOTEBOOK.ipynb [--timeout S]`: executes a notebook headless through the flowbook kernel
 * (no Python needed), printing one progress line per cell (its first line, ok/FAILED, seconds), and writes
 * NOTEBOOK.nbconvert.ipynb and NOTEBOOK.html beside it. Exits 1 when a cell fails, unless the cell is tagged `raises-exception` (nbclient's convention).
 */
import * as fs from "fs";
import * as path from "path";
import { KernelClient } from "./client";
import { notebookToHtml } from "./notebook-html";
import type { Message } from "./wire";

type Cell = { cell_type: string; source: string | string[]; metadata?: { tags?: string[] }; outputs?: object[]; execution_count?: number | null };

/** Runs the notebook named in argv; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const file = argv.find((a) => a.endsWith(".ipynb"));
  if (!file) throw new Error("usage: flowbook run-notebook NOTEBOOK.ipynb [--timeout SECONDS]");
  const timeoutIndex = argv.indexOf("--timeout");
  const timeoutMs = 1000 * (timeoutIndex >= 0 ? Number(argv[timeoutIndex + 1]) : 600);
  const nb = JSON.parse(fs.readFileSync(file, "utf8"));
  const kernel = await KernelClient.launch({ cwd: path.dirname(path.resolve(file)), inheritStderr: true });
  let failed = false;
  const code = (nb.cells as Cell[]).filter((c) => c.cell_type === "code");
  const started = performance.now();
  try {
    for (const [i, cell] of code.entries()) {
      const t0 = performance.now();
      process.stdout.write(`[${i + 1}/${code.length}] ${firstLine(cell)} ... `);
      failed = (await runCell(kernel, cell, timeoutMs)) || failed;
      process.stdout.write(`${failed ? "FAILED" : "ok"} ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      if (failed) break;
    }
    process.stdout.write(`${path.basename(file)}: ${failed ? "stopped after a failing cell" : `${code.length} cells`} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await kernel.shutdown();
  }
  const base = file.replace(/\.ipynb$/, "");
  fs.writeFileSync(`${base}.nbconvert.ipynb`, JSON.stringify(nb, null, 1) + "\n");
  fs.writeFileSync(`${base}.html`, notebookToHtml(nb, path.basename(base)));
  process.stdout.write(`${failed ? "FAILED" : "ok"}: wrote ${base}.nbconvert.ipynb and ${base}.html\n`);
  return failed ? 1 : 0;
}

/** The first non-blank line of a cell, shortened, for the progress line. */
function firstLine(cell: Cell): string {
  const text = (Array.isArray(cell.source) ? cell.source.join("") : cell.source).split("\n").find((l) => l.trim()) ?? "";
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Runs one cell; returns true when it failed unexpectedly. */
async function runCell(kernel: KernelClient, cell: Cell, timeoutMs: number): Promise<boolean> {
  const code = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
  const timeout = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref());
  const result = await Promise.race([kernel.execute(code, { allow_stdin: false }), timeout]);
  if (!result) {
    await kernel.request("control", "interrupt_request", {});
    cell.outputs = [{ output_type: "error", ename: "Timeout", evalue: `cell ran longer than ${timeoutMs / 1000} s`, traceback: [] }];
    return true;
  }
  cell.execution_count = result.reply.content.execution_count ?? null;
  cell.outputs = toNbformatOutputs(result.outputs);
  const expectsError = cell.metadata?.tags?.includes("raises-exception") ?? false;
  const failed = result.reply.content.status === "error" && !expectsError;
  if (failed) process.stderr.write(`cell failed:\n${code}\n${result.reply.content.ename}: ${result.reply.content.evalue}\n`);
  return failed;
}

/** iopub messages → nbformat 4 outputs (streams merged, display updates applied, clear_output honoured). */
export function toNbformatOutputs(messages: Message[]): object[] {
  let outputs: any[] = [];
  let clearPending = false;
  const byDisplayId = new Map<string, any[]>();
  for (const m of messages) {
    const c = m.content as any;
    const type = m.header.msg_type;
    if (type === "clear_output") { if (c.wait) clearPending = true; else outputs = []; continue; }
    if (type === "update_display_data") {
      for (const o of byDisplayId.get(c.transient?.display_id) ?? []) { o.data = c.data; o.metadata = c.metadata ?? {}; }
      continue;
    }
    if (!["stream", "display_data", "execute_result", "error"].includes(type)) continue;
    if (clearPending) { outputs = []; clearPending = false; }
    const last = outputs[outputs.length - 1];
    if (type === "stream" && last?.output_type === "stream" && last.name === c.name) { last.text += c.text; continue; }
    const output = type === "stream" ? { output_type: "stream", name: c.name, text: c.text }
      : type === "error" ? { output_type: "error", ename: c.ename, evalue: c.evalue, traceback: c.traceback }
      : type === "execute_result" ? { output_type: "execute_result", execution_count: c.execution_count, data: c.data, metadata: c.metadata ?? {} }
      : { output_type: "display_data", data: c.data, metadata: c.metadata ?? {} };
    if (c.transient?.display_id) byDisplayId.set(c.transient.display_id, [...(byDisplayId.get(c.transient.display_id) ?? []), output]);
    outputs.push(output);
  }
  return outputs;
}
