/** Requests and replies between the kernel and the language-service worker. */

/** A request to the worker. Positions are UTF-16 offsets into `code`. */
export type LanguageRequest =
  | { kind: "addCell"; code: string }
  | { kind: "complete"; code: string; cursor: number }
  | { kind: "inspect"; code: string; cursor: number }
  | { kind: "typecheck"; code: string };

/** Completion result; `start`/`end` delimit the text the matches replace. */
export interface Completions { matches: string[]; start: number; end: number; types: { text: string; type: string }[] }

/** Inspection result: signature and docs. */
export interface Inspection { found: boolean; plain: string; markdown: string }

/** A type error in the current cell (1-based line/column). */
export interface TypeDiagnostic { line: number; column: number; code: number; message: string }

/** Worker reply to the request with the same id. */
export type LanguageReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
