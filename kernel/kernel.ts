/**
 * The kernel: routes messages from the transport to the handler table, one at a time per channel, with
 * busy/idle around each; owns the services handlers use. Protocol only: code runs in the Executor.
 */
import { randomUUID } from "crypto";
import { registerDisplayHost } from "../src/display/hook";
import { captureProcessStreams, currentOutput } from "./cell-output";
import { CommManager } from "./comms";
import { ExitRequested } from "./exit";
import type { Executor } from "./executor";
import { controlHandlers, Handler, KernelServices, shellHandlers } from "./handlers";
import { History } from "./history";
import { installGlobals } from "./globals";
import { LanguageClient } from "./language-service/client";
import { FLOWBOOK_ROOT, ModuleLoader } from "./module-loader";
import type { Transport } from "./transport";
import { typescript } from "./typescript";
import { Message, newHeader, parseDateMicros } from "./wire";

type InboundChannel = "shell" | "control" | "stdin";

/** How long after an error with stop_on_error an arriving execute_request dated before the error is aborted. */
const STOP_ON_ERROR_GRACE_MS = 500;

/** Quiet time after start-up (or the last request) before TypeScript loads in the background. */
const WARM_UP_IDLE_MS = 300;

/** One request waiting its turn; `aborted` is set by stop_on_error. */
interface Queued { msg: Message; aborted: boolean }

/** A running kernel. */
export class Kernel implements KernelServices {
  readonly state = { executionCount: 0, session: randomUUID() };
  readonly shared: SharedArrayBuffer;
  private executorInstance: Executor | null = null;
  readonly history = new History();
  readonly language: LanguageClient;
  readonly comms: CommManager;
  private readonly queues: Record<"shell" | "control", { items: Queued[]; draining: boolean }> = {
    shell: { items: [], draining: false },
    control: { items: [], draining: false },
  };
  private readonly log: (text: string) => void;
  private readonly realExit = process.exit.bind(process);
  private closing = false;
  private warmedUp = false;
  private warmUpTimer: NodeJS.Timeout | null = null;
  private languageStarted = false;
  /** Non-zero while stop_on_error aborts: execute_requests arriving in this window are aborted too. */
  /** The last stop_on_error abort: when its error reply went out, and until when late arrivals are checked. */
  private lastAbort = { at: -Infinity, until: -Infinity };

  /** `transport` is started by the caller first (its worker boots while the kernel's modules load). */
  constructor(private readonly transport: Transport, readonly notebookDir = process.cwd()) {
    this.shared = transport.shared;
    this.language = new LanguageClient(FLOWBOOK_ROOT, notebookDir);
    this.comms = new CommManager((msgType, content, buffers, metadata) => this.publishComm(msgType, content, buffers, metadata));
    this.log = captureProcessStreams().log;
  }

  /** The Executor, loaded with the first request that runs code (not needed for the first kernel_info). */
  get executor(): Executor {
    this.executorInstance ??= new (require("./executor") as typeof import("./executor")).Executor();
    return this.executorInstance;
  }

  /** Binds the sockets, then loads the heavy parts in the background. */
  async start(): Promise<void> {
    await this.transport.start((channel, msg) => this.receive(channel, msg));
    registerDisplayHost({ current: () => currentOutput() ?? null });
    installGlobals(new ModuleLoader(this.notebookDir), this.comms);
    this.trapProcessEvents();
    this.scheduleWarmUp();
    setTimeout(() => this.startLanguageService(), 1000);
  }

  /**
   * Starts the language-service worker (completion, inspection, %%typecheck): it loads TypeScript in its own
   * thread, so this runs as soon as the first request has been answered (or a second after start).
   */
  private startLanguageService(): void {
    if (this.languageStarted) return;
    this.languageStarted = true;
    this.language.start();
  }

