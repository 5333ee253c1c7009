/**
 * `require` and `import` for cells: packages resolve from the notebook's directory first, then from flowbook's own
 * dependencies; "flowbook" is this project's build; relative `.ts` files are transpiled on load, and edited
 * files are loaded again on the next import without a restart.
 */
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { pathToFileURL } from "url";
import { types } from "util";
import { typescript } from "./typescript";

/** The project root (where package.json and dist/ live). */
export const FLOWBOOK_ROOT = path.resolve(__dirname, "..", "..");
/** The built framework entry ("main" of package.json). */
export const FLOWBOOK_ENTRY = path.join(FLOWBOOK_ROOT, "dist", "src", "index.js");

/** Loads modules on behalf of the cells of one notebook directory. */
export class ModuleLoader {
  private readonly fromNotebook: NodeRequire;
  private readonly fromFlowbook = createRequire(path.join(FLOWBOOK_ROOT, "package.json"));
  private readonly loadedMtimes = new Map<string, number>();

  constructor(readonly notebookDir: string) {
    this.fromNotebook = createRequire(path.join(notebookDir, "__notebook__.js"));
    registerTypeScriptExtension();
  }

  /** Synchronous require, bound for use as the cells' global `require`. */
  readonly require = Object.assign((specifier: string) => this.load(specifier), {
    resolve: (specifier: string) => this.resolve(specifier),
    cache: require.cache,
  });

  /** Resolves a specifier as a cell sees it; the error lists where it looked. */
  resolve(specifier: string): string {
    if (specifier === "flowbook") return FLOWBOOK_ENTRY;
    if (isRelative(specifier)) return this.fromNotebook.resolve(path.resolve(this.notebookDir, specifier));
    try {
      return this.fromNotebook.resolve(specifier);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try { return this.fromFlowbook.resolve(specifier); } catch (inner) {
        if (!isNotFound(inner)) throw inner;
        throw new Error(`Cannot find module '${specifier}' from ${this.notebookDir} or flowbook's dependencies; install it with \`npm install ${specifier}\` in the notebook's directory`);
      }
    }
  }

  /** `require(specifier)` for a cell. */
  load(specifier: string): unknown {
    if (specifier.startsWith("node:")) return require(specifier);
    if (isRelative(specifier)) this.forgetEditedFiles();
    const resolved = this.resolve(specifier);
    const loaded = require(resolved);
    if (isRelative(specifier)) this.rememberLocalFiles();
    return loaded;
  }

  /** `import(specifier)` for a cell: require first (CommonJS, and ESM without top-level await), else a real import(). */
  async import(specifier: string): Promise<unknown> {
    try {
      return this.load(specifier);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ERR_REQUIRE_ESM" || code === "ERR_REQUIRE_ASYNC_MODULE" || code === "ERR_PACKAGE_PATH_NOT_EXPORTED") {
        return nativeImport(pathToFileURL(this.resolveEsm(specifier)).href);
      }
      throw err;
    }
  }

  /**
   * A cell's dynamic `import(specifier)`: loads like a static import, then gives a module namespace as Node's
   * `import()` does (CommonJS exports become named exports plus `default`, TypeScript's `__importStar` interop).
   */
  async dynamicImport(specifier: string): Promise<unknown> {
    return asNamespace(await this.import(String(specifier)));
  }

  /** Resolves an ESM-only package (exports with only an "import" condition) by reading its package.json. */
  private resolveEsm(specifier: string): string {
    if (isRelative(specifier) || path.isAbsolute(specifier)) return path.resolve(this.notebookDir, specifier);
    const [pkgName, subpath] = splitPackage(specifier);
    for (const base of [this.notebookDir, FLOWBOOK_ROOT]) {
      for (let dir = base; ; dir = path.dirname(dir)) {
        const pkgDir = path.join(dir, "node_modules", pkgName);
        if (fs.existsSync(path.join(pkgDir, "package.json"))) return path.join(pkgDir, esmEntry(pkgDir, subpath));
        if (path.dirname(dir) === dir) break;
      }
    }
    throw new Error(`Cannot find ESM package '${specifier}' under node_modules of ${this.notebookDir} or flowbook`);
  }

  /** Drops cached local (non-node_modules) files whose mtime changed since they were loaded. */
  private forgetEditedFiles(): void {
    for (const [file, mtime] of this.loadedMtimes) {
      if (mtimeOf(file) !== mtime) { delete require.cache[file]; this.loadedMtimes.delete(file); }
    }
    // An edited file is reloaded, and so must be every local file loaded with it (they may import it).
    if (this.loadedMtimes.size && [...this.loadedMtimes.keys()].some((f) => !require.cache[f])) {
      for (const file of this.loadedMtimes.keys()) delete require.cache[file];
      this.loadedMtimes.clear();
    }
  }

  private rememberLocalFiles(): void {
    for (const file of Object.keys(require.cache)) {
      if (file.startsWith(this.notebookDir) && !file.includes(`${path.sep}node_modules${path.sep}`) && !this.loadedMtimes.has(file)) {
        this.loadedMtimes.set(file, mtimeOf(file));
      }
    }
  }
}

