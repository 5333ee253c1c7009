/**
 * Per-node timings of compiled graphs for `flow.profiler.profile`, from ONNX Runtime's own profiler.
 *
 * While a profile that wants graph nodes is active, a graph call runs on a profiling session: the same model
 * and options plus `enableProfiling` with a `profileFilePrefix` in a temporary directory. onnxruntime-node can
 * only stop a session's profiling for good (`endProfiling()`, which writes the JSON trace), so each profiled
 * call gets a fresh profiling session, runs once to warm up (arena allocation, first-run kernel setup) and
 * once measured; only the measured run's node events are kept. Creating that session is not counted as run
 * time (the call's runMs covers the measured run only; the profile's events are the nodes' own times).
 *
 * ORT's trace is a JSON array of Chrome-trace events; node executions are `cat: "Node"` events named
 * `<node name>_kernel_time` with `args.op_name`, `dur` and `ts` in µs, and each run is a `cat: "Session"`
 * event named `model_run`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createSession, NativeSession } from "../backend/ort";
import type { ProfileEvent, ProfileSink } from "../profiler/events";

const retired: NativeSession[] = [];

/** One node execution read from ORT's trace. */
export interface OrtNodeEvent { node: string; op: string; tsUs: number; durUs: number; provider?: string; shapes?: number[][] }

interface RawEvent { cat?: string; name?: string; ts?: number; dur?: number; args?: { op_name?: string; provider?: string; input_type_shape?: Record<string, number[]>[] } }

/** Parses ORT's profile JSON; keeps node kernel events of the last `model_run` (all of them if it has none). */
export function parseOrtProfile(json: string): OrtNodeEvent[] {
  const events = JSON.parse(json) as RawEvent[];
  if (!Array.isArray(events)) throw new Error("ONNX Runtime profile: expected a JSON array of trace events");
  const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run");
  const last = runs[runs.length - 1];
  const inLast = (e: RawEvent) => !last || ((e.ts ?? 0) >= (last.ts ?? 0) && (e.ts ?? 0) <= (last.ts ?? 0) + (last.dur ?? 0));
  return events.filter((e) => e.cat === "Node" && e.name?.endsWith("_kernel_time") && inLast(e)).map((e) => ({
    node: e.name!.slice(0, -"_kernel_time".length),
    op: e.args?.op_name ?? "?",
    tsUs: e.ts ?? 0,
    durUs: e.dur ?? 0,
    provider: e.args?.provider,
    shapes: e.args?.input_type_shape?.map((s) => Object.values(s)[0] ?? []),
  }));
}

/** The run's start in the trace (µs), for placing node events on the profile's clock. */
function runStart(nodes: OrtNodeEvent[]): number {
  return nodes.reduce((m, n) => Math.min(m, n.tsUs), Infinity);
}

/**
 * Runs `run(session)` twice on a fresh profiling session of `bytes` (warm-up, then measured), adds the
 * measured run's node events to `sink` under `source`, and returns the measured run's result.
 */
export function runProfiled<T>(bytes: Uint8Array, options: Record<string, unknown>, sink: ProfileSink, source: string, device: string, run: (s: NativeSession) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-ort-profile-"));
  try {
    const session = createSession(bytes, { ...options, enableProfiling: true, profileFilePrefix: path.join(dir, "graph") } as never, `the profiled graph '${source}'`);
    let result: T;
    let startMs: number;
    try {
      run(session);
      startMs = sink.now();
      result = run(session);
      session.endProfiling();
    } finally {
      if (device === "cpu") session.dispose();
      else retired.push(session); // its outputs may live on in GPU buffers (see compile.ts retireSession)
    }
    const file = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => path.join(dir, f))[0];
    if (!file) throw new Error(`nn.Graph profiling: ONNX Runtime wrote no profile into ${dir}`);
    const nodes = parseOrtProfile(fs.readFileSync(file, "utf8"));
    const t0 = runStart(nodes);
    sink.addEvents(nodes.map((n): ProfileEvent => ({
      op: n.op, node: n.node, source, device, ms: n.durUs / 1000, startMs: startMs + (n.tsUs - t0) / 1000,
      ...(n.shapes?.length ? { shapes: n.shapes } : {}),
    })));
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
