/**
 * Comms: custom messages between kernel code and frontend code (what widget libraries build on), in both
 * directions. The manager knows nothing of zeromq; it sends through a `CommSender`.
 */
import { randomUUID } from "crypto";

/** Sends comm_open / comm_msg / comm_close on iopub. */
export type CommSender = (msgType: "comm_open" | "comm_msg" | "comm_close", content: Record<string, unknown>, buffers?: Buffer[]) => void;

/** A received comm message (content.data, metadata and binary buffers). */
export interface CommMessage { data: unknown; metadata: Record<string, unknown>; buffers: Buffer[] }

/** One open comm. */
export class Comm {
  private messageListeners: ((msg: CommMessage) => void)[] = [];
  private closeListeners: ((msg: CommMessage) => void)[] = [];
  closed = false;

  constructor(readonly id: string, readonly targetName: string, private readonly sender: CommSender, private readonly onClosed: (c: Comm) => void) {}

  /** Sends data to the frontend side of this comm. */
  send(data: unknown, options: { metadata?: Record<string, unknown>; buffers?: Buffer[] } = {}): void {
    if (this.closed) throw new Error(`comm ${this.id} (${this.targetName}) is closed; open a new one with comm.open()`);
    this.sender("comm_msg", { comm_id: this.id, data, metadata: options.metadata ?? {} }, options.buffers);
  }

  /** Closes the comm (both sides). */
  close(data: unknown = {}): void {
    if (this.closed) return;
    this.sender("comm_close", { comm_id: this.id, data });
    this.markClosed({ data, metadata: {}, buffers: [] });
  }

  /** Registers a listener for messages from the frontend. */
  onMsg(listener: (msg: CommMessage) => void): this { this.messageListeners.push(listener); return this; }
  /** Registers a listener for the frontend closing the comm. */
  onClose(listener: (msg: CommMessage) => void): this { this.closeListeners.push(listener); return this; }

  /** @internal delivers a frontend message. */
  receive(msg: CommMessage): void { for (const l of this.messageListeners) l(msg); }
  /** @internal marks the comm closed and tells listeners. */
  markClosed(msg: CommMessage): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed(this);
    for (const l of this.closeListeners) l(msg);
  }
}

/** Called when the frontend opens a comm to a target. */
export type CommTarget = (comm: Comm, openMsg: CommMessage) => void;

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
    open: (targetName: string, data: unknown = {}, metadata: Record<string, unknown> = {}) => this.open(targetName, data, metadata),
    /** Open comms by id. */
    list: () => [...this.comms.values()],
  };

  /** Opens a comm from the kernel side. */
  open(targetName: string, data: unknown, metadata: Record<string, unknown>): Comm {
    const comm = this.create(randomUUID(), targetName);
    this.sender("comm_open", { comm_id: comm.id, target_name: targetName, data, metadata });
    return comm;
  }

  /** Handles comm_open from the frontend; an unknown target is answered with comm_close, as ipykernel does. */
  handleOpen(content: any, buffers: Buffer[]): string | null {
    const target = this.targets.get(content.target_name);
    if (!target) {
      this.sender("comm_close", { comm_id: content.comm_id, data: {} });
      return `no comm target "${content.target_name}"; register one with comm.registerTarget("${content.target_name}", (comm, msg) => ...)`;
    }
    const comm = this.create(content.comm_id, content.target_name);
    target(comm, { data: content.data, metadata: content.metadata ?? {}, buffers });
    return null;
  }

  /** Handles comm_msg from the frontend. */
  handleMessage(content: any, buffers: Buffer[]): void {
    this.comms.get(content.comm_id)?.receive({ data: content.data, metadata: content.metadata ?? {}, buffers });
  }

  /** Handles comm_close from the frontend. */
  handleClose(content: any, buffers: Buffer[]): void {
    this.comms.get(content.comm_id)?.markClosed({ data: content.data, metadata: {}, buffers });
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
