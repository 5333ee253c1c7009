/**
 * Comms: custom messages between kernel code and frontend code (what widget libraries build on), in both
 * directions. The manager knows nothing of zeromq; it sends through a `CommSender`.
 */
import { randomUUID } from "crypto";

/** Sends comm_open / comm_msg / comm_close on iopub (`metadata` is the message's metadata, as ipykernel sends it). */
export type CommSender = (msgType: "comm_open" | "comm_msg" | "comm_close", content: Record<string, unknown>, buffers?: Buffer[], metadata?: Record<string, unknown>) => void;

/** The Jupyter message a comm callback receives, as ipykernel passes `msg` (a dict) to Python callbacks. */
export interface CommJupyterMessage {
  header: Record<string, unknown>;
  parent_header: Record<string, unknown>;
  metadata: Record<string, unknown>;
  content: { comm_id: string; data: unknown; target_name?: string; target_module?: string | null };
  buffers: Buffer[];
}

/**
 * A received comm message: the Jupyter message shape (`msg.content.data`, `msg.content.comm_id`, `msg.metadata`,
 * `msg.buffers`, `msg.header`) plus the convenience field `msg.data` (= `msg.content.data`).
 */
export interface CommMessage extends CommJupyterMessage {
  /** Same as `content.data`. */
  data: unknown;
}

/** A comm message or close listener; a returned Promise is awaited and a rejection reported. */
export type CommListener = (msg: CommMessage) => void | Promise<void>;

/** Calls every listener (all of them, even after one fails); rejects with the first error. */
async function callAll(listeners: CommListener[], msg: CommMessage): Promise<void> {
  const errors: unknown[] = [];
  for (const listener of [...listeners]) {
    try { await listener(msg); } catch (err) { errors.push(err); }
  }
  if (errors.length) throw errors[0];
}

/** One open comm. */
export class Comm {
  private messageListeners: CommListener[] = [];
  private closeListeners: CommListener[] = [];
  closed = false;

  constructor(readonly id: string, readonly targetName: string, private readonly sender: CommSender, private readonly onClosed: (c: Comm) => void) {}

  /** The comm id (alias of `id`, the name ipykernel's `Comm.comm_id` has in JavaScript style). */
  get commId(): string { return this.id; }

  /** Sends data to the frontend side of this comm; `metadata` goes in the message metadata, `buffers` as binary frames. */
  send(data: unknown, options: { metadata?: Record<string, unknown>; buffers?: Buffer[] } = {}): void {
    if (this.closed) throw new Error(`comm ${this.id} (${this.targetName}) is closed; open a new one with comm.open()`);
    this.sender("comm_msg", { comm_id: this.id, data }, options.buffers, options.metadata ?? {});
  }

  /** Closes the comm (both sides). */
  close(data: unknown = {}, options: { metadata?: Record<string, unknown> } = {}): void {
    if (this.closed) return;
    this.sender("comm_close", { comm_id: this.id, data }, [], options.metadata ?? {});
    this.markClosed(commMessage({ header: {}, parent_header: {}, metadata: options.metadata ?? {}, content: { comm_id: this.id, data }, buffers: [] }));
  }

  /** Registers a listener for messages from the frontend (`msg.content.data`, or `msg.data` for short). */
  onMsg(listener: CommListener): this { this.messageListeners.push(listener); return this; }
  /** Registers a listener for the frontend closing the comm. */
  onClose(listener: CommListener): this { this.closeListeners.push(listener); return this; }

  /** @internal delivers a frontend message; resolves when async listeners are done, rejects with the first error. */
  receive(msg: CommMessage): Promise<void> { return callAll(this.messageListeners, msg); }
  /** @internal marks the comm closed and tells listeners. */
  markClosed(msg: CommMessage): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.onClosed(this);
    return callAll(this.closeListeners, msg);
  }
}

/** Called when the frontend opens a comm to a target; a returned Promise is awaited (a rejection is reported). */
export type CommTarget = (comm: Comm, openMsg: CommMessage) => void | Promise<void>;

/** Adds the convenience fields to a received Jupyter comm message. */
export function commMessage(msg: CommJupyterMessage): CommMessage {
  return { header: msg.header, parent_header: msg.parent_header, metadata: msg.metadata ?? {}, content: msg.content, buffers: msg.buffers ?? [], data: msg.content?.data };
}

/** All comms of the kernel, and the targets the frontend may open. */
export class CommManager {
  readonly comms = new Map<string, Comm>();
  private readonly targets = new Map<string, CommTarget>();

  constructor(private readonly sender: CommSender) {}

  /** The `comm` global cells use. */
  readonly api = {
    /** Handles comms the frontend opens to `targetName`. */
    registerTarget: (targetName: string, target: CommTarget) => void this.targets.set(targetName, target),
    /** Opens a comm from the kernel to a frontend target. */
    open: (targetName: string, data: unknown = {}, metadata: Record<string, unknown> = {}, buffers: Buffer[] = []) => this.open(targetName, data, metadata, buffers),
    /** Open comms by id. */
    list: () => [...this.comms.values()],
  };

  /** Opens a comm from the kernel side. */
  open(targetName: string, data: unknown, metadata: Record<string, unknown>, buffers: Buffer[] = []): Comm {
    const comm = this.create(randomUUID(), targetName);
    this.sender("comm_open", { comm_id: comm.id, target_name: targetName, data, target_module: null }, buffers, metadata);
    return comm;
  }

  /**
   * Handles comm_open from the frontend. An unknown target is answered with comm_close, as ipykernel does, and so
   * is a target callback that throws (the error propagates to the caller, which reports it on iopub).
   */
  async handleOpen(msg: CommJupyterMessage): Promise<string | null> {
    const { content } = msg;
    const target = this.targets.get(content.target_name ?? "");
    if (!target) {
      this.sender("comm_close", { comm_id: content.comm_id, data: {} });
      return `no comm target "${content.target_name}"; register one with comm.registerTarget("${content.target_name}", (comm, msg) => ...)`;
    }
    const comm = this.create(content.comm_id, content.target_name!);
    try {
      await target(comm, commMessage(msg));
    } catch (err) {
      comm.close();
      throw err;
    }
    return null;
  }

  /** Handles comm_msg from the frontend; listener errors propagate to the caller. */
  async handleMessage(msg: CommJupyterMessage): Promise<void> {
    await this.comms.get(msg.content.comm_id)?.receive(commMessage(msg));
  }

  /** Handles comm_close from the frontend; listener errors propagate to the caller. */
  async handleClose(msg: CommJupyterMessage): Promise<void> {
    await this.comms.get(msg.content.comm_id)?.markClosed(commMessage(msg));
  }

  /** comm_info_reply content, optionally for one target. */
  info(targetName?: string): Record<string, { target_name: string }> {
    const out: Record<string, { target_name: string }> = {};
    for (const c of this.comms.values()) if (!targetName || c.targetName === targetName) out[c.id] = { target_name: c.targetName };
    return out;
  }

  private create(id: string, targetName: string): Comm {
    const comm = new Comm(id, targetName, this.sender, (c) => this.comms.delete(c.id));
    this.comms.set(id, comm);
    return comm;
  }
}
