/**
 * The names every cell sees without importing: `flow` (loaded on first use: ONNX Runtime is heavy), display
 * helpers, `input`/`prompt`, `comm`, and a `require` that resolves from the notebook's directory.
 */
import type * as Display from "../src/display";
import { currentOutput } from "./cell-output";
import type { CommManager } from "./comms";
import { RUNTIME } from "./converter";
import { defaultOf, FLOWBOOK_ENTRY, ModuleLoader } from "./module-loader";

/** Installs the cell globals on globalThis. */
export function installGlobals(loader: ModuleLoader, comms: CommManager): void {
  const g = globalThis as any;
  Object.defineProperty(g, "flow", { configurable: true, enumerable: false, get: () => require(FLOWBOOK_ENTRY), set: (v) => defineValue(g, "flow", v) });
  Object.defineProperty(g, RUNTIME, { configurable: true, enumerable: false, value: { import: (s: string) => loader.import(s), dynamicImport: (s: string) => loader.dynamicImport(s), defaultOf } });
  // The display helpers load on first use (they are not needed to answer the first kernel_info).
  const display = () => require("../src/display") as typeof Display;
  for (const name of DISPLAY_GLOBALS) {
    Object.defineProperty(g, name, { configurable: true, enumerable: false, get: () => display()[name], set: (v) => defineValue(g, name, v) });
  }
  const values: Record<string, unknown> = {
    require: loader.require,
    input: async (promptText = "") => readLine(String(promptText), false),
    prompt: (promptText = "", defaultValue?: string) => readLine(String(promptText), false) || (defaultValue ?? ""),
    comm: comms.api,
  };
  for (const [name, value] of Object.entries(values)) defineValue(g, name, value);
}

const DISPLAY_GLOBALS = ["display", "updateDisplay", "clearOutput", "html", "md", "svg", "image", "plot", "progress"] as const;

function defineValue(g: any, name: string, value: unknown): void {
  Object.defineProperty(g, name, { configurable: true, enumerable: false, writable: true, value });
}

function readLine(promptText: string, password: boolean): string {
  const output = currentOutput();
  if (!output) throw new Error("input() and prompt() work only while a cell runs in the kernel");
  return output.requestInput(promptText, password);
}
