/** Main-thread side of the transport worker: sends and receives whole Jupyter messages. */
import * as path from "path";
import { Worker } from "worker_threads";
import { ConnectionInfo } from "./connection";
import { Message } from "./wire";

/** Channels that carry signed messages (heartbeat carries raw bytes and stays inside the worker). */
export type WireChannel = "shell" | "control" | "stdin" | "iopub" | "hb";

/** Messages from the worker to the main thread. */
export type FromWorker =
  | { type: "ready" }
  | { type: "failed"; error: string }
  | { type: "message"; channel: "shell" | "control" | "stdin"; msg: Message }
  | { type: "stdin" }
  | { type: "flushed"; id: number };

/** Messages from the main thread to the worker. */
export type ToWorker = { type: "send"; channel: WireChannel; msg: Message } | { type: "flush"; id: number } | { type: "close" };

/** Owns the transport worker. */
export class Transport {
  private readonly worker: Worker;
  /** Messages that arrive before `start` names a receiver (none should: the sockets bind during start-up). */
  private early: [("shell" | "control" | "stdin"), Message][] = [];
  private onMessage: (channel: "shell" | "control" | "stdin", msg: Message) => void = (channel, msg) => void this.early.push([channel, msg]);
  private readonly bound: Promise<void>;
  private readonly flushes = new Map<number, () => void>();
  private nextFlush = 0;

  /** Starts the worker, which loads zeromq and binds the sockets while the caller goes on. */
  constructor(info: ConnectionInfo, readonly shared: SharedArrayBuffer) {
    this.worker = new Worker(path.join(__dirname, "transport-worker.js"), { workerData: { info, shared } });
    this.bound = new Promise((resolve, reject) => {
      this.worker.on("error", reject);
      this.worker.on("message", (m: FromWorker) => {
        if (m.type === "ready") resolve();
        else if (m.type === "failed") reject(new Error(`cannot bind kernel sockets: ${m.error}`));
        else if (m.type === "message") this.onMessage(m.channel, reviveBuffers(m.msg));
        else if (m.type === "flushed") { this.flushes.get(m.id)?.(); this.flushes.delete(m.id); }
      });
    });
    this.bound.catch(() => {}); // reported by start()
  }

  /** Resolves once every socket is bound; rejects with the worker's bind error (port in use, bad ip...). */
  start(onMessage: (channel: "shell" | "control" | "stdin", msg: Message) => void): Promise<void> {
    this.onMessage = onMessage;
    for (const [channel, msg] of this.early.splice(0)) onMessage(channel, msg);
    return this.bound;
  }

  /** Queues a message for sending; never blocks. */
  send(channel: WireChannel, msg: Message): void {
    this.worker.postMessage({ type: "send", channel, msg } satisfies ToWorker);
  }

  /**
   * Resolves once every shell message that had reached the kernel's socket when this was called has been handed
   * to `onMessage` (worker messages arrive in order, so they are all delivered before the resolution).
   */
  flushIncoming(): Promise<void> {
    const id = ++this.nextFlush;
    return new Promise((resolve) => {
      this.flushes.set(id, resolve);
      this.worker.postMessage({ type: "flush", id } satisfies ToWorker);
    });
  }

  /** Flushes pending sends, closes the sockets, then waits for the worker to end (terminating it only if it hangs). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const finish = () => { if (!done) { done = true; clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => void this.worker.terminate().then(finish, finish), 3000);
      this.worker.once("exit", finish);
      this.worker.postMessage({ type: "close" } satisfies ToWorker);
    });
  }
}

/** Structured cloning turns Buffers into Uint8Arrays; give them back their Buffer methods. */
function reviveBuffers(msg: Message): Message {
  const toBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return { ...msg, identities: msg.identities.map(toBuffer), buffers: (msg.buffers ?? []).map(toBuffer) };
}
