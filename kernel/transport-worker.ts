/**
 * The transport worker owns every zeromq socket. Running them off the main thread keeps the heartbeat and the
 * control channel (interrupt, shutdown) answering while a cell spins in `while (true) {}` on the main thread.
 * It verifies signatures, answers heartbeats and interrupts itself, and forwards everything else to the main
 * thread. It knows nothing about executing code.
 */
import { randomUUID } from "crypto";
import { parentPort, workerData } from "worker_threads";
import * as zmq from "zeromq";
import { ConnectionInfo, endpoint } from "./connection";
import { HEADER_BYTES, MAX_STDIN_BYTES, Slot } from "./shared-state";
import { decode, encode, Message, newHeader, Signer, WireError } from "./wire";
import type { FromWorker, ToWorker, WireChannel } from "./transport";

const { info, shared } = workerData as { info: ConnectionInfo; shared: SharedArrayBuffer };
const signer = new Signer(info.key, info.signature_scheme);
const flags = new Int32Array(shared, 0, HEADER_BYTES / 4);
const stdinBytes = new Uint8Array(shared, HEADER_BYTES, MAX_STDIN_BYTES);
const port = parentPort!;

const sockets = {
  shell: new zmq.Router(),
  control: new zmq.Router(),
  stdin: new zmq.Router(),
  // An XPUB sees subscriptions, so it can greet each new subscriber (see greetSubscribers).
  iopub: new zmq.XPublisher(),
  hb: new zmq.Reply(),
};
/** Last execution_state the main thread published: an interrupt or shutdown only needs SIGINT while busy. */
let executionState = "starting";

/** zeromq allows one pending send per socket; this chains them. */
const sendQueues = new Map<string, Promise<void>>();
function send(channel: WireChannel, frames: (Buffer | string)[]): void {
  const socket = sockets[channel];
  const previous = sendQueues.get(channel) ?? Promise.resolve();
  const next = previous.then(() => socket.send(frames)).catch((err) => log(`send on ${channel} failed: ${err.message}`));
  sendQueues.set(channel, next);
}

function log(text: string): void {
  process.stderr.write(`[flowbook kernel] ${text}\n`);
}

function reply(channel: WireChannel, parent: Message, msgType: string, content: object): void {
  const msg: Message = {
    identities: channel === "iopub" ? [Buffer.from(`kernel.${msgType}`)] : parent.identities,
    header: newHeader(msgType, parent.header.session),
    parent_header: parent.header,
    metadata: {},
    content,
    buffers: [],
  };
  send(channel, encode(msg, signer));
}

function interruptMainThread(): void {
  Atomics.add(flags, Slot.interruptCount, 1);
  // Breaks a vm script run with breakOnSigint; the main thread's SIGINT listener handles the async case.
  process.kill(process.pid, "SIGINT");
}

/** Messages the worker answers without the main thread, because the main thread may be stuck. */
const workerHandlers: Record<string, (channel: WireChannel, msg: Message) => boolean> = {
  interrupt_request(channel, msg) {
    reply("iopub", msg, "status", { execution_state: "busy" });
    if (executionState === "busy") interruptMainThread();
    reply(channel, msg, "interrupt_reply", { status: "ok" });
    reply("iopub", msg, "status", { execution_state: "idle" });
    return true;
  },
  shutdown_request() {
    if (executionState === "busy") interruptMainThread();
    return false; // the main thread still replies and exits cleanly
  },
  input_reply(_channel, msg) {
    if (Atomics.load(flags, Slot.stdinState) !== 1) { log("input_reply while no input was requested: dropped"); return true; }
    const bytes = Buffer.from(JSON.stringify(msg.content?.value ?? ""));
    if (bytes.length > MAX_STDIN_BYTES) { log("input_reply larger than 1 MiB: truncated"); }
    const length = Math.min(bytes.length, MAX_STDIN_BYTES);
    stdinBytes.set(bytes.subarray(0, length));
    Atomics.store(flags, Slot.stdinLength, length);
    Atomics.store(flags, Slot.stdinState, 2);
    Atomics.notify(flags, Slot.stdinState);
    port.postMessage({ type: "stdin" } satisfies FromWorker);
    return true;
  },
};