/** Adds the "defaultOf" interop the converter's imports use (esModuleInterop semantics). */
export function defaultOf(mod: any): unknown {
  return mod && mod.__esModule ? mod.default : mod?.[Symbol.toStringTag] === "Module" ? mod.default : mod;
}

const namespaces = new WeakMap<object, object>();

/** The namespace `import()` gives for a loaded module: ES namespaces and `__esModule` exports as they are. */
export function asNamespace(mod: unknown): unknown {
  if (types.isModuleNamespaceObject(mod) || (mod && (mod as { __esModule?: boolean }).__esModule)) return mod;
  if (mod === null || (typeof mod !== "object" && typeof mod !== "function")) return Object.freeze(Object.assign(Object.create(null), { default: mod, [Symbol.toStringTag]: "Module" }));
  const cached = namespaces.get(mod as object);
  if (cached) return cached;
  const ns = Object.create(null);
  for (const key of Object.keys(mod as object)) {
    if (key !== "default") Object.defineProperty(ns, key, { enumerable: true, get: () => (mod as Record<string, unknown>)[key] });
  }
  Object.defineProperty(ns, "default", { enumerable: true, value: mod });
  Object.defineProperty(ns, Symbol.toStringTag, { value: "Module" });
  Object.preventExtensions(ns);
  namespaces.set(mod as object, ns);
  return ns;
}

/** A real `import()`: TypeScript compiles `import()` to `require()` under module commonjs. */
const nativeImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

/** Source maps of the `.ts` files transpiled on import, by file name (see {@link mapTranspiledPosition}). */
const transpiledMaps = new Map<string, { text: string; map?: import("module").SourceMap }>();

/**
 * Maps a 1-based (line, column) of a stack frame in a `.ts` file transpiled on import back to the file's source;
 * null for files this loader did not transpile.
 */
export function mapTranspiledPosition(file: string, line: number, column: number): { line: number; column: number } | null {
  const entry = transpiledMaps.get(file);
  if (!entry) return null;
  entry.map ??= new (require("module") as { SourceMap: typeof import("module").SourceMap }).SourceMap(JSON.parse(entry.text));
  const found = entry.map.findEntry(line - 1, column - 1) as { originalLine?: number; originalColumn?: number };
  if (found?.originalLine === undefined) return null;
  return { line: found.originalLine + 1, column: (found.originalColumn ?? 0) + 1 };
}

let tsExtensionRegistered = false;
function registerTypeScriptExtension(): void {
  if (tsExtensionRegistered) return;
  tsExtensionRegistered = true;
  const extensions = (require("module") as { _extensions: Record<string, (m: any, filename: string) => void> })._extensions;
  extensions[".ts"] = (mod, filename) => {
    const ts = typescript();
    const out = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
      fileName: filename,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, sourceMap: true },
    });
    if (out.sourceMapText) transpiledMaps.set(filename, { text: out.sourceMapText });
    mod._compile(out.outputText.replace(/\/\/# sourceMappingURL=.*\s*$/, ""), filename);
  };
}

function esmEntry(pkgDir: string, subpath: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  const key = subpath ? `./${subpath}` : ".";
  let target = typeof pkg.exports === "string" && key === "." ? pkg.exports : pkg.exports?.[key] ?? (key === "." ? pkg.exports : undefined);
  while (target && typeof target === "object") target = target.import ?? target.node ?? target.default;
  return target ?? (subpath || pkg.module || pkg.main || "index.js");
}

function splitPackage(specifier: string): [string, string] {
  const parts = specifier.split("/");
  const n = specifier.startsWith("@") ? 2 : 1;
  return [parts.slice(0, n).join("/"), parts.slice(n).join("/")];
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier === "..";
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND";
}

function mtimeOf(file: string): number {
  try { return fs.statSync(file).mtimeMs; } catch { return -1; }
}
