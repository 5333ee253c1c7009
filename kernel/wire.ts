/**
 * The Jupyter wire protocol (messaging spec 5.3): multipart frames `[ids..., "<IDS|MSG>", hmac, header, parent,
 * metadata, content, buffers...]`, signed with HMAC over the four JSON frames.
 */
import * as crypto from "crypto";

/** Protocol version this kernel speaks. */
export const PROTOCOL_VERSION = "5.3";
const DELIMITER = "<IDS|MSG>";

/** A message header. */
export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A decoded message. `identities` are the zeromq routing ids needed to reply on a ROUTER socket. */
export interface Message<C = any> {
  identities: Buffer[];
  header: Header;
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** Signs and verifies messages with the connection file's key; an empty key means unsigned. */
export class Signer {
  private readonly algorithm: string | null;

  constructor(private readonly key: string, scheme = "hmac-sha256") {
    if (!key) { this.algorithm = null; return; }
    const algorithm = scheme.replace(/^hmac-/, "");
    if (!crypto.getHashes().includes(algorithm)) throw new Error(`unsupported signature_scheme "${scheme}"; use hmac-sha256`);
    this.algorithm = algorithm;
  }

  /** The hex HMAC of the four JSON frames ("" when unsigned). */
  sign(frames: (Buffer | string)[]): string {
    if (!this.algorithm) return "";
    const hmac = crypto.createHmac(this.algorithm, this.key);
    for (const f of frames) hmac.update(f);
    return hmac.digest("hex");
  }

  /** Constant-time check of a received signature. */
  verify(signature: string, frames: Buffer[]): boolean {
    if (!this.algorithm) return true;
    const expected = Buffer.from(this.sign(frames));
    const got = Buffer.from(signature);
    return expected.length === got.length && crypto.timingSafeEqual(expected, got);
  }
}

/** Why a multipart message was rejected. */
export class WireError extends Error {}

/** Splits and verifies a received multipart message; throws WireError on a bad signature or shape. */
export function decode(frames: Buffer[], signer: Signer): Message {
  const split = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
  if (split < 0 || frames.length < split + 6) throw new WireError("message without <IDS|MSG> delimiter or with missing frames");
  const signature = frames[split + 1].toString();
  const body = frames.slice(split + 2, split + 6);
  if (!signer.verify(signature, body)) throw new WireError("message with an invalid HMAC signature (wrong key?)");
  const [header, parent_header, metadata, content] = body.map((b) => JSON.parse(b.toString() || "{}"));
  return { identities: frames.slice(0, split), header, parent_header, metadata, content, buffers: frames.slice(split + 6) };
}

/** Serialises and signs a message into multipart frames. */
export function encode(msg: Message, signer: Signer): (Buffer | string)[] {
  const body = [msg.header, msg.parent_header, msg.metadata, msg.content].map((part) => JSON.stringify(part ?? {}));
  return [...msg.identities, DELIMITER, signer.sign(body), ...body, ...(msg.buffers ?? [])];
}

/** A fresh header for a message of `msgType` in `session`. */
export function newHeader(msgType: string, session: string, username = "kernel"): Header {
  return { msg_id: crypto.randomUUID(), session, username, date: isoMicros(nowMicros()), msg_type: msgType, version: PROTOCOL_VERSION };
}

/**
 * Wall-clock time in microseconds since the epoch, for header dates (jupyter_client dates messages to the
 * microsecond). The millisecond is Date.now()'s, the realtime clock other processes read; the microseconds within
 * it come from the monotonic clock (performance.timeOrigin drifts milliseconds away from the realtime clock, so it
 * cannot give the millisecond itself).
 */
export function nowMicros(): number {
  return Date.now() * 1000 + (Math.floor(performance.now() * 1000) % 1000);
}

/** An ISO 8601 date with microseconds, as jupyter_client writes them: `2026-11-26T14:59:01.123456Z`. */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${String(us % 1_000_000).padStart(6, "0")}Z`);
}

/**
 * A header date in microseconds since the epoch, and whether it is that precise (jupyter_client's dates are; a
 * JavaScript `toISOString()` date has milliseconds only). NaN when unparseable.
 */
export function parseDateMicros(date: unknown): { us: number; precise: boolean } {
  const s = String(date ?? "");
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) return { us: NaN, precise: false };
  const whole = Date.parse(`${m[1]}${m[3] ?? "Z"}`);
  const frac = m[2] ?? "";
  return { us: whole * 1000 + Number((frac + "000000").slice(0, 6)), precise: frac.length >= 6 };
}
