/**
 * Protocol cases no off-the-shelf client covers, through flowbook's own zeromq client against a real kernel
 * process: signatures, heartbeat while busy, interrupts, stdin, ordering, late errors, abort on error, comms,
 * shutdown and restart, imports of local and ESM-only modules, %%typecheck.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { after, before, describe, test } from "node:test";
import { KernelClient } from "../../kernel/client";
import { encode, Signer } from "../../kernel/wire";
import { delay, tempDir } from "./helpers";

/** A notebook directory with a local .ts module, an ESM-only package and a strict tsconfig.json. */
function notebookDir(): string {
  const dir = tempDir("notebook");
  fs.writeFileSync(path.join(dir, "helper.ts"), "export const answer: number = 41;\n");
  const pkg = path.join(dir, "node_modules", "esm-only-pkg");
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "esm-only-pkg", type: "module", exports: { import: "./index.js" } }));
  fs.writeFileSync(path.join(pkg, "index.js"), "await Promise.resolve();\nexport const greet = (n) => `hi ${n}`;\nexport default 'esm-default';\n");
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true } }));
  return dir;
}

function text(outputs: { header: { msg_type: string }; content: any }[], type = "stream"): string {
  return outputs.filter((m) => m.header.msg_type === type).map((m) => m.content.text ?? m.content.data?.["text/plain"] ?? "").join("");
}

function resultOf(r: { outputs: { header: { msg_type: string }; content: any }[] }): string | undefined {
  return r.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"];
}

