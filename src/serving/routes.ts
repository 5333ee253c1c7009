/**
 * The KServe v2 / Triton HTTP endpoints as one table: `[method, path pattern, handler]`. Handlers
 * take the decoded path parameters and body and return a reply; they know nothing of sockets
 * (http_server.ts does), and throw table errors that the server maps to `{"error": ...}`.
 */
import type { IncomingHttpHeaders } from "http";
import type { ModelRepository } from "./repository";
import { configToJson, parseConfigJson, ParsedConfig } from "./config";
import { renderMetrics } from "./metrics";
import { servingError } from "./errors";

/** What a handler sees of the server. */
export interface ServerState {
  repository: ModelRepository;
  /** True once the initial load finished and until stop() starts. */
  ready: () => boolean;
  version: string;
}

/** A handler's input. */
export interface RouteRequest { params: Record<string, string>; body: Buffer; headers: IncomingHttpHeaders; state: ServerState }

/** A handler's reply: `json` is serialised; `body` is sent as is. */
export interface Reply { status: number; json?: unknown; body?: Buffer | string; headers?: Record<string, string> }

type Handler = (r: RouteRequest) => Reply | Promise<Reply>;

/** The extensions GET /v2 announces: the ones this server implements. */
export const EXTENSIONS = ["classification", "model_repository", "schedule_policy", "model_configuration", "binary_tensor_data", "parameters", "statistics"];

const ok = (json?: unknown): Reply => ({ status: 200, json });
const readiness = (ready: boolean): Reply => ({ status: ready ? 200 : 503 });

function jsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const v = JSON.parse(body.toString("utf8"));
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v;
  } catch (err) {
    throw servingError("MALFORMED_JSON", { detail: (err as Error).message });
  }
  throw servingError("MALFORMED_JSON", { detail: "the body must be a JSON object" });
}

function modelReady(r: RouteRequest): Reply {
  try {
    r.state.repository.get(r.params.model, r.params.version);
    return readiness(true);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 503) return readiness(false);
    throw err;
  }
}

function metadata(r: RouteRequest): Reply {
  const v = r.state.repository.get(r.params.model, r.params.version);
  return ok(v.metadata(r.params.version ? [v.version] : r.state.repository.versionsOf(r.params.model)));
}

function stats(r: RouteRequest): Reply {
  const repo = r.state.repository;
  const versions = r.params.model ? (r.params.version ? [repo.get(r.params.model, r.params.version)] : (repo.get(r.params.model), repo.versionsOf(r.params.model).map((v) => repo.get(r.params.model, String(v))))) : repo.loaded();
  return ok({ model_stats: versions.map((v) => v.stats.toJson(v.config.name, String(v.version))) });
}

async function infer(r: RouteRequest): Promise<Reply> {
  if (!r.state.ready()) throw servingError("SERVER_STOPPING");
  const model = r.state.repository.get(r.params.model, r.params.version);
  const header = r.headers["inference-header-content-length"];
  const res = await model.infer(r.body, Array.isArray(header) ? header[0] : header);
  return { status: 200, body: res.body, headers: res.headers };
}

/**
 * Triton's load parameters: `config` (a JSON ModelConfig that replaces config.pbtxt for this load). It is
 * parsed and checked before the load starts, so a bad override never changes the model's state.
 */
function loadOverride(model: string, body: Record<string, unknown>): ParsedConfig | undefined {
  const params = body.parameters;
  if (params === undefined) return undefined;
  if (typeof params !== "object" || params === null || Array.isArray(params)) throw servingError("LOAD_PARAMETER", { model, detail: "'parameters' must be a JSON object" });
  for (const k of Object.keys(params)) {
    if (k.startsWith("file:")) throw servingError("LOAD_PARAMETER", { model, detail: `parameter '${k}': model files sent with the load request are not supported; put them in the repository` });
    if (k !== "config") throw servingError("LOAD_PARAMETER", { model, detail: `unknown parameter '${k}'; the supported one is 'config'` });
  }
  const config = (params as Record<string, unknown>).config;
  if (config === undefined) return undefined;
  if (typeof config !== "string") throw servingError("LOAD_PARAMETER", { model, detail: "parameter 'config' must be a string holding the model configuration as JSON" });
  return parseConfigJson(config, model);
}

async function load(r: RouteRequest): Promise<Reply> {
  const override = loadOverride(r.params.model, jsonBody(r.body));
  await r.state.repository.load(r.params.model, override);
  return ok();
}

async function unload(r: RouteRequest): Promise<Reply> {
  jsonBody(r.body);
  await r.state.repository.unload(r.params.model);
  return ok();
}

/** The route table. Order matters where patterns overlap: `/v2/models/stats` before `/v2/models/:model`. */
export const ROUTES: [string, string, Handler][] = [
  ["GET", "/v2", (r) => ok({ name: "flowbook", version: r.state.version, extensions: EXTENSIONS })],
  ["GET", "/v2/health/live", () => readiness(true)],
  ["GET", "/v2/health/ready", (r) => readiness(r.state.ready())],
  ["GET", "/v2/models/stats", stats],
  ["GET", "/v2/models/:model/stats", stats],
  ["GET", "/v2/models/:model/versions/:version/stats", stats],
  ["GET", "/v2/models/:model", metadata],
  ["GET", "/v2/models/:model/versions/:version", metadata],
  ["GET", "/v2/models/:model/ready", modelReady],
  ["GET", "/v2/models/:model/versions/:version/ready", modelReady],
  ["GET", "/v2/models/:model/config", (r) => ok(configToJson(r.state.repository.get(r.params.model, r.params.version).config))],
  ["GET", "/v2/models/:model/versions/:version/config", (r) => ok(configToJson(r.state.repository.get(r.params.model, r.params.version).config))],
  ["POST", "/v2/models/:model/infer", infer],
  ["POST", "/v2/models/:model/versions/:version/infer", infer],
  ["POST", "/v2/repository/index", (r) => ok(r.state.repository.index(jsonBody(r.body).ready === true))],
  ["POST", "/v2/repository/models/:model/load", load],
  ["POST", "/v2/repository/models/:model/unload", unload],
  ["GET", "/metrics", (r) => ({ status: 200, body: renderMetrics(r.state.repository.loaded()), headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" } })],
];

/** Matches a decoded path against a pattern; returns its parameters or undefined. */
function matchPattern(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split("/").slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].startsWith(":")) params[parts[i].slice(1)] = segments[i];
    else if (parts[i] !== segments[i]) return undefined;
  }
  return params;
}

/** Finds the handler for a request: 404 for no path match, 405 when only the method differs. */
export function route(method: string, rawPath: string): { handler: Handler; params: Record<string, string> } {
  const pathOnly = rawPath.split("?")[0].replace(/\/+$/, "") || "/";
  let segments: string[];
  try {
    segments = pathOnly.split("/").slice(1).map(decodeURIComponent);
  } catch {
    throw servingError("INVALID_NAME", { model: pathOnly, why: "the path is not valid percent-encoding" });
  }
  const allowed: string[] = [];
  for (const [m, pattern, handler] of ROUTES) {
    const params = matchPattern(pattern, segments);
    if (!params) continue;
    if (m === method) return { handler, params };
    allowed.push(m);
  }
  if (allowed.length) throw servingError("METHOD_NOT_ALLOWED", { method, path: pathOnly, allowed: [...new Set(allowed)].join(", ") });
  throw servingError("ROUTE_NOT_FOUND", { method, path: pathOnly });
}
