/**
 * Triton model configuration (config.pbtxt): the fields flowbook writes and the common ones users
 * write, read from the parsed text tree, written back as text, shown as Triton's JSON, and completed
 * from an ONNX model's own input/output metadata when fields are missing.
 *
 * Unknown fields are ignored with a warning (Triton has many flowbook does not act on, e.g.
 * `optimization`); a known field with a wrong value is refused with the file and line.
 */
import { parsePbtxt, PbField, PbMessage, PbValue } from "./pbtxt";
import { servingError } from "./errors";
import { DTYPES, WireType, wireFromConfig, wireFromOrt } from "./dtypes";

/** One input or output of a model. */
export interface TensorConfig {
  name: string;
  dataType: WireType;
  /** Shape without the batch dimension; -1 is a dynamic size. */
  dims: number[];
  /** The shape the model itself uses, when it differs from `dims` (Triton's `reshape`). */
  reshape?: number[];
  /** Output only: a file in the model directory with one class label per line. */
  labelFilename?: string;
}

/** Which versions of a model are served. */
export type VersionPolicy = { latest: number } | { all: true } | { specific: number[] };

/** A model's configuration, as read from config.pbtxt and completed. */
export interface ModelConfig {
  name: string;
  platform: string;
  backend: string;
  /** 0: the model has no batch dimension; N: requests carry a leading batch dim of at most N. */
  maxBatchSize: number;
  inputs: TensorConfig[];
  outputs: TensorConfig[];
  /** Present when the dynamic batcher is on. */
  dynamicBatching?: { maxQueueDelayMicroseconds: number; preferredBatchSize: number[] };
  /** Number of execution instances (worker threads, each with its own session). */
  instanceCount: number;
  /** Instance kind as written (KIND_CPU, KIND_GPU, KIND_AUTO); informative. */
  instanceKind: string;
  versionPolicy: VersionPolicy;
  /** Model file name inside a version directory. */
  defaultModelFilename: string;
}

/** The result of reading config.pbtxt: the (possibly incomplete) config and the warnings. */
export interface ParsedConfig { config: Partial<ModelConfig> & { inputs?: TensorConfig[]; outputs?: TensorConfig[] }; warnings: string[] }

/** `json`: the config came as a JSON override (no lines; int64 fields may be strings, as protobuf's JSON writes them). */
type Ctx = { file: string; warnings: string[]; json?: boolean };
type Handler<T> = (target: T, f: PbField, ctx: Ctx) => void;

// --- scalar readers: each refuses a wrong value with the file and line ---
function bad(ctx: Ctx, f: PbField, detail: string): never {
  if (ctx.json) throw servingError("CONFIG_OVERRIDE_INVALID", { model: ctx.file, detail: `${f.name}: ${detail}` });
  throw servingError("CONFIG_INVALID", { file: ctx.file, line: f.line, detail: `${f.name}: ${detail}` });
}
function str(ctx: Ctx, f: PbField): string {
  if (f.value.kind !== "string") bad(ctx, f, "expected a quoted string");
  return (f.value as { v: string }).v;
}
function int(ctx: Ctx, f: PbField, v: PbValue = f.value, min = -Infinity): number {
  if (ctx.json && v.kind === "string" && /^-?\d+$/.test(v.v)) v = { kind: "number", v: Number(v.v) };
  if (v.kind !== "number" || !Number.isInteger(v.v)) bad(ctx, f, `expected an integer, got ${describe(v)}`);
  const n = (v as { v: number }).v;
  if (n < min) bad(ctx, f, `must be >= ${min}, got ${n}`);
  return n;
}
function ints(ctx: Ctx, f: PbField, min = -Infinity): number[] {
  const items = f.value.kind === "list" ? f.value.items : [f.value];
  return items.map((v) => int(ctx, f, v, min));
}
function ident(ctx: Ctx, f: PbField, allowed: string[]): string {
  const v = f.value.kind === "ident" || f.value.kind === "string" ? f.value.v : undefined;
  if (v === undefined || !allowed.includes(v)) bad(ctx, f, `expected one of ${allowed.join(", ")}, got ${describe(f.value)}`);
  return v!;
}
function msg(ctx: Ctx, f: PbField): PbMessage {
  if (f.value.kind !== "message") bad(ctx, f, "expected a { ... } block");
  return f.value as PbMessage;
}
function describe(v: PbValue): string {
  if (v.kind === "message") return "a { ... } block";
  if (v.kind === "list") return "a [ ... ] list";
  return v.kind === "string" ? JSON.stringify(v.v) : String(v.v);
}

