/**
 * The Executor runs cells: convert (cached), run the script in the main realm so tensors and typed arrays are
 * the same classes the framework sees, await a returned Promise, and turn failures into error content.
 * It knows nothing of the wire protocol: output goes to a `CellOutput`.
 */
import * as vm from "vm";
import { cellScope, CellOutput, setLatestOutput } from "./cell-output";
import { convert, ConvertedCell } from "./converter";
import { cellFileName, ErrorContent, errorContent } from "./traceback";

/** What running a cell produced. */
export type ExecuteOutcome =
  | { status: "ok"; hasValue: boolean; value?: unknown }
  | ({ status: "error" } & ErrorContent);

import { ExitRequested } from "./exit";
export { ExitRequested };

/** An interrupt, reported like Python's KeyboardInterrupt. */
export class KeyboardInterrupt extends Error {
  constructor(message = "execution interrupted") { super(message); this.name = "KeyboardInterrupt"; }
}

const CACHE_LIMIT = 256;

/** Runs cells one at a time in one persistent global scope. */
export class Executor {
  /** Converted cells by number, kept for mapping stack frames of functions defined in earlier cells. */
  readonly cells = new Map<number, { converted: ConvertedCell; source: string }>();
  private readonly conversions = new Map<string, ConvertedCell>();
  private cancelRunning: ((err: Error) => void) | null = null;
  private cellCounter = 0;

  /** Runs `source` with `output` as its output channel. */
  async execute(source: string, output: CellOutput): Promise<ExecuteOutcome> {
    setLatestOutput(output);
    const n = ++this.cellCounter;
    try {
      const converted = this.convertCached(source);
      this.cells.set(n, { converted, source });
      if (converted.diagnostics.length) return syntaxError(converted);
      const value = await cellScope.run(output, () => this.run(converted, n));
      return converted.showsLastValue && value !== undefined ? { status: "ok", hasValue: true, value } : { status: "ok", hasValue: false };
    } catch (err) {
      if (err instanceof ExitRequested) throw err;
      return { status: "error", ...errorContent(toInterrupt(err), this.cells) };
    } finally {
      output.flush();
    }
  }

  /** Stops the running cell's await (a synchronous loop is stopped by SIGINT itself, via breakOnSigint). */
  interrupt(): boolean {
    if (!this.cancelRunning) return false;
    this.cancelRunning(new KeyboardInterrupt());
    return true;
  }

  /** Formats an error thrown outside any cell run (timers, unhandled rejections). */
  describeError(err: unknown): ErrorContent {
    return errorContent(err, this.cells);
  }

  private async run(converted: ConvertedCell, n: number): Promise<unknown> {
    const script = new vm.Script(converted.js, { filename: cellFileName(n) });
    const completion = script.runInThisContext({ breakOnSigint: true, displayErrors: false });
    if (!converted.isAsync && !(converted.showsLastValue && isThenable(completion))) return completion;
    return this.awaitInterruptibly(completion as Promise<unknown>);
  }

  /** Awaits the cell's promise, or rejects when interrupted (a never-resolving await must stop too). */
  private awaitInterruptibly(promise: Promise<unknown>): Promise<unknown> {
    const interrupted = new Promise<never>((_, reject) => { this.cancelRunning = reject; });
    return Promise.race([promise, interrupted]).finally(() => { this.cancelRunning = null; });
  }

  private convertCached(source: string): ConvertedCell {
    let converted = this.conversions.get(source);
    if (!converted) {
      converted = convert(source, "cell.ts");
      if (this.conversions.size >= CACHE_LIMIT) this.conversions.delete(this.conversions.keys().next().value!);
      this.conversions.set(source, converted);
    }
    return converted;
  }
}

function syntaxError(converted: ConvertedCell): ExecuteOutcome {
  const lines = converted.diagnostics.map((d) => `cell line ${d.line}, column ${d.column}: ${d.message}`);
  const first = converted.diagnostics[0];
  return { status: "error", ename: "SyntaxError", evalue: `${first.message} (line ${first.line}, column ${first.column})`, traceback: [`SyntaxError: ${first.message}`, ...lines] };
}

function toInterrupt(err: unknown): unknown {
  return (err as NodeJS.ErrnoException)?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED" ? new KeyboardInterrupt("execution interrupted (SIGINT)") : err;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return !!x && typeof (x as any).then === "function";
}