async function receiveLoop(channel: "shell" | "control" | "stdin"): Promise<void> {
  for await (const frames of sockets[channel]) {
    let msg: Message;
    try {
      msg = decode(frames as Buffer[], signer);
    } catch (err) {
      if (err instanceof WireError || err instanceof SyntaxError) { log(`${channel}: dropped ${err.message}`); continue; }
      throw err;
    }
    const handled = workerHandlers[msg.header.msg_type]?.(channel, msg) ?? false;
    if (!handled) port.postMessage({ type: "message", channel, msg } satisfies FromWorker);
  }
}

/**
 * Answers a flush once the shell socket holds no unread message and the receive loop has forwarded the last one
 * it read (stop_on_error uses this to abort everything the client sent before the error reply).
 */
async function flushIncoming(id: number): Promise<void> {
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  for (let i = 0; i < 1000 && sockets.shell.readable; i++) await tick();
  await tick();
  port.postMessage({ type: "flushed", id } satisfies FromWorker);
}

/**
 * Publishes the current execution state whenever a client subscribes to iopub. A PUB socket drops what it sends
 * before a subscriber's connection is up, so the status messages around the first kernel_info_reply are often
 * lost; jupyter_client's wait_for_ready then sends kernel_info again and waits. The greeting (what ipykernel's
 * iopub_welcome does for newer clients) tells it at once that iopub is connected.
 */
const greetingSession = randomUUID();
async function greetSubscribers(): Promise<void> {
  for await (const [frame] of sockets.iopub) {
    if (frame?.[0] !== 1) continue; // 1 = subscribe, 0 = unsubscribe
    const state = executionState === "busy" ? "busy" : executionState === "starting" ? "starting" : "idle";
    const msg: Message = { identities: [Buffer.from("kernel.status")], header: newHeader("status", greetingSession), parent_header: {}, metadata: {}, content: { execution_state: state }, buffers: [] };
    send("iopub", encode(msg, signer));
  }
}

async function heartbeatLoop(): Promise<void> {
  for await (const frames of sockets.hb) await sockets.hb.send(frames);
}

async function close(): Promise<void> {
  await Promise.all([...sendQueues.values()]);
  // Closing before the worker ends matters: a worker terminated with open zeromq sockets aborts the process.
  for (const socket of Object.values(sockets)) socket.close();
  // So does ending it while zeromq still has receives pending (terminate() then made zeromq throw a Napi::Error
  // from its cleanup: "terminate called after throwing", SIGABRT, in ~1 of 15 shutdowns). The loops end once
  // their sockets are closed; then nothing keeps this thread alive, and it exits by itself.
  await Promise.race([Promise.allSettled(loops), new Promise((r) => setTimeout(r, 1000).unref())]);
  port.unref();
}

port.on("message", (m: ToWorker) => {
  if (m.type === "send") {
    const msg = { ...m.msg, identities: m.msg.identities.map((id) => Buffer.from(id)), buffers: (m.msg.buffers ?? []).map((b) => Buffer.from(b)) };
    if (m.channel === "iopub" && msg.header.msg_type === "status") executionState = (msg.content as any).execution_state;
    send(m.channel, encode(msg, signer));
  } else if (m.type === "flush") {
    void flushIncoming(m.id);
  } else if (m.type === "close") {
    void close();
  }
});

/** The socket loops (they end when their sockets close). */
const loops: Promise<void>[] = [];

async function start(): Promise<void> {
  await Promise.all((Object.keys(sockets) as WireChannel[]).map((c) => sockets[c].bind(endpoint(info, c))));
  port.postMessage({ type: "ready" } satisfies FromWorker);
  for (const channel of ["shell", "control", "stdin"] as const) {
    loops.push(receiveLoop(channel).catch((err) => { if (!sockets[channel].closed) log(`${channel} loop: ${err.message}`); }));
  }
  loops.push(heartbeatLoop().catch((err) => { if (!sockets.hb.closed) log(`heartbeat: ${err.message}`); }));
  loops.push(greetSubscribers().catch((err) => { if (!sockets.iopub.closed) log(`iopub subscriptions: ${err.message}`); }));
}

start().catch((err) => port.postMessage({ type: "failed", error: String(err?.message ?? err) } satisfies FromWorker));
