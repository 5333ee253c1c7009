/**
 * The scheduler of one model version. With `dynamic_batching`, queued requests whose non-batch shapes
 * agree are concatenated along the batch dimension, up to max_batch_size, and sent to an idle instance
 * once the batch is full or preferred, or the oldest request has waited max_queue_delay_microseconds.
 * Without it (Triton's default scheduler) each request runs alone on the next idle instance.
 */
import { arrayCtor, DTYPES, elementCount, TensorData, WireType } from "./dtypes";
import type { ModelConfig, TensorConfig } from "./config";
import type { InstancePool } from "./instances";
import type { ModelStats } from "./stats";
import type { HostTensor } from "./tensor_codec";
import type { WireTensor } from "./worker_protocol";
import { servingError, requestPrefix } from "./errors";
import type { InferRequest } from "./request";

/** Per-request results and timings (nanoseconds). */
export interface JobResult { outputs: HostTensor[]; queueNs: number; inputNs: number; inferNs: number; outputNs: number }

interface Job { req: InferRequest; arrival: bigint; key: string; resolve: (r: JobResult) => void; reject: (e: Error) => void }

const now = () => process.hrtime.bigint();

/** Concatenates equal-typed data along the first dimension into a fresh array (fresh: it is transferred). */
function concat(dt: WireType, parts: TensorData[]): TensorData {
  if (dt === "BYTES") return (parts as string[][]).flat();
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new (arrayCtor(dt))(total);
  let at = 0;
  for (const p of parts) { (out as Uint8Array).set(p as Uint8Array, at); at += p.length; }
  return out;
}

/** Resolves -1 entries of a shape from the element count. */
function resolveShape(shape: number[], count: number): number[] {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return shape.map((d) => (d === -1 ? (known === 0 ? 0 : count / known) : d));
}

/** Dynamic batcher and instance dispatcher of one model version. */
export class Batcher {
  private readonly queue: Job[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly config: ModelConfig, private readonly pool: InstancePool, private readonly stats: ModelStats) {
    pool.onIdle = () => this.schedule();
  }

  /** Queues a validated request; resolves with its outputs in the model's (client-facing) shapes. */
  submit(req: InferRequest, arrival: bigint): Promise<JobResult> {
    const key = req.inputs.map((t) => `${t.name}:${t.shape.slice(1).join("x")}`).sort().join("|");
    return new Promise((resolve, reject) => {
      this.queue.push({ req, arrival, key, resolve, reject });
      this.schedule();
    });
  }

