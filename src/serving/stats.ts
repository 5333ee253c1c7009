/**
 * Statistics of one model version, in the shape of Triton's statistics extension
 * (`GET /v2/models/{m}/stats`): cumulative count and nanoseconds per phase, per-batch-size execution
 * stats, and the counters the Prometheus metrics are drawn from.
 */

/** A count and the total nanoseconds spent. */
export interface Duration { count: number; ns: number }

const zero = (): Duration => ({ count: 0, ns: 0 });
const add = (d: Duration, ns: number, n = 1) => { d.count += n; d.ns += ns; };

/** Cumulative statistics of one model version. */
export class ModelStats {
  /** Successful requests, with their whole duration from arrival to response. */
  readonly success = zero();
  /** Failed requests (validation or inference), with their duration. */
  readonly fail = zero();
  readonly queue = zero();
  readonly computeInput = zero();
  readonly computeInfer = zero();
  readonly computeOutput = zero();
  /** Per executed batch size: compute durations of the executions. */
  readonly batches = new Map<number, { computeInput: Duration; computeInfer: Duration; computeOutput: Duration }>();
  /** Number of inferences (sum of batch sizes of successful requests). */
  inferenceCount = 0;
  /** Number of model executions (batches run). */
  executionCount = 0;
  /** Milliseconds since the epoch of the last inference; 0 before the first. */
  lastInference = 0;

  /** Records one request's phases (each request of a batch carries the batch's compute time, as Triton does). */
  recordRequest(r: { ok: boolean; totalNs: number; queueNs?: number; inputNs?: number; inferNs?: number; outputNs?: number; batchSize: number }): void {
    add(r.ok ? this.success : this.fail, r.totalNs);
    if (!r.ok) return;
    add(this.queue, r.queueNs ?? 0);
    add(this.computeInput, r.inputNs ?? 0);
    add(this.computeInfer, r.inferNs ?? 0);
    add(this.computeOutput, r.outputNs ?? 0);
    this.inferenceCount += r.batchSize;
    this.lastInference = Date.now();
  }

  /** Records one model execution of `batchSize` rows. */
  recordExecution(batchSize: number, inputNs: number, inferNs: number, outputNs: number): void {
    this.executionCount++;
    let b = this.batches.get(batchSize);
    if (!b) this.batches.set(batchSize, (b = { computeInput: zero(), computeInfer: zero(), computeOutput: zero() }));
    add(b.computeInput, inputNs);
    add(b.computeInfer, inferNs);
    add(b.computeOutput, outputNs);
  }

  /** The model_stats entry Triton returns for this version. */
  toJson(name: string, version: string): Record<string, unknown> {
    const batchStats = [...this.batches.entries()].sort((a, b) => a[0] - b[0]).map(([size, b]) => ({
      batch_size: size,
      compute_input: { ...b.computeInput },
      compute_infer: { ...b.computeInfer },
      compute_output: { ...b.computeOutput },
    }));
    return {
      name,
      version,
      last_inference: this.lastInference,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: { ...this.success },
        fail: { ...this.fail },
        queue: { ...this.queue },
        compute_input: { ...this.computeInput },
        compute_infer: { ...this.computeInfer },
        compute_output: { ...this.computeOutput },
        cache_hit: zero(),
        cache_miss: zero(),
      },
      response_stats: {},
      batch_stats: batchStats,
      memory_usage: [],
    };
  }
}
