/**
 * A small Jupyter client over zeromq: launches a kernel (flowbook's or any kernelspec argv), and sends requests,
 * collecting replies and iopub output per request. Used by run-notebook, the tests and the bench.
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes, randomUUID } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";
import type { ConnectionInfo } from "./connection";
import { endpoint } from "./connection";
import { decode, encode, Message, newHeader, Signer } from "./wire";

/** Everything a request produced: its reply and the iopub messages with it as parent (busy/idle excluded). */
export interface RequestResult { reply: Message; outputs: Message[] }

/** Options of {@link KernelClient.launch}. */
export interface LaunchOptions {
  /** Command line; `{connection_file}` is replaced. Default: this flowbook's kernel. */
  argv?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** HMAC key; default a random one ("" = unsigned). */
  key?: string;
  /** zeromq transport (default tcp on loopback). */
  transport?: "tcp" | "ipc";
  /** Forward the kernel's stderr to ours (default false: kept in `stderr`). */
  inheritStderr?: boolean;
}

/** Default argv: flowbook's kernel with the current Node. */
export function flowbookKernelArgv(): string[] {
  return [process.execPath, path.resolve(__dirname, "..", "..", "bin", "flowbook.js"), "kernel", "{connection_file}"];
}

interface Pending { reply?: Message; outputs: Message[]; idle: boolean; resolve: (r: RequestResult) => void; expectIdle: boolean }

/** A connected client; create with `launch`. */
export class KernelClient {
  readonly session = randomUUID();
  readonly signer: Signer;
  // A short reconnect interval: the kernel binds a moment after it is spawned, and zeromq's default 100 ms
  // retry would dominate the measured start time (the bench uses this client for both kernels alike).
  readonly shell = new zmq.Dealer({ reconnectInterval: 10 });
  readonly control = new zmq.Dealer({ reconnectInterval: 10 });
  readonly stdin = new zmq.Dealer({ reconnectInterval: 10 });
  readonly iopub = new zmq.Subscriber({ reconnectInterval: 10 });
  readonly hb = new zmq.Request({ receiveTimeout: 1000, reconnectInterval: 10 });
  /** Every iopub message received, in order. */
  readonly iopubLog: Message[] = [];
  /** Every shell and control reply received, in order. */
  readonly replyLog: Message[] = [];
  /** Milliseconds from spawning the kernel to its first kernel_info_reply (set by `launch`). */
  startupMs = NaN;
  /** Kernel stderr (when not inherited). */
  stderr = "";
  /** Answers input_request; default: reject. */
  onInput: (prompt: string, password: boolean) => string = () => { throw new Error("kernel asked for input and no onInput is set"); };
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  process: ChildProcess | null = null;

  private constructor(readonly info: ConnectionInfo, readonly connectionFile: string) {
    this.signer = new Signer(info.key, info.signature_scheme);
    const identity = Buffer.from(randomUUID());
    this.shell.routingId = identity.toString();
    this.stdin.routingId = identity.toString();
  }

