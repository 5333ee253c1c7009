/**
 * Cell conversion, a pure function: TypeScript cell source → a JavaScript script for `vm` that keeps the notebook's
 * state on `globalThis`, so a name declared in one cell lives in the next and can be declared again.
 *
 * - Synchronous cells run as a *script*: top-level `let`/`const` become `var` and `class X` becomes
 *   `var X = class X`, which makes them redeclarable global properties; the script's completion value is the
 *   value of the last expression.
 * - Cells with top-level `await` or `import` run inside `(async () => { ... })()`: declarations become
 *   assignments to globals, imports call the notebook's module loader, the last expression is returned.
 * - Dynamic `import(x)` anywhere in a cell (vm scripts have no module loader of their own) becomes
 *   `__flowbook.dynamicImport(x)`: the same loader as static imports, resolving to a module namespace.
 *
 * Edits never insert newlines, so a stack frame's line is right and `mapPosition` undoes the column shifts.
 */
import type * as TS from "typescript";
import { typescript } from "./typescript";

/** Name of the kernel object that compiled cells call for imports (installed by the Executor). */
export const RUNTIME = "__flowbook";

/** A syntax error, with a 1-based line and column in the cell. */
export interface CellDiagnostic { line: number; column: number; message: string }

/** The result of converting one cell. */
export interface ConvertedCell {
  /** JavaScript to run with `vm.Script#runInThisContext`. */
  js: string;
  /** Names the cell declares at top level (they persist on globalThis). */
  declaredNames: string[];
  /** True when the cell runs in an async wrapper (top-level await or import) and returns a Promise. */
  isAsync: boolean;
  /** True when the cell's value should be shown: it ends in an expression statement without `;`. */
  showsLastValue: boolean;
  /** Syntax errors; a cell with any is not run. */
  diagnostics: CellDiagnostic[];
  /** Maps a 1-based (line, column) in `js` back to the cell's source. */
  mapPosition(line: number, column: number): { line: number; column: number };
}

interface Edit { start: number; end: number; text: string }