/** Applies a table of field handlers to a message; unknown fields warn. */
function apply<T>(m: PbMessage, table: Record<string, Handler<T>>, target: T, ctx: Ctx, where: string): T {
  for (const f of m.fields) {
    const h = table[f.name];
    if (h) h(target, f, ctx);
    else ctx.warnings.push(`${ctx.json ? `config override of '${ctx.file}'` : `${ctx.file}:${f.line}`}: field '${where}${f.name}' is not used by flowbook; ignored`);
  }
  return target;
}

/** Lists (`input: [ {..}, {..} ]`) and repeated fields both give several messages. */
function messages(ctx: Ctx, f: PbField): PbMessage[] {
  if (f.value.kind === "list") return f.value.items.map((v) => msg(ctx, { ...f, value: v }));
  return [msg(ctx, f)];
}

const DATA_TYPES = Object.values(DTYPES).map((r) => r.config);

const TENSOR_FIELDS: Record<string, Handler<Partial<TensorConfig>>> = {
  name: (t, f, c) => { t.name = str(c, f); },
  data_type: (t, f, c) => { t.dataType = wireFromConfig(ident(c, f, DATA_TYPES)); },
  dims: (t, f, c) => { t.dims = [...(t.dims ?? []), ...ints(c, f, -1)]; },
  reshape: (t, f, c) => { t.reshape = apply(msg(c, f), { shape: (r: { shape: number[] }, g, c2) => { r.shape.push(...ints(c2, g, -1)); } }, { shape: [] as number[] }, c, "reshape.").shape; },
  label_filename: (t, f, c) => { t.labelFilename = str(c, f); },
  format: () => {}, // FORMAT_NCHW etc.: informative only.
};

function tensor(ctx: Ctx, f: PbField): TensorConfig {
  const t = apply(msg(ctx, f), TENSOR_FIELDS, {} as Partial<TensorConfig>, ctx, `${f.name}.`);
  if (!t.name) bad(ctx, f, "each input/output needs a name");
  if (!t.dataType) bad(ctx, f, `'${t.name}' needs a data_type`);
  if (!t.dims) bad(ctx, f, `'${t.name}' needs dims`);
  if (t.labelFilename && f.name === "input") bad(ctx, f, "label_filename belongs on an output");
  return t as TensorConfig;
}

const POLICY_FIELDS: Record<string, Handler<{ p?: VersionPolicy }>> = {
  latest: (t, f, c) => { t.p = { latest: 1 }; apply(msg(c, f), { num_versions: (_: unknown, g, c2) => { t.p = { latest: int(c2, g, g.value, 1) }; } }, {}, c, "version_policy.latest."); },
  all: (t) => { t.p = { all: true }; },
  specific: (t, f, c) => { const v: number[] = []; apply(msg(c, f), { versions: (_: unknown, g, c2) => { v.push(...ints(c2, g, 1)); } }, {}, c, "version_policy.specific."); t.p = { specific: v }; },
};

const BATCHING_FIELDS: Record<string, Handler<NonNullable<ModelConfig["dynamicBatching"]>>> = {
  max_queue_delay_microseconds: (t, f, c) => { t.maxQueueDelayMicroseconds = int(c, f, f.value, 0); },
  preferred_batch_size: (t, f, c) => { t.preferredBatchSize.push(...ints(c, f, 1)); },
};

