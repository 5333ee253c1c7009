/**
 * The virtual TypeScript file the language service sees: the declarations of every executed cell (a later
 * declaration of a name replaces earlier ones, as at run time), then the cell being edited. Expression
 * statements of past cells are left out: they change no types and would only slow the service down.
 */
import type * as TS from "typescript";

interface KeptStatement { names: string[]; text: string }

/** Text of the notebook file and where the current cell starts in it. */
export interface NotebookText { text: string; cellStart: number }

/** Accumulates executed cells and composes the virtual file. */
export class NotebookSource {
  private readonly cells: KeptStatement[][] = [];
  private cachedHistory: string | null = null;

  constructor(private readonly ts: typeof TS) {}

  /** Records an executed cell. */
  addCell(code: string): void {
    const file = this.parse(cleanCell(code));
    this.cells.push(file.statements.map((s) => ({ names: declaredNames(this.ts, s), text: s.getFullText(file).replace(/^\s*\n/, "") }))
      .filter((s) => s.names.length > 0));
    this.cachedHistory = null;
  }

  /** The file text with `current` appended. */
  compose(current: string): NotebookText {
    const cleaned = cleanCell(current);
    const currentNames = new Set(this.parse(cleaned).statements.flatMap((s) => declaredNames(this.ts, s)));
    const history = currentNames.size ? this.history(currentNames) : (this.cachedHistory ??= this.history(new Set()));
    const prefix = history ? `${history}\n` : "";
    return { text: `${prefix}${cleaned}\n;export {};\n`, cellStart: prefix.length };
  }

  private history(shadowed: Set<string>): string {
    const later = new Set(shadowed);
    const kept: string[] = [];
    for (let i = this.cells.length - 1; i >= 0; i--) {
      const cell = this.cells[i].filter((s) => !s.names.some((n) => later.has(n)));
      kept.unshift(cell.map((s) => s.text).join("\n"));
      for (const s of this.cells[i]) for (const n of s.names) later.add(n);
    }
    return kept.filter(Boolean).join("\n");
  }

  private parse(code: string): TS.SourceFile {
    return this.ts.createSourceFile("cell.ts", code, this.ts.ScriptTarget.Latest, true, this.ts.ScriptKind.TS);
  }
}

/** Blanks kernel syntax (`%%typecheck`, a trailing `?`) without moving other characters. */
export function cleanCell(code: string): string {
  return code.replace(/^\s*%%\w+[^\n]*/, (m) => " ".repeat(m.length)).replace(/\?(\s*)$/, " $1");
}

function declaredNames(ts: typeof TS, s: TS.Statement): string[] {
  if (ts.isVariableStatement(s)) return s.declarationList.declarations.flatMap((d) => bindingNames(ts, d.name));
  if (ts.isImportDeclaration(s)) return importNames(ts, s);
  if (ts.isImportEqualsDeclaration(s)) return [s.name.text];
  const named = s as TS.Statement & { name?: TS.Node };
  if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) ||
    ts.isEnumDeclaration(s) || ts.isModuleDeclaration(s)) && named.name && ts.isIdentifier(named.name)) return [named.name.text];
  return [];
}

function bindingNames(ts: typeof TS, name: TS.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(ts, e.name)));
}

function importNames(ts: typeof TS, s: TS.ImportDeclaration): string[] {
  const clause = s.importClause;
  if (!clause) return [];
  const names = clause.name ? [clause.name.text] : [];
  const b = clause.namedBindings;
  if (b && ts.isNamespaceImport(b)) names.push(b.name.text);
  if (b && ts.isNamedImports(b)) names.push(...b.elements.map((e) => e.name.text));
  return names;
}
