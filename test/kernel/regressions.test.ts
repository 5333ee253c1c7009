/**
 * Regressions found by driving the kernel with real clients (jupyter_client, jupyter_kernel_test): stop_on_error
 * after a cell that fails at once, is_complete verdicts, dynamic import(), display()'s return value, positions
 * in imported .ts files, `expr?` in history, the comm callback message shape and comm handler errors.
 * Each case talks to a real kernel process over zeromq (flowbook's client, and jupyter_client for stop_on_error).
 */
import { spawnSync } from "child_process";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { after, before, describe, test } from "node:test";
import { KernelClient, RequestResult } from "../../kernel/client";
import type { Message } from "../../kernel/wire";
import { delay, jupyterEnvWithKernel, PYTHON, ROOT, tempDir } from "./helpers";

/** A notebook directory with local .ts files, a CommonJS package and an ESM-only package (top-level await). */
function notebookDir(): string {
  const dir = tempDir("regressions");
  fs.mkdirSync(path.join(dir, "lib"));
  fs.writeFileSync(path.join(dir, "lib", "util.ts"), "export const VALUE: number = 10;\nexport function twice(x: number): number { return x * 2; }\n");
  // The throw is on line 4, column 20; transpiled, `n: number` loses its annotation and the column moves.
  fs.writeFileSync(path.join(dir, "lib", "thrower.ts"), "// line 1\n\nexport function boom(n: number, label: string = 'x'): number {\n  if (n > 0) throw new RangeError(`from file ${n} ${label}`);\n  return n;\n}\n");
  const cjs = path.join(dir, "node_modules", "cjs-pkg");
  fs.mkdirSync(cjs, { recursive: true });
  fs.writeFileSync(path.join(cjs, "package.json"), JSON.stringify({ name: "cjs-pkg", main: "index.js" }));
  fs.writeFileSync(path.join(cjs, "index.js"), "exports.hello = (n) => `hello ${n}`;\n");
  const esm = path.join(dir, "node_modules", "esm-only");
  fs.mkdirSync(esm, { recursive: true });
  fs.writeFileSync(path.join(esm, "package.json"), JSON.stringify({ name: "esm-only", type: "module", exports: { import: "./index.js" } }));
  fs.writeFileSync(path.join(esm, "index.js"), "await Promise.resolve();\nexport const greet = (n) => `hi ${n}`;\nexport default 'esm-default';\n");
  return dir;
}

function resultOf(r: RequestResult): string | undefined {
  return r.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"];
}

function ofType(r: RequestResult, type: string): Message<any>[] {
  return r.outputs.filter((m) => m.header.msg_type === type);
}

