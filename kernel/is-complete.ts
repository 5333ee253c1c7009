/**
 * is_complete_request: is this code ready to run, does it need more lines, or can it never parse?
 *
 * The TypeScript parser decides. Code without parse errors is complete. Code whose errors all sit at its end
 * is incomplete when appending what the parser asks for (a closing bracket, an expression, the end of a
 * template literal or comment...) makes it parse: an unclosed bracket, a trailing binary operator, an open
 * statement header (`for (;;`, `if (x)`). Any other syntax error (`}`, `let 1x = 2`, `@@@`, an unterminated
 * '…' string, which cannot span lines) makes it invalid. A cell magic line (`%%typecheck`) is not code: it is
 * blanked before parsing; `expr?` (the pager) is complete.
 */
import type * as TS from "typescript";
import { typescript } from "./typescript";

/** is_complete_reply content. */
export type Completeness = { status: "complete" | "invalid" } | { status: "incomplete"; indent: string };

const PAGER_REQUEST = /^\s*[\p{L}_$][\p{L}\p{N}_$.]*\s*\?\s*$/u;

/** What to append for each kind of "something is missing here" parser message (the first match wins). */
const CONTINUATIONS: [RegExp, (m: RegExpExecArray) => string, { repeats: boolean }][] = [
  [/^'catch' or 'finally' expected\.$/, () => "finally {}", { repeats: false }],
  [/^'(.+)' expected\.$/, (m) => m[1], { repeats: true }],
  [/^Unterminated template literal\.$/, () => "`", { repeats: true }],
  [/^Expression expected\.$/, () => "0", { repeats: false }],
  [/^Identifier expected\.$/, () => "_", { repeats: false }],
  [/^Type expected\.$/, () => "any", { repeats: false }],
  [/^Declaration or statement expected\.$/, () => ";", { repeats: false }],
  [/^Declaration expected\.$/, () => "class _ {}", { repeats: false }],
];
/** Bound on continuation steps (one per nesting level or missing piece; real cells need a handful). */
const MAX_STEPS = 200;

/** Decides whether `code` is complete, incomplete (with the next line's indent) or invalid. */
export function isComplete(code: string): Completeness {
  if (PAGER_REQUEST.test(code)) return { status: "complete" };
  const source = stripCellMagic(code);
  const ts = typescript();
  const end = source.trimEnd().length;
  let text = source;
  let previous = "";
  for (let step = 0; step < MAX_STEPS; step++) {
    const diagnostics = parseDiagnostics(ts, text);
    if (diagnostics.length === 0) return step === 0 ? { status: "complete" } : { status: "incomplete", indent: nextIndent(source) };
    // An error inside what the user wrote cannot be fixed by typing more.
    if (diagnostics.some((d) => d.start < end)) return { status: "invalid" };
    const message = ts.flattenDiagnosticMessageText(diagnostics[0].messageText, "\n");
    const rule = CONTINUATIONS.find(([re]) => re.test(message));
    if (!rule || (message === previous && !rule[2].repeats)) return { status: "invalid" };
    text += ` ${rule[1](rule[0].exec(message)!)}`;
    previous = message;
  }
  return { status: "invalid" };
}

/** Blanks a leading `%%magic` line (keeping offsets), so the cell body is judged as code. */
function stripCellMagic(code: string): string {
  const m = /^(\s*)%%[^\n]*/.exec(code);
  return m ? m[1] + " ".repeat(m[0].length - m[1].length) + code.slice(m[0].length) : code;
}

function parseDiagnostics(ts: typeof TS, text: string): readonly TS.DiagnosticWithLocation[] {
  const file = ts.createSourceFile("cell.ts", text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return (file as unknown as { parseDiagnostics: TS.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
}

/** The indent of the next line: the last line's, two spaces deeper after an opening bracket, `:` or `=>`. */
function nextIndent(code: string): string {
  const lines = code.trimEnd().split("\n");
  const last = lines[lines.length - 1];
  const current = /^\s*/.exec(last)![0];
  return /([{([:]|=>)\s*$/.test(last) ? `${current}  ` : current;
}