/** Converts one cell; `fileName` names it in source maps and stack traces. */
export function convert(source: string, fileName = "cell.ts"): ConvertedCell {
  const ts = typescript();
  const out = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleDetection: ts.ModuleDetectionKind.Force,
      // Keep imports that look unused: a later cell may use them.
      verbatimModuleSyntax: true,
      sourceMap: true,
      experimentalDecorators: true,
    },
  });
  const diagnostics = (out.diagnostics ?? []).map((d) => toCellDiagnostic(ts, d));
  const js = out.outputText.replace(/\/\/# sourceMappingURL=.*\s*$/, "");
  const file = ts.createSourceFile("cell.js", js, ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  const isAsync = file.statements.some((s) => ts.isImportDeclaration(s) || containsTopLevelAwait(ts, s));
  const plan = planEdits(ts, file, isAsync, endsWithSemicolon(source));
  rewriteDynamicImports(ts, file, plan);
  const edited = applyEdits(js, plan.edits);
  const wrapped = isAsync ? `(async () => {${plan.prologue}${edited}\n})()` : edited;
  const prefix = isAsync ? `(async () => {${plan.prologue}`.length : 0;
  const mapPosition = positionMapper(js, wrapped, plan.edits, prefix, out.sourceMapText);
  return { js: wrapped, declaredNames: plan.names, isAsync, showsLastValue: plan.showsLastValue, diagnostics, mapPosition };
}

function toCellDiagnostic(ts: typeof TS, d: TS.Diagnostic): CellDiagnostic {
  const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
  return { line: pos.line + 1, column: pos.character + 1, message: ts.flattenDiagnosticMessageText(d.messageText, "\n") };
}

/** A cell ending in `;` (ignoring trailing comments and blanks) hides its value, as in IPython. */
function endsWithSemicolon(source: string): boolean {
  // A loop, not one regex: `(\s+|...)+$` backtracks exponentially on a long run of spaces before a comment.
  let s = source;
  for (let before = ""; before !== s; ) {
    before = s;
    s = s.trimEnd().replace(/\/\/[^\n]*$/, "").replace(/\/\*[\s\S]*?\*\/$/, "");
  }
  return s.endsWith(";");
}

function containsTopLevelAwait(ts: typeof TS, node: TS.Node): boolean {
  if (ts.isAwaitExpression(node)) return true;
  if (ts.isForOfStatement(node) && node.awaitModifier) return true;
  if (ts.isFunctionLike(node) || ts.isClassLike(node)) return false;
  return ts.forEachChild(node, (child) => containsTopLevelAwait(ts, child) || undefined) ?? false;
}

interface Plan { edits: Edit[]; names: string[]; prologue: string; showsLastValue: boolean }

function planEdits(ts: typeof TS, file: TS.SourceFile, isAsync: boolean, hidesValue: boolean): Plan {
  const plan: Plan = { edits: [], names: [], prologue: "", showsLastValue: false };
  const statements = file.statements;
  statements.forEach((statement, i) => {
    const isLast = i === statements.length - 1 || statements.slice(i + 1).every((s) => isEmptyExport(ts, s));
    rewriteStatement(ts, file, statement, isAsync, plan);
    if (isLast && ts.isExpressionStatement(statement) && !hidesValue) {
      plan.showsLastValue = true;
      if (isAsync) plan.edits.push({ start: statement.getStart(file), end: statement.getStart(file), text: "return " });
    }
  });
  return plan;
}

function isEmptyExport(ts: typeof TS, s: TS.Statement): boolean {
  return ts.isExportDeclaration(s) && !s.moduleSpecifier && (!s.exportClause || (ts.isNamedExports(s.exportClause) && s.exportClause.elements.length === 0));
}

/** Statement kinds that need rewriting; everything else runs unchanged. */
function rewriteStatement(ts: typeof TS, file: TS.SourceFile, s: TS.Statement, isAsync: boolean, plan: Plan): void {
  stripExportModifier(ts, file, s, plan);
  if (ts.isVariableStatement(s)) rewriteVariables(ts, file, s, isAsync, plan);
  else if (ts.isClassDeclaration(s) && s.name) rewriteClass(file, s, s.name.text, isAsync, plan);
  else if (ts.isFunctionDeclaration(s) && s.name) {
    plan.names.push(s.name.text);
    // Inside the async wrapper a function declaration is local; publish it (it is hoisted, so this works first).
    if (isAsync) plan.prologue += `globalThis.${s.name.text} = ${s.name.text};`;
  } else if (ts.isImportDeclaration(s)) rewriteImport(ts, file, s, plan);
  else if (ts.isExportDeclaration(s)) plan.edits.push({ start: s.getStart(file), end: s.end, text: "" });
}

function stripExportModifier(ts: typeof TS, file: TS.SourceFile, s: TS.Statement, plan: Plan): void {
  const modifiers = ts.canHaveModifiers(s) ? ts.getModifiers(s) ?? [] : [];
  for (const m of modifiers) {
    if (m.kind === ts.SyntaxKind.ExportKeyword || m.kind === ts.SyntaxKind.DefaultKeyword) plan.edits.push({ start: m.getStart(file), end: m.end, text: "" });
  }
}

function rewriteVariables(ts: typeof TS, file: TS.SourceFile, s: TS.VariableStatement, isAsync: boolean, plan: Plan): void {
  const list = s.declarationList;
  for (const d of list.declarations) collectBindingNames(ts, d.name, plan.names);
  const keywordStart = list.getStart(file);
  const keywordEnd = list.declarations.length ? list.declarations[0].getStart(file) : list.end;
  if (!isAsync) { plan.edits.push({ start: keywordStart, end: keywordEnd, text: "var " }); return; }
  // `const a = 1, {b} = o;` → `void (a = 1, {b} = o);` assigns globals from inside the async wrapper.
  plan.edits.push({ start: keywordStart, end: keywordEnd, text: "void (" });
  for (const d of list.declarations) {
    if (!d.initializer) plan.edits.push({ start: d.name.end, end: d.name.end, text: " = void 0" });
  }
  plan.edits.push({ start: list.end, end: list.end, text: ")" });
}

function collectBindingNames(ts: typeof TS, name: TS.BindingName, into: string[]): void {
  if (ts.isIdentifier(name)) { into.push(name.text); return; }
  for (const element of name.elements) {
    if (!ts.isOmittedExpression(element)) collectBindingNames(ts, element.name, into);
  }
}

function rewriteClass(file: TS.SourceFile, s: TS.ClassDeclaration, name: string, isAsync: boolean, plan: Plan): void {
  plan.names.push(name);
  const start = s.getStart(file);
  plan.edits.push({ start, end: start, text: isAsync ? `${name} = ` : `var ${name} = ` });
  plan.edits.push({ start: s.end, end: s.end, text: ";" });
}

/** `import x, {a as b} from "m"` → `{ const $m = await __flowbook.import("m"); x = __flowbook.defaultOf($m); b = $m.a; }` */
function rewriteImport(ts: typeof TS, file: TS.SourceFile, s: TS.ImportDeclaration, plan: Plan): void {
  const spec = (s.moduleSpecifier as TS.StringLiteral).text;
  const clause = s.importClause;
  const assignments: string[] = [];
  if (clause && !clause.isTypeOnly) {
    if (clause.name) assignments.push(`${clause.name.text} = ${RUNTIME}.defaultOf($m);`);
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) assignments.push(`${bindings.name.text} = $m;`);
    if (bindings && ts.isNamedImports(bindings)) {
      for (const e of bindings.elements) {
        if (!e.isTypeOnly) assignments.push(`${e.name.text} = $m[${JSON.stringify((e.propertyName ?? e.name).text)}];`);
      }
    }
  }
  const names = assignments.map((a) => a.slice(0, a.indexOf(" =")));
  plan.names.push(...names);
  const text = `{ const $m = await ${RUNTIME}.import(${JSON.stringify(spec)}); ${assignments.join(" ")} }`;
  plan.edits.push({ start: s.getStart(file), end: s.end, text });
}

