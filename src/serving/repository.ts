/**
 * The model repository: a directory in Triton's layout (`<model>/config.pbtxt`,
 * `<model>/<version>/model.onnx`, optional label files). Loads, reloads and unloads models, keeps each
 * model's state for the repository index, and never lets one model's failure affect another.
 */
import * as fs from "fs";
import * as path from "path";
import { completeConfig, ModelConfig, parseConfig, ParsedConfig, VersionPolicy } from "./config";
import { InstancePool } from "./instances";
import { ModelVersion } from "./model";
import { checkModelName, resolveInside } from "./paths";
import { servingError, ServingError } from "./errors";

/** A model's state, as the repository index reports it. */
export type ModelState = "READY" | "LOADING" | "UNLOADING" | "UNAVAILABLE";

/** A repository index row (POST /v2/repository/index). */
export interface IndexEntry { name: string; version?: string; state: ModelState; reason?: string }

/** Where and how models run. */
export interface RepositoryOptions {
  /** Execution providers for a model (by name), e.g. `["cpu"]`. */
  providersFor: (model: string) => unknown[];
  /** Receives warnings (unknown config fields) and load failures. */
  log: (line: string) => void;
}

interface Entry { name: string; state: ModelState; reason: string; versions: Map<number, ModelVersion> }

/** Picks version numbers from the version directories by policy. */
function chooseVersions(available: number[], policy: VersionPolicy): number[] {
  const sorted = [...available].sort((a, b) => b - a);
  if ("latest" in policy) return sorted.slice(0, policy.latest);
  if ("all" in policy) return sorted;
  return sorted.filter((v) => policy.specific.includes(v));
}

/** A Triton-layout model repository and the models loaded from it. */
export class ModelRepository {
  private readonly entries = new Map<string, Entry>();
  /** Serialises loads/unloads of one model so that two reloads never interleave. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(readonly root: string, private readonly options: RepositoryOptions) {
    if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`model repository '${root}' is not a directory; pass --model-repository DIR with one folder per model`);
  }

  /** Model directories found in the repository (hidden entries skipped). */
  scan(): string[] {
    return fs.readdirSync(this.root, { withFileTypes: true })
      .filter((d) => !d.name.startsWith(".") && (d.isDirectory() || d.isSymbolicLink()))
      .map((d) => d.name)
      .sort();
  }

  /** Loads every model of the repository; failures are recorded, never thrown. */
  async loadAll(): Promise<void> {
    await Promise.all(this.scan().map(async (n) => this.load(n)).map((p) => p.catch(() => undefined)));
  }

  /** The repository index; with `readyOnly`, only READY models. */
  index(readyOnly = false): IndexEntry[] {
    const names = new Set([...this.scan().filter((n) => { try { checkModelName(n); return true; } catch { return false; } }), ...this.entries.keys()]);
    const rows: IndexEntry[] = [];
    for (const name of [...names].sort()) {
      const e = this.entries.get(name);
      if (!e) { rows.push({ name, state: "UNAVAILABLE", reason: "unloaded" }); continue; }
      if (e.state === "READY") for (const v of [...e.versions.keys()].sort((a, b) => a - b)) rows.push({ name, version: String(v), state: "READY" });
      else rows.push({ name, state: e.state, ...(e.reason ? { reason: e.reason } : {}) });
    }
    return readyOnly ? rows.filter((r) => r.state === "READY") : rows;
  }

  /**
   * Loads (or reloads) `name`; the old versions keep serving until the new ones are ready. `override` (the
   * load request's `config` parameter, already parsed) replaces config.pbtxt for this load, as in Triton: the
   * file is not read, and what the override leaves out is completed from the ONNX model.
   */
  load(name: string, override?: ParsedConfig): Promise<void> {
    checkModelName(name);
    return this.serialise(name, async () => {
      if (!this.entries.has(name) && !this.scan().includes(name)) {
        throw servingError("LOAD_FAILED", { model: name, reason: `no model directory '${name}' in the repository; add ${name}/config.pbtxt and ${name}/1/model.onnx` });
      }
      const entry = this.entry(name);
      const old = entry.state === "READY" ? entry.versions : undefined;
      if (!old) entry.state = "LOADING";
      try {
        const versions = await this.loadVersions(name, override);
        entry.versions = versions;
        entry.state = "READY";
        entry.reason = "";
      } catch (err) {
        const reason = err instanceof ServingError && err.code === "LOAD_FAILED" ? (err as Error).message.replace(/^failed to load '[^']*': /, "") : String((err as Error).message);
        if (!old) { entry.state = "UNAVAILABLE"; entry.reason = reason; }
        this.options.log(`failed to load '${name}': ${reason}`);
        throw servingError("LOAD_FAILED", { model: name, reason });
      }
      if (old) await Promise.all([...old.values()].map((v) => v.close()));
    });
  }

