/**
 * The language-service worker: completion and type checking run here so that loading TypeScript's libraries
 * (about a second the first time) never delays a cell on the main thread.
 */
import { parentPort, workerData } from "worker_threads";
import type { LanguageReply, LanguageRequest } from "./protocol";
import { NotebookLanguageService, ServiceOptions } from "./service";

const service = new NotebookLanguageService(require("typescript"), workerData as ServiceOptions);

/** One handler per request kind. */
const handlers: { [K in LanguageRequest["kind"]]: (r: Extract<LanguageRequest, { kind: K }>) => unknown } = {
  addCell: (r) => service.addCell(r.code),
  complete: (r) => service.complete(r.code, r.cursor),
  inspect: (r) => service.inspect(r.code, r.cursor),
  typecheck: (r) => service.typecheck(r.code),
};

parentPort!.on("message", ({ id, request }: { id: number; request: LanguageRequest }) => {
  let reply: LanguageReply;
  try {
    reply = { id, ok: true, value: (handlers[request.kind] as (r: LanguageRequest) => unknown)(request) };
  } catch (err) {
    reply = { id, ok: false, error: (err as Error).stack ?? String(err) };
  }
  if (id >= 0) parentPort!.postMessage(reply);
});

// Warm up: load the libraries and flowbook's types before the first real request.
service.complete("flow.", 5);
parentPort!.postMessage({ id: -1, ok: true, value: "ready" } satisfies LanguageReply);
