/** Main-thread handle on the language-service worker. */
import * as path from "path";
import { Worker } from "worker_threads";
import type { Completions, Inspection, LanguageReply, LanguageRequest, TypeDiagnostic } from "./protocol";

/** Sends requests to the worker; started in the background at kernel start. */
export class LanguageClient {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();

  constructor(private readonly flowbookRoot: string, private readonly notebookDir: string) {}

  /** Starts the worker (idempotent). */
  start(): void {
    if (this.worker) return;
    this.worker = new Worker(path.join(__dirname, "worker.js"), { workerData: { flowbookRoot: this.flowbookRoot, notebookDir: this.notebookDir } });
    this.worker.unref();
    this.worker.on("message", (reply: LanguageReply) => this.settle(reply));
    this.worker.on("error", (err) => { for (const p of this.pending.values()) p.reject(err); this.pending.clear(); this.worker = null; });
  }

  /** Records an executed cell (fire and forget). */
  addCell(code: string): void { this.post({ kind: "addCell", code }, -2); }

  /** Completions at a UTF-16 cursor. */
  complete(code: string, cursor: number): Promise<Completions> { return this.request({ kind: "complete", code, cursor }); }
  /** Inspection at a UTF-16 cursor. */
  inspect(code: string, cursor: number): Promise<Inspection> { return this.request({ kind: "inspect", code, cursor }); }
  /** Type errors of a cell. */
  typecheck(code: string): Promise<TypeDiagnostic[]> { return this.request({ kind: "typecheck", code }); }

  /** Ends the worker. */
  async stop(): Promise<void> { await this.worker?.terminate(); this.worker = null; }

  private request<T>(request: LanguageRequest): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => { this.pending.set(id, { resolve, reject }); this.post(request, id); });
  }

  private post(request: LanguageRequest, id: number): void {
    this.start();
    this.worker!.postMessage({ id, request });
  }

  private settle(reply: LanguageReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value); else p.reject(new Error(`language service: ${reply.error}`));
  }
}
