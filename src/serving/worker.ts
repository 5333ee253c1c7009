/**
 * One model instance: a worker thread owning its own ONNX Runtime session, so inference never runs
 * on the HTTP event loop and `instance_group.count` instances compute side by side.
 */
import { parentPort, workerData } from "worker_threads";
import type { FromWorker, ToWorker, WireTensor, WorkerInit } from "./worker_protocol";

type Ort = typeof import("onnxruntime-node");
type Session = Awaited<ReturnType<Ort["InferenceSession"]["create"]>>;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(msg, transfer);
}

function metaOf(list: readonly unknown[]): { name: string; type: string; shape: (number | string)[] }[] {
  return list.map((m) => {
    const x = m as { name: string; isTensor: boolean; type?: string; shape?: (number | string)[] };
    return { name: x.name, type: x.isTensor ? String(x.type) : "non-tensor", shape: x.shape ?? [] };
  });
}

/** Output arrays may view a larger buffer; transfer only whole buffers, copy the rest. */
function detach(t: WireTensor): ArrayBuffer | undefined {
  if (Array.isArray(t.data)) return undefined;
  const d = t.data as Exclude<typeof t.data, string[]>;
  if (d.byteOffset !== 0 || d.byteLength !== d.buffer.byteLength) t.data = d.slice() as typeof d;
  return (t.data as Exclude<typeof t.data, string[]>).buffer as ArrayBuffer;
}

async function run(ort: Ort, session: Session, msg: Extract<ToWorker, { type: "run" }>): Promise<void> {
  const t0 = process.hrtime.bigint();
  const feeds: Record<string, InstanceType<Ort["Tensor"]>> = {};
  for (const f of msg.feeds) feeds[f.name] = new ort.Tensor(f.type as "float32", f.data as Float32Array, f.dims);
  const t1 = process.hrtime.bigint();
  const results = await session.run(feeds, msg.outputs);
  const t2 = process.hrtime.bigint();
  const outputs: WireTensor[] = msg.outputs.map((name) => {
    const r = results[name];
    return { name, type: r.type, dims: [...r.dims], data: r.data as WireTensor["data"] };
  });
  const transfer = outputs.map(detach).filter((b): b is ArrayBuffer => b !== undefined);
  const t3 = process.hrtime.bigint();
  post({ type: "result", id: msg.id, outputs, inputNs: Number(t1 - t0), inferNs: Number(t2 - t1), outputNs: Number(t3 - t2) }, transfer);
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  let ort: Ort;
  let session: Session;
  try {
    ort = require("onnxruntime-node") as Ort;
    session = await ort.InferenceSession.create(init.modelPath, {
      executionProviders: init.providers as never,
      intraOpNumThreads: init.intraOpNumThreads,
    });
  } catch (err) {
    post({ type: "failed", message: String((err as Error)?.message ?? err) });
    return;
  }
  // Requests are run one at a time: the pool gives an instance one batch until it answers.
  let inFlight: Promise<void> = Promise.resolve();
  parentPort!.on("message", (msg: ToWorker) => {
    if (msg.type === "exit") {
      // Leave on our own once the batch in hand is answered and the session released: a worker terminated
      // during onnxruntime-node's asynchronous run can abort the whole process from native cleanup.
      void inFlight.then(() => session.release()).catch(() => undefined).then(() => parentPort!.close());
      return;
    }
    inFlight = run(ort, session, msg).catch((err) => post({ type: "error", id: msg.id, message: String((err as Error)?.message ?? err) }));
  });
  post({ type: "ready", inputs: metaOf(session.inputMetadata), outputs: metaOf(session.outputMetadata) });
}

void main();
