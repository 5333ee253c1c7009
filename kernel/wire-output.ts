/** CellOutput over the wire protocol: stream, display_data, execute_result... with the request as parent. */
import type { MimeBundle } from "../src/display/bundle";
import type { DisplayOptions } from "../src/display/hook";
import type { CellOutput } from "./cell-output";
import { waitForInput } from "./stdin";
import type { Message } from "./wire";

/** How the output sends messages (implemented by the Kernel). */
export interface Publisher {
  publish(msgType: string, content: object, parent: Message): void;
  sendStdin(msgType: string, content: object, parent: Message): void;
  readonly shared: SharedArrayBuffer;
}

/** Stream text is coalesced up to this size, then sent at once (keeps tight print loops cheap). */
const STREAM_FLUSH_BYTES = 64 * 1024;

/** The output of one execute_request. */
export class WireCellOutput implements CellOutput {
  private pending: { name: "stdout" | "stderr"; text: string } | null = null;
  private flushScheduled = false;
  executionCount = 0;

  constructor(private readonly publisher: Publisher, readonly parent: Message, private readonly allowStdin: boolean) {}

  stream(name: "stdout" | "stderr", text: string): void {
    if (this.pending && this.pending.name !== name) this.flush();
    if (this.pending) this.pending.text += text;
    else this.pending = { name, text };
    if (this.pending.text.length > STREAM_FLUSH_BYTES) this.flush();
    else if (!this.flushScheduled) { this.flushScheduled = true; setImmediate(() => this.flush()); }
  }

  flush(): void {
    this.flushScheduled = false;
    if (!this.pending) return;
    const { name, text } = this.pending;
    this.pending = null;
    this.publisher.publish("stream", { name, text }, this.parent);
  }

  display(bundle: MimeBundle, options: DisplayOptions = {}): void {
    this.flush();
    const transient = options.displayId ? { display_id: options.displayId } : {};
    this.publisher.publish("display_data", { data: bundle, metadata: options.metadata ?? {}, transient }, this.parent);
  }

  updateDisplay(displayId: string, bundle: MimeBundle, options: { metadata?: Record<string, unknown> } = {}): void {
    this.flush();
    this.publisher.publish("update_display_data", { data: bundle, metadata: options.metadata ?? {}, transient: { display_id: displayId } }, this.parent);
  }

  clearOutput(wait = false): void {
    this.flush();
    this.publisher.publish("clear_output", { wait }, this.parent);
  }

  result(bundle: MimeBundle): void {
    this.flush();
    this.publisher.publish("execute_result", { execution_count: this.executionCount, data: bundle, metadata: {} }, this.parent);
  }

  requestInput(prompt: string, password: boolean): string {
    if (!this.allowStdin) {
      throw new Error("input()/prompt() need a frontend that answers input requests, and this execute_request has allow_stdin: false; pass the value in code instead");
    }
    this.flush();
    return waitForInput(this.publisher.shared, () => this.publisher.sendStdin("input_request", { prompt, password }, this.parent));
  }
}