  /** Starts a kernel process and connects to it; resolves when it answers kernel_info on shell and iopub. */
  static async launch(options: LaunchOptions = {}): Promise<KernelClient> {
    const info = await freshConnection(options.key ?? randomBytes(16).toString("hex"), options.transport ?? "tcp");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-conn-")), "kernel.json");
    fs.writeFileSync(file, JSON.stringify(info));
    const client = new KernelClient(info, file);
    const spawnedAt = performance.now();
    const argv = (options.argv ?? flowbookKernelArgv()).map((a) => a.replace("{connection_file}", file));
    client.process = spawn(argv[0], argv.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", options.inheritStderr ? "inherit" : "pipe", options.inheritStderr ? "inherit" : "pipe"] });
    client.process.stderr?.on("data", (d) => { client.stderr += d.toString(); });
    client.process.stdout?.on("data", (d) => { client.stderr += d.toString(); });
    client.connect();
    await client.waitReady(spawnedAt);
    return client;
  }

  /** Connects sockets to an already running kernel described by `info`. */
  static async connectTo(info: ConnectionInfo): Promise<KernelClient> {
    const client = new KernelClient(info, "");
    client.connect();
    await client.waitReady();
    return client;
  }

  /** Sends a request and resolves with its reply and outputs (after iopub idle for shell/control requests). */
  request(channel: "shell" | "control", msgType: string, content: object, metadata: object = {}): Promise<RequestResult> {
    const msg = this.message(msgType, content, metadata);
    return new Promise((resolve) => {
      this.pending.set(msg.header.msg_id, { outputs: [], idle: false, resolve, expectIdle: true });
      this.sendOn(channel, msg);
    });
  }

  /** Runs code; `options` are execute_request fields. */
  execute(code: string, options: Partial<{ silent: boolean; store_history: boolean; allow_stdin: boolean; stop_on_error: boolean }> = {}): Promise<RequestResult> {
    return this.request("shell", "execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true, ...options });
  }

  /**
   * Runs several cells sent back to back: every message is written (and dated) before the first is sent, as a
   * frontend's "run all" does; resolves with the results in order.
   */
  executeAll(codes: string[], options: Partial<{ silent: boolean; store_history: boolean; allow_stdin: boolean; stop_on_error: boolean }> = {}): Promise<RequestResult[]> {
    const messages = codes.map((code) => this.message("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true, ...options }));
    const results = messages.map((msg) => new Promise<RequestResult>((resolve) => this.pending.set(msg.header.msg_id, { outputs: [], idle: false, resolve, expectIdle: true })));
    for (const msg of messages) this.sendOn("shell", msg);
    return Promise.all(results);
  }

  /** Sends a prepared message on a channel (for tests that need raw control). */
  sendOn(channel: "shell" | "control" | "stdin", msg: Message): void {
    void this[channel].send(encode(msg, this.signer) as Buffer[]);
  }

  /** Builds a message from this client's session. */
  message(msgType: string, content: object, metadata: object = {}): Message {
    return { identities: [], header: newHeader(msgType, this.session, "client"), parent_header: {}, metadata: metadata as Record<string, unknown>, content, buffers: [] };
  }

  /** One heartbeat round trip; resolves with its duration in ms, rejects after `timeoutMs`. */
  async heartbeat(): Promise<number> {
    const t = performance.now();
    await this.hb.send("ping");
    await this.hb.receive();
    return performance.now() - t;
  }

  /** Asks the kernel to shut down, then closes; kills the process if it does not exit within `graceMs`. */
  async shutdown(graceMs = 3000): Promise<number | null> {
    const exited = this.exitPromise();
    this.sendOn("control", this.message("shutdown_request", { restart: false }));
    const code = await Promise.race([exited, delay(graceMs).then(() => undefined)]);
    if (code === undefined) this.process?.kill("SIGKILL");
    this.close();
    return code ?? null;
  }

  /** Resolves with the kernel process's exit code. */
  exitPromise(): Promise<number | null> {
    const p = this.process;
    if (!p || p.exitCode !== null) return Promise.resolve(p?.exitCode ?? null);
    return new Promise((resolve) => p.once("exit", (code) => resolve(code)));
  }

  /** Closes the sockets (does not stop the kernel). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) s.close();
  }

  private connect(): void {
    this.shell.connect(endpoint(this.info, "shell"));
    this.control.connect(endpoint(this.info, "control"));
    this.stdin.connect(endpoint(this.info, "stdin"));
    this.iopub.connect(endpoint(this.info, "iopub"));
    this.iopub.subscribe();
    this.hb.connect(endpoint(this.info, "hb"));
    void this.readLoop(this.shell, (m) => this.onReply(m));
    void this.readLoop(this.control, (m) => this.onReply(m));
    void this.readLoop(this.stdin, (m) => this.onStdin(m));
    void this.readLoop(this.iopub, (m) => this.onIopub(m));
  }

  private async waitReady(spawnedAt = performance.now()): Promise<void> {
    const deadline = Date.now() + 30_000;
    // iopub subscriptions take a moment to propagate; retry kernel_info until an iopub status arrives.
    while (Date.now() < deadline) {
      if (this.process && this.process.exitCode !== null) throw new Error(`kernel exited with ${this.process.exitCode} before answering:\n${this.stderr}`);
      const msg = this.message("kernel_info_request", {});
      const got = new Promise<RequestResult>((resolve) => this.pending.set(msg.header.msg_id, { outputs: [], idle: false, resolve, expectIdle: true }));
      const replied = (m: Message) => { if (Number.isNaN(this.startupMs)) this.startupMs = performance.now() - spawnedAt; return m; };
      this.firstReplyHook = replied;
      this.sendOn("shell", msg);
      const r = await Promise.race([got, delay(500).then(() => null)]);
      if (r) return;
    }
    throw new Error(`kernel did not answer kernel_info within 30 s:\n${this.stderr}`);
  }

  private async readLoop(socket: zmq.Dealer | zmq.Subscriber, handle: (m: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) handle(decode(frames as Buffer[], this.signer));
    } catch (err) {
      if (!this.closed) throw err;
    }
  }

  private firstReplyHook: (m: Message) => Message = (m) => m;

  private onReply(msg: Message): void {
    this.firstReplyHook(msg);
    this.replyLog.push(msg);
    const p = this.pending.get((msg.parent_header as { msg_id?: string }).msg_id ?? "");
    if (!p) return;
    p.reply = msg;
    this.settle((msg.parent_header as { msg_id: string }).msg_id, p);
  }

  private onIopub(msg: Message): void {
    this.iopubLog.push(msg);
    const id = (msg.parent_header as { msg_id?: string }).msg_id ?? "";
    const p = this.pending.get(id);
    if (!p) return;
    if (msg.header.msg_type === "status") {
      if ((msg.content as { execution_state: string }).execution_state === "idle") { p.idle = true; this.settle(id, p); }
      return;
    }
    p.outputs.push(msg);
  }

  private onStdin(msg: Message): void {
    if (msg.header.msg_type !== "input_request") return;
    const { prompt, password } = msg.content as { prompt: string; password: boolean };
    const reply = this.message("input_reply", { value: this.onInput(prompt, password) });
    reply.parent_header = msg.header;
    this.sendOn("stdin", reply);
  }

  private settle(id: string, p: Pending): void {
    if (p.reply && (p.idle || !p.expectIdle)) { this.pending.delete(id); p.resolve({ reply: p.reply, outputs: p.outputs }); }
  }
}

async function freshConnection(key: string, transport: "tcp" | "ipc"): Promise<ConnectionInfo> {
  // ipc endpoints are files named "<ip>-<port>", as jupyter_client names them.
  const ports = transport === "ipc" ? [1, 2, 3, 4, 5] : await freePorts(5);
  const ip = transport === "ipc" ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-ipc-")), "kernel") : "127.0.0.1";
  return {
    transport, ip, key, signature_scheme: "hmac-sha256",
    shell_port: ports[0], control_port: ports[1], stdin_port: ports[2], iopub_port: ports[3], hb_port: ports[4], kernel_name: "flowbook",
  };
}

/** `n` distinct free loopback TCP ports. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