describe("regressions found with real clients", () => {
  let k: KernelClient;
  let dir: string;
  before(async () => { dir = notebookDir(); k = await KernelClient.launch({ cwd: dir }); });
  after(async () => { await k.shutdown(); });

  test("stop_on_error aborts requests sent right behind a cell that fails at once (throw, TypeError, syntax error)", async () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      for (const failing of ["throw new Error('sync')", "null.x", "const = 1"]) {
        const replies = await k.executeAll([failing, "globalThis.ranAfterError = true; 1", "2"]);
        assert.deepEqual(replies.map((r) => r.reply.content.status), ["error", "aborted", "aborted"], `${failing}, attempt ${attempt}`);
      }
    }
    // A request written after the error (and the aborted replies) were received runs.
    assert.equal(resultOf(await k.execute("typeof (globalThis as any).ranAfterError")), "'undefined'");
    const tolerant = await k.executeAll(["throw new Error('go on')", "'ran'"], { stop_on_error: false });
    assert.deepEqual(tolerant.map((r) => r.reply.content.status), ["error", "ok"]);
  });

  test("stop_on_error never aborts the cell a client sends the moment it sees the error reply (same millisecond)", async () => {
    // The abort used to compare request dates with the error's millisecond: on a fast machine the client's next
    // cell carried that same millisecond and was aborted (seen as a flaky `keptBefore` check after interrupts).
    for (let i = 0; i < 25; i++) {
      const failed = await k.execute("throw new Error('once')");
      assert.equal(failed.reply.content.status, "error");
      const next = await k.execute(`${i} + 1`);
      assert.equal(next.reply.content.status, "ok", `attempt ${i}: ${JSON.stringify(next.reply.content)}`);
      assert.equal(resultOf(next), String(i + 1));
    }
  });

  test("shutdown_request ends the kernel with exit code 0 every time (zeromq's worker ends by itself, never terminated mid-receive)", async () => {
    // terminate() on the transport worker aborted the process ("terminate called after throwing an instance of
    // 'Napi::Error'", SIGABRT) in about 1 of 15 shutdowns.
    const codes: (number | null)[] = [];
    for (let i = 0; i < 8; i++) {
      const kk = await KernelClient.launch();
      await kk.execute("1");
      codes.push(await kk.shutdown());
    }
    assert.deepEqual(codes, Array(8).fill(0));
  });

  test("is_complete: stray closers and bad tokens are invalid, open constructs incomplete, cell magics stripped", async () => {
    const cases: [string, string][] = [
      ["}", "invalid"], ["let 1x = 2", "invalid"], [")", "invalid"], ["let a = (]", "invalid"], ["@@@", "invalid"],
      ["const = ;", "invalid"], ["a b c", "invalid"], ["'unterminated", "invalid"],
      ["for (;;", "incomplete"], ["1 +", "incomplete"], ["function f() {", "incomplete"], ["const a = [1,", "incomplete"],
      ["`abc ${x", "incomplete"], ["/* comment", "incomplete"], ["if (x)", "incomplete"], ["try {\n  f();\n}", "incomplete"],
      ["%%typecheck\nconst x: number = 1", "complete"], ["const x = 1", "complete"], ["Math.max?", "complete"], ["// note", "complete"],
    ];
    for (const [code, status] of cases) {
      const r = await k.request("shell", "is_complete_request", { code });
      assert.equal(r.reply.content.status, status, JSON.stringify(code));
      if (status === "incomplete") assert.equal(typeof r.reply.content.indent, "string");
    }
    const indented = await k.request("shell", "is_complete_request", { code: "function f() {" });
    assert.equal(indented.reply.content.indent, "  ");
  });

  test("dynamic import() resolves like static imports: node:, relative .ts, CommonJS, ESM-only, flowbook", async () => {
    assert.equal(resultOf(await k.execute('const p = await import("node:path"); p.join("a", "b")')), "'a/b'");
    assert.equal(resultOf(await k.execute('const u = await import("./lib/util"); u.twice(u.VALUE)')), "20");
    assert.equal(resultOf(await k.execute('const c = await import("cjs-pkg"); [c.hello(1), c.default.hello(2)]')), "[ 'hello 1', 'hello 2' ]");
    assert.equal(resultOf(await k.execute('const e = await import("esm-only"); [e.greet(3), e.default]')), "[ 'hi 3', 'esm-default' ]");
    assert.equal(resultOf(await k.execute('const fb = await import("flowbook"); fb.tensor === flow.tensor')), "true");
    // Inside a function defined in one cell and called in a later one, and without await.
    await k.execute('async function loadLater() { return (await import("cjs-pkg")).hello("later"); }');
    assert.equal(resultOf(await k.execute("await loadLater()")), "'hello later'");
    assert.equal(resultOf(await k.execute('import("node:os").then((os) => typeof os.cpus)')), "'function'");
    const missing = await k.execute('await import("no-such-package-zz")');
    assert.match(missing.reply.content.evalue, /Cannot find module 'no-such-package-zz'/);
  });

  test("display() returns nothing (no extra execute_result) unless a display id asks for a handle", async () => {
    const plain = await k.execute("display(1)");
    assert.equal(ofType(plain, "display_data").length, 1);
    assert.equal(ofType(plain, "execute_result").length, 0);
    const handle = await k.execute("const h = display(md('a'), { displayId: true }); h.update(md('b')); h.displayId");
    const shown = ofType(handle, "display_data")[0];
    const id = shown.content.transient.display_id;
    assert.match(id, /^flowbook-/);
    assert.equal(ofType(handle, "update_display_data")[0].content.transient.display_id, id);
    assert.equal(resultOf(handle), `'${id}'`);
    const named = await k.execute("display(html('<b>one</b>'), { displayId: 'named' }); updateDisplay('named', html('<b>two</b>'));");
    assert.equal(ofType(named, "display_data")[0].content.transient.display_id, "named");
    assert.equal(ofType(named, "update_display_data")[0].content.data["text/html"], "<b>two</b>");
    assert.match(resultOf(await k.execute("display(1, { displayId: 'shown' })"))!, /<DisplayHandle display_id=shown>/);
  });

  test("an error thrown in an imported .ts file reports that file's own line and column", async () => {
    const r = await k.execute("import { boom } from './lib/thrower';\nboom(1)");
    assert.equal(r.reply.content.ename, "RangeError");
    const traceback = r.reply.content.traceback.join("\n");
    assert.match(traceback, /lib\/thrower\.ts:4:20\b/, traceback);
    assert.match(traceback, /cell\[\d+\]:2:1\b/, traceback);
  });

  test("`expr?` is stored in history like any executed input", async () => {
    await k.execute("const inspected = 1;");
    const page = await k.execute("inspected?");
    const count = page.reply.content.execution_count;
    const tail = await k.request("shell", "history_request", { hist_access_type: "tail", n: 1, output: false, raw: true });
    assert.deepEqual(tail.reply.content.history, [[1, count, "inspected?"]]);
  });

  test("comm callbacks get the Jupyter message shape; comm.commId; handler errors go to iopub stderr, not a reply", async () => {
    await k.execute(`comm.registerTarget("shape", (c, msg) => {
      c.send({ commId: c.commId, sameId: c.commId === c.id && msg.content.comm_id === c.id, data: msg.content.data, short: msg.data,
               metadata: msg.metadata, buffers: msg.buffers.map((b) => b.toString()), type: msg.header.msg_type });
      c.onMsg((m) => { if (m.content.data.fail) throw new Error("listener failed"); c.send({ echoed: m.content.data, short: m.data }); });
    });
    comm.registerTarget("broken", () => { throw new TypeError("target failed"); });`);
    const open = k.message("comm_open", { comm_id: "shape-1", target_name: "shape", data: { hello: 1 } }, { tag: "m" });
    open.buffers = [Buffer.from("bin")];
    k.sendOn("shell", open);
    await delay(300);
    const sent = () => k.iopubLog.filter((m) => m.header.msg_type === "comm_msg").map((m) => m.content as any);
    assert.deepEqual(sent().at(-1).data, { commId: "shape-1", sameId: true, data: { hello: 1 }, short: { hello: 1 }, metadata: { tag: "m" }, buffers: ["bin"], type: "comm_open" });
    k.sendOn("shell", k.message("comm_msg", { comm_id: "shape-1", data: { ping: 2 } }));
    await delay(300);
    assert.deepEqual(sent().at(-1).data, { echoed: { ping: 2 }, short: { ping: 2 } });

    const stderrOf = (parent: Message) => k.iopubLog.filter((m) => (m.parent_header as any).msg_id === parent.header.msg_id && m.header.msg_type === "stream").map((m) => (m.content as any).text).join("");
    const failingMsg = k.message("comm_msg", { comm_id: "shape-1", data: { fail: true } });
    k.sendOn("shell", failingMsg);
    const broken = k.message("comm_open", { comm_id: "broken-1", target_name: "broken", data: {} });
    k.sendOn("shell", broken);
    await delay(400);
    assert.match(stderrOf(failingMsg), /Error\S*: listener failed/);
    assert.match(stderrOf(broken), /TypeError[^\n]*: target failed/);
    // The failed open is closed, as ipykernel does, and comm messages get no shell reply.
    assert.ok(k.iopubLog.some((m) => m.header.msg_type === "comm_close" && (m.content as any).comm_id === "broken-1"));
    const ids = new Set([open, failingMsg, broken].map((m) => m.header.msg_id));
    assert.equal(k.replyLog.filter((m) => ids.has((m.parent_header as any).msg_id)).length, 0);
    assert.equal(resultOf(await k.execute("'alive'")), "'alive'");
  });
});

test("jupyter_client: stop_on_error aborts the requests queued behind a cell that fails at once", () => {
  const script = path.join(ROOT, "test", "kernel", "fixtures", "stop_on_error.py");
  const r = spawnSync(PYTHON, [script], { env: jupyterEnvWithKernel(), encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const results = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { code: string; statuses: string[] }[];
  assert.ok(results.length >= 9);
  for (const { code, statuses } of results) {
    if (code === "after") assert.deepEqual(statuses, ["ok"]);
    else assert.deepEqual(statuses, ["error", "aborted", "aborted"], code);
  }
});
