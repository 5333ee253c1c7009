/**
 * Lazy access to the TypeScript compiler. Loading it takes ~0.3 s, so the kernel answers kernel_info first and
 * loads it right after, in the background (see Kernel.start).
 */
import type * as TS from "typescript";

let loaded: typeof TS | undefined;

/** The TypeScript module, loaded on first use. */
export function typescript(): typeof TS {
  loaded ??= require("typescript") as typeof TS;
  return loaded;
}

/** The installed TypeScript version, read without loading the compiler. */
export function typescriptVersion(): string {
  return (require("typescript/package.json") as { version: string }).version;
}
