/**
 * The HTTP transport: reads bodies under a size limit, dispatches through the route table, writes
 * replies, maps every thrown error to Triton's `{"error": "..."}` JSON, and shuts down gracefully
 * (no new requests, in-flight ones finish, then connections close).
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { route, Reply, ServerState } from "./routes";
import { servingError, toHttpError } from "./errors";

/** Transport options. */
export interface HttpOptions { host: string; port: number; maxBodyBytes: number; log: (line: string) => void }

/** A listening HTTP server with graceful close. */
export interface HttpServer { address: AddressInfo; close(): Promise<void>; inFlight(): number }

function send(res: http.ServerResponse, reply: Reply): void {
  const body = reply.json !== undefined ? Buffer.from(JSON.stringify(reply.json)) : reply.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body);
  const headers: Record<string, string | number> = { "Content-Length": body.length, ...(reply.json !== undefined ? { "Content-Type": "application/json" } : {}), ...reply.headers };
  res.writeHead(reply.status, headers);
  res.end(body);
}

function sendError(res: http.ServerResponse, err: unknown): void {
  const { status, message } = toHttpError(err);
  if (res.headersSent) { res.destroy(); return; }
  send(res, { status, json: { error: message } });
}

/** Reads the whole body, refusing more than `limit` bytes (413): from Content-Length before reading any of it. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) return Promise.reject(servingError("BODY_TOO_LARGE", { limit }));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) { chunks.length = 0; req.removeAllListeners("data"); reject(servingError("BODY_TOO_LARGE", { limit })); return; }
      chunks.push(c);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("client aborted the request")));
  });
}

/** Bytes of a refused body read and dropped before the connection is cut, as a multiple of the limit. */
const DISCARD_FACTOR = 8;

/**
 * After a 413, reads and drops the rest of the body. Why: closing the socket while the client is still
 * sending makes its kernel see a reset, and clients such as Node's fetch then report EPIPE/ECONNRESET
 * instead of the 413 they were sent. The connection stays usable (keep-alive) once the body has been read;
 * a body beyond DISCARD_FACTOR × the limit is cut off (the client has had the 413 by then).
 */
function discardBody(req: http.IncomingMessage, limit: number): void {
  let dropped = 0;
  const cap = Math.max(limit, 1 << 20) * DISCARD_FACTOR;
  req.on("data", (c: Buffer) => { dropped += c.length; if (dropped > cap) req.socket.destroy(); });
  req.resume();
}

/** Starts listening; resolves once the port is bound. */
export function startHttp(state: ServerState & { stopping: () => boolean }, opts: HttpOptions): Promise<HttpServer> {
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    inFlight++;
    res.on("close", () => { if (--inFlight === 0 && drained) drained(); });
    void handle(req, res);
  });
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      // Requests arriving on kept-alive connections during shutdown are refused, and the connection closed.
      if (state.stopping()) { res.setHeader("Connection", "close"); throw servingError("SERVER_STOPPING"); }
      const { handler, params } = route(req.method ?? "GET", req.url ?? "/");
      const body = req.method === "POST" ? await readBody(req, opts.maxBodyBytes) : Buffer.alloc(0);
      send(res, await handler({ params, body, headers: req.headers, state }));
    } catch (err) {
      if ((err as { code?: string }).code === "BODY_TOO_LARGE") discardBody(req, opts.maxBodyBytes);
      if (!res.destroyed) sendError(res, err);
    }
  }
  // Why: a bad client must never take the server down; socket errors end only that connection.
  server.on("clientError", (_err, socket) => { if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"); else socket.destroy(); });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve({
        address: server.address() as AddressInfo,
        inFlight: () => inFlight,
        close: async () => {
          const closed = new Promise<void>((r) => server.close(() => r()));
          if (inFlight > 0) await new Promise<void>((r) => { drained = r; });
          server.closeIdleConnections();
          const timer = setTimeout(() => server.closeAllConnections(), 2000);
          await closed;
          clearTimeout(timer);
        },
      });
    });
  });
}
