/**
 * `serve(options)`: loads a model repository and serves it over the KServe v2 / Triton HTTP protocol.
 * Returns a handle that stops gracefully and shows itself in a notebook.
 */
import { ModelRepository } from "./repository";
import { startHttp, HttpServer } from "./http_server";
import { checkDevice, Device, providersFor } from "./devices";
import { displayBundle } from "./display";
import { acquireCodec, releaseCodec } from "./codec";
import { display, updateDisplay } from "../display/display";

/** The notebook display protocol's symbol (flowbook's kernel looks for it on every value). */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** Options of {@link serve}. */
export interface ServeOptions {
  /** The Triton-layout model repository directory. */
  modelRepository: string;
  /** HTTP port; 0 picks a free one. Default 8000. */
  httpPort?: number;
  /** Interface to bind. Default 127.0.0.1 (loopback only); pass 0.0.0.0 to expose the server. */
  host?: string;
  /** Device for every model. Default cpu. */
  device?: Device;
  /** Models to run with the TensorRT provider whatever `device` says. */
  enableTensorrt?: string[];
  /** Largest request body accepted, in bytes. Default 64 MiB. */
  maxBodyBytes?: number;
  /** Log sink for warnings and load failures. Default: stderr. */
  log?: (line: string) => void;
}

/** A running server. */
export interface ServerHandle {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The model repository being served (load/unload/index). */
  readonly repository: ModelRepository;
  /** Stops accepting requests, finishes in-flight ones, unloads models and closes the port. */
  stop(): Promise<void>;
  /**
   * Shows the server in the running notebook cell and refreshes that output every `intervalMs` (1000) with
   * the current statistics, until `stop()` on the returned watcher or on the server (which shows "stopped").
   * Outside a notebook it prints the view once.
   */
  watch(intervalMs?: number): ServerWatch;
  /** Notebook display: endpoints, models and the statistics as of this call. */
  [JUPYTER_DISPLAY](): Record<string, string>;
}

/** A live view started by {@link ServerHandle.watch}. */
export interface ServerWatch {
  /** The display id of the output being refreshed. */
  readonly displayId: string;
  /** Stops refreshing (the output keeps its last statistics). */
  stop(): void;
}

const VERSION = "0.1.0";

/**
 * Serves a model repository. Resolves once the port is bound and every model has been tried
 * (models that fail are UNAVAILABLE in the index; the others serve).
 * @example
 * const server = await flow.serving.serve({ modelRepository: "models", httpPort: 8000 });
 * // curl localhost:8000/v2/health/ready
 * await server.stop();
 */
export async function serve(options: ServeOptions): Promise<ServerHandle> {
  const device = options.device ?? "cpu";
  const trt = new Set(options.enableTensorrt ?? []);
  checkDevice(device);
  if (trt.size) checkDevice("tensorrt");
  const log = options.log ?? ((l: string) => process.stderr.write(`flowbook serve: ${l}\n`));
  const repository = new ModelRepository(options.modelRepository, { log, providersFor: (m) => providersFor(trt.has(m) ? "tensorrt" : device) });
  let loaded = false;
  let stopping = false;
  const startedAt = Date.now();
  const http: HttpServer = await startHttp(
    { repository, version: VERSION, ready: () => loaded && !stopping, stopping: () => stopping },
    { host: options.host ?? "127.0.0.1", port: options.httpPort ?? 8000, maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024, log },
  );
  acquireCodec();
  await repository.loadAll();
  loaded = true;
  const host = http.address.address;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${http.address.port}`;
  let stopped: Promise<void> | undefined;
  const watchers = new Set<ServerWatch>();
  const view = (live: boolean) => ({ [JUPYTER_DISPLAY]: () => displayBundle(url, repository, { running: !stopping, startedAt, inFlight: http.inFlight(), live }) });
  const watch = (intervalMs = 1000): ServerWatch => {
    if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw new RangeError(`watch: intervalMs must be a positive number of milliseconds, got ${intervalMs}`);
    const shown = display(view(!stopping), { displayId: true });
    if (stopping) return { displayId: shown.displayId, stop: () => undefined };
    // unref: a live view never keeps the process (or the kernel's cell) alive on its own.
    const timer = setInterval(() => updateDisplay(shown.displayId, view(true)), intervalMs).unref();
    const w: ServerWatch = { displayId: shown.displayId, stop: () => { clearInterval(timer); watchers.delete(w); } };
    watchers.add(w);
    return w;
  };
  const stop = () => (stopped ??= (async () => {
    stopping = true;
    await http.close();
    await repository.close();
    await releaseCodec();
    for (const w of [...watchers]) { w.stop(); updateDisplay(w.displayId, view(false)); }
  })());
  return { url, host, port: http.address.port, repository, stop, watch, [JUPYTER_DISPLAY]: () => view(false)[JUPYTER_DISPLAY]() };
}