  /**
   * Schedules loading TypeScript on the main thread (for the executor) for when the kernel has been quiet for
   * WARM_UP_IDLE_MS; every request pushes it back. The load blocks the main thread ~0.3 s (more under load):
   * right after the first kernel_info_reply it would stall the client's next kernel_info (jupyter_client repeats
   * it until iopub answers). A cell that needs TypeScript earlier loads it on demand.
   */
  private scheduleWarmUp(): void {
    if (this.warmedUp) return;
    if (this.warmUpTimer) clearTimeout(this.warmUpTimer);
    this.warmUpTimer = setTimeout(() => { this.warmedUp = true; typescript(); }, WARM_UP_IDLE_MS);
  }

  reply(request: Message, msgType: string, content: object, metadata: object = {}): void {
    const channel = (request as Message & { channel?: "shell" | "control" }).channel ?? "shell";
    this.transport.send(channel, this.message(msgType, content, request, request.identities, metadata));
  }

  publish(msgType: string, content: object, parent: Message): void {
    this.transport.send("iopub", this.message(msgType, content, parent, [Buffer.from(`kernel.${this.state.session}.${msgType}`)]));
  }

  sendStdin(msgType: string, content: object, parent: Message): void {
    this.transport.send("stdin", this.message(msgType, content, parent, parent.identities));
  }

  /**
   * After an error with stop_on_error, aborts every execute_request the client sent before the error reply, as
   * ipykernel's `_abort_queues` does: the queued ones now, those still in the transport worker or on the socket
   * once the worker has handed them over (a fast failing cell finishes before they reach the queue), and, for
   * STOP_ON_ERROR_GRACE_MS, those still in flight whose header `date` is not later than the error reply (a
   * request the client wrote after seeing the error, or an `aborted` reply, runs).
   */
  abortQueuedExecutions(): void {
    const now = nextMillisecondTick();
    this.lastAbort = { at: now, until: Date.now() + STOP_ON_ERROR_GRACE_MS };
    this.markQueuedAborted();
    // What the flush hands over may include requests written after the client saw the error: only those dated
    // before it are aborted (a blanket rule aborted the client's next cell whenever the flush was slow).
    void this.transport.flushIncoming().then(() => this.markQueuedAborted(now));
  }

  /** Whether a newly received execute_request falls under the last stop_on_error abort. */
  private abortsOnArrival(msg: Message): boolean {
    if (msg.header.msg_type !== "execute_request") return false;
    if (Date.now() > this.lastAbort.until) return false;
    return sentBefore(msg, this.lastAbort.at);
  }

  /** Marks queued execute_requests aborted: all of them, or only those sent before `beforeUs`. */
  private markQueuedAborted(beforeUs?: number): void {
    for (const q of this.queues.shell.items) {
      if (q.msg.header.msg_type === "execute_request" && (beforeUs === undefined || sentBefore(q.msg, beforeUs))) q.aborted = true;
    }
  }

