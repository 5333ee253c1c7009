/**
 * `flowbook serve --model-repository DIR [--http-port 8000] [--host 127.0.0.1]
 * [--device cpu|webgpu|cuda|tensorrt] [--enable-tensorrt NAME]...`: serves until SIGINT/SIGTERM,
 * then shuts down gracefully.
 */
import { serve, ServeOptions } from "./serve";
import { isDevice } from "./devices";

const USAGE = "usage: flowbook serve --model-repository DIR [--http-port 8000] [--host 127.0.0.1] [--device cpu|webgpu|cuda|tensorrt] [--enable-tensorrt NAME]... [--max-body-bytes N]";

/** Option table: `flag: apply(value)`. */
const FLAGS: Record<string, (o: ServeOptions, v: string) => void> = {
  "--model-repository": (o, v) => { o.modelRepository = v; },
  "--http-port": (o, v) => { o.httpPort = port(v); },
  "--host": (o, v) => { o.host = v; },
  "--device": (o, v) => { if (!isDevice(v)) throw new Error(`--device must be cpu, webgpu, cuda or tensorrt; got '${v}'`); o.device = v; },
  "--enable-tensorrt": (o, v) => { o.enableTensorrt = [...(o.enableTensorrt ?? []), v]; },
  "--max-body-bytes": (o, v) => { o.maxBodyBytes = Number(v); if (!Number.isInteger(o.maxBodyBytes) || o.maxBodyBytes <= 0) throw new Error(`--max-body-bytes must be a positive integer; got '${v}'`); },
};

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--http-port must be an integer 0..65535; got '${v}'`);
  return n;
}

/** Parses the arguments (`--flag value` or `--flag=value`). */
export function parseArgs(argv: string[]): ServeOptions {
  const o = {} as ServeOptions;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const apply = FLAGS[flag];
    if (!apply) throw new Error(`unknown option '${argv[i]}'\n${USAGE}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    apply(o, value);
  }
  if (!o.modelRepository) throw new Error(`--model-repository is required\n${USAGE}`);
  return o;
}

/** CLI entry (see bin/flowbook.js). Resolves with the exit code after a signal-triggered stop. */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) { process.stdout.write(USAGE + "\n"); return 0; }
  let options: ServeOptions;
  try { options = parseArgs(argv); } catch (err) { process.stderr.write(`flowbook serve: ${(err as Error).message}\n`); return 2; }
  const server = await serve(options);
  for (const e of server.repository.index()) process.stdout.write(`model ${e.name}${e.version ? ` version ${e.version}` : ""}: ${e.state}${e.reason ? ` (${e.reason})` : ""}\n`);
  process.stdout.write(`Started HTTPService at ${server.url.replace(/^http:\/\//, "")}\n`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => { process.stdout.write(`${sig}: stopping after in-flight requests\n`); resolve(); };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await server.stop();
  process.stdout.write("stopped\n");
  return 0;
}
