/**
 * Messages between the server thread and an instance worker thread. Kept in one place so that both
 * sides agree; tensors travel as typed arrays whose buffers are transferred, not copied.
 */
import type { TensorData } from "./dtypes";

/** A tensor crossing the thread boundary, typed with ONNX Runtime's type names. */
export interface WireTensor { name: string; type: string; dims: number[]; data: TensorData }

/** What an instance worker is started with. */
export interface WorkerInit {
  modelPath: string;
  /** onnxruntime-node executionProviders entries. */
  providers: unknown[];
  intraOpNumThreads: number;
}

/** Server → worker: a batch to run, or the request to finish the batch in hand and exit. */
export type ToWorker = { type: "run"; id: number; feeds: WireTensor[]; outputs: string[] } | { type: "exit" };

/** Worker → server. */
export type FromWorker =
  | { type: "ready"; inputs: { name: string; type: string; shape: (number | string)[] }[]; outputs: { name: string; type: string; shape: (number | string)[] }[] }
  | { type: "failed"; message: string }
  | { type: "result"; id: number; outputs: WireTensor[]; inputNs: number; inferNs: number; outputNs: number }
  | { type: "error"; id: number; message: string };
