/**
 * execute_request, protocol side: count, announce execute_input, handle kernel syntax (`expr?` pager,
 * `%%typecheck`), run through the Executor, publish the result or the error, reply. No code runs here.
 */
import { formatNow } from "../src/display/format";
import type { ExecuteOutcome } from "./executor";
import type { KernelServices } from "./handlers";
import type { Inspection } from "./language-service/protocol";
import type { Message } from "./wire";
import { WireCellOutput } from "./wire-output";

/** execute_request content. */
export interface ExecuteRequest {
  code: string; silent?: boolean; store_history?: boolean; allow_stdin?: boolean; stop_on_error?: boolean;
  user_expressions?: Record<string, string>;
}

const PAGER_REQUEST = /^\s*([\p{L}_$][\p{L}\p{N}_$.]*)\s*\?\s*$/u;
const TYPECHECK_MAGIC = /^\s*%%typecheck[^\n]*(\n|$)/;

/** Handles one execute_request end to end. */
export async function executeRequest(k: KernelServices, msg: Message<ExecuteRequest>): Promise<void> {
  const { code, silent = false, allow_stdin = true, stop_on_error = true } = msg.content;
  const storeHistory = !silent && (msg.content.store_history ?? true);
  if (storeHistory) k.state.executionCount++;
  const count = k.state.executionCount;
  if (!silent) k.publish("execute_input", { code, execution_count: count }, msg);
  const output = new WireCellOutput(k, msg, allow_stdin);
  output.executionCount = count;

  const pager = PAGER_REQUEST.exec(code);
  if (pager) {
    // Stored like IPython stores `expr?`: the raw input, no output.
    if (storeHistory) k.history.add(count, code, null);
    return replyWithPage(k, msg, count, await k.language.inspect(pager[1], pager[1].length));
  }

  let outcome: ExecuteOutcome;
  const typeErrors = TYPECHECK_MAGIC.test(code) ? await typecheck(k, code) : null;
  if (typeErrors) outcome = typeErrors;
  else outcome = await k.executor.execute(code.replace(TYPECHECK_MAGIC, (m) => "\n".repeat(m.endsWith("\n") ? 1 : 0)), output);

  let resultText: string | null = null;
  if (outcome.status === "ok" && outcome.hasValue && !silent) {
    try {
      const bundle = await formatNow(outcome.value);
      resultText = String(bundle["text/plain"] ?? "");
      output.result(bundle);
    } catch (err) {
      outcome = { status: "error", ...k.executor.describeError(err) };
    }
  }
  output.flush();
  if (storeHistory) k.history.add(count, code, resultText);
  if (outcome.status === "ok") {
    k.language.addCell(code.replace(TYPECHECK_MAGIC, ""));
    k.reply(msg, "execute_reply", { status: "ok", execution_count: count, payload: [], user_expressions: {} });
    return;
  }
  const { ename, evalue, traceback } = outcome;
  // As ipykernel: a failing silent request does not abort the queue. Before the reply goes out: the abort's
  // moment must precede any request the client writes after seeing the error.
  if (stop_on_error && !silent) k.abortQueuedExecutions();
  k.publish("error", { ename, evalue, traceback }, msg);
  k.reply(msg, "execute_reply", { status: "error", execution_count: count, ename, evalue, traceback }, { status: "error", engine: k.state.session });
}

/** `expr?`: the signature and docs in the pager, as IPython does. */
function replyWithPage(k: KernelServices, msg: Message, count: number, info: Inspection): void {
  const text = info.found ? info.plain : `Object \`${msg.content.code.trim().replace(/\?$/, "")}\` not found.`;
  const payload = [{ source: "page", data: { "text/plain": text, ...(info.found ? { "text/markdown": info.markdown } : {}) }, start: 0 }];
  k.reply(msg, "execute_reply", { status: "ok", execution_count: count, payload, user_expressions: {} });
}

/** `%%typecheck`: type errors stop the cell with `line:col - message` lines; a clean cell then runs. */
async function typecheck(k: KernelServices, code: string): Promise<ExecuteOutcome | null> {
  const diagnostics = await k.language.typecheck(code);
  if (diagnostics.length === 0) return null;
  const lines = diagnostics.map((d) => `${d.line}:${d.column} - error TS${d.code}: ${d.message}`);
  return { status: "error", ename: "TypeCheckError", evalue: `${diagnostics.length} type error(s)`, traceback: ["TypeCheckError: the cell has type errors (it was not run)", ...lines] };
}