const INSTANCE_FIELDS: Record<string, Handler<{ count: number; kind: string }>> = {
  count: (t, f, c) => { t.count = int(c, f, f.value, 1); },
  kind: (t, f, c) => { t.kind = ident(c, f, ["KIND_AUTO", "KIND_CPU", "KIND_GPU", "KIND_MODEL"]); },
  name: () => {},
  gpus: () => {},
};

type Top = ParsedConfig["config"];
const TOP_FIELDS: Record<string, Handler<Top>> = {
  name: (t, f, c) => { t.name = str(c, f); },
  platform: (t, f, c) => { t.platform = ident(c, f, ["onnxruntime_onnx"]); },
  backend: (t, f, c) => { t.backend = ident(c, f, ["onnxruntime"]); },
  max_batch_size: (t, f, c) => { t.maxBatchSize = int(c, f, f.value, 0); },
  input: (t, f, c) => { t.inputs = [...(t.inputs ?? []), ...messages(c, f).map((m) => tensor(c, { ...f, value: m }))]; },
  output: (t, f, c) => { t.outputs = [...(t.outputs ?? []), ...messages(c, f).map((m) => tensor(c, { ...f, value: m }))]; },
  dynamic_batching: (t, f, c) => { t.dynamicBatching = apply(msg(c, f), BATCHING_FIELDS, { maxQueueDelayMicroseconds: 0, preferredBatchSize: [] }, c, "dynamic_batching."); },
  instance_group: (t, f, c) => {
    for (const m of messages(c, f)) {
      const g = apply(m, INSTANCE_FIELDS, { count: 1, kind: "KIND_AUTO" }, c, "instance_group.");
      t.instanceCount = (t.instanceCount ?? 0) + g.count; // several groups add up, as in Triton.
      t.instanceKind = g.kind;
    }
  },
  version_policy: (t, f, c) => { t.versionPolicy = apply(msg(c, f), POLICY_FIELDS, {} as { p?: VersionPolicy }, c, "version_policy.").p ?? { latest: 1 }; },
  default_model_filename: (t, f, c) => { t.defaultModelFilename = str(c, f); },
};

/**
 * Reads config.pbtxt text. Throws `CONFIG_INVALID` naming `file` and the line for a wrong value.
 * @example parseConfig('name: "m"\nmax_batch_size: 8', "m/config.pbtxt").config.maxBatchSize // 8
 */
export function parseConfig(text: string, file: string): ParsedConfig {
  const ctx: Ctx = { file, warnings: [] };
  const config = apply(parsePbtxt(text, file), TOP_FIELDS, {} as Top, ctx, "");
  return { config, warnings: ctx.warnings };
}

/**
 * Reads a configuration given as JSON (Triton's `config` parameter of the repository load request: the
 * ModelConfig message in protobuf's JSON form, snake_case or lowerCamelCase names), validated like
 * config.pbtxt. Throws `CONFIG_OVERRIDE_INVALID` naming `model` and the field.
 * @example parseConfigJson('{"max_batch_size": 2}', "mlp").config.maxBatchSize // 2
 */
