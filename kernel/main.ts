/** `flowbook kernel <connection_file>`: the entry point Jupyter runs (see the kernelspec's argv). */
import { readConnectionFile } from "./connection";
import { Kernel } from "./kernel";

/** Starts the kernel; resolves once its sockets are bound (the process then lives until shutdown). */
export async function main(argv: string[]): Promise<void> {
  const file = argv.find((a) => !a.startsWith("-"));
  if (!file) throw new Error("usage: flowbook kernel <connection_file> (Jupyter passes {connection_file})");
  await new Kernel(readConnectionFile(file)).start();
}