  async shutdown(_restart: boolean): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.language.stop();
    await this.transport.close();
    this.realExit(0);
  }

  private message(msgType: string, content: object, parent: Message, identities: Buffer[], metadata: object = {}): Message {
    return { identities, header: newHeader(msgType, this.state.session), parent_header: parent.header, metadata: metadata as Record<string, unknown>, content, buffers: [] };
  }

  private receive(channel: InboundChannel, msg: Message): void {
    if (channel === "stdin") { this.log(`unexpected ${msg.header.msg_type} on stdin: ignored`); return; }
    (msg as Message & { channel?: string }).channel = channel;
    const queue = this.queues[channel];
    queue.items.push({ msg, aborted: channel === "shell" && this.abortsOnArrival(msg) });
    if (!queue.draining) void this.drain(channel);
  }

  /** Handles queued requests one at a time (the protocol orders replies per channel). */
  private async drain(channel: "shell" | "control"): Promise<void> {
    const queue = this.queues[channel];
    queue.draining = true;
    while (queue.items.length) {
      const { msg, aborted } = queue.items.shift()!;
      if (aborted) this.replyAborted(msg);
      else await this.dispatch(channel === "control" ? controlHandlers : shellHandlers, msg);
    }
    queue.draining = false;
  }

  private async dispatch(table: Record<string, Handler>, msg: Message): Promise<void> {
    const handler = table[msg.header.msg_type];
    if (!handler) { this.log(`unknown message type ${msg.header.msg_type}: ignored`); return; }
    this.publish("status", { execution_state: "busy" }, msg);
    try {
      await handler(this, msg);
    } catch (err) {
      if (err instanceof ExitRequested) { await this.exitFromCell(msg, err.code); return; }
      this.log(`${msg.header.msg_type} failed: ${(err as Error).stack ?? err}`);
      const type = msg.header.msg_type.replace(/_request$/, "_reply");
      this.reply(msg, type, { status: "error", ename: (err as Error).name ?? "Error", evalue: String((err as Error).message ?? err), traceback: [] });
    } finally {
      this.publish("status", { execution_state: "idle" }, msg);
      if (!this.languageStarted) setImmediate(() => this.startLanguageService());
      this.scheduleWarmUp();
    }
  }

  private replyAborted(msg: Message): void {
    this.publish("status", { execution_state: "busy" }, msg);
    this.reply(msg, "execute_reply", { status: "aborted", execution_count: this.state.executionCount }, { status: "aborted" });
    this.publish("status", { execution_state: "idle" }, msg);
  }

  /** `process.exit()` in a cell: finish the message exchange, close sockets, exit, so a restart finds it gone. */
  private async exitFromCell(msg: Message | null, code: number): Promise<void> {
    if (msg) this.publish("status", { execution_state: "idle" }, msg);
    this.closing = true;
    await this.language.stop();
    await this.transport.close();
    this.realExit(code);
  }

  private publishComm(msgType: string, content: Record<string, unknown>, buffers: Buffer[] = [], metadata: Record<string, unknown> = {}): void {
    const output = currentOutput() as { parent?: Message } | undefined;
    const parent = output?.parent ?? ({ header: {}, identities: [] } as unknown as Message);
    const msg = this.message(msgType, content, parent, [Buffer.from(`comm-${msgType}`)], metadata);
    msg.buffers = buffers;
    this.transport.send("iopub", msg);
  }

  /** Keeps the kernel alive through SIGINT, late errors and process.exit. */
  private trapProcessEvents(): void {
    process.on("SIGINT", () => this.executorInstance?.interrupt());
    const report = (label: string) => (err: unknown) => {
      if (err instanceof ExitRequested) { void this.exitFromCell(null, err.code); return; }
      const output = currentOutput();
      const { ename, evalue, traceback } = this.executor.describeError(err);
      if (output) output.stream("stderr", `${label}: ${traceback.join("\n")}\n`);
      else this.log(`${label} outside any cell: ${ename}: ${evalue}`);
    };
    process.on("uncaughtException", report("Uncaught exception (in a timer or callback)"));
    process.on("unhandledRejection", report("Unhandled promise rejection"));
    process.exit = ((code?: number) => { throw new ExitRequested(typeof code === "number" ? code : 0); }) as typeof process.exit;
  }
}

/**
 * The moment of a stop_on_error abort, in microseconds: the next tick of the realtime clock (Date.now(), which
 * clients date their requests by), waited for (at most 1 ms, once per failing cell) before the error reply is
 * sent. Requests pipelined behind the failing cell were written before it; the client's next cell, written after
 * it saw the error reply, after it. Being on a millisecond boundary, it separates the two exactly for dates with
 * microseconds (jupyter_client) and with milliseconds only (JavaScript clients) alike; comparing with the
 * moment the error happened could not (both kinds share its millisecond on a fast machine).
 */
function nextMillisecondTick(): number {
  const start = Date.now();
  let t = start;
  while (t === start) t = Date.now();
  return t * 1000;
}

/** Whether a request was written before `us` (a millisecond boundary, see nextMillisecondTick). */
function sentBefore(msg: Message, us: number): boolean {
  const sent = parseDateMicros(msg.header.date);
  return Number.isFinite(sent.us) && sent.us < us;
}