export function parseConfigJson(text: string, model: string): ParsedConfig {
  let v: unknown;
  try { v = JSON.parse(text); } catch (err) { throw servingError("CONFIG_OVERRIDE_INVALID", { model, detail: `not valid JSON: ${(err as Error).message}` }); }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw servingError("CONFIG_OVERRIDE_INVALID", { model, detail: "the config must be a JSON object" });
  const ctx: Ctx = { file: model, warnings: [], json: true };
  const config = apply(jsonMessage(v as Record<string, unknown>), TOP_FIELDS, {} as Top, ctx, "");
  return { config, warnings: ctx.warnings };
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** JSON → the text-format tree (line 0: no line to point at); null fields are absent, as protobuf's JSON reads them. */
function jsonMessage(o: Record<string, unknown>): PbMessage {
  const fields: PbField[] = [];
  for (const [k, v] of Object.entries(o)) if (v !== null) fields.push({ name: snake(k), line: 0, value: jsonValue(v) });
  return { kind: "message", fields };
}
function jsonValue(v: unknown): PbValue {
  if (Array.isArray(v)) return { kind: "list", items: v.map(jsonValue) };
  if (typeof v === "object" && v !== null) return jsonMessage(v as Record<string, unknown>);
  if (typeof v === "number") return { kind: "number", v };
  if (typeof v === "boolean") return { kind: "ident", v: String(v) };
  return { kind: "string", v: String(v) };
}

/** What ONNX Runtime reports about one model input or output. */
export interface OnnxIoMeta { name: string; type: string; shape: (number | string)[] }

/**
 * Completes a partial config from the ONNX file's metadata, as Triton's auto-complete does: missing
 * inputs/outputs come from the model; a model whose every tensor has a dynamic first dimension batches
 * (max_batch_size 4 with the dynamic batcher on, Triton's default) unless the config says otherwise.
 * Then checks the config against the model and throws `LOAD_FAILED`-ready messages when they disagree.
 */
export function completeConfig(partial: Top, dirName: string, meta: { inputs: OnnxIoMeta[]; outputs: OnnxIoMeta[] }): ModelConfig {
  const all = [...meta.inputs, ...meta.outputs];
  const batchable = all.length > 0 && all.every((m) => m.shape.length > 0 && typeof m.shape[0] !== "number" || m.shape[0] === -1);
  const autoBatch = partial.maxBatchSize === undefined && batchable;
  const maxBatchSize = partial.maxBatchSize ?? (batchable ? 4 : 0);
  const fromMeta = (m: OnnxIoMeta): TensorConfig => ({
    name: m.name,
    dataType: metaType(m),
    dims: (maxBatchSize > 0 ? m.shape.slice(1) : m.shape).map((d) => (typeof d === "number" && d >= 0 ? d : -1)),
  });
  const config: ModelConfig = {
    name: partial.name ?? dirName,
    platform: "onnxruntime_onnx",
    backend: "onnxruntime",
    maxBatchSize,
    inputs: partial.inputs ?? meta.inputs.map(fromMeta),
    outputs: partial.outputs ?? meta.outputs.map(fromMeta),
    dynamicBatching: partial.dynamicBatching ?? (autoBatch ? { maxQueueDelayMicroseconds: 0, preferredBatchSize: [] } : undefined),
    instanceCount: partial.instanceCount ?? 1,
    instanceKind: partial.instanceKind ?? "KIND_CPU",
    versionPolicy: partial.versionPolicy ?? { latest: 1 },
    defaultModelFilename: partial.defaultModelFilename ?? "model.onnx",
  };
  checkAgainstModel(config, meta);
  return config;
}

function metaType(m: OnnxIoMeta): WireType {
  const w = wireFromOrt(m.type);
  if (!w) throw new Error(`ONNX tensor '${m.name}' has type '${m.type}', which the KServe v2 protocol cannot carry`);
  return w;
}

/** The config must name the model's tensors with the model's types; dims must agree where both are fixed. */
function checkAgainstModel(c: ModelConfig, meta: { inputs: OnnxIoMeta[]; outputs: OnnxIoMeta[] }): void {
  if (c.name.length === 0) throw new Error("config name is empty");
  for (const [kind, list, model] of [["input", c.inputs, meta.inputs], ["output", c.outputs, meta.outputs]] as const) {
    for (const t of list) {
      const m = model.find((x) => x.name === t.name);
      if (!m) throw new Error(`unexpected ${kind} '${t.name}' in config.pbtxt; the ONNX model has ${kind}s: ${model.map((x) => x.name).join(", ")}`);
      if (metaType(m) !== t.dataType) throw new Error(`${kind} '${t.name}' is ${DTYPES[t.dataType].config} in config.pbtxt but ${DTYPES[metaType(m)].config} in the ONNX model`);
    }
  }
  for (const m of meta.inputs) {
    if (!c.inputs.some((t) => t.name === m.name)) throw new Error(`config.pbtxt lacks the model input '${m.name}'`);
  }
}

// --- writer ---
function dimsText(d: number[]): string { return `[ ${d.join(", ")} ]`; }

function tensorText(kind: string, t: TensorConfig): string {
  const lines = [`  {`, `    name: ${JSON.stringify(t.name)}`, `    data_type: ${DTYPES[t.dataType].config}`, `    dims: ${dimsText(t.dims)}`];
  if (t.reshape) lines.push(`    reshape: { shape: ${dimsText(t.reshape)} }`);
  if (t.labelFilename) lines.push(`    label_filename: ${JSON.stringify(t.labelFilename)}`);
  return `${lines.join("\n")}\n  }`;
}

/** Writes a config as config.pbtxt text that both flowbook and Triton read. */
export function writeConfig(c: ModelConfig): string {
  const out = [`name: ${JSON.stringify(c.name)}`, `backend: "${c.backend}"`, `max_batch_size: ${c.maxBatchSize}`];
  out.push(`input [\n${c.inputs.map((t) => tensorText("input", t)).join(",\n")}\n]`);
  out.push(`output [\n${c.outputs.map((t) => tensorText("output", t)).join(",\n")}\n]`);
  if (c.dynamicBatching) {
    const d = c.dynamicBatching;
    const pref = d.preferredBatchSize.length ? `  preferred_batch_size: ${dimsText(d.preferredBatchSize)}\n` : "";
    out.push(`dynamic_batching {\n${pref}  max_queue_delay_microseconds: ${d.maxQueueDelayMicroseconds}\n}`);
  }
  out.push(`instance_group [ { count: ${c.instanceCount} kind: ${c.instanceKind} } ]`);
  out.push(`version_policy: ${policyText(c.versionPolicy)}`);
  if (c.defaultModelFilename !== "model.onnx") out.push(`default_model_filename: ${JSON.stringify(c.defaultModelFilename)}`);
  return out.join("\n") + "\n";
}

function policyText(p: VersionPolicy): string {
  if ("latest" in p) return `{ latest: { num_versions: ${p.latest} } }`;
  if ("all" in p) return "{ all: {} }";
  return `{ specific: { versions: ${dimsText(p.specific)} } }`;
}

/** The config as Triton's GET /v2/models/{m}/config returns it (the ModelConfig protobuf as JSON). */
export function configToJson(c: ModelConfig): Record<string, unknown> {
  const io = (t: TensorConfig, isInput: boolean) => ({
    name: t.name,
    data_type: DTYPES[t.dataType].config,
    dims: t.dims,
    ...(t.reshape ? { reshape: { shape: t.reshape } } : {}),
    ...(isInput ? { format: "FORMAT_NONE", is_shape_tensor: false, allow_ragged_batch: false, optional: false } : { label_filename: t.labelFilename ?? "", is_shape_tensor: false }),
  });
  return {
    name: c.name,
    platform: c.platform,
    backend: c.backend,
    version_policy: "latest" in c.versionPolicy ? { latest: { num_versions: c.versionPolicy.latest } } : "all" in c.versionPolicy ? { all: {} } : { specific: { versions: c.versionPolicy.specific } },
    max_batch_size: c.maxBatchSize,
    input: c.inputs.map((t) => io(t, true)),
    output: c.outputs.map((t) => io(t, false)),
    ...(c.dynamicBatching ? { dynamic_batching: { preferred_batch_size: c.dynamicBatching.preferredBatchSize, max_queue_delay_microseconds: c.dynamicBatching.maxQueueDelayMicroseconds, preserve_ordering: false } } : {}),
    instance_group: [{ name: c.name, kind: c.instanceKind === "KIND_AUTO" ? "KIND_CPU" : c.instanceKind, count: c.instanceCount, gpus: [], profile: [] }],
    default_model_filename: c.defaultModelFilename,
    parameters: {},
  };
}
