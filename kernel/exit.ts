/** Thrown by the kernel's process.exit replacement to unwind the cell; never reported as an error. */
export class ExitRequested extends Error {
  constructor(readonly code: number) { super(`process.exit(${code})`); }
}
