/**
 * Protocol-buffer text format (the syntax of Triton's config.pbtxt), parsed into a tree that keeps
 * the line of every field so that config errors can point at it. Schema-free: `config.ts` gives the
 * fields meaning.
 *
 * Grammar handled: `name: scalar`, `name { ... }`, `name: { ... }`, `name: [ a, b ]`,
 * `name [ {..}, {..} ]`, `#` comments, "double" or 'single' quoted strings, `,`/`;` separators.
 */
import { servingError } from "./errors";

/** A scalar value: a quoted string, a number, or a bare identifier (enum, true/false). */
export type PbScalar = { kind: "string"; v: string } | { kind: "number"; v: number } | { kind: "ident"; v: string };
/** A field value: scalar, nested message or bracketed list. */
export type PbValue = PbScalar | PbMessage | PbList;
/** A nested message: its fields in file order (repeated fields appear several times). */
export interface PbMessage { kind: "message"; fields: PbField[] }
/** A bracketed list `[ ... ]`. */
export interface PbList { kind: "list"; items: PbValue[] }
/** One field with the line it starts on (1-based). */
export interface PbField { name: string; line: number; value: PbValue }

interface Token { t: "punct" | "string" | "number" | "ident"; v: string; line: number }

const PUNCT = new Set(["{", "}", "[", "]", ":", ",", ";", "<", ">"]);

/** Splits the text into tokens, tracking lines. */
function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (detail: string) => { throw servingError("CONFIG_INVALID", { file, line, detail }); };
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === "#") { while (i < text.length && text[i] !== "\n") i++; continue; }
    if (PUNCT.has(c)) { out.push({ t: "punct", v: c, line }); i++; continue; }
    if (c === '"' || c === "'") { i = readString(text, i, line, out, fail); continue; }
    const m = /^[-+]?(?:inf|nan|0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[fF]?/.exec(text.slice(i, i + 64));
    if (m && /[-+\d.]/.test(c)) { out.push({ t: "number", v: m[0], line }); i += m[0].length; continue; }
    const id = /^[A-Za-z_][\w.]*/.exec(text.slice(i, i + 256));
    if (!id) fail(`unexpected character '${c}'`);
    out.push({ t: "ident", v: id![0], line });
    i += id![0].length;
  }
  return out;
}

function readString(text: string, start: number, line: number, out: Token[], fail: (d: string) => never): number {
  const q = text[start];
  let i = start + 1;
  let s = "";
  while (i < text.length && text[i] !== q) {
    if (text[i] === "\n") fail("string is not closed before the end of the line");
    if (text[i] === "\\") { s += unescape(text[i + 1]); i += 2; continue; }
    s += text[i++];
  }
  if (i >= text.length) fail("string is not closed");
  out.push({ t: "string", v: s, line });
  return i + 1;
}

function unescape(c: string): string {
  return ({ n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'" } as Record<string, string>)[c] ?? c;
}

/** Parses config.pbtxt text; errors name `file` and the line. */
export function parsePbtxt(text: string, file: string): PbMessage {
  const toks = tokenize(text, file);
  let p = 0;
  const lastLine = toks.length ? toks[toks.length - 1].line : 1;
  const fail = (detail: string, line = toks[p]?.line ?? lastLine): never => { throw servingError("CONFIG_INVALID", { file, line, detail }); };
  const peek = () => toks[p];
  const isPunct = (v: string) => peek()?.t === "punct" && peek().v === v;

  function message(close: string | null): PbMessage {
    const fields: PbField[] = [];
    for (;;) {
      if (close === null && p >= toks.length) return { kind: "message", fields };
      if (close !== null && isPunct(close)) { p++; return { kind: "message", fields }; }
      if (p >= toks.length) fail(`expected '${close}' before the end of the file`);
      fields.push(field());
      if (isPunct(",") || isPunct(";")) p++;
    }
  }
  function field(): PbField {
    const tok = peek();
    if (tok.t !== "ident") fail(`expected a field name, got '${tok.v}'`);
    p++;
    const hasColon = isPunct(":");
    if (hasColon) p++;
    if (!hasColon && !isPunct("{") && !isPunct("<") && !isPunct("[")) fail(`expected ':' or '{' after '${tok.v}'`);
    return { name: tok.v, line: tok.line, value: value() };
  }
  function value(): PbValue {
    const tok = peek();
    if (!tok) return fail("expected a value before the end of the file");
    p++;
    if (tok.t === "punct" && tok.v === "{") return message("}");
    if (tok.t === "punct" && tok.v === "<") return message(">");
    if (tok.t === "punct" && tok.v === "[") return list();
    if (tok.t === "string") return { kind: "string", v: tok.v };
    if (tok.t === "number") return { kind: "number", v: Number(tok.v.replace(/[fF]$/, "")) };
    if (tok.t === "ident") return { kind: "ident", v: tok.v };
    return fail(`expected a value, got '${tok.v}'`, tok.line);
  }
  function list(): PbList {
    const items: PbValue[] = [];
    while (!isPunct("]")) {
      if (p >= toks.length) fail("expected ']' before the end of the file");
      items.push(value());
      if (isPunct(",")) p++;
    }
    p++;
    return { kind: "list", items };
  }
  return message(null);
}
