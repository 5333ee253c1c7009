/**
 * A codec worker thread: parses infer requests and encodes responses (codec.ts says when), with the same
 * functions the server thread uses for small ones, and sends typed arrays back by transfer.
 */
import { parentPort } from "worker_threads";
import { parseInferRequest } from "./request";
import { encodeResponse } from "./response";
import type { CodecReply, CodecTask } from "./codec";
import { transferList } from "./codec";

function answer(task: CodecTask): { reply: CodecReply; transfer: ArrayBuffer[] } {
  if (task.op === "decode") {
    const body = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
    const value = parseInferRequest(body, task.headerLength, task.config);
    return { reply: { id: task.id, ok: true, value }, transfer: transferList(value.inputs.map((t) => t.data)) };
  }
  const value = encodeResponse(task.model, task.version, task.reqId, task.parameters, task.outputs, task.binary);
  // A Buffer may view a pooled or larger buffer; copy into one it owns so that it can be transferred.
  const own = value.body.byteOffset === 0 && value.body.byteLength === value.body.buffer.byteLength ? value.body : Buffer.from(value.body);
  return { reply: { id: task.id, ok: true, value: { body: own, headers: value.headers } }, transfer: [own.buffer as ArrayBuffer] };
}

parentPort!.on("message", (task: CodecTask) => {
  try {
    const { reply, transfer } = answer(task);
    parentPort!.postMessage(reply, transfer);
  } catch (e) {
    const err = e as { code?: string; statusCode?: number; message?: string };
    parentPort!.postMessage({ id: task.id, ok: false, error: { code: err?.code, statusCode: err?.statusCode, message: String(err?.message ?? e) } } satisfies CodecReply);
  }
});
