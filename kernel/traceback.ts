/** Error → Jupyter error content, with stack frames pointing at cell lines and columns instead of transpiled JS. */
import * as util from "util";
import type { ConvertedCell } from "./converter";
import { mapTranspiledPosition } from "./module-loader";

/** The `error` message content. */
export interface ErrorContent { ename: string; evalue: string; traceback: string[] }

/** Script file name of cell `n`, as it appears in stack traces. */
export function cellFileName(n: number): string {
  return `cell[${n}]`;
}

const CELL_FRAME = /cell\[(\d+)\]:(\d+):(\d+)/g;
/** A frame position in a TypeScript file (an imported `.ts` file that the module loader transpiled). */
const TS_FILE_FRAME = /([^\s()]+\.ts):(\d+):(\d+)/g;
/** Frames that belong to the kernel, not to the user's code. */
const INTERNAL_FRAME = /\((node:internal|node:vm|node:async_hooks)|\/dist\/kernel\/|^\s*at (node:internal|new Script|Script\.runInThisContext)/;

const RED = "\u001b[0;31m";
const CYAN = "\u001b[0;36m";
const RESET = "\u001b[0m";

/** Formats a thrown value; `cells` maps cell numbers to their conversions (for positions and source lines). */
export function errorContent(thrown: unknown, cells: Map<number, { converted: ConvertedCell; source: string }>): ErrorContent {
  const { ename, evalue } = nameAndMessage(thrown);
  const stack = thrown instanceof Error && typeof thrown.stack === "string" ? thrown.stack : "";
  const frames = stack.split("\n").filter((l) => /^\s+at /.test(l) && !INTERNAL_FRAME.test(l));
  let firstCellLine: string | null = null;
  const mapped = frames.map((line) => line.replace(CELL_FRAME, (_m, n, l, c) => {
    const cell = cells.get(Number(n));
    if (!cell) return `cell[${n}]:${l}:${c}`;
    const pos = cell.converted.mapPosition(Number(l), Number(c));
    firstCellLine ??= sourceExcerpt(Number(n), cell.source, pos.line, pos.column);
    return `cell[${n}]:${pos.line}:${pos.column}`;
  }).replace(TS_FILE_FRAME, (m, file, l, c) => {
    const pos = mapTranspiledPosition(file, Number(l), Number(c));
    return pos ? `${file}:${pos.line}:${pos.column}` : m;
  }));
  const traceback = [`${RED}${ename}${RESET}: ${evalue}`, ...mapped.map((l) => `${CYAN}${l}${RESET}`)];
  if (firstCellLine) traceback.push(firstCellLine);
  return { ename, evalue, traceback };
}

function nameAndMessage(thrown: unknown): { ename: string; evalue: string } {
  if (thrown instanceof Error || (thrown && typeof thrown === "object" && "message" in thrown)) {
    const e = thrown as Error;
    return { ename: e.name || e.constructor?.name || "Error", evalue: String(e.message) };
  }
  return { ename: "Uncaught", evalue: util.inspect(thrown) };
}

function sourceExcerpt(cell: number, source: string, line: number, column: number): string {
  const text = source.split("\n")[line - 1];
  if (text === undefined) return "";
  return `\ncell[${cell}] line ${line}:\n  ${text}\n  ${" ".repeat(Math.max(0, column - 1))}${RED}^${RESET}`;
}
