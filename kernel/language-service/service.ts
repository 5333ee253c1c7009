/**
 * Completion, inspection and on-demand type checking over the notebook, from the TypeScript language service.
 * The service stays warm: only the virtual notebook file changes between requests, so each one is incremental.
 */
import * as fs from "fs";
import * as path from "path";
import type * as TS from "typescript";
import { NotebookSource } from "./notebook-source";
import type { Completions, Inspection, TypeDiagnostic } from "./protocol";

/** Where the service finds flowbook and the notebook. */
export interface ServiceOptions { flowbookRoot: string; notebookDir: string }

/** The language service of one notebook. */
export class NotebookLanguageService {
  private readonly notebookFile: string;
  private readonly globalsFile: string;
  private readonly source: NotebookSource;
  private readonly service: TS.LanguageService;
  private notebookText = "";
  private notebookVersion = 0;

  constructor(private readonly ts: typeof TS, private readonly options: ServiceOptions) {
    this.notebookFile = path.join(options.notebookDir, "__notebook__.ts");
    this.globalsFile = path.join(options.notebookDir, "__flowbook_globals__.d.ts");
    this.source = new NotebookSource(ts);
    this.service = ts.createLanguageService(this.host(), ts.createDocumentRegistry());
  }

  /** Records an executed cell. */
  addCell(code: string): void { this.source.addCell(code); }

  /** Completions at `cursor` (UTF-16 offset in `code`). */
  complete(code: string, cursor: number): Completions {
    const start = identifierStart(code, cursor);
    const prefix = code.slice(start, cursor);
    const info = this.service.getCompletionsAtPosition(this.notebookFile, this.update(code) + cursor, { includeCompletionsWithInsertText: false });
    const lowerPrefix = prefix.toLowerCase();
    const entries = (info?.entries ?? []).filter((e) => e.name.toLowerCase().startsWith(lowerPrefix) && !e.name.startsWith("__flowbook"));
    entries.sort((a, b) => (a.name.startsWith(prefix) ? 0 : 1) - (b.name.startsWith(prefix) ? 0 : 1) || a.sortText.localeCompare(b.sortText) || a.name.localeCompare(b.name));
    return { matches: entries.map((e) => e.name), start, end: cursor, types: entries.map((e) => ({ text: e.name, type: e.kind })) };
  }

  /** Signature and docs of the symbol at (or just before) `cursor`. */
  inspect(code: string, cursor: number): Inspection {
    const offset = this.update(code);
    const at = (c: number) => this.service.getQuickInfoAtPosition(this.notebookFile, offset + c);
    const info = at(cursor) ?? (cursor > 0 ? at(cursor - 1) : undefined);
    if (!info) return { found: false, plain: "", markdown: "" };
    const signature = this.ts.displayPartsToString(info.displayParts);
    const docs = this.ts.displayPartsToString(info.documentation);
    const tags = (info.tags ?? []).map((t) => `@${t.name} ${this.ts.displayPartsToString(t.text)}`.trim());
    const plain = [signature, docs, ...tags].filter(Boolean).join("\n\n");
    const markdown = ["```typescript\n" + signature + "\n```", docs, ...tags.map((t) => `*${t}*`)].filter(Boolean).join("\n\n");
    return { found: true, plain, markdown };
  }

  /** Syntax and type errors of the current cell, honouring a tsconfig.json beside the notebook. */
  typecheck(code: string): TypeDiagnostic[] {
    const offset = this.update(code);
    const file = this.service.getProgram()!.getSourceFile(this.notebookFile)!;
    const all = [...this.service.getSyntacticDiagnostics(this.notebookFile), ...this.service.getSemanticDiagnostics(this.notebookFile)];
    return all.filter((d) => d.start !== undefined && d.start >= offset && d.start < offset + code.length).map((d) => {
      const cellStart = file.getLineAndCharacterOfPosition(offset);
      const pos = file.getLineAndCharacterOfPosition(d.start!);
      return { line: pos.line - cellStart.line + 1, column: pos.character + 1, code: d.code, message: this.ts.flattenDiagnosticMessageText(d.messageText, "\n") };
    });
  }