  /** Number of requests waiting for an instance. */
  queued(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.pool.size() === 0) {
      for (const j of this.queue.splice(0)) j.reject(servingError("INFERENCE_FAILED", { prefix: requestPrefix(j.req.id), model: this.config.name, detail: "no model instance is running; reload the model" }));
      return;
    }
    while (this.queue.length > 0 && this.pool.idleCount() > 0) {
      const jobs = this.pick();
      if (!jobs) return;
      void this.dispatch(jobs);
    }
    if (this.queue.length === 0 && this.timer) { clearTimeout(this.timer); this.timer = undefined; }
  }

  /** The next batch to run now, or undefined (with a timer set) when it should wait for more. */
  private pick(): Job[] | undefined {
    const db = this.config.dynamicBatching;
    if (!db || this.config.maxBatchSize === 0) return this.queue.splice(0, 1);
    const first = this.queue[0];
    const chosen: number[] = [];
    let total = 0;
    this.queue.forEach((j, i) => {
      if (j.key === first.key && total + j.req.batchSize <= this.config.maxBatchSize) { chosen.push(i); total += j.req.batchSize; }
    });
    const pref = db.preferredBatchSize;
    const ready = total >= this.config.maxBatchSize || pref.includes(total) || (pref.length > 0 && total >= Math.max(...pref));
    const waitNs = BigInt(db.maxQueueDelayMicroseconds) * 1000n - (now() - first.arrival);
    if (!ready && waitNs > 0n) {
      if (!this.timer) this.timer = setTimeout(() => { this.timer = undefined; this.schedule(); }, Math.max(1, Math.ceil(Number(waitNs) / 1e6)));
      return undefined;
    }
    const jobs = chosen.map((i) => this.queue[i]);
    for (let k = chosen.length - 1; k >= 0; k--) this.queue.splice(chosen[k], 1);
    return jobs;
  }

  private feeds(jobs: Job[], total: number): WireTensor[] {
    const batched = this.config.maxBatchSize > 0;
    return this.config.inputs.map((t) => {
      const parts = jobs.map((j) => j.req.inputs.find((x) => x.name === t.name)!);
      const data = concat(t.dataType, parts.map((p) => p.data));
      const perRow = batched ? parts[0].shape.slice(1) : parts[0].shape;
      const modelRow = t.reshape ? resolveShape(t.reshape, elementCount(perRow)) : perRow;
      return { name: t.name, type: DTYPES[t.dataType].ort, dims: batched ? [total, ...modelRow] : modelRow, data };
    });
  }

  private async dispatch(jobs: Job[]): Promise<void> {
    const t0 = now();
    const total = jobs.reduce((n, j) => n + j.req.batchSize, 0);
    const names = [...new Set(jobs.flatMap((j) => j.req.outputs.map((o) => o.name)))];
    try {
      const feeds = this.feeds(jobs, total);
      const t1 = now();
      const res = await this.pool.run(feeds, names);
      const t2 = now();
      const split = jobs.map((j, i) => this.split(res.outputs, jobs, i));
      const t3 = now();
      const inputNs = Number(t1 - t0) + res.inputNs;
      const outputNs = res.outputNs + Number(t3 - t2);
      this.stats.recordExecution(total, inputNs, res.inferNs, outputNs);
      jobs.forEach((j, i) => j.resolve({ outputs: split[i], queueNs: Number(t0 - j.arrival), inputNs, inferNs: res.inferNs, outputNs }));
    } catch (err) {
      for (const j of jobs) j.reject(servingError("INFERENCE_FAILED", { prefix: requestPrefix(j.req.id), model: this.config.name, detail: (err as Error).message }));
    }
  }

  /** The rows of batch outputs that belong to job `index`, in its client-facing shape. */
  private split(outputs: WireTensor[], jobs: Job[], index: number): HostTensor[] {
    const batched = this.config.maxBatchSize > 0;
    const rowStart = jobs.slice(0, index).reduce((n, j) => n + j.req.batchSize, 0);
    const rows = jobs[index].req.batchSize;
    const wanted = new Set(jobs[index].req.outputs.map((o) => o.name));
    return outputs.filter((o) => wanted.has(o.name)).map((o) => {
      const cfg = this.config.outputs.find((c) => c.name === o.name) as TensorConfig;
      const dt = cfg.dataType;
      if (!batched) return { name: o.name, datatype: dt, shape: clientShape(cfg, o.dims), data: o.data };
      const per = o.dims[0] === 0 ? 0 : elementCount(o.dims) / o.dims[0];
      const data = (o.data as Uint8Array).slice(rowStart * per, (rowStart + rows) * per) as unknown as TensorData;
      return { name: o.name, datatype: dt, shape: [rows, ...clientShape(cfg, o.dims.slice(1))], data };
    });
  }

  /** Fails every queued request (used when the model is unloaded). */
  abort(err: Error): void {
    if (this.timer) clearTimeout(this.timer);
    for (const j of this.queue.splice(0)) j.reject(err);
  }
}

/** With `reshape`, the model's shape is reshape.shape and clients see dims. */
function clientShape(cfg: TensorConfig, modelShape: number[]): number[] {
  return cfg.reshape ? resolveShape(cfg.dims, elementCount(modelShape)) : modelShape;
}
