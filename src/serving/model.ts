/**
 * One loaded version of a model: its configuration, instance pool, batcher, labels and statistics,
 * and the infer path that ties request parsing, batching, classification and response encoding.
 */
import type { ModelConfig } from "./config";
import { InstancePool } from "./instances";
import { Batcher } from "./batcher";
import { ModelStats } from "./stats";
import type { EncodedResponse } from "./response";
import { decodeRequest, encodeResult } from "./codec";
import { classify } from "./classification";
import { requestPrefix, servingError } from "./errors";

const now = () => process.hrtime.bigint();

/** A ready model version. */
export class ModelVersion {
  readonly stats = new ModelStats();
  private readonly batcher: Batcher;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly config: ModelConfig, readonly version: number, private readonly pool: InstancePool, private readonly labels: Map<string, string[]>) {
    this.batcher = new Batcher(config, pool, this.stats);
  }

  /** Triton's model metadata (GET /v2/models/{m}[/versions/{v}]). */
  metadata(versions: number[]): Record<string, unknown> {
    const batched = this.config.maxBatchSize > 0;
    const io = (t: ModelConfig["inputs"][number]) => ({ name: t.name, datatype: t.dataType, shape: batched ? [-1, ...t.dims] : t.dims });
    return {
      name: this.config.name,
      versions: versions.map(String),
      platform: this.config.platform,
      inputs: this.config.inputs.map(io),
      outputs: this.config.outputs.map(io),
    };
  }

  /** Runs one infer request body; failures are counted and rethrown as table errors. */
  async infer(body: Buffer, headerLength: string | undefined, arrival = now()): Promise<EncodedResponse> {
    this.inFlight++;
    try {
      const req = await decodeRequest(body, headerLength, this.config);
      const res = await this.batcher.submit(req, arrival);
      const t0 = now();
      const outputs = req.outputs.map((o) => {
        const t = res.outputs.find((x) => x.name === o.name)!;
        return o.classification > 0 ? classify(t, o.classification, this.config.maxBatchSize > 0, this.labels.get(o.name), requestPrefix(req.id), this.config.name) : t;
      });
      const encoded = await encodeResult(this.config.name, String(this.version), req.id, req.parameters, outputs, req.outputs.map((o) => o.binary));
      const outputNs = res.outputNs + Number(now() - t0);
      this.stats.recordRequest({ ok: true, totalNs: Number(now() - arrival), queueNs: res.queueNs, inputNs: res.inputNs, inferNs: res.inferNs, outputNs, batchSize: req.batchSize });
      return encoded;
    } catch (err) {
      this.stats.recordRequest({ ok: false, totalNs: Number(now() - arrival), batchSize: 0 });
      throw err;
    } finally {
      if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Waits for in-flight requests, then stops the instances. */
  async close(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    this.batcher.abort(servingError("MODEL_NOT_READY", { model: this.config.name, state: "UNAVAILABLE", reason: "unloaded" }));
    await this.pool.close();
  }

  /** Number of requests queued for an instance now. */
  queued(): number {
    return this.batcher.queued();
  }

  /** Number of instances. */
  instances(): number {
    return this.pool.size();
  }
}
