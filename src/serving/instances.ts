/**
 * The instance group of one model version: `count` worker threads, each with its own ONNX Runtime
 * session. The batcher asks for an idle instance and hands it one batch at a time.
 */
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import type { FromWorker, ToWorker, WireTensor, WorkerInit } from "./worker_protocol";
import type { OnnxIoMeta } from "./config";

/** Timings an instance reports with each result (nanoseconds). */
export interface RunResult { outputs: WireTensor[]; inputNs: number; inferNs: number; outputNs: number }

interface Instance { worker: Worker; busy: boolean; pending?: { resolve: (r: RunResult) => void; reject: (e: Error) => void } }

/** A group of worker-thread instances of one ONNX model. */
export class InstancePool {
  private readonly instances: Instance[] = [];
  private nextId = 1;
  /** Called whenever an instance becomes idle, so the batcher can dispatch more work. */
  onIdle: () => void = () => {};

  private constructor() {}

  /**
   * Starts `count` instances of the model and waits for all sessions; resolves with the model's I/O
   * metadata, or rejects with ONNX Runtime's load error (and stops the instances already started).
   */
  static async start(modelPath: string, count: number, providers: unknown[]): Promise<{ pool: InstancePool; meta: { inputs: OnnxIoMeta[]; outputs: OnnxIoMeta[] } }> {
    const pool = new InstancePool();
    // Instances share the machine's cores; giving each its share avoids oversubscription.
    const threads = Math.max(1, Math.floor(os.cpus().length / count));
    const init: WorkerInit = { modelPath, providers, intraOpNumThreads: threads };
    const starts = Array.from({ length: count }, () => pool.spawn(init));
    const settled = await Promise.allSettled(starts);
    const failed = settled.find((s) => s.status === "rejected") as PromiseRejectedResult | undefined;
    if (failed) { await pool.close(); throw failed.reason; }
    return { pool, meta: (settled[0] as PromiseFulfilledResult<{ inputs: OnnxIoMeta[]; outputs: OnnxIoMeta[] }>).value };
  }

  private spawn(init: WorkerInit): Promise<{ inputs: OnnxIoMeta[]; outputs: OnnxIoMeta[] }> {
    const worker = new Worker(path.join(__dirname, "worker.js"), { workerData: init });
    const inst: Instance = { worker, busy: false };
    this.instances.push(inst);
    return new Promise((resolve, reject) => {
      worker.on("message", (m: FromWorker) => {
        if (m.type === "ready") resolve({ inputs: m.inputs, outputs: m.outputs });
        else if (m.type === "failed") reject(new Error(m.message));
        else this.settle(inst, m);
      });
      worker.on("error", (err) => { reject(err); this.fail(inst, err); });
      worker.on("exit", (code) => {
        reject(new Error(`instance exited with code ${code}`));
        // A dead instance leaves the pool; the batcher fails requests once none is left.
        this.instances.splice(this.instances.indexOf(inst), 1);
        this.fail(inst, new Error(`model instance exited with code ${code}`));
        this.onIdle();
      });
    });
  }

  private settle(inst: Instance, m: FromWorker): void {
    const p = inst.pending;
    inst.pending = undefined;
    inst.busy = false;
    if (m.type === "result") p?.resolve({ outputs: m.outputs, inputNs: m.inputNs, inferNs: m.inferNs, outputNs: m.outputNs });
    else if (m.type === "error") p?.reject(new Error(m.message));
    this.onIdle();
  }

  private fail(inst: Instance, err: Error): void {
    const p = inst.pending;
    inst.pending = undefined;
    p?.reject(err);
  }

  /** Number of instances not computing now. */
  idleCount(): number {
    return this.instances.filter((i) => !i.busy).length;
  }

  /** Number of instances. */
  size(): number {
    return this.instances.length;
  }

  /** Runs one batch on an idle instance; the caller checks {@link idleCount} first. */
  run(feeds: WireTensor[], outputs: string[]): Promise<RunResult> {
    const inst = this.instances.find((i) => !i.busy);
    if (!inst) return Promise.reject(new Error("no idle instance (batcher bug)"));
    inst.busy = true;
    const transfer = feeds.flatMap((f) => (Array.isArray(f.data) ? [] : [(f.data as Uint8Array).buffer as ArrayBuffer]));
    return new Promise((resolve, reject) => {
      inst.pending = { resolve, reject };
      inst.worker.postMessage({ type: "run", id: this.nextId++, feeds, outputs }, transfer);
    });
  }

  /**
   * Stops every instance: each is asked to exit (it answers the batch in hand first) and is terminated only if
   * it has not exited within a few seconds.
   */
  async close(): Promise<void> {
    await Promise.all([...this.instances].map(({ worker }) => new Promise<void>((resolve) => {
      if (worker.threadId < 0) { resolve(); return; }
      const timer = setTimeout(() => void worker.terminate().then(() => resolve(), () => resolve()), 5000);
      worker.once("exit", () => { clearTimeout(timer); resolve(); });
      worker.postMessage({ type: "exit" } satisfies ToWorker);
    })));
  }
}