describe("flowbook kernel over zeromq", () => {
  let k: KernelClient;
  let dir: string;
  before(async () => { dir = notebookDir(); k = await KernelClient.launch({ cwd: dir }); });
  after(async () => { await k.shutdown(); });

  test("a message with a bad signature is dropped, never executed", async () => {
    const forged = k.message("execute_request", { code: "globalThis.forgedRan = true", silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    void k.shell.send(encode(forged, new Signer("not-the-key")) as Buffer[]);
    await delay(200);
    const r = await k.execute("typeof (globalThis as any).forgedRan");
    assert.equal(resultOf(r), "'undefined'");
    assert.match(k.stderr, /invalid HMAC signature/);
  });

  test("declarations persist and can be redeclared; `;` hides the value; Promises are awaited", async () => {
    await k.execute("const a = [1];\nclass Point { constructor(public x = 1) {} }");
    assert.equal(resultOf(await k.execute("a.length")), "1");
    assert.equal(resultOf(await k.execute("const a = 'now a string'; a")), "'now a string'");
    assert.equal(resultOf(await k.execute("class Point { y = 2 }; new Point().y")), "2");
    assert.equal(resultOf(await k.execute("42;")), undefined);
    assert.equal(resultOf(await k.execute("new Promise((r) => setTimeout(() => r('later'), 5))")), "'later'");
    assert.equal(resultOf(await k.execute("const v = await Promise.resolve(7); v * 6")), "42");
  });

  test("execution_count increments for stored cells only; silent cells publish no execute_input", async () => {
    const first = (await k.execute("1")).reply.content.execution_count;
    const silent = await k.execute("2", { silent: true });
    assert.ok(!silent.outputs.some((m) => m.header.msg_type === "execute_input"));
    const second = (await k.execute("3")).reply.content.execution_count;
    assert.equal(second, first + 1);
  });

  test("heartbeat answers and interrupt_request stops `while (true) {}`, keeping variables", async () => {
    await k.execute("let keptBefore = 'still here'");
    const busy = k.execute("while (true) {}");
    await delay(300);
    assert.ok((await k.heartbeat()) < 1000);
    const interrupt = await k.request("control", "interrupt_request", {});
    assert.equal(interrupt.reply.content.status, "ok");
    const r = await busy;
    assert.equal(r.reply.content.status, "error");
    assert.equal(r.reply.content.ename, "KeyboardInterrupt");
    assert.equal(resultOf(await k.execute("keptBefore")), "'still here'");
  });

  test("interrupt stops a never-resolving await; SIGINT stops a busy loop", async () => {
    // Interrupt only once the cell runs (its execute_input is out): on a loaded machine 200 ms was not enough.
    const started = async (code: string) => { while (!k.iopubLog.some((m) => m.header.msg_type === "execute_input" && (m.content as any).code === code)) await delay(20); await delay(100); };
    const hanging = k.execute("await new Promise(() => {})");
    await started("await new Promise(() => {})");
    await k.request("control", "interrupt_request", {});
    assert.equal((await hanging).reply.content.ename, "KeyboardInterrupt");
    const busy = k.execute("for (;;) {}");
    await started("for (;;) {}");
    k.process!.kill("SIGINT");
    assert.equal((await busy).reply.content.ename, "KeyboardInterrupt");
    const kept = await k.execute("keptBefore");
    assert.equal(resultOf(kept), "'still here'", `after the interrupt: ${JSON.stringify(kept.reply.content)} ${JSON.stringify(kept.outputs.map((m) => [m.header.msg_type, m.content]))}`);
  });

  test("stdin round trip with input() and prompt(); allow_stdin false gives a clear error", async () => {
    const prompts: string[] = [];
    k.onInput = (p) => { prompts.push(p); return p.startsWith("name") ? "Ada" : "42"; };
    assert.equal(resultOf(await k.execute('const who = await input("name? "); `hello ${who}`')), "'hello Ada'");
    assert.equal(resultOf(await k.execute('Number(prompt("number?")) + 1')), "43");
    assert.deepEqual(prompts, ["name? ", "number?"]);
    const denied = await k.execute('await input("x")', { allow_stdin: false });
    assert.equal(denied.reply.content.status, "error");
    assert.match(denied.reply.content.evalue, /allow_stdin: false/);
  });

  test("50 rapid executions are answered in order", async () => {
    const runs = Array.from({ length: 50 }, (_, i) => k.execute(`${i} * 2`));
    const results = await Promise.all(runs);
    assert.deepEqual(results.map(resultOf), Array.from({ length: 50 }, (_, i) => String(i * 2)));
    const counts = results.map((r) => r.reply.content.execution_count);
    assert.deepEqual(counts, [...counts].sort((x, y) => x - y));
  });

  test("an exception inside a timer is reported on the starting cell's stderr and the kernel lives on", async () => {
    const r = await k.execute("setTimeout(() => { throw new Error('timer boom'); }, 20); 'scheduled'");
    await delay(300);
    const parentId = r.reply.parent_header.msg_id;
    const late = k.iopubLog.filter((m) => (m.parent_header as any).msg_id === parentId && m.header.msg_type === "stream");
    assert.match(late.map((m) => (m.content as any).text).join(""), /timer boom/);
    assert.equal(resultOf(await k.execute("'alive'")), "'alive'");
  });

  test("errors map to the cell's own line and column", async () => {
    const r = await k.execute("const q: number = 1;\n\n  throw new Error('where');");
    assert.equal(r.reply.content.ename, "Error");
    assert.match(r.reply.content.traceback.join("\n"), /cell\[\d+\]:3:9/);
  });

  test("stop_on_error aborts queued executions; stop_on_error false keeps them", async () => {
    const failing = k.execute("await new Promise((r) => setTimeout(r, 100)); throw new Error('stop')");
    const queued = k.execute("'should not run'");
    assert.equal((await failing).reply.content.status, "error");
    assert.equal((await queued).reply.content.status, "aborted");
    const tolerant = k.execute("await new Promise((r) => setTimeout(r, 100)); throw new Error('go on')", { stop_on_error: false });
    const next = k.execute("'ran'");
    assert.equal((await tolerant).reply.content.status, "error");
    assert.equal(resultOf(await next), "'ran'");
  });

  test("stdout, stderr and rich display messages", async () => {
    const r = await k.execute("console.log('out'); console.warn('err'); process.stdout.write('raw\\n'); display(html('<i>x</i>'), { displayId: 'd1' }); updateDisplay('d1', md('*y*')); clearOutput({ wait: true })");
    const types = r.outputs.map((m) => m.header.msg_type);
    assert.ok(types.includes("display_data") && types.includes("update_display_data") && types.includes("clear_output"), types.join());
    assert.match(text(r.outputs), /out\n[\s\S]*raw/);
    assert.equal(r.outputs.find((m) => m.header.msg_type === "update_display_data")!.content.transient.display_id, "d1");
    const custom = await k.execute("({ [Symbol.for('Jupyter.display')]: async () => ({ 'text/html': '<b>custom</b>' }) })");
    assert.equal(custom.outputs.find((m) => m.header.msg_type === "execute_result")!.content.data["text/html"], "<b>custom</b>");
  });

  test("imports: node builtins, flowbook, a local .ts file (edits picked up), an ESM-only package", async () => {
    assert.equal(resultOf(await k.execute("import { join } from 'node:path'; join('a', 'b')")), "'a/b'");
    assert.equal(resultOf(await k.execute("import * as fb from 'flowbook'; fb.version === flow.version")), "true");
    assert.equal(resultOf(await k.execute("import { answer } from './helper'; answer")), "41");
    fs.writeFileSync(path.join(dir, "helper.ts"), "export const answer: number = 42; // edited\n");
    assert.equal(resultOf(await k.execute("import { answer } from './helper'; answer")), "42");
    assert.equal(resultOf(await k.execute("import esm, { greet } from 'esm-only-pkg'; [esm, greet('x')]")), "[ 'esm-default', 'hi x' ]");
  });

  test("%%typecheck reports type errors against tsconfig.json and runs clean cells", async () => {
    const bad = await k.execute("%%typecheck\nconst n: number = 'text';");
    assert.equal(bad.reply.content.ename, "TypeCheckError");
    assert.match(bad.reply.content.traceback.join("\n"), /2:7 - error TS2322/);
    assert.equal(resultOf(await k.execute("%%typecheck\nconst m: number = 2;\nm + 1")), "3");
  });

  test("completion and inspection see executed cells and the flowbook API", async () => {
    await k.execute("const numbers = [1, 2, 3];");
    const c = await k.request("shell", "complete_request", { code: "numbers.pu", cursor_pos: 10 });
    assert.deepEqual(c.reply.content.matches, ["push"]);
    assert.equal(c.reply.content.cursor_start, 8);
    assert.equal(c.reply.content.cursor_end, 10);
    const f = await k.request("shell", "complete_request", { code: "flow.vers", cursor_pos: 9 });
    assert.ok(f.reply.content.matches.includes("version"));
    const i = await k.request("shell", "inspect_request", { code: "numbers", cursor_pos: 3, detail_level: 0 });
    assert.match(i.reply.content.data["text/plain"], /const numbers: number\[\]/);
    const page = await k.execute("numbers?");
    assert.equal(page.reply.content.payload[0].source, "page");
  });

  test("comms in both directions, and comm_info", async () => {
    await k.execute("comm.registerTarget('echo', (c, msg) => { c.onMsg((m) => c.send({ echoed: m.data })); c.send({ opened: msg.data }); });");
    const open = k.message("comm_open", { comm_id: "c-1", target_name: "echo", data: { hello: 1 } });
    k.sendOn("shell", open);
    await delay(100);
    const msg = k.message("comm_msg", { comm_id: "c-1", data: { ping: true } });
    k.sendOn("shell", msg);
    await delay(100);
    const commMsgs = k.iopubLog.filter((m) => m.header.msg_type === "comm_msg").map((m) => (m.content as any).data);
    assert.deepEqual(commMsgs.slice(-2), [{ opened: { hello: 1 } }, { echoed: { ping: true } }]);
    const info = await k.request("shell", "comm_info_request", { target_name: "echo" });
    assert.deepEqual(info.reply.content.comms["c-1"], { target_name: "echo" });
    const fromKernel = await k.execute("const c2 = comm.open('frontend-target', { x: 1 }); c2.id");
    assert.ok(fromKernel.outputs.some((m) => m.header.msg_type === "comm_open" && m.content.target_name === "frontend-target"));
  });
});

describe("kernel lifetime", () => {
  test("shutdown_request with restart false and true: reply echoes it, the process exits 0", async () => {
    for (const restart of [false, true]) {
      const k = await KernelClient.launch();
      const exited = k.exitPromise();
      const r = await Promise.race([k.request("control", "shutdown_request", { restart }), delay(5000).then(() => null)]);
      assert.equal(r?.reply.content.restart, restart);
      assert.equal(await exited, 0);
      k.close();
    }
  });

  test("ipc transport and an empty key (unsigned messages) work", async () => {
    const k = await KernelClient.launch({ transport: "ipc", key: "" });
    assert.equal(resultOf(await k.execute("'over ipc'")), "'over ipc'");
    assert.ok((await k.heartbeat()) < 1000);
    assert.equal(await k.shutdown(), 0);
  });

  test("process.exit in a cell ends the kernel cleanly", async () => {
    const k = await KernelClient.launch();
    const exited = k.exitPromise();
    void k.execute("process.exit(0)");
    assert.equal(await exited, 0);
    k.close();
  });
});
