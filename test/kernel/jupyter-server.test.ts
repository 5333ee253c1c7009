/**
 * @jupyterlab/services (what JupyterLab itself uses) against a real Jupyter Server started here on a free loopback
 * port with a token: start a flowbook kernel by kernelspec name, execute, complete, inspect, interrupt, restart,
 * shut down.
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { freePorts } from "../../kernel/client";
import { delay, jupyterEnvWithKernel, PYTHON, tempDir } from "./helpers";

// Loaded with require: its types expect the DOM lib, which the project does not compile against.
const services = require("@jupyterlab/services");

async function startServer(): Promise<{ server: ChildProcess; baseUrl: string; token: string; log: () => string }> {
  const [port] = await freePorts(1);
  const token = randomBytes(12).toString("hex");
  const root = tempDir("server-root");
  const server = spawn(PYTHON, ["-m", "jupyter_server", "--no-browser", "--allow-root", "--ip=127.0.0.1", `--port=${port}`, `--ServerApp.token=${token}`, `--ServerApp.root_dir=${root}`, "--ServerApp.port_retries=0"],
    { cwd: root, env: jupyterEnvWithKernel(), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  server.stdout!.on("data", (d) => (output += d));
  server.stderr!.on("data", (d) => (output += d));
  const baseUrl = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 150; i++) {
    if (server.exitCode !== null) throw new Error(`jupyter_server exited: ${output}`);
    try {
      const r = await fetch(`${baseUrl}api/kernelspecs?token=${token}`);
      if (r.ok) return { server, baseUrl, token, log: () => output };
    } catch { /* not up yet */ }
    await delay(200);
  }
  throw new Error(`jupyter_server did not start: ${output}`);
}

/** Runs code through a kernel connection; resolves with the reply content and the iopub messages. */
async function run(kernel: any, code: string): Promise<{ reply: any; iopub: any[] }> {
  const future = kernel.requestExecute({ code });
  const iopub: any[] = [];
  future.onIOPub = (msg: any) => { iopub.push(msg); };
  const reply = await future.done;
  return { reply: reply.content, iopub };
}

function result(iopub: any[]): string | undefined {
  return iopub.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"];
}

describe("JupyterLab services through Jupyter Server", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let manager: any;
  before(async () => {
    server = await startServer();
    const serverSettings = services.ServerConnection.makeSettings({
      baseUrl: server.baseUrl, wsUrl: server.baseUrl.replace("http", "ws"), token: server.token, WebSocket, fetch,
    });
    manager = new services.KernelManager({ serverSettings });
    await manager.ready;
  });
  after(async () => {
    manager?.dispose();
    server?.server.kill("SIGTERM");
    await delay(300);
    if (server?.server.exitCode === null) server.server.kill("SIGKILL");
  });

  test("the server lists the flowbook kernelspec", async () => {
    const r = await fetch(`${server.baseUrl}api/kernelspecs?token=${server.token}`);
    const specs = await r.json() as any;
    assert.equal(specs.kernelspecs.flowbook.spec.display_name, "TypeScript (flowbook)");
  });

  test("start, execute, complete, inspect, interrupt, restart, shut down", async () => {
    const kernel = await manager.startNew({ name: "flowbook" });
    try {
      const info = await kernel.info;
      assert.equal(info.language_info.name, "typescript");

      const first = await run(kernel, "const greeting: string = 'hello'; greeting.toUpperCase()");
      assert.equal(first.reply.status, "ok");
      assert.equal(result(first.iopub), "'HELLO'");

      const completion = await kernel.requestComplete({ code: "greeting.toLow", cursor_pos: 14 });
      assert.deepEqual(completion.content.matches, ["toLowerCase"]);
      const inspection = await kernel.requestInspect({ code: "greeting", cursor_pos: 2, detail_level: 0 });
      assert.match(inspection.content.data["text/plain"], /greeting: string/);

      const busy = run(kernel, "while (true) {}");
      await delay(300);
      await kernel.interrupt();
      const interrupted = await busy;
      assert.equal(interrupted.reply.status, "error");
      assert.equal(interrupted.reply.ename, "KeyboardInterrupt");
      assert.equal(result((await run(kernel, "greeting")).iopub), "'hello'");

      await kernel.restart();
      const afterRestart = await run(kernel, "typeof (globalThis as any).greeting");
      assert.equal(result(afterRestart.iopub), "'undefined'");
    } finally {
      await kernel.shutdown();
    }
    const running = await (await fetch(`${server.baseUrl}api/kernels?token=${server.token}`)).json() as any[];
    assert.equal(running.length, 0);
  });
});
