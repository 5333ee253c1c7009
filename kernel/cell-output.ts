/**
 * Where a cell's output goes. The Executor and the globals write to a `CellOutput`; the kernel implements it on
 * top of the wire protocol. An AsyncLocalStorage scope follows a cell into its timers and promises, so output
 * printed later lands under the cell that started the work.
 */
import { AsyncLocalStorage } from "async_hooks";
import type { MimeBundle } from "../src/display/bundle";
import type { DisplayTarget } from "../src/display/hook";

/** Output channel of one execute_request. */
export interface CellOutput extends DisplayTarget {
  /** Appends text to the cell's stdout or stderr. */
  stream(name: "stdout" | "stderr", text: string): void;
  /** Sends the cell's execute_result. */
  result(bundle: MimeBundle): void;
  /** Asks the frontend for a line of input and blocks until it answers; throws when stdin is not allowed. */
  requestInput(prompt: string, password: boolean): string;
  /** Sends everything buffered now. */
  flush(): void;
}

/** The scope that follows a cell through its async work. */
export const cellScope = new AsyncLocalStorage<CellOutput>();

let latest: CellOutput | undefined;

/** The output of the running cell, or of the cell that started this async work, or of the latest cell. */
export function currentOutput(): CellOutput | undefined {
  return cellScope.getStore() ?? latest;
}

/** Records the latest cell, the fallback target for output from nowhere in particular. */
export function setLatestOutput(output: CellOutput): void {
  latest = output;
}

/** Redirects process.stdout/stderr writes (and so console.*) to the current cell; kernel logs keep the real stderr. */
export function captureProcessStreams(): { log: (text: string) => void } {
  const realStderr = process.stderr.write.bind(process.stderr);
  for (const name of ["stdout", "stderr"] as const) {
    const stream = process[name];
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
      const output = currentOutput();
      if (!output) return original(chunk as any, encoding as any, callback as any);
      output.stream(name, typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? encoding as BufferEncoding : "utf8"));
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") process.nextTick(done as () => void);
      return true;
    }) as typeof stream.write;
  }
  return { log: (text) => void realStderr(`[flowbook kernel] ${text}\n`) };
}
