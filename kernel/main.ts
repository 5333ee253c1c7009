/**
 * `flowbook kernel <connection_file>`: the entry point Jupyter runs (see the kernelspec's argv).
 *
 * Start-up order matters for the time to the first kernel_info_reply: the transport worker (a new V8 isolate
 * that loads zeromq and binds the sockets) starts first, and the kernel's own modules load on the main thread
 * while it boots. Nothing heavy loads before the first reply (TypeScript, the language service, ONNX Runtime
 * and the display helpers load on first use or in the background).
 */
import { readConnectionFile } from "./connection";
import { createSharedState } from "./shared-state";
import { Transport } from "./transport";

/** Starts the kernel; resolves once its sockets are bound (the process then lives until shutdown). */
export async function main(argv: string[]): Promise<void> {
  const file = argv.find((a) => !a.startsWith("-"));
  if (!file) throw new Error("usage: flowbook kernel <connection_file> (Jupyter passes {connection_file})");
  const shared = createSharedState();
  const transport = new Transport(readConnectionFile(file), shared);
  const { Kernel } = require("./kernel") as typeof import("./kernel");
  await new Kernel(transport).start();
}
