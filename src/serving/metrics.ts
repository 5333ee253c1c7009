/**
 * Prometheus metrics (GET /metrics) with Triton's metric names, so that dashboards built for Triton
 * read flowbook unchanged. Drawn from each loaded version's {@link ModelStats}.
 */
import type { ModelVersion } from "./model";

/** Metric table: `[name, help, value of one model version]`; all counters, durations in microseconds. */
const METRICS: [string, string, (v: ModelVersion) => number][] = [
  ["nv_inference_request_success", "Number of successful inference requests, all batch sizes", (v) => v.stats.success.count],
  ["nv_inference_request_failure", "Number of failed inference requests, all batch sizes", (v) => v.stats.fail.count],
  ["nv_inference_count", "Number of inferences performed (does not include cached requests)", (v) => v.stats.inferenceCount],
  ["nv_inference_exec_count", "Number of model executions performed (does not include cached requests)", (v) => v.stats.executionCount],
  ["nv_inference_request_duration_us", "Cumulative inference request duration in microseconds (includes cached requests)", (v) => us(v.stats.success.ns + v.stats.fail.ns)],
  ["nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds (includes cached requests)", (v) => us(v.stats.queue.ns)],
  ["nv_inference_compute_input_duration_us", "Cumulative compute input duration in microseconds (does not include cached requests)", (v) => us(v.stats.computeInput.ns)],
  ["nv_inference_compute_infer_duration_us", "Cumulative compute inference duration in microseconds (does not include cached requests)", (v) => us(v.stats.computeInfer.ns)],
  ["nv_inference_compute_output_duration_us", "Cumulative inference compute output duration in microseconds (does not include cached requests)", (v) => us(v.stats.computeOutput.ns)],
];

function us(ns: number): number {
  return Math.round(ns / 1000);
}

const escape = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** The Prometheus text exposition of all loaded versions. */
export function renderMetrics(versions: ModelVersion[]): string {
  const lines: string[] = [];
  for (const [name, help, value] of METRICS) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const v of versions) lines.push(`${name}{model="${escape(v.config.name)}",version="${v.version}"} ${value(v)}`);
  }
  return lines.join("\n") + "\n";
}