  /** Unloads `name`: new requests get 503, in-flight ones finish, then its instances stop. */
  unload(name: string): Promise<void> {
    checkModelName(name);
    return this.serialise(name, async () => {
      const entry = this.entries.get(name);
      if (!entry && !this.scan().includes(name)) throw servingError("MODEL_NOT_FOUND", { model: name });
      if (!entry) return;
      const versions = entry.versions;
      entry.state = "UNLOADING";
      entry.versions = new Map();
      await Promise.all([...versions.values()].map((v) => v.close()));
      entry.state = "UNAVAILABLE";
      entry.reason = "unloaded";
    });
  }

  /** The loaded version for a request: 404 unknown model/version, 503 model not ready. */
  get(name: string, version?: string): ModelVersion {
    checkModelName(name);
    const e = this.entries.get(name);
    if (!e) {
      if (this.scan().includes(name)) throw servingError("MODEL_NOT_READY", { model: name, state: "UNAVAILABLE", reason: "unloaded" });
      throw servingError("MODEL_NOT_FOUND", { model: name });
    }
    if (e.state !== "READY") throw servingError("MODEL_NOT_READY", { model: name, state: e.state, reason: e.reason || e.state.toLowerCase() });
    if (version === undefined || version === "") return e.versions.get(Math.max(...e.versions.keys()))!;
    if (!/^[1-9]\d*$/.test(version)) throw servingError("INVALID_VERSION", { model: name, version });
    const v = e.versions.get(Number(version));
    if (!v) throw servingError("VERSION_NOT_FOUND", { model: name, version });
    return v;
  }

  /** Loaded version numbers of a ready model, ascending. */
  versionsOf(name: string): number[] {
    return [...(this.entries.get(name)?.versions.keys() ?? [])].sort((a, b) => a - b);
  }

  /** Every loaded version, for statistics and metrics. */
  loaded(): ModelVersion[] {
    return [...this.entries.values()].flatMap((e) => [...e.versions.values()]);
  }

  /** Unloads everything (after in-flight requests finish). */
  async close(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((n) => this.unload(n).catch(() => undefined)));
  }

  private entry(name: string): Entry {
    let e = this.entries.get(name);
    if (!e) this.entries.set(name, (e = { name, state: "UNAVAILABLE", reason: "", versions: new Map() }));
    return e;
  }

  private serialise<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.locks.set(name, next);
    return next;
  }

  private readConfig(name: string, override?: ParsedConfig): ParsedConfig["config"] {
    const file = override ? undefined : resolveInside(this.root, name, "config.pbtxt");
    if (!override && !file) return {};
    const parsed = override ?? parseConfig(fs.readFileSync(file!, "utf8"), path.join(name, "config.pbtxt"));
    for (const w of parsed.warnings) this.options.log(`warning: ${w}`);
    if (parsed.config.name !== undefined && parsed.config.name !== name) {
      throw new Error(`${override ? "the config override" : "config.pbtxt"} names the model '${parsed.config.name}' but its directory is '${name}'; make them equal`);
    }
    return parsed.config;
  }

  private async loadVersions(name: string, override?: ParsedConfig): Promise<Map<number, ModelVersion>> {
    const dir = resolveInside(this.root, name);
    if (!dir) throw servingError("MODEL_NOT_FOUND", { model: name });
    const partial = this.readConfig(name, override);
    const available = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => /^[1-9]\d*$/.test(d.name)).map((d) => Number(d.name));
    const chosen = chooseVersions(available, partial.versionPolicy ?? { latest: 1 });
    if (chosen.length === 0) throw new Error(`no version is available: add a numbered version directory such as ${name}/1/model.onnx`);
    const loaded = new Map<number, ModelVersion>();
    try {
      for (const v of chosen) loaded.set(v, await this.loadVersion(name, v, partial));
    } catch (err) {
      await Promise.all([...loaded.values()].map((m) => m.close()));
      throw err;
    }
    return loaded;
  }

  private async loadVersion(name: string, version: number, partial: ParsedConfig["config"]): Promise<ModelVersion> {
    const fileName = partial.defaultModelFilename ?? "model.onnx";
    const file = resolveInside(this.root, name, String(version), fileName);
    if (!file) throw new Error(`version ${version} has no ${fileName}: expected ${path.join(name, String(version), fileName)}`);
    const { pool, meta } = await InstancePool.start(file, partial.instanceCount ?? 1, this.options.providersFor(name));
    try {
      const config: ModelConfig = completeConfig(partial, name, meta);
      return new ModelVersion(config, version, pool, this.readLabels(name, config));
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  private readLabels(name: string, config: ModelConfig): Map<string, string[]> {
    const labels = new Map<string, string[]>();
    for (const o of config.outputs) {
      if (!o.labelFilename) continue;
      const file = resolveInside(this.root, name, o.labelFilename);
      if (!file) throw new Error(`label_filename '${o.labelFilename}' of output '${o.name}' does not exist in ${name}/`);
      labels.set(o.name, fs.readFileSync(file, "utf8").split(/\r?\n/).filter((l, i, a) => i < a.length - 1 || l !== ""));
    }
    return labels;
  }
}