/** `import(x)` → `__flowbook.dynamicImport(x)`, at any depth (an import declaration is already replaced whole). */
function rewriteDynamicImports(ts: typeof TS, file: TS.SourceFile, plan: Plan): void {
  const visit = (node: TS.Node): void => {
    if (ts.isImportDeclaration(node)) return;
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      plan.edits.push({ start: node.expression.getStart(file), end: node.expression.end, text: `${RUNTIME}.dynamicImport` });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

function applyEdits(js: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = "";
  let at = 0;
  for (const e of sorted) { out += js.slice(at, e.start) + e.text; at = Math.max(at, e.end); }
  return out + js.slice(at);
}

/** Builds the mapper from a position in the wrapped script back to the cell source (via the transpiler's map). */
function positionMapper(js: string, wrapped: string, edits: Edit[], prefix: number, sourceMapText: string | undefined) {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const wrappedLineStarts = lineStarts(wrapped);
  const jsLineStarts = lineStarts(js);
  let map: import("module").SourceMap | null = null;
  return (line: number, column: number) => {
    let offset = wrappedLineStarts[line - 1] + column - 1 - prefix;
    // Undo the edits before this point to find the offset in the transpiler's output.
    let shift = 0;
    for (const e of sorted) {
      const editedStart = e.start + shift;
      if (editedStart >= offset) break;
      const delta = e.text.length - (e.end - e.start);
      if (offset < editedStart + e.text.length) { offset = e.start + shift; break; }
      shift += delta;
    }
    const jsOffset = Math.max(0, offset - shift);
    const jsLine = upperBound(jsLineStarts, jsOffset) - 1;
    const jsColumn = jsOffset - jsLineStarts[jsLine];
    if (!sourceMapText) return { line: jsLine + 1, column: jsColumn + 1 };
    map ??= new (require("module").SourceMap)(JSON.parse(sourceMapText));
    const entry = map!.findEntry(jsLine, jsColumn) as { originalLine?: number; originalColumn?: number };
    if (entry?.originalLine === undefined) return { line: jsLine + 1, column: jsColumn + 1 };
    return { line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
  };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function upperBound(sorted: number[], value: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] <= value) lo = mid + 1; else hi = mid; }
  return lo;
}