  /** Puts `code` into the virtual file; returns where it starts. */
  private update(code: string): number {
    const { text, cellStart } = this.source.compose(code);
    if (text !== this.notebookText) { this.notebookText = text; this.notebookVersion++; }
    return cellStart;
  }

  private host(): TS.LanguageServiceHost {
    const ts = this.ts;
    const options = this.compilerOptions();
    const virtual = (file: string) => (file === this.notebookFile ? this.notebookText : file === this.globalsFile ? globalsDeclaration(this.options.flowbookRoot) : undefined);
    const versions = new Map<string, string>();
    return {
      getCompilationSettings: () => options,
      getScriptFileNames: () => [this.notebookFile, this.globalsFile],
      getScriptVersion: (file) => (file === this.notebookFile ? String(this.notebookVersion) : versions.get(file) ?? "0"),
      getScriptSnapshot: (file) => {
        const text = virtual(file) ?? (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => this.options.notebookDir,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (file) => virtual(file) !== undefined || ts.sys.fileExists(file),
      readFile: (file) => virtual(file) ?? ts.sys.readFile(file),
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    };
  }

  /** The notebook's tsconfig.json (when present) with the settings notebooks need on top. */
  private compilerOptions(): TS.CompilerOptions {
    const ts = this.ts;
    const { notebookDir, flowbookRoot } = this.options;
    let user: TS.CompilerOptions = { strict: true };
    const configFile = path.join(notebookDir, "tsconfig.json");
    if (fs.existsSync(configFile)) {
      const read = ts.readConfigFile(configFile, ts.sys.readFile);
      if (!read.error) user = ts.parseJsonConfigFileContent(read.config, ts.sys, notebookDir).options;
    }
    return {
      esModuleInterop: true,
      skipLibCheck: true,
      ...user,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      moduleDetection: ts.ModuleDetectionKind.Force,
      lib: user.lib ?? ["lib.es2022.d.ts"],
      types: user.types ?? ["node"],
      typeRoots: [path.join(notebookDir, "node_modules", "@types"), path.join(flowbookRoot, "node_modules", "@types")],
      baseUrl: notebookDir,
      paths: { flowbook: [path.join(flowbookRoot, "dist", "src", "index.d.ts")], "*": ["node_modules/*", path.join(flowbookRoot, "node_modules", "*")], ...user.paths },
      noEmit: true,
      allowJs: true,
    };
  }
}

/** Declarations of the globals the kernel installs in every cell. */
function globalsDeclaration(root: string): string {
  const displayModule = JSON.stringify(path.join(root, "dist", "src", "display", "index"));
  const commsModule = JSON.stringify(path.join(root, "dist", "kernel", "comms"));
  return `import type * as D from ${displayModule};
declare global {
  /** The flowbook API (same as \`import * as flow from "flowbook"\`). */
  const flow: typeof import("flowbook");
  const display: typeof D.display;
  const updateDisplay: typeof D.updateDisplay;
  const clearOutput: typeof D.clearOutput;
  const html: typeof D.html;
  const md: typeof D.md;
  const svg: typeof D.svg;
  const image: typeof D.image;
  const plot: typeof D.plot;
  const progress: typeof D.progress;
  /** Asks the notebook user for a line of text. */
  function input(prompt?: string): Promise<string>;
  /** Asks the notebook user for a line of text, synchronously (like the browser's prompt). */
  function prompt(message?: string, defaultValue?: string): string;
  /** Comms with the frontend: \`comm.open(target, data)\`, \`comm.registerTarget(name, (comm, msg) => ...)\`. */
  const comm: import(${commsModule}).CommManager["api"];
}
export {};
`;
}

function identifierStart(code: string, cursor: number): number {
  let i = cursor;
  while (i > 0 && /[\w$]/.test(code[i - 1])) i--;
  return i;
}
