/**
 * The message-type → handler table (ipykernel's `shell_handlers`). Control accepts every shell type plus its own.
 * Handlers talk to the kernel only through `KernelServices`.
 */
import { typescriptVersion } from "./typescript";
import { cellScope } from "./cell-output";
import type { CommJupyterMessage, CommManager } from "./comms";
import type { Executor } from "./executor";
import type { History, HistoryQuery } from "./history";
import type { LanguageClient } from "./language-service/client";
import { codePointsToUtf16, utf16ToCodePoints } from "./unicode";
import { PROTOCOL_VERSION, type Message } from "./wire";

/** What handlers may use. */
export interface KernelServices {
  readonly state: { executionCount: number; session: string };
  readonly executor: Executor;
  readonly language: LanguageClient;
  readonly history: History;
  readonly comms: CommManager;
  readonly shared: SharedArrayBuffer;
  /** Replies on the channel the request came from. */
  reply(request: Message, msgType: string, content: object, metadata?: object): void;
  /** Broadcasts on iopub with `parent` as parent header. */
  publish(msgType: string, content: object, parent: Message): void;
  /** Sends on stdin to the client that sent `parent`. */
  sendStdin(msgType: string, content: object, parent: Message): void;
  /** Marks queued execute_requests aborted (after an error with stop_on_error). */
  abortQueuedExecutions(): void;
  /** Ends the kernel process after replying. */
  shutdown(restart: boolean): Promise<void>;
}

/** A handler of one request type. */
export type Handler = (k: KernelServices, msg: Message<any>) => void | Promise<void>;

const VERSION = "0.1.0";

/** kernel_info_reply content. */
export function kernelInfo(): object {
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "flowbook",
    implementation_version: VERSION,
    language_info: {
      name: "typescript",
      version: typescriptVersion(),
      mimetype: "text/typescript",
      file_extension: ".ts",
      codemirror_mode: { name: "javascript", typescript: true },
      pygments_lexer: "typescript",
    },
    banner: `flowbook ${VERSION}: TypeScript on Node.js ${process.version}, with the flowbook deep-learning API as \`flow\``,
    help_links: [
      { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
      { text: "Node.js API", url: `https://nodejs.org/docs/${process.version}/api/` },
    ],
    debugger: false,
  };
}

async function completeRequest(k: KernelServices, msg: Message<{ code: string; cursor_pos: number }>): Promise<void> {
  const { code, cursor_pos } = msg.content;
  const cursor = codePointsToUtf16(code, cursor_pos ?? code.length);
  const c = await k.language.complete(code, cursor);
  const start = utf16ToCodePoints(code, c.start);
  const end = utf16ToCodePoints(code, c.end);
  const types = c.types.map((t) => ({ start, end, text: t.text, type: t.type }));
  k.reply(msg, "complete_reply", { status: "ok", matches: c.matches, cursor_start: start, cursor_end: end, metadata: { _jupyter_types_experimental: types } });
}

async function inspectRequest(k: KernelServices, msg: Message<{ code: string; cursor_pos: number }>): Promise<void> {
  const { code, cursor_pos } = msg.content;
  const info = await k.language.inspect(code, codePointsToUtf16(code, cursor_pos ?? code.length));
  const data = info.found ? { "text/plain": info.plain, "text/markdown": info.markdown } : {};
  k.reply(msg, "inspect_reply", { status: "ok", found: info.found, data, metadata: {} });
}

/**
 * Runs a comm handler as ipykernel does: with the comm message as the parent of its output (console.log and
 * display inside a callback land there), and an exception reported on iopub (stderr, with the traceback) rather
 * than as a reply: comm messages have none.
 */
async function runCommHandler(k: KernelServices, msg: Message, handle: (m: CommJupyterMessage) => Promise<string | null | void>): Promise<void> {
  const { WireCellOutput } = require("./wire-output") as typeof import("./wire-output");
  const output = new WireCellOutput(k, msg, false);
  try {
    const problem = await cellScope.run(output, () => handle(msg as unknown as CommJupyterMessage));
    if (problem) output.stream("stderr", `${problem}\n`);
  } catch (err) {
    const { traceback } = k.executor.describeError(err);
    output.stream("stderr", `Exception in ${msg.header.msg_type} handler of comm ${(msg.content as { comm_id?: string }).comm_id}:\n${traceback.join("\n")}\n`);
  } finally {
    output.flush();
  }
}

// Loaded with the first request that needs them: the first kernel_info_reply needs neither.
const executeRequest: Handler = (k, msg) => (require("./execute-request") as typeof import("./execute-request")).executeRequest(k, msg);
const isComplete = (code: string) => (require("./is-complete") as typeof import("./is-complete")).isComplete(code);

/** Handlers of shell messages. */
export const shellHandlers: Record<string, Handler> = {
  execute_request: executeRequest,
  kernel_info_request: (k, msg) => k.reply(msg, "kernel_info_reply", kernelInfo()),
  complete_request: completeRequest,
  inspect_request: inspectRequest,
  is_complete_request: (k, msg) => k.reply(msg, "is_complete_reply", isComplete(msg.content.code)),
  history_request: (k, msg) => k.reply(msg, "history_reply", { status: "ok", history: k.history.query(msg.content as HistoryQuery) }),
  comm_info_request: (k, msg) => k.reply(msg, "comm_info_reply", { status: "ok", comms: k.comms.info(msg.content.target_name) }),
  comm_open: (k, msg) => runCommHandler(k, msg, (m) => k.comms.handleOpen(m)),
  comm_msg: (k, msg) => runCommHandler(k, msg, (m) => k.comms.handleMessage(m)),
  comm_close: (k, msg) => runCommHandler(k, msg, (m) => k.comms.handleClose(m)),
  shutdown_request: shutdownRequest,
};

function shutdownRequest(k: KernelServices, msg: Message<{ restart?: boolean }>): void {
  const restart = !!msg.content.restart;
  k.reply(msg, "shutdown_reply", { status: "ok", restart });
  k.publish("shutdown_reply", { status: "ok", restart }, msg);
  // Exit after the dispatcher has published idle for this request.
  setImmediate(() => void k.shutdown(restart));
}

/** Handlers of control messages: every shell type, plus control-only ones (interrupt_request is answered by the transport worker). */
export const controlHandlers: Record<string, Handler> = {
  ...shellHandlers,
  debug_request: (k, msg) => k.reply(msg, "debug_reply", { status: "error", ename: "NotImplemented", evalue: "flowbook has no debugger yet", traceback: [] }),
};
