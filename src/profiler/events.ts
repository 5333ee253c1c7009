/**
 * Profile events and the active-profile hook. Eager ops are observed through the dispatcher; compiled graphs
 * report their per-node times from ONNX Runtime's own profiler through `activeProfile()?.addEvents(...)`.
 */

/** One timed operator execution. */
export interface ProfileEvent {
  /** Op name (eager: flowbook op; graph: the ONNX node's op type). */
  op: string;
  /** Input shapes, when shapes are recorded. */
  shapes?: number[][];
  /** Start, in ms since the profile began. */
  startMs: number;
  /** Duration in ms. */
  ms: number;
  /** "eager", or the graph's name for nodes of a compiled graph. */
  source: string;
  /** Device the op ran on. */
  device: string;
  /** ONNX node name inside a graph. */
  node?: string;
}

/** What a running profile accepts from producers other than the eager dispatcher. */
export interface ProfileSink {
  /** Whether per-node graph timings are wanted (graphs then run with ONNX Runtime profiling on). */
  readonly wantsGraphNodes: boolean;
  /** ms since the profile began. */
  now(): number;
  /** Adds externally measured events (graph nodes, host↔device copies). */
  addEvents(events: ProfileEvent[]): void;
}

let active: ProfileSink | null = null;
/** The profile being recorded, if any. */
export function activeProfile(): ProfileSink | null { return active; }
/** @internal */
export function setActiveProfile(p: ProfileSink | null): ProfileSink | null { const prev = active; active = p; return prev; }
