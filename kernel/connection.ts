/** Jupyter connection files: which ports and key a kernel was started with. */
import * as fs from "fs";

/** The JSON written by the Jupyter client that launches the kernel (see jupyter_client's connect.py). */
export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  key: string;
  signature_scheme: string;
  shell_port: number;
  control_port: number;
  stdin_port: number;
  iopub_port: number;
  hb_port: number;
  kernel_name?: string;
}

/** The five kernel channels. */
export type Channel = "shell" | "control" | "stdin" | "iopub" | "hb";

/** Reads and validates a connection file; the error names the file and the missing field. */
export function readConnectionFile(file: string): ConnectionInfo {
  let info: ConnectionInfo;
  try {
    info = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read connection file ${file}: ${(err as Error).message}`);
  }
  for (const field of ["ip", "shell_port", "control_port", "stdin_port", "iopub_port", "hb_port"] as const) {
    if (info[field] === undefined) throw new Error(`connection file ${file} has no "${field}"; was it written by jupyter_client?`);
  }
  info.transport ??= "tcp";
  info.key ??= "";
  info.signature_scheme ??= "hmac-sha256";
  return info;
}

/** The zeromq endpoint of one channel: `tcp://ip:port`, or `ipc://ip-port` as jupyter_client names ipc sockets. */
export function endpoint(info: ConnectionInfo, channel: Channel): string {
  const port = info[`${channel === "hb" ? "hb" : channel}_port` as keyof ConnectionInfo] as number;
  return info.transport === "ipc" ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}
