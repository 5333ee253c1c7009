/**
 * Request decoding and response encoding off the HTTP event loop. Parsing a multi-megabyte JSON tensor and
 * writing one back take tens to hundreds of milliseconds of synchronous work; on the event loop that would
 * stall every other request, health checks included. Bodies whose JSON part is at least
 * `OFFLOAD_JSON_BYTES`, and responses with at least `OFFLOAD_JSON_ELEMENTS` elements written as JSON, are
 * handled by codec worker threads (request.ts / response.ts, the same code); small ones stay inline, where a
 * thread hop would cost more than it saves. Workers start on first use, are unref'd while idle, and end when
 * the last server using them stops.
 */
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import type { ModelConfig } from "./config";
import { parseInferRequest, InferRequest } from "./request";
import { encodeResponse, EncodedResponse } from "./response";
import { ServingError } from "./errors";
import type { HostTensor } from "./tensor_codec";

/** JSON parts at least this large are decoded in a codec worker. */
export const OFFLOAD_JSON_BYTES = 256 * 1024;
/** Responses with at least this many JSON-written elements are encoded in a codec worker. */
export const OFFLOAD_JSON_ELEMENTS = 32 * 1024;

/** A codec task as the worker receives it. */
export type CodecTask =
  | { op: "decode"; id: number; body: Uint8Array; headerLength: string | undefined; config: ModelConfig }
  | { op: "encode"; id: number; model: string; version: string; reqId: string | undefined; parameters: Record<string, unknown> | undefined; outputs: HostTensor[]; binary: boolean[] };
/** A codec worker's answer. */
export type CodecReply =
  | { id: number; ok: true; value: InferRequest | EncodedResponse }
  | { id: number; ok: false; error: { code?: string; statusCode?: number; message: string } };

/** Buffers of typed arrays in a value, for transfer (only whole buffers: a view of a larger one is copied by cloning). */
export function transferList(arrays: unknown[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (ArrayBuffer.isView(a) && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  }
  return [...out];
}

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

interface Lane { worker: Worker; pending: number }

class CodecPool {
  private lanes: Lane[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, { lane: Lane; resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private lane(): Lane {
    const size = Math.max(1, Math.min(4, Math.floor(os.cpus().length / 2)));
    if (this.lanes.length < size && this.lanes.every((l) => l.pending > 0)) this.lanes.push(this.spawn());
    return this.lanes.reduce((a, b) => (b.pending < a.pending ? b : a));
  }

  private spawn(): Lane {
    const worker = new Worker(path.join(__dirname, "codec_worker.js"));
    const lane: Lane = { worker, pending: 0 };
    worker.unref();
    worker.on("message", (m: CodecReply) => this.settle(m));
    const fail = (err: Error) => {
      this.lanes = this.lanes.filter((l) => l !== lane);
      for (const [id, w] of this.waiting) if (w.lane === lane) { this.waiting.delete(id); w.reject(err); }
    };
    worker.on("error", (e) => fail(new Error(`codec worker failed: ${e.message}`)));
    worker.on("exit", (code) => fail(new Error(`codec worker exited with code ${code}`)));
    return lane;
  }

  private settle(m: CodecReply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if (--w.lane.pending === 0) w.lane.worker.unref();
    if (m.ok) w.resolve(m.value);
    else w.reject(m.error.code ? new ServingError(m.error.code as never, m.error.message, m.error.statusCode ?? 500) : new Error(m.error.message));
  }

  run<T>(task: WithoutId<CodecTask>, transfer: ArrayBuffer[]): Promise<T> {
    const lane = this.lane();
    const id = this.nextId++;
    if (lane.pending++ === 0) lane.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { lane, resolve: resolve as (v: unknown) => void, reject });
      lane.worker.postMessage({ ...task, id }, transfer);
    });
  }

  async close(): Promise<void> {
    const lanes = this.lanes;
    this.lanes = [];
    await Promise.all(lanes.map((l) => l.worker.terminate()));
  }
}

let pool: CodecPool | null = null;
let users = 0;
const counts = { decoded: 0, encoded: 0 };
/** @internal How many requests were decoded and responses encoded by codec workers (diagnostics and tests). */
export function codecCounts(): { decoded: number; encoded: number } { return { ...counts }; }

/** A server starts using the codec workers (they start lazily, on the first large request). */
export function acquireCodec(): void { users++; }
/** A server stops; the last one ends the workers. */
export async function releaseCodec(): Promise<void> {
  if (--users > 0 || !pool) return;
  const p = pool;
  pool = null;
  await p.close();
}
const shared = () => (pool ??= new CodecPool());

/** Parses and validates an infer request: inline when small, in a codec worker when its JSON part is large. */
export async function decodeRequest(body: Buffer, headerLength: string | undefined, config: ModelConfig): Promise<InferRequest> {
  const jsonBytes = headerLength !== undefined && /^\d+$/.test(headerLength.trim()) ? Math.min(Number(headerLength), body.length) : body.length;
  if (jsonBytes < OFFLOAD_JSON_BYTES) return parseInferRequest(body, headerLength, config);
  // The body is handed over (transferred when it owns its buffer): the caller does not read it again.
  const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : Buffer.from(body);
  const req = await shared().run<InferRequest>({ op: "decode", body: own, headerLength, config }, [own.buffer as ArrayBuffer]);
  counts.decoded++;
  return req;
}

/** Encodes a response: inline when small, in a codec worker when many elements are written as JSON. */
export async function encodeResult(model: string, version: string, reqId: string | undefined, parameters: Record<string, unknown> | undefined, outputs: HostTensor[], binary: boolean[]): Promise<EncodedResponse> {
  const jsonElements = outputs.reduce((n, o, i) => n + (binary[i] ? 0 : o.data.length), 0);
  if (jsonElements < OFFLOAD_JSON_ELEMENTS) return encodeResponse(model, version, reqId, parameters, outputs, binary);
  const res = await shared().run<EncodedResponse>({ op: "encode", model, version, reqId, parameters, outputs, binary }, []);
  counts.encoded++;
  return { body: Buffer.from(res.body.buffer, res.body.byteOffset, res.body.byteLength), headers: res.headers };
}
