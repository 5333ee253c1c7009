/** is_complete_request: is this code ready to run, does it need more lines, or can it never parse? */
import type * as TS from "typescript";
import { typescript } from "./typescript";

/** is_complete_reply content. */
export type Completeness = { status: "complete" | "invalid" } | { status: "incomplete"; indent: string };

/** Decides from the parser's diagnostics: an error at the very end means "more input would fix it". */
export function isComplete(code: string): Completeness {
  if (/^\s*%%/.test(code) || /\?\s*$/.test(code)) return { status: "complete" };
  const ts = typescript();
  const file = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diagnostics = (file as unknown as { parseDiagnostics: TS.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  if (diagnostics.length === 0) return code.trimEnd().endsWith("\\") ? { status: "incomplete", indent: "" } : { status: "complete" };
  const end = code.trimEnd().length;
  const atEnd = diagnostics.every((d) => d.start >= end || /Unterminated template|expected\.$/.test(String(d.messageText)) && d.start >= end - 1);
  return atEnd ? { status: "incomplete", indent: nextIndent(code) } : { status: "invalid" };
}

function nextIndent(code: string): string {
  const lines = code.trimEnd().split("\n");
  const last = lines[lines.length - 1];
  const current = /^\s*/.exec(last)![0];
  return /[{([]\s*$/.test(last) ? `${current}  ` : current;
}
